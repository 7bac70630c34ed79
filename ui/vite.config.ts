import { defineConfig } from "vite";

// The Tauri shell loads ui/dist from its own protocol under a strict CSP
// (`default-src 'self'`), so the build must emit scripts and styles as files
// and never inline them.
export default defineConfig({
  base: "./",
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
