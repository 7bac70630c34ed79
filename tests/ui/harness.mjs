// Processes and a small WebDriver client for the desktop end-to-end test.
//
// Zero dependencies: Node's built-in fetch speaks the W3C WebDriver HTTP protocol to
// tauri-driver, which drives WebKitWebDriver, which launches the app under Xvfb.
// Every process started here is recorded and stopped by PID in `stopAll`, even after a failure.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { openSync, closeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const POLL_MS = 100;

/**
 * Calls `probe` until it returns something other than undefined, or throws once `timeoutMs`
 * has passed, naming `what` and the last error seen.
 */
export async function until(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? "" : `: ${lastError.message ?? lastError}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`, {
        cause: lastError,
      });
    }
    await sleep(POLL_MS);
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Processes started by this harness, stopped in reverse order by `stopAll`. */
const started = [];

/**
 * Starts `command` in its own process group, with stdout and stderr appended to `logPath`.
 * `extraFds` adds pipes after stdio (fd 3, 4, …).
 */
function start(name, command, args, { env, logPath, extraFds = 0 }) {
  const log = openSync(logPath, "a");
  const stdio = ["ignore", log, log, ...Array.from({ length: extraFds }, () => "pipe")];
  const child = spawn(command, args, { env, stdio, detached: true });
  closeSync(log);
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
  });
  const proc = { name, child, exited, logPath };
  started.push(proc);
  return proc;
}

/** Signals the process group led by `pid`, ignoring groups that are already gone. */
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if (error.code !== "ESRCH") {
      throw error;
    }
  }
}

/** Stops one process group: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stop(proc, graceMs = 5000) {
  const pid = proc.child.pid;
  if (pid === undefined) {
    return;
  }
  signalGroup(pid, "SIGTERM");
  const timedOut = Symbol("timeout");
  const result = await Promise.race([proc.exited, sleep(graceMs).then(() => timedOut)]);
  // The leader may be gone while children it started (WebKitWebDriver, the app) linger.
  signalGroup(pid, "SIGKILL");
  if (result === timedOut) {
    await proc.exited;
  }
}

/** Stops every process this harness started, newest first. */
export async function stopAll() {
  while (started.length > 0) {
    const proc = started.pop();
    await stop(proc);
  }
}

// Last resort if the test process dies without running its `after` hooks.
process.once("exit", () => {
  for (const proc of started) {
    if (proc.child.pid !== undefined) {
      signalGroup(proc.child.pid, "SIGKILL");
    }
  }
});

/** Starts Xvfb on a display it picks itself (-displayfd) and returns `":N"`. */
export async function startXvfb({ logPath, timeoutMs = 15000 }) {
  const proc = start(
    "Xvfb",
    "Xvfb",
    ["-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
    { env: process.env, logPath, extraFds: 1 },
  );
  let output = "";
  proc.child.stdio[3].setEncoding("utf8");
  proc.child.stdio[3].on("data", (chunk) => {
    output += chunk;
  });
  const display = await until("Xvfb to report its display", timeoutMs, async () => {
    const line = output.match(/^(\d+)\n/);
    if (line !== null) {
      return `:${line[1]}`;
    }
    if (proc.child.exitCode !== null) {
      throw new Error(`Xvfb exited with ${proc.child.exitCode}; see ${logPath}`);
    }
    return undefined;
  });
  return { display, pid: proc.child.pid };
}

/** Starts tauri-driver on free ports and waits until its WebDriver endpoint answers. */
export async function startTauriDriver({ env, logPath, timeoutMs = 30000 }) {
  const port = await freePort();
  const nativePort = await freePort();
  const proc = start(
    "tauri-driver",
    "tauri-driver",
    ["--port", String(port), "--native-port", String(nativePort)],
    { env, logPath },
  );
  const url = `http://127.0.0.1:${port}`;
  await until("tauri-driver to answer /status", timeoutMs, async () => {
    if (proc.child.exitCode !== null) {
      throw new Error(`tauri-driver exited with ${proc.child.exitCode}; see ${logPath}`);
    }
    const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok ? true : undefined;
  });
  return { url, pid: proc.child.pid };
}

/**
 * Starts `moto_server` (S3 and Glacier, in memory) on a free port of 127.0.0.1 and waits until it
 * answers. `command` is the moto_server executable (scripts/setup-moto.sh installs one).
 */
export async function startMoto({ command, env, logPath, timeoutMs = 60000 }) {
  const port = await freePort();
  const proc = start("moto_server", command, ["-H", "127.0.0.1", "-p", String(port)], { env, logPath });
  const endpoint = `http://127.0.0.1:${port}`;
  await until("moto_server to answer", timeoutMs, async () => {
    if (proc.child.exitCode !== null) {
      throw new Error(`moto_server exited with ${proc.child.exitCode}; see ${logPath}`);
    }
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status < 500 ? true : undefined;
  });
  return { endpoint, pid: proc.child.pid };
}

/** The W3C key under which element references travel. */
const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

/** An error answered by the WebDriver server, with its W3C error code. */
export class WebDriverError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

/** A WebDriver session against one server. */
export class Session {
  static async create(url, capabilities, timeoutMs = 60000) {
    const value = await request(url, "POST", "/session", { capabilities: { alwaysMatch: capabilities } }, timeoutMs);
    return new Session(url, value.sessionId);
  }

  constructor(url, id) {
    this.url = url;
    this.id = id;
  }

  command(method, path, body) {
    return request(this.url, method, `/session/${this.id}${path}`, body);
  }

  title() {
    return this.command("GET", "/title");
  }

  /** The element matching `css`, or undefined when there is none yet. */
  async find(css) {
    try {
      const value = await this.command("POST", "/element", { using: "css selector", value: css });
      return value[ELEMENT_KEY];
    } catch (error) {
      if (error instanceof WebDriverError && error.code === "no such element") {
        return undefined;
      }
      throw error;
    }
  }

  text(elementId) {
    return this.command("GET", `/element/${elementId}/text`);
  }

  /** Every element matching `css`. */
  async findAll(css) {
    const value = await this.command("POST", "/elements", { using: "css selector", value: css });
    return value.map((v) => v[ELEMENT_KEY]);
  }

  /** The element matching `css`, waiting up to `timeoutMs` for it to appear. */
  async waitFor(css, timeoutMs = 30000) {
    return until(`${css} to appear`, timeoutMs, () => this.find(css));
  }

  click(elementId) {
    return this.command("POST", `/element/${elementId}/click`, {});
  }

  /** Types `text` into an element (W3C key codes such as "\uE007" for Enter work too). */
  sendKeys(elementId, text) {
    return this.command("POST", `/element/${elementId}/value`, { text });
  }

  clear(elementId) {
    return this.command("POST", `/element/${elementId}/clear`, {});
  }

  /** Runs `script` (a function body) in the page with `args`; returns its result. */
  execute(script, args = []) {
    return this.command("POST", "/execute/sync", { script, args });
  }

  /** Runs `script` in the page; it finishes by calling `arguments[arguments.length - 1](result)`. */
  executeAsync(script, args = []) {
    return this.command("POST", "/execute/async", { script, args });
  }

  /** Sets the session's script timeout. */
  setScriptTimeout(ms) {
    return this.command("POST", "/timeouts", { script: ms });
  }

  /** A PNG of the window, as bytes. */
  async screenshot() {
    return Buffer.from(await this.command("GET", "/screenshot"), "base64");
  }

  delete() {
    return this.command("DELETE", "");
  }
}

async function request(url, method, path, body, timeoutMs = 30000) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let payload;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
  const value = payload?.value;
  if (!response.ok || (value !== null && typeof value === "object" && "error" in value)) {
    throw new WebDriverError(value?.error ?? `HTTP ${response.status}`, value?.message ?? text);
  }
  return value;
}
