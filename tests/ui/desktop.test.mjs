// End-to-end: the desktop app, under Xvfb and tauri-driver, shows the asset count of a library
// prepared with the `trove` CLI.
//
// Builds nothing. Environment:
//   TROVE_DESKTOP_BIN  the built trove-desktop binary (required)
//   TROVE_BIN          the built trove CLI; without it the library stays empty and 0 is expected
//   TROVE_UI_ARTIFACTS where to keep logs and the screenshot (default: a new temp dir)
// Run: node --test tests/ui/   (scripts/test-ui.sh builds everything first)

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { Session, startTauriDriver, startXvfb, stopAll, until } from "./harness.mjs";

const desktopBin = process.env.TROVE_DESKTOP_BIN;
const cliBin = process.env.TROVE_BIN;

/** Media files with real magic bytes, each distinct so none are duplicates of another. */
function writeMedia(dir) {
  const jpeg = (tag) =>
    Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
      Buffer.from("JFIF\0", "latin1"),
      Buffer.from([0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
      Buffer.from(tag, "latin1"),
      Buffer.from([0xff, 0xd9]),
    ]);
  const mov = (tag) => {
    const ftyp = Buffer.alloc(20);
    ftyp.writeUInt32BE(20, 0);
    ftyp.write("ftypqt  ", 4, "latin1");
    ftyp.writeUInt32BE(0x200, 12);
    ftyp.write("qt  ", 16, "latin1");
    const payload = Buffer.from(tag, "latin1");
    const free = Buffer.alloc(8);
    free.writeUInt32BE(8 + payload.length, 0);
    free.write("free", 4, "latin1");
    return Buffer.concat([ftyp, free, payload]);
  };
  writeFileSync(join(dir, "sunrise.jpg"), jpeg("sunrise"));
  writeFileSync(join(dir, "harbour.jpg"), jpeg("harbour"));
  writeFileSync(join(dir, "interview.mov"), mov("interview"));
}

function trove(library, ...args) {
  return execFileSync(cliBin, ["--library", library, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 60000,
  });
}

const work = mkdtempSync(join(tmpdir(), "trove-ui-"));
const artifacts = resolve(process.env.TROVE_UI_ARTIFACTS ?? join(work, "artifacts"));
const library = join(work, "library");
const media = join(work, "media");
let expectedAssets = 0;
let driverUrl;
let session;

before(async () => {
  assert.ok(desktopBin, "TROVE_DESKTOP_BIN must name the built trove-desktop binary");
  assert.ok(existsSync(desktopBin), `TROVE_DESKTOP_BIN does not exist: ${desktopBin}`);
  mkdirSync(artifacts, { recursive: true });
  mkdirSync(media);

  if (cliBin) {
    writeMedia(media);
    trove(library, "source", "add", media);
    trove(library, "scan", "--json");
    expectedAssets = JSON.parse(trove(library, "stats", "--json")).assets;
    assert.equal(typeof expectedAssets, "number", "trove stats --json has a numeric `assets`");
  } else {
    process.stderr.write("# TROVE_BIN is not set: testing against an empty library\n");
  }

  const { display } = await startXvfb({ logPath: join(artifacts, "xvfb.log") });
  const env = {
    ...process.env,
    DISPLAY: display,
    WEBKIT_DISABLE_COMPOSITING_MODE: "1",
    TROVE_LIBRARY: library,
    RUST_LOG: process.env.RUST_LOG ?? "info",
  };
  delete env.WAYLAND_DISPLAY;
  ({ url: driverUrl } = await startTauriDriver({ env, logPath: join(artifacts, "tauri-driver.log") }));
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
    // Keep the artifacts (logs, screenshot); drop the library and media.
    rmSync(library, { recursive: true, force: true });
    rmSync(media, { recursive: true, force: true });
    process.stderr.write(`# artifacts: ${artifacts}\n`);
  }
});

test("the window shows the library's asset count", async (t) => {
  if (cliBin) {
    assert.ok(expectedAssets > 0, `the prepared library should hold assets, has ${expectedAssets}`);
  }
  session = await Session.create(driverUrl, {
    browserName: "wry",
    "tauri:options": { application: desktopBin },
  });

  assert.equal(await session.title(), "Trove");

  // The count starts as a placeholder; wait until the first `library_stats` answer is shown.
  const shown = await until("#asset-count to show a number", 30000, async () => {
    const element = await session.find("#asset-count");
    if (element === undefined) {
      return undefined;
    }
    const text = (await session.text(element)).trim();
    return /^\d+$/.test(text) ? text : undefined;
  });

  const shot = join(artifacts, "desktop.png");
  writeFileSync(shot, await session.screenshot());
  t.diagnostic(`screenshot: ${shot}`);

  assert.equal(Number(shown), expectedAssets, "asset count shown in the window");
});
