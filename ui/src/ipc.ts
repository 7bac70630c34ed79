// Typed wrappers around the shell's Tauri commands. Hand-written for now: they
// mirror `src-tauri/src/commands/` and `trove_core::Stats`; keep them in step.
import { invoke } from "@tauri-apps/api/core";

/** The library's counts, as `trove stats --json` prints them. */
export interface Stats {
  assets: number;
  locations: number;
  sources: number;
  offline: number;
  missing: number;
  sidecars: number;
  offline_sources: number;
  media_types: Record<string, number>;
  change_seq: number;
}

/** The one error shape that crosses IPC (`src-tauri/src/error.rs`). */
export interface IpcError {
  kind: "notFound" | "invalidInput" | "io" | "internal";
  message: string;
}

export function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

export function libraryStats(): Promise<Stats> {
  return invoke<Stats>("library_stats");
}
