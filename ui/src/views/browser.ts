// The library browser: a virtualized grid of thumbnails or list of rows over the search
// results. Only the rows in view (plus a few) are in the DOM; items come in pages.
import { previewUrl, type AssetItem } from "../ipc";
import { h } from "../lib/dom";
import { formatBytes, formatDuration } from "../lib/format";
import { PageCache, type PageFetcher } from "../lib/pages";
import { frameAt, spriteStyle } from "../lib/scrub";
import { Selection } from "../lib/selection";
import { gridShape, itemsOfRows, rowCount, scrollToRow, visibleRows, type GridShape } from "../lib/virtual";

export type ViewMode = "grid" | "list";

const PAGE_SIZE = 100;
const MIN_TILE = 180;
const GAP = 8;
const CAPTION = 44;
const LIST_ROW = 30;

export interface BrowserEvents {
  open(item: AssetItem, index: number): void;
  selectionChanged(): void;
  /** Files of these assets are being dragged out of the window. */
  drag(ids: number[]): void;
}

export class Browser {
  readonly cache: PageCache<AssetItem>;
  readonly selection = new Selection();
  mode: ViewMode = "grid";
  private shape: GridShape = { columns: 1, tileWidth: MIN_TILE, rowHeight: LIST_ROW };
  private readonly spacer: HTMLElement;
  private readonly layer: HTMLElement;
  private readonly rows = new Map<number, HTMLElement>();
  private scheduled = false;
  private painted = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly events: BrowserEvents,
  ) {
    this.cache = new PageCache<AssetItem>(PAGE_SIZE, async () => ({ total: 0, offset: 0, items: [] }), 40, () =>
      this.schedule(),
    );
    this.spacer = h("div", { class: "browser-spacer" });
    this.layer = h("div", { class: "browser-layer" });
    root.append(this.spacer, this.layer);
    root.addEventListener("scroll", () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(root);
    this.layer.addEventListener("click", (e) => this.onClick(e));
    this.layer.addEventListener("dblclick", (e) => {
      const index = indexOf(e.target);
      const item = index === undefined ? undefined : this.cache.get(index);
      if (index !== undefined && item !== undefined) {
        this.events.open(item, index);
      }
    });
    this.layer.addEventListener("dragstart", (e) => this.onDragStart(e));
    this.layer.addEventListener("mousemove", (e) => this.onScrub(e));
    this.layer.addEventListener("mouseout", (e) => this.onScrubEnd(e));
    root.addEventListener("keydown", (e) => this.onKey(e));
  }

  /** Shows the results of a new query, starting from its first page. */
  show(fetcher: PageFetcher<AssetItem>, first: { total: number; offset: number; items: AssetItem[] }): void {
    this.cache.reset(fetcher, first.total);
    this.cache.put(first);
    this.selection.reset(first.total);
    this.root.scrollTop = 0;
    for (const row of this.rows.values()) {
      row.remove();
    }
    this.rows.clear();
    this.schedule();
    this.events.selectionChanged();
  }

  setMode(mode: ViewMode): void {
    if (mode === this.mode) {
      return;
    }
    this.mode = mode;
    this.root.dataset["mode"] = mode;
    for (const row of this.rows.values()) {
      row.remove();
    }
    this.rows.clear();
    this.schedule();
  }

  /** Re-renders visible items after their data changed (e.g. an edit). */
  refresh(fetcher: PageFetcher<AssetItem>, first: { total: number; offset: number; items: AssetItem[] }): void {
    const keep = this.selection.indexes();
    const focus = this.selection.focus;
    const top = this.root.scrollTop;
    this.show(fetcher, first);
    for (const index of keep) {
      this.selection.click(index, { toggle: true });
    }
    this.selection.focus = focus;
    this.root.scrollTop = top;
    this.events.selectionChanged();
  }

  /**
   * Dragging a tile or row drags its asset's file out of the window, or the files of the whole
   * selection when it is part of it. The webview cannot carry files itself: its drag is
   * cancelled and the app starts a native one.
   */
  private onDragStart(e: DragEvent): void {
    const index = indexOf(e.target);
    if (index === undefined) {
      return;
    }
    e.preventDefault();
    const item = this.cache.get(index);
    void (async () => {
      const ids = this.selection.has(index) ? await this.selectedIds() : item === undefined ? [] : [item.id];
      if (ids.length > 0) {
        this.events.drag(ids);
      }
    })();
  }

  /** The selected items' ids, fetching pages they are on if needed. */
  async selectedIds(): Promise<number[]> {
    const indexes = this.selection.indexes();
    if (indexes.length === 0) {
      return [];
    }
    const first = indexes[0] ?? 0;
    const last = indexes[indexes.length - 1] ?? 0;
    await this.cache.ensure(first, last + 1);
    return indexes.flatMap((i) => {
      const item = this.cache.get(i);
      return item === undefined ? [] : [item.id];
    });
  }

  focusedItem(): AssetItem | undefined {
    return this.selection.focus === undefined ? undefined : this.cache.get(this.selection.focus);
  }

  focus(): void {
    this.root.focus({ preventScroll: true });
  }

  schedule(): void {
    if (this.scheduled) {
      return;
    }
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  private render(): void {
    const width = this.root.clientWidth;
    this.shape =
      this.mode === "grid"
        ? gridShape(width, MIN_TILE, GAP, CAPTION)
        : { columns: 1, tileWidth: width, rowHeight: LIST_ROW };
    const { columns, rowHeight } = this.shape;
    const total = this.cache.total;
    const rowsTotal = rowCount(total, columns);
    this.spacer.style.height = `${rowsTotal * rowHeight}px`;
    const window = visibleRows(this.root.scrollTop, this.root.clientHeight, rowHeight, rowsTotal, this.mode === "grid" ? 2 : 8);
    const shapeKey = `${columns}:${this.shape.tileWidth}:${rowHeight}`;
    for (const [row, element] of this.rows) {
      if (row < window.first || row >= window.end || element.dataset["shape"] !== shapeKey) {
        element.remove();
        this.rows.delete(row);
      }
    }
    for (let row = window.first; row < window.end; row += 1) {
      let element = this.rows.get(row);
      if (element === undefined) {
        element = this.makeRow(row);
        element.dataset["shape"] = shapeKey;
        this.rows.set(row, element);
        this.layer.append(element);
      }
      this.fillRow(element, row);
    }
    const range = itemsOfRows(window, columns, total);
    void this.cache.ensure(range.start, range.end).catch(() => {
      // The status line shows search errors; missing pages stay placeholders.
    });
    if (!this.painted && total > 0 && this.cache.get(range.start) !== undefined) {
      this.painted = true;
      // Marks the first grid paint for the end-to-end benchmark.
      requestAnimationFrame(() => {
        document.documentElement.dataset["firstPaint"] = String(Date.now());
      });
    }
  }

  private makeRow(row: number): HTMLElement {
    const element = h("div", { class: this.mode === "grid" ? "grid-row" : "list-row-wrap" });
    element.style.transform = `translateY(${row * this.shape.rowHeight}px)`;
    element.style.height = `${this.shape.rowHeight}px`;
    for (let c = 0; c < this.shape.columns; c += 1) {
      element.append(this.mode === "grid" ? makeTile(this.shape.tileWidth) : makeListRow());
    }
    return element;
  }

  private fillRow(element: HTMLElement, row: number): void {
    const { columns } = this.shape;
    for (let c = 0; c < columns; c += 1) {
      const cell = element.children[c] as HTMLElement | undefined;
      if (cell === undefined) {
        continue;
      }
      const index = row * columns + c;
      if (index >= this.cache.total) {
        cell.hidden = true;
        continue;
      }
      cell.hidden = false;
      const item = this.cache.get(index);
      const key = item === undefined ? "loading" : `${item.id}:${item.title}:${item.poster ?? ""}:${item.badges.join()}`;
      if (cell.dataset["index"] !== String(index) || cell.dataset["key"] !== key) {
        cell.dataset["index"] = String(index);
        cell.dataset["key"] = key;
        if (this.mode === "grid") {
          fillTile(cell, item);
        } else {
          fillListRow(cell, item);
        }
      }
      cell.classList.toggle("selected", this.selection.has(index));
      cell.classList.toggle("focused", this.selection.focus === index);
      cell.setAttribute("aria-selected", String(this.selection.has(index)));
    }
  }

  private onClick(event: MouseEvent): void {
    const index = indexOf(event.target);
    if (index === undefined) {
      return;
    }
    this.selection.click(index, { shift: event.shiftKey, toggle: event.ctrlKey || event.metaKey });
    this.focus();
    this.schedule();
    this.events.selectionChanged();
  }

  private onKey(event: KeyboardEvent): void {
    const columns = this.mode === "grid" ? this.shape.columns : 1;
    const deltas: Record<string, number> = {
      ArrowLeft: -1,
      ArrowRight: 1,
      ArrowUp: -columns,
      ArrowDown: columns,
      PageUp: -columns * Math.max(1, Math.floor(this.root.clientHeight / this.shape.rowHeight)),
      PageDown: columns * Math.max(1, Math.floor(this.root.clientHeight / this.shape.rowHeight)),
    };
    if (this.mode === "list" && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      return;
    }
    const delta = deltas[event.key];
    if (delta !== undefined) {
      event.preventDefault();
      const to = this.selection.move(delta, { shift: event.shiftKey });
      if (to !== undefined) {
        const top = scrollToRow(Math.floor(to / columns), this.shape.rowHeight, this.root.scrollTop, this.root.clientHeight);
        if (top !== undefined) {
          this.root.scrollTop = top;
        }
      }
      this.schedule();
      this.events.selectionChanged();
    } else if (event.key === "Enter") {
      const item = this.focusedItem();
      if (item !== undefined && this.selection.focus !== undefined) {
        event.preventDefault();
        this.events.open(item, this.selection.focus);
      }
    } else if (event.key === "a" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      this.selection.selectAll();
      this.schedule();
      this.events.selectionChanged();
    } else if (event.key === "Escape") {
      this.selection.clear();
      this.schedule();
      this.events.selectionChanged();
    }
  }

  private onScrub(event: MouseEvent): void {
    const thumb = (event.target as Element | null)?.closest<HTMLElement>(".thumb");
    const index = indexOf(event.target);
    if (thumb === null || thumb === undefined || index === undefined) {
      return;
    }
    const strip = this.cache.get(index)?.filmstrip;
    if (strip === null || strip === undefined) {
      return;
    }
    const rect = thumb.getBoundingClientRect();
    const frame = frameAt(event.clientX - rect.left, rect.width, strip.frames);
    const style = spriteStyle(strip, frame, rect.width);
    thumb.style.backgroundImage = `url("${previewUrl(strip.sprite)}")`;
    thumb.style.backgroundSize = style.size;
    thumb.style.backgroundPosition = style.position;
    thumb.dataset["frame"] = String(frame);
  }

  private onScrubEnd(event: MouseEvent): void {
    const thumb = (event.target as Element | null)?.closest<HTMLElement>(".thumb");
    const related = event.relatedTarget as Node | null;
    if (thumb === null || thumb === undefined || (related !== null && thumb.contains(related))) {
      return;
    }
    const index = indexOf(thumb);
    const item = index === undefined ? undefined : this.cache.get(index);
    setPoster(thumb, item);
  }
}

function indexOf(target: EventTarget | null): number | undefined {
  const cell = (target as Element | null)?.closest<HTMLElement>("[data-index]");
  const text = cell?.dataset["index"];
  return text === undefined ? undefined : Number(text);
}

function makeTile(width: number): HTMLElement {
  const tile = h(
    "div",
    { class: "tile", attrs: { role: "option", draggable: "true" } },
    h("div", { class: "thumb" }, h("span", { class: "kind" }), h("span", { class: "badges" })),
    h("div", { class: "caption" }, h("span", { class: "title" }), h("span", { class: "meta" })),
  );
  tile.style.width = `${width}px`;
  return tile;
}

function setPoster(thumb: HTMLElement, item: AssetItem | undefined): void {
  thumb.style.backgroundSize = "";
  thumb.style.backgroundPosition = "";
  delete thumb.dataset["frame"];
  thumb.style.backgroundImage = item?.poster ? `url("${previewUrl(item.poster)}")` : "";
}

function badgeNodes(item: AssetItem | undefined): HTMLElement[] {
  return (item?.badges ?? []).map((b) => h("span", { class: `badge badge-${b}`, text: b }));
}

function fillTile(tile: HTMLElement, item: AssetItem | undefined): void {
  const thumb = tile.querySelector<HTMLElement>(".thumb");
  const title = tile.querySelector<HTMLElement>(".title");
  const meta = tile.querySelector<HTMLElement>(".meta");
  const kind = tile.querySelector<HTMLElement>(".kind");
  const badges = tile.querySelector<HTMLElement>(".badges");
  if (thumb === null || title === null || meta === null || kind === null || badges === null) {
    return;
  }
  tile.classList.toggle("loading", item === undefined);
  setPoster(thumb, item);
  thumb.classList.toggle("no-poster", !item?.poster);
  kind.textContent = item?.poster ? "" : (item?.mediaType ?? "");
  badges.replaceChildren(...badgeNodes(item));
  title.textContent = item?.title ?? "…";
  title.title = item?.path ?? "";
  meta.textContent = item === undefined ? "" : [formatDuration(item.duration), item.dimensions ?? "", formatBytes(item.size)].filter((s) => s !== "").join(" · ");
  if (item !== undefined) {
    tile.dataset["id"] = String(item.id);
  } else {
    delete tile.dataset["id"];
  }
}

function makeListRow(): HTMLElement {
  return h(
    "div",
    { class: "list-row", attrs: { role: "option", draggable: "true" } },
    h("span", { class: "col-title" }),
    h("span", { class: "col-type" }),
    h("span", { class: "col-duration" }),
    h("span", { class: "col-dimensions" }),
    h("span", { class: "col-size" }),
    h("span", { class: "col-badges" }),
    h("span", { class: "col-path" }),
  );
}

function fillListRow(row: HTMLElement, item: AssetItem | undefined): void {
  const cells = row.children;
  const set = (i: number, text: string) => {
    const cell = cells[i];
    if (cell !== undefined) {
      cell.textContent = text;
    }
  };
  row.classList.toggle("loading", item === undefined);
  set(0, item?.title ?? "…");
  set(1, item?.mediaType ?? "");
  set(2, formatDuration(item?.duration));
  set(3, item?.dimensions ?? "");
  set(4, item === undefined ? "" : formatBytes(item.size));
  cells[5]?.replaceChildren(...badgeNodes(item));
  set(6, item?.path ?? "");
  if (item !== undefined) {
    row.dataset["id"] = String(item.id);
  } else {
    delete row.dataset["id"];
  }
}
