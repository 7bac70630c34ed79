// Entry point: shows the library's counts and refreshes them every few seconds.
import "./style.css";
import { isIpcError, libraryStats, type Stats } from "./ipc";

const REFRESH_MS = 3000;

const numberFormat = new Intl.NumberFormat(undefined, { useGrouping: false });

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) {
    throw new Error(`missing element #${id}`);
  }
  return found;
}

function showCount(id: string, value: number): void {
  const target = element(id);
  target.textContent = numberFormat.format(value);
  target.dataset["state"] = "ready";
}

function render(stats: Stats): void {
  showCount("asset-count", stats.assets);
  showCount("location-count", stats.locations);
  showCount("source-count", stats.sources);
  const status = element("status");
  status.textContent =
    stats.offline > 0 ? `${numberFormat.format(stats.offline)} offline` : "Up to date";
  status.dataset["state"] = "ok";
}

function renderError(error: unknown): void {
  const status = element("status");
  status.textContent = isIpcError(error) ? error.message : "Something went wrong.";
  status.dataset["state"] = "error";
}

let inFlight = false;

async function refresh(): Promise<void> {
  if (inFlight) {
    return;
  }
  inFlight = true;
  try {
    render(await libraryStats());
  } catch (error: unknown) {
    renderError(error);
  } finally {
    inFlight = false;
  }
}

void refresh();
window.setInterval(() => void refresh(), REFRESH_MS);
