// Sources settings: add a folder (the system dialog, or a typed path the engine checks),
// scan with live progress, and the watcher.
import { api, errorText, type Source } from "../ipc";
import { byId, h } from "../lib/dom";
import { count } from "../lib/format";

export class SourcesPanel {
  constructor(private readonly changed: () => Promise<void>) {
    byId("pick-folder").addEventListener("click", () => void this.pick());
    byId<HTMLFormElement>("add-source").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = byId<HTMLInputElement>("source-path");
      void this.add(input.value.trim());
    });
    byId<HTMLFormElement>("add-remote").addEventListener("submit", (e) => {
      e.preventDefault();
      void this.addRemote();
    });
    byId("scan-all").addEventListener("click", () => void this.scan([]));
    byId("watch-toggle").addEventListener("click", () => void this.toggleWatch());
  }

  async refresh(): Promise<Source[]> {
    const sources = await api.sources();
    const items = sources.map((s) =>
      h(
        "li",
        { class: `source ${s.online ? "online" : "offline"}`, data: { sourceId: String(s.id) } },
        h("span", { class: "dot", attrs: { title: s.online ? "online" : "offline" } }),
        h("span", { class: "source-path", text: s.path ?? s.uri }),
        h("span", { class: "muted", text: `${count.format(s.locations)} files${s.online ? "" : " · offline"}` }),
      ),
    );
    byId("sources-table").replaceChildren(
      ...sources.map((s) => {
        const scan = h("button", { text: "Scan", attrs: { type: "button" } });
        scan.addEventListener("click", () => void this.scan([String(s.id)]));
        return h(
          "li",
          { class: `source ${s.online ? "online" : "offline"}` },
          h("span", { class: "dot" }),
          h("span", { class: "source-path", text: s.path ?? s.uri }),
          h("span", { class: "muted", text: `${count.format(s.locations)} files · ${s.online ? "online" : "offline"}${s.last_scan_at === null ? " · never scanned" : ""}` }),
          scan,
        );
      }),
    );
    byId("source-list").replaceChildren(...items);
    await this.watchStatus();
    return sources;
  }

  private async pick(): Promise<void> {
    try {
      const path = await api.pickFolder();
      if (path !== null) {
        await this.add(path);
      }
    } catch (error: unknown) {
      this.say(errorText(error), "error");
    }
  }

  async add(path: string): Promise<void> {
    if (path === "") {
      this.say("Type a folder path, or choose one.", "error");
      return;
    }
    try {
      const source = await api.sourceAdd(path);
      this.say(`Added ${source.path ?? source.uri}. Scanning…`, "busy");
      byId<HTMLInputElement>("source-path").value = "";
      await this.refresh();
      await this.scan([String(source.id)]);
    } catch (error: unknown) {
      this.say(errorText(error), "error");
    }
  }

  /** Adds a bucket or vault: the engine checks access first and refuses what it cannot read. */
  async addRemote(): Promise<void> {
    const value = (id: string) => {
      const v = byId<HTMLInputElement>(id).value.trim();
      return v === "" ? null : v;
    };
    const uri = value("remote-uri");
    if (uri === null || !/^(s3|glacier):\/\/./.test(uri)) {
      this.say("Type s3://bucket[/prefix] or glacier://vault.", "error");
      return;
    }
    this.say(`Checking access to ${uri}…`, "busy");
    try {
      const source = await api.sourceAddRemote({
        uri,
        profile: value("remote-profile"),
        region: value("remote-region"),
        endpointUrl: value("remote-endpoint"),
        pathStyle: byId<HTMLInputElement>("remote-path-style").checked,
      });
      this.say(`Added ${source.uri}. Scanning…`, "busy");
      byId<HTMLInputElement>("remote-uri").value = "";
      await this.refresh();
      await this.scan([String(source.id)]);
      this.say(`Added ${source.uri}.`, "done");
    } catch (error: unknown) {
      this.say(errorText(error), "error");
    }
  }

  async scan(sources: string[]): Promise<void> {
    const progress = byId("scan-status");
    progress.dataset["state"] = "running";
    progress.textContent = "Scanning…";
    try {
      const reports = await api.scan(sources, (m) => {
        progress.textContent = `${m.source}: ${count.format(m.files)} files, ${count.format(m.written)} written, ${count.format(m.problems)} problems${m.done ? " — done" : "…"}`;
        progress.dataset["files"] = String(m.files);
      });
      const added = reports.reduce((n, r) => n + r.added, 0);
      const files = reports.reduce((n, r) => n + r.files, 0);
      progress.textContent = `Scan done: ${count.format(files)} files, ${count.format(added)} added`;
      progress.dataset["state"] = "done";
      progress.dataset["added"] = String(added);
      await this.refresh();
      await this.changed();
    } catch (error: unknown) {
      progress.textContent = errorText(error);
      progress.dataset["state"] = "error";
    }
  }

  private async toggleWatch(): Promise<void> {
    try {
      const status = await api.watchStatus();
      if (status.watching) {
        await api.watchStop();
      } else {
        await api.watchStart();
      }
      await this.watchStatus();
    } catch (error: unknown) {
      this.say(errorText(error), "error");
    }
  }

  private async watchStatus(): Promise<void> {
    const status = await api.watchStatus();
    const label = byId("watch-status");
    label.textContent = status.watching
      ? `Watching${status.lastEvent ? `: ${status.lastEvent}` : ""}`
      : `Not watching${status.error ? ` (${status.error})` : ""}`;
    label.dataset["state"] = status.watching ? "watching" : "stopped";
    byId("watch-toggle").textContent = status.watching ? "Stop watching" : "Watch for changes";
  }

  private say(text: string, state: string): void {
    const line = byId("sources-message");
    line.textContent = text;
    line.dataset["state"] = state;
  }
}
