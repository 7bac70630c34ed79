// The asset view: proxy playback, poster, waveform, every metadata value with where it came
// from, locations, and the editor that changes all selected assets in one undoable batch.
import { api, errorText, previewUrl, type AssetDetail, type FieldEdit } from "../ipc";
import { byId, h } from "../lib/dom";
import { formatBytes } from "../lib/format";

/** Fields the editor offers; lists take `+=`/`-=`. */
const EDITABLE: { field: string; label: string; list?: boolean; multiline?: boolean }[] = [
  { field: "title", label: "Title" },
  { field: "description", label: "Description", multiline: true },
  { field: "keywords", label: "Keywords", list: true },
  { field: "rating", label: "Rating (0–5)" },
  { field: "creator", label: "Creator" },
  { field: "location_name", label: "Location" },
];

export interface InspectorHost {
  selectedIds(): Promise<number[]>;
  edited(message: string): Promise<void>;
  status(message: string, state?: "ok" | "error" | "busy"): void;
}

export class Inspector {
  private lastBatch: number | null = null;
  private current: number | undefined;
  private objectUrl: string | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: InspectorHost,
  ) {
    this.renderEditor();
  }

  clear(): void {
    this.current = undefined;
    byId("asset-view").replaceChildren(h("p", { class: "muted", text: "Select an asset and press Enter to open it." }));
  }

  async open(id: number): Promise<void> {
    this.current = id;
    if (this.objectUrl !== undefined) {
      URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = undefined;
    }
    const target = byId("asset-view");
    target.dataset["state"] = "loading";
    try {
      const detail = await api.assetShow(id);
      if (this.current !== id) {
        return;
      }
      target.replaceChildren(...this.renderAsset(detail));
      target.dataset["state"] = "ready";
      target.dataset["assetId"] = String(id);
    } catch (error: unknown) {
      target.replaceChildren(h("p", { class: "error", text: errorText(error) }));
      target.dataset["state"] = "error";
    }
  }

  /** Updates the editor's heading with how many assets it will change. */
  selectionChanged(count: number): void {
    const label = byId("editor-count");
    label.textContent = count === 0 ? "No asset selected" : count === 1 ? "Editing 1 asset" : `Editing ${count} assets`;
    byId<HTMLButtonElement>("editor-apply").disabled = count === 0;
  }

  private renderAsset(detail: AssetDetail): Node[] {
    const { asset, previews } = detail;
    const nodes: Node[] = [];
    nodes.push(h("h2", { class: "asset-title", text: asset.title }));
    const media = h("div", { class: "media" });
    if (previews?.proxy) {
      const video = h("video", {
        class: "proxy",
        attrs: { controls: "", preload: "auto", playsinline: "" },
      });
      video.muted = true;
      video.dataset["proxy"] = previewUrl(previews.proxy);
      void this.playable(previewUrl(previews.proxy)).then(
        (src) => {
          video.src = src;
        },
        (error: unknown) => {
          media.append(h("p", { class: "error", text: `The proxy cannot be read: ${errorText(error)}` }));
        },
      );
      if (previews.posterLarge) {
        video.poster = previewUrl(previews.posterLarge);
      }
      media.append(video);
    } else if (previews?.posterLarge || previews?.poster) {
      const img = h("img", { class: "poster", attrs: { alt: asset.title } });
      img.src = previewUrl(previews.posterLarge ?? previews.poster ?? "");
      media.append(img);
    } else {
      media.append(h("p", { class: "muted", text: "No previews yet: Jobs → Make previews." }));
    }
    if (previews?.waveform) {
      const wave = h("img", { class: "waveform", attrs: { alt: "waveform" } });
      wave.src = previewUrl(previews.waveform);
      media.append(wave);
    }
    nodes.push(media);
    nodes.push(
      h(
        "div",
        { class: "asset-actions" },
        button("Reveal in folder", () => void this.run(() => api.reveal(asset.id))),
        button("Open", () => void this.run(() => api.open(asset.id))),
      ),
    );
    if (detail.badges.length > 0) {
      nodes.push(h("p", { class: "badges" }, ...detail.badges.map((b) => h("span", { class: `badge badge-${b}`, text: b }))));
    }
    const rows = Object.entries(asset.metadata).map(([field, value]) =>
      h(
        "tr",
        { data: { field } },
        h("th", { text: field }),
        h("td", { class: "value", text: valueText(value) }),
        h("td", { class: "provenance", text: asset.provenance[field] ?? "" }),
      ),
    );
    nodes.push(
      h("h3", { text: "Metadata" }),
      h(
        "table",
        { class: "metadata" },
        h("thead", {}, h("tr", {}, h("th", { text: "Field" }), h("th", { text: "Value" }), h("th", { text: "Source" }))),
        h("tbody", {}, ...rows),
      ),
    );
    if (asset.conflicts !== undefined && Object.keys(asset.conflicts).length > 0) {
      nodes.push(
        h("h3", { text: "Conflicts" }),
        h(
          "ul",
          { class: "conflicts" },
          ...Object.entries(asset.conflicts).map(([field, claims]) =>
            h("li", { text: `${field}: ${claims.map((c) => `${valueText(c.value)} (${c.source})`).join(" vs ")}` }),
          ),
        ),
      );
    }
    nodes.push(
      h("h3", { text: "Locations" }),
      h(
        "ul",
        { class: "locations" },
        ...asset.locations.map((l) =>
          h("li", { class: l.online ? "" : "offline", text: `${l.path ?? l.uri} · ${formatBytes(l.size)} · ${l.role}${l.online ? "" : " · offline"}` }),
        ),
      ),
    );
    if (asset.errors.length > 0) {
      nodes.push(h("h3", { text: "Problems" }), h("ul", { class: "errors" }, ...asset.errors.map((e) => h("li", { text: e }))));
    }
    return nodes;
  }

  /**
   * A URL the video element can load. WebKitGTK's media player (GStreamer) cannot read a custom
   * URI scheme, so on Linux the proxy is read through the asset protocol with fetch and played
   * from a blob; elsewhere the asset URL is played directly (with range requests).
   */
  private async playable(url: string): Promise<string> {
    if (!url.startsWith("asset:")) {
      return url;
    }
    const response = await fetch(url);
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}`);
    }
    const blob = await response.blob();
    this.objectUrl = URL.createObjectURL(blob);
    return this.objectUrl;
  }

  private renderEditor(): void {
    const form = byId<HTMLFormElement>("editor");
    const fields = EDITABLE.map((f) => {
      const input = f.multiline
        ? h("textarea", { attrs: { name: f.field, rows: "2" } })
        : h("input", { attrs: { name: f.field, type: "text", autocomplete: "off" } });
      input.id = `edit-${f.field}`;
      const children: Node[] = [h("label", { text: f.label, attrs: { for: input.id } }), input];
      if (f.list === true) {
        const op = h(
          "select",
          { attrs: { name: `${f.field}-op`, "aria-label": `${f.label} change` } },
          h("option", { text: "add (+=)", attrs: { value: "add" } }),
          h("option", { text: "remove (−=)", attrs: { value: "remove" } }),
          h("option", { text: "replace", attrs: { value: "set" } }),
        );
        op.id = `edit-${f.field}-op`;
        children.push(op);
      }
      return h("div", { class: "field" }, ...children);
    });
    form.replaceChildren(
      h("p", { class: "muted", text: "No asset selected", attrs: { id: "editor-count" } }),
      ...fields,
      h(
        "div",
        { class: "editor-actions" },
        h("button", { text: "Apply to selection", attrs: { type: "submit", id: "editor-apply", disabled: "" } }),
        h("button", { text: "Undo", attrs: { type: "button", id: "editor-undo", disabled: "" } }),
      ),
      h("p", { class: "editor-status", attrs: { id: "editor-status", role: "status" } }),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.apply(form);
    });
    byId("editor-undo").addEventListener("click", () => void this.undo());
  }

  private async apply(form: HTMLFormElement): Promise<void> {
    const edits: FieldEdit[] = [];
    const data = new FormData(form);
    for (const f of EDITABLE) {
      const value = String(data.get(f.field) ?? "").trim();
      if (value === "") {
        continue;
      }
      const op = f.list === true ? (String(data.get(`${f.field}-op`) ?? "add") as FieldEdit["op"]) : "set";
      edits.push({ field: f.field, op, value });
    }
    const status = byId("editor-status");
    if (edits.length === 0) {
      status.textContent = "Type a value in a field first.";
      status.dataset["state"] = "error";
      return;
    }
    const ids = await this.host.selectedIds();
    status.dataset["state"] = "busy";
    status.textContent = `Saving ${edits.length} fields on ${ids.length} assets…`;
    try {
      const report = await api.metaSet(ids, edits);
      this.lastBatch = report.batch;
      byId<HTMLButtonElement>("editor-undo").disabled = false;
      form.reset();
      status.textContent = `Saved: ${report.edits} values on ${report.assets} assets (batch ${report.batch}).`;
      status.dataset["state"] = "done";
      await this.host.edited(status.textContent);
      if (this.current !== undefined) {
        await this.open(this.current);
      }
    } catch (error: unknown) {
      status.textContent = errorText(error);
      status.dataset["state"] = "error";
    }
  }

  private async undo(): Promise<void> {
    const status = byId("editor-status");
    try {
      const report = await api.undo(this.lastBatch);
      this.lastBatch = null;
      byId<HTMLButtonElement>("editor-undo").disabled = true;
      status.textContent = `Undone: batch ${report.batch} (${report.edits} values).`;
      status.dataset["state"] = "undone";
      await this.host.edited(status.textContent);
      if (this.current !== undefined) {
        await this.open(this.current);
      }
    } catch (error: unknown) {
      status.textContent = errorText(error);
      status.dataset["state"] = "error";
    }
  }

  private async run(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error: unknown) {
      this.host.status(errorText(error), "error");
    }
  }

  get element(): HTMLElement {
    return this.root;
  }
}

function valueText(value: unknown): string {
  if (value === null || value === undefined) {
    return "";
  }
  if (Array.isArray(value)) {
    return value.map(valueText).join("; ");
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

export function button(label: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h("button", { text: label, attrs: { type: "button", ...attrs } });
  b.addEventListener("click", onClick);
  return b;
}
