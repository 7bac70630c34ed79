// Desktop benchmark (scripts/bench-ui.sh): time from launch to the first grid paint, and
// frame times while scrolling the grid and the list, on a library the script prepared.
//
// Environment: TROVE_DESKTOP_BIN, TROVE_LIBRARY (prepared, index built), BENCH_UI_OUT (a
// JSON file for the figures), TROVE_UI_ARTIFACTS (logs, screenshots).
// Prints the figures as JSON on stdout.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { Session, startTauriDriver, startXvfb, stopAll, until } from "./harness.mjs";

const desktopBin = process.env.TROVE_DESKTOP_BIN;
const library = process.env.TROVE_LIBRARY;
const artifacts = process.env.TROVE_UI_ARTIFACTS ?? "/tmp/trove-bench-ui";
const launches = Number(process.env.BENCH_UI_LAUNCHES ?? 3);
mkdirSync(artifacts, { recursive: true });

// Scrolls #browser by `step` px per frame for `ms`, recording requestAnimationFrame deltas.
const SCROLL_SCRIPT = `
const [step, ms, done] = arguments;
const root = document.querySelector('#browser');
const deltas = [];
let last = performance.now();
const start = last;
let maxNodes = 0;
function frame(now) {
  deltas.push(now - last);
  last = now;
  root.scrollTop += step;
  if (root.scrollTop + root.clientHeight >= root.scrollHeight - 1) { root.scrollTop = 0; }
  maxNodes = Math.max(maxNodes, root.querySelectorAll('.tile, .list-row').length);
  if (now - start < ms) { requestAnimationFrame(frame); }
  else {
    deltas.shift();
    done({ deltas, maxNodes, scrollHeight: root.scrollHeight });
  }
}
requestAnimationFrame((now) => { last = now; requestAnimationFrame(frame); });
`;

function stats(deltas) {
  const sorted = [...deltas].sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (x) => Math.round(x * 10) / 10;
  return {
    frames: sorted.length,
    p50: round(pick(0.5)),
    p95: round(pick(0.95)),
    p99: round(pick(0.99)),
    max: round(sorted[sorted.length - 1] ?? 0),
    over33ms: sorted.filter((d) => d > 33.4).length,
  };
}

async function main() {
  const { display } = await startXvfb({ logPath: join(artifacts, "xvfb.log") });
  const env = { ...process.env, DISPLAY: display, WEBKIT_DISABLE_COMPOSITING_MODE: "1", TROVE_LIBRARY: library };
  delete env.WAYLAND_DISPLAY;
  delete env.DBUS_SESSION_BUS_ADDRESS;
  const { url } = await startTauriDriver({ env, logPath: join(artifacts, "tauri-driver.log") });
  const firstPaint = [];
  let result;
  for (let run = 0; run < launches; run += 1) {
    const launched = Date.now();
    const session = await Session.create(url, { browserName: "wry", "tauri:options": { application: desktopBin } });
    const painted = await until("the first grid paint", 120000, async () => {
      const value = await session.execute("return document.documentElement.dataset.firstPaint ?? null;");
      return value === null ? undefined : Number(value);
    });
    firstPaint.push(painted - launched);
    if (run === launches - 1) {
      const total = await session.execute("return Number(document.querySelector('#results-info').dataset.total);");
      await session.setScriptTimeout(60000);
      const slow = await session.executeAsync(SCROLL_SCRIPT, [40, 5000]);
      const fling = await session.executeAsync(SCROLL_SCRIPT, [600, 3000]);
      writeFileSync(join(artifacts, "bench-grid.png"), await session.screenshot());
      await session.execute("document.querySelector('[data-mode=list]').click();");
      const list = await session.executeAsync(SCROLL_SCRIPT, [40, 5000]);
      writeFileSync(join(artifacts, "bench-list.png"), await session.screenshot());
      result = {
        assets: total,
        firstPaintMs: firstPaint,
        grid: { ...stats(slow.deltas), pxPerFrame: 40, domTiles: slow.maxNodes },
        gridFling: { ...stats(fling.deltas), pxPerFrame: 600, domTiles: fling.maxNodes },
        list: { ...stats(list.deltas), pxPerFrame: 40, domRows: list.maxNodes },
      };
    }
    await session.delete();
  }
  await stopAll();
  const json = JSON.stringify(result, null, 2);
  if (process.env.BENCH_UI_OUT) {
    writeFileSync(process.env.BENCH_UI_OUT, json);
  }
  process.stdout.write(json + "\n");
}

main().catch(async (error) => {
  process.stderr.write(`bench-ui: ${error.stack ?? error}\n`);
  await stopAll();
  process.exit(1);
});
