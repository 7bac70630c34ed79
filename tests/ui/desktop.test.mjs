// End-to-end: the desktop app under Xvfb, driven through tauri-driver and WebKitWebDriver.
//
// One app session walks the whole workflow, each step a test that saves a screenshot:
// the counts of a library prepared with the CLI → add a folder of media generated with ffmpeg
// → scan with progress → make previews → search → open an asset and play its proxy →
// select two assets and edit their title → the new title is found → review a duplicate group
// (then remove the extra copy and undo) → add a moto_server bucket of DEEP_ARCHIVE objects as an
// S3 source, plan a restore (Expedited refused, a cost estimate), start it, see the queue.
//
// Builds nothing. Environment:
//   TROVE_DESKTOP_BIN  the built trove-desktop binary (required)
//   TROVE_BIN          the built trove CLI (required)
//   TROVE_UI_ARTIFACTS where to keep logs and screenshots (default: a new temp dir)
//   TROVE_MOTO         the moto_server executable (default: ~/.cache/trove-venv/bin/moto_server,
//                      from scripts/setup-moto.sh; its python must have boto3)
// Run: node --test tests/ui/   (scripts/test-ui.sh builds everything first)

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

import { Session, startMoto, startTauriDriver, startXvfb, stopAll, until } from "./harness.mjs";

const desktopBin = process.env.TROVE_DESKTOP_BIN;
const cliBin = process.env.TROVE_BIN;

const ENTER = "\uE007";
const SHIFT = "\uE008";
const ARROW_RIGHT = "\uE014";

function ffmpeg(...args) {
  execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], {
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 120000,
  });
}

/** Two distinct pictures, for the library prepared by the CLI before the app starts. */
function writeStills(dir) {
  ffmpeg("-f", "lavfi", "-i", "color=c=orange:s=96x64", "-frames:v", "1", join(dir, "sunrise.jpg"));
  ffmpeg("-f", "lavfi", "-i", "color=c=navy:s=96x64", "-frames:v", "1", join(dir, "harbour.jpg"));
}

/** Real media made by ffmpeg: two clips with sound, a tone, a picture, and a copy of a clip. */
function writeMedia(dir) {
  const clip = (name, source, frequency) =>
    ffmpeg(
      "-f", "lavfi", "-i", `${source}=size=320x240:rate=25:duration=4`,
      "-f", "lavfi", "-i", `sine=frequency=${frequency}:duration=4`,
      "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", join(dir, name),
    );
  clip("clip-a.mp4", "testsrc", 440);
  clip("clip-b.mp4", "testsrc2", 880);
  ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=3", join(dir, "tone.wav"));
  ffmpeg("-f", "lavfi", "-i", "testsrc=size=640x480", "-frames:v", "1", join(dir, "still.jpg"));
  mkdirSync(join(dir, "copies"));
  copyFileSync(join(dir, "clip-a.mp4"), join(dir, "copies", "clip-a-copy.mp4"));
}

function trove(library, ...args) {
  return execFileSync(cliBin, ["--library", library, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 60000,
  });
}

const motoBin = process.env.TROVE_MOTO ?? join(homedir(), ".cache", "trove-venv", "bin", "moto_server");
const BUCKET = "deep-reels";

const work = mkdtempSync(join(tmpdir(), "trove-ui-"));
const artifacts = resolve(process.env.TROVE_UI_ARTIFACTS ?? join(work, "artifacts"));
const library = join(work, "library");
const prepared = join(work, "prepared");
const media = join(work, "media");
let expectedAssets = 0;
let driverUrl;
let session;
let motoEndpoint;

/**
 * AWS settings of the test only: credentials `test`/`test` (moto takes any) in files of its own,
 * never the machine's; no instance metadata lookups.
 */
function awsEnv(dir) {
  mkdirSync(dir);
  writeFileSync(join(dir, "config"), "[default]\nregion = us-east-1\n");
  writeFileSync(join(dir, "credentials"), "[default]\naws_access_key_id = test\naws_secret_access_key = test\n");
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith("AWS_")) {
      delete env[name];
    }
  }
  return {
    ...env,
    AWS_CONFIG_FILE: join(dir, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_REGION: "us-east-1",
  };
}

/** A bucket with two DEEP_ARCHIVE objects, put with boto3 from moto's own venv. */
function putArchived(env) {
  const script = `
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1")
s3.create_bucket(Bucket="${BUCKET}")
for i, key in enumerate(["reels/harbour-night.mov", "reels/lighthouse-dawn.mov"]):
    s3.put_object(Bucket="${BUCKET}", Key=key, Body=bytes((i * 7 + j * 3) % 253 for j in range(3000 + i * 101)), StorageClass="DEEP_ARCHIVE")
`;
  execFileSync(join(dirname(motoBin), "python"), ["-c", script], {
    env: { ...env, ENDPOINT: motoEndpoint },
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 60000,
  });
}

async function screenshot(t, name) {
  const shot = join(artifacts, `${name}.png`);
  writeFileSync(shot, await session.screenshot());
  t.diagnostic(`screenshot: ${shot}`);
}

/** The value of `data-NAME` on the element matching `css`, once `accept` likes it. */
async function dataOf(css, name, accept, timeoutMs = 60000) {
  return until(`${css}[data-${name}] to be accepted`, timeoutMs, async () => {
    const value = await session.execute(
      "const e = document.querySelector(arguments[0]); return e === null ? null : (e.dataset[arguments[1]] ?? null);",
      [css, name.replace(/-([a-z])/g, (_, c) => c.toUpperCase())],
    );
    return value !== null && accept(value) ? value : undefined;
  });
}

async function click(css) {
  await session.click(await session.waitFor(css));
}

async function search(query) {
  const input = await session.waitFor("#search-input");
  await session.clear(input);
  await session.sendKeys(input, query + ENTER);
}

before(async () => {
  assert.ok(desktopBin, "TROVE_DESKTOP_BIN must name the built trove-desktop binary");
  assert.ok(existsSync(desktopBin), `TROVE_DESKTOP_BIN does not exist: ${desktopBin}`);
  assert.ok(cliBin, "TROVE_BIN must name the built trove CLI");
  mkdirSync(artifacts, { recursive: true });
  mkdirSync(prepared);
  mkdirSync(media);

  writeStills(prepared);
  trove(library, "source", "add", prepared);
  trove(library, "scan", "--json");
  expectedAssets = JSON.parse(trove(library, "stats", "--json")).assets;
  assert.equal(typeof expectedAssets, "number", "trove stats --json has a numeric `assets`");
  writeMedia(media);

  assert.ok(existsSync(motoBin), `moto_server not found at ${motoBin}: run scripts/setup-moto.sh or set TROVE_MOTO`);
  const aws = awsEnv(join(work, "aws"));
  ({ endpoint: motoEndpoint } = await startMoto({ command: motoBin, env: aws, logPath: join(artifacts, "moto.log") }));
  putArchived(aws);

  const { display } = await startXvfb({ logPath: join(artifacts, "xvfb.log") });
  const env = {
    ...aws,
    DISPLAY: display,
    WEBKIT_DISABLE_COMPOSITING_MODE: "1",
    TROVE_LIBRARY: library,
    RUST_LOG: process.env.RUST_LOG ?? "info",
  };
  delete env.WAYLAND_DISPLAY;
  // No session bus: the single-instance plugin then lets every test app start on its own.
  delete env.DBUS_SESSION_BUS_ADDRESS;
  ({ url: driverUrl } = await startTauriDriver({ env, logPath: join(artifacts, "tauri-driver.log") }));
  session = await Session.create(driverUrl, {
    browserName: "wry",
    "tauri:options": { application: desktopBin },
  });
  await session.setScriptTimeout(30000);
});

after(async () => {
  try {
    if (session !== undefined) {
      await session.delete().catch((error) => {
        process.stderr.write(`# deleting the WebDriver session failed: ${error.message}\n`);
      });
    }
  } finally {
    await stopAll();
    // Keep the artifacts (logs, screenshots); drop the library and media.
    rmSync(library, { recursive: true, force: true });
    rmSync(prepared, { recursive: true, force: true });
    rmSync(media, { recursive: true, force: true });
    process.stderr.write(`# artifacts: ${artifacts}\n`);
  }
});

test("the window shows the library's asset count", async (t) => {
  assert.ok(expectedAssets > 0, `the prepared library should hold assets, has ${expectedAssets}`);
  assert.equal(await session.title(), "Trove");
  const shown = await until("#asset-count to show a number", 30000, async () => {
    const element = await session.find("#asset-count");
    if (element === undefined) {
      return undefined;
    }
    const text = (await session.text(element)).trim();
    return /^\d+$/.test(text) ? text : undefined;
  });
  await dataOf("#results-info", "total", (v) => Number(v) === expectedAssets);
  await screenshot(t, "01-library");
  assert.equal(Number(shown), expectedAssets, "asset count shown in the window");
});

test("add a folder source and scan it with progress", async (t) => {
  await click('[data-view-tab="sources"]');
  const path = await session.waitFor("#source-path");
  await session.sendKeys(path, media + ENTER);
  const state = await dataOf("#scan-status", "state", (v) => v === "done" || v === "error");
  const text = await session.text(await session.find("#scan-status"));
  assert.equal(state, "done", `scan failed: ${text}`);
  const files = Number(await dataOf("#scan-status", "files", () => true));
  assert.ok(files >= 5, `progress reported ${files} files`);
  const added = Number(await dataOf("#scan-status", "added", () => true));
  assert.equal(added, 5, "two clips, a tone, a picture and a copy were added");
  await until("the new source in the sidebar", 10000, async () => {
    const items = await session.findAll("#source-list .source.online");
    return items.length === 2 ? true : undefined;
  });
  await screenshot(t, "02-sources");
});

test("make previews: the jobs panel runs them to the end", async (t) => {
  await click('[data-view-tab="jobs"]');
  await click("#make-previews");
  await dataOf("#jobs-status", "state", (v) => v === "running" || v === "idle");
  await until("every job to finish", 180000, async () => {
    const [queued, running, done, failed, busy] = await session.execute(
      "const d = document.querySelector('#jobs-counts').dataset; return [d.queued, d.running, d.done, d.failed, d.busy];",
    );
    // Five probes (after the scan) and five previews, one per file.
    return queued === "0" && running === "0" && Number(done) + Number(failed) >= 10 && busy === "false" ? true : undefined;
  });
  const failed = await dataOf("#jobs-counts", "failed", () => true);
  await screenshot(t, "03-jobs");
  assert.equal(failed, "0", "no job failed");
});

test("search finds the clips", async (t) => {
  await click('[data-view-tab="library"]');
  await search("clip");
  await dataOf("#results-info", "total", (v) => v === "3");
  await until("posters on the tiles", 20000, async () => {
    const count = await session.execute(
      "return [...document.querySelectorAll('.tile .thumb')].filter((t) => t.style.backgroundImage.startsWith('url(')).length;",
    );
    return count >= 3 ? count : undefined;
  });
  await screenshot(t, "04-search");
});

test("open an asset: its proxy plays from the previews folder", async (t) => {
  await click('.tile[data-index="0"]');
  await session.sendKeys(await session.find("#browser"), ENTER);
  await dataOf("#asset-view", "state", (v) => v === "ready");
  await session.waitFor("#asset-view video.proxy");
  // WebKitGTK's player cannot read custom schemes: the proxy is fetched through the asset
  // protocol and played from a blob.
  const proxy = await session.execute("return document.querySelector('video.proxy').dataset.proxy;");
  assert.match(proxy, /^(asset:\/\/localhost\/|http:\/\/asset\.localhost\/)/, "read through the asset protocol");
  await until("the video's source", 20000, async () => {
    const src = await session.execute("return document.querySelector('video.proxy').src;");
    return src ? src : undefined;
  });
  await session.execute("const v = document.querySelector('video.proxy'); v.muted = true; void v.play().catch(() => {});");
  const time = await until("video.currentTime to advance", 30000, async () => {
    const [current, error, ready] = await session.execute(
      "const v = document.querySelector('video.proxy'); if (v.paused) { void v.play().catch(() => {}); } return [v.currentTime, v.error ? `${v.error.code} ${v.error.message}` : null, v.readyState];",
    );
    if (error !== null) {
      throw new Error(`the video failed: MediaError ${error} (readyState ${ready})`);
    }
    return current > 0.5 ? current : undefined;
  });
  await screenshot(t, "05-asset");
  assert.ok(time > 0.5, `playback reached ${time} s`);
  const provenance = await session.execute(
    "return [...document.querySelectorAll('.metadata tr[data-field] .provenance')].map((e) => e.textContent).filter(Boolean).length;",
  );
  assert.ok(provenance > 0, "metadata rows name where their values came from");
});

test("drag an asset out: the app starts a native drag of its file", async (t) => {
  await session.waitFor('.tile[data-index="0"]');
  const draggable = await session.execute("return document.querySelector('.tile[data-index=\"0\"]').draggable;");
  assert.equal(draggable, true, "tiles can be dragged");
  // WebDriver cannot drag to another app; the webview's dragstart is what a real drag fires.
  await session.execute(
    "delete document.documentElement.dataset.dragged; document.querySelector('.tile[data-index=\"0\"]').dispatchEvent(new DragEvent('dragstart', { bubbles: true, cancelable: true }));",
  );
  const files = await until("the native drag to start", 10000, async () => {
    const value = await session.execute("return document.documentElement.dataset.dragged ?? null;");
    return value === null ? undefined : Number(value);
  });
  await screenshot(t, "05b-drag");
  assert.equal(files, 1, "the drag carries the asset's file");
});

test("select two assets and edit their title; the change shows in search", async (t) => {
  await click('.tile[data-index="0"]');
  await session.sendKeys(await session.find("#browser"), SHIFT + ARROW_RIGHT);
  await until("two assets selected", 10000, async () => {
    const text = await session.text(await session.find("#editor-count"));
    return text === "Editing 2 assets" ? true : undefined;
  });
  const title = await session.find("#edit-title");
  await session.sendKeys(title, "Harbour interview");
  await click("#editor-apply");
  const state = await dataOf("#editor-status", "state", (v) => v === "done" || v === "error");
  assert.equal(state, "done", await session.text(await session.find("#editor-status")));
  await search('title:"harbour interview"');
  await dataOf("#results-info", "total", (v) => v === "2");
  const titles = await session.execute("return [...document.querySelectorAll('.tile:not([hidden]) .title')].map((e) => e.textContent);");
  assert.deepEqual(titles, ["Harbour interview", "Harbour interview"]);
  await screenshot(t, "06-edited");
});

test("review a duplicate group, remove the extra copy, undo", async (t) => {
  await click('[data-view-tab="dupes"]');
  await click("#dupes-find");
  await dataOf("#dupes-summary", "state", (v) => v === "planned");
  const groups = await session.findAll(".dupe-group");
  assert.equal(groups.length, 1, "one group: clip-a and its copy");
  const actions = await session.execute("return [...document.querySelectorAll('.dupe-copy')].map((e) => e.dataset.action);");
  assert.deepEqual(actions.sort(), ["keep", "remove"], "the policy keeps one copy and removes the other");
  await screenshot(t, "07-dupes");
  await click("#dupes-apply");
  await dataOf("#dupes-summary", "state", (v) => v === "applied");
  assert.ok(!existsSync(join(media, "copies", "clip-a-copy.mp4")), "the copy went to the quarantine");
  await click("#dupes-undo");
  await dataOf("#dupes-summary", "state", (v) => v === "undone");
  assert.ok(existsSync(join(media, "copies", "clip-a-copy.mp4")), "undo put the copy back");
  await screenshot(t, "08-dupes-undone");
});

test("plan a restore on a moto_server bucket", async (t) => {
  // Added through the sources panel: the engine checks access to the bucket, then scans it.
  await click('[data-view-tab="sources"]');
  await session.sendKeys(await session.waitFor("#remote-uri"), `s3://${BUCKET}`);
  await session.sendKeys(await session.find("#remote-region"), "us-east-1");
  await session.sendKeys(await session.find("#remote-endpoint"), motoEndpoint);
  await click("#remote-path-style");
  await click("#remote-add");
  const scanned = await until("the bucket's scan to end", 60000, async () => {
    const [message, scan, added] = await session.execute(
      "return [document.querySelector('#sources-message').dataset.state, document.querySelector('#scan-status').dataset.state, document.querySelector('#scan-status').dataset.added];",
    );
    if (message === "error") {
      throw new Error(await session.text(await session.find("#sources-message")));
    }
    return message === "done" && scan === "done" ? Number(added) : undefined;
  });
  assert.equal(scanned, 2, "two archived objects were added");

  await click('[data-view-tab="archive"]');
  const query = await session.waitFor("#archive-query");
  await session.clear(query);
  await session.sendKeys(query, "state:archived" + ENTER);
  const state = await dataOf("#archive-plan-summary", "state", (v) => v === "planned" || v === "error");
  assert.equal(state, "planned", await session.text(await session.find("#archive-plan-summary")));
  assert.equal(await dataOf("#archive-plan-summary", "objects", () => true), "2");
  assert.equal(await dataOf("#archive-plan-summary", "to-restore", () => true), "2");
  const cost = Number(await dataOf("#archive-estimate", "cost", () => true));
  assert.ok(cost > 0, `a cost estimate: ${cost}`);
  const estimate = await session.text(await session.find("#archive-estimate"));
  assert.match(estimate, /estimate, prices of \d{4}-\d{2}-\d{2}/, "the estimate names its price table's date");
  const [refused, disabled, reason] = await session.execute(
    "const l = document.querySelector('.tier[data-tier=\"expedited\"]'); return [l.dataset.refused, l.querySelector('input').disabled, l.querySelector('.reason').textContent];",
  );
  assert.equal(refused, "true", "Expedited is refused for Deep Archive");
  assert.equal(disabled, true, "and cannot be chosen");
  assert.match(reason, /Deep Archive does not offer Expedited/);
  const standard = await session.execute("return document.querySelector('.tier[data-tier=\"standard\"] input').disabled;");
  assert.equal(standard, false, "Standard can be chosen");
  await screenshot(t, "09-restore-plan");

  await click("#archive-start");
  await session.waitFor("#archive-confirm-box:not([hidden])");
  await click("#archive-confirm");
  await dataOf("#archive-message", "state", (v) => v === "started" || v === "error");
  assert.equal(await dataOf("#archive-message", "state", () => true), "started", await session.text(await session.find("#archive-message")));
  await dataOf("#archive-queue-counts", "total", (v) => v === "2");
  // The plan now follows the started assets: both under way, nothing more to send.
  await until("the plan to show the restores under way", 20000, async () => {
    const [state, text] = await session.execute(
      "const e = document.querySelector('#archive-plan-summary'); return [e.dataset.state, e.textContent];",
    );
    if (state === "error") {
      throw new Error(text);
    }
    return state === "planned" && /2 under way/.test(text) ? true : undefined;
  });
  const states = await session.execute("return [...document.querySelectorAll('#archive-queue .restore-row')].map((r) => r.dataset.state);");
  assert.equal(states.length, 2);
  for (const s of states) {
    assert.ok(["pending", "in_progress", "ready"].includes(s), `a restore under way or done: ${s}`);
  }
  await screenshot(t, "10-restore-queue");

  // moto finishes restores at once: "Check now" checks every restore, finds them ready (the
  // batch-ready notification goes out) and enables the download.
  await click("#archive-refresh");
  await dataOf("#archive-queue-counts", "ready", (v) => v === "2");
  const downloadDisabled = await session.execute("return document.querySelector('#archive-download').disabled;");
  assert.equal(downloadDisabled, false, "ready copies can be downloaded");
  const expiries = await session.execute("return [...document.querySelectorAll('#archive-queue .restore-row .detail')].map((e) => e.textContent);");
  for (const e of expiries) {
    assert.match(e, /^expires in .+ \(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\)/, "each ready copy says when it expires");
  }
  await screenshot(t, "11-restore-ready");

  // The grid reads the restore from the catalog: the tile's badge is no longer `archived`.
  await click('[data-view-tab="library"]');
  await search("lighthouse");
  await dataOf("#results-info", "total", (v) => v === "1");
  const badges = await until("the tile's restore badge", 20000, async () => {
    const found = await session.execute("return [...document.querySelectorAll('.tile:not([hidden]) .badge')].map((b) => b.textContent);");
    return found.some((b) => b === "restoring" || b === "ready") ? found : undefined;
  });
  assert.ok(!badges.includes("archived"), `badges: ${badges}`);
  await screenshot(t, "12-restore-badge");
});
