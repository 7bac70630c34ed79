// Entry point: wires the browser, search bar, sidebar, inspector and panels to the commands.
import "./style.css";
import { api, errorText, type AssetItem, type SearchPage } from "./ipc";
import { byId, h } from "./lib/dom";
import { count } from "./lib/format";
import { toggleFacet, hasClause, facetClause } from "./lib/query";
import { ArchiveView } from "./views/archive";
import { Browser, type ViewMode } from "./views/browser";
import { DupesView } from "./views/dupes";
import { Inspector } from "./views/inspector";
import { JobsPanel } from "./views/jobs";
import { SourcesPanel } from "./views/sources";

const FIRST_PAGE = 100;

/** What the browser shows: a query, in a collection or not, in an order. */
const current = { query: "", collection: null as string | null, sort: "" };

function status(message: string, state: "ok" | "error" | "busy" = "ok"): void {
  const line = byId("status");
  line.textContent = message;
  line.dataset["state"] = state;
}

const browser = new Browser(byId("browser"), {
  open: (item: AssetItem) => void openAsset(item.id),
  selectionChanged: () => inspector.selectionChanged(browser.selection.size),
  drag: (ids: number[]) => {
    api
      .drag(ids)
      .then((files) => {
        // How many files the last drag carried, for tests (the drop itself is the OS's).
        document.documentElement.dataset["dragged"] = String(files);
      })
      .catch((error: unknown) => status(errorText(error), "error"));
  },
});

const inspector = new Inspector(byId("inspector"), {
  selectedIds: () => browser.selectedIds(),
  edited: async () => {
    await runSearch({ keepPlace: true });
  },
  status,
});

function fetchPage(offset: number, limit: number): Promise<SearchPage> {
  return api.search({ query: current.query, offset, limit, sort: current.sort || null, collection: current.collection, facets: false });
}

let searchSeq = 0;

async function runSearch(options: { keepPlace?: boolean } = {}): Promise<void> {
  const seq = ++searchSeq;
  const info = byId("results-info");
  info.dataset["state"] = "loading";
  try {
    const first = await api.search({
      query: current.query,
      offset: 0,
      limit: FIRST_PAGE,
      sort: current.sort || null,
      collection: current.collection,
      facets: true,
    });
    if (seq !== searchSeq) {
      return;
    }
    if (options.keepPlace === true) {
      browser.refresh(fetchPage, first);
    } else {
      browser.show(fetchPage, first);
    }
    info.textContent = `${count.format(first.total)} assets${current.collection ? ` in ${current.collection}` : ""}`;
    info.dataset["total"] = String(first.total);
    info.dataset["state"] = "ready";
    renderFacets(first);
    byId("search-error").textContent = "";
  } catch (error: unknown) {
    if (seq === searchSeq) {
      info.dataset["state"] = "error";
      byId("search-error").textContent = errorText(error);
    }
  }
}

function renderFacets(page: SearchPage): void {
  const groups = Object.entries(page.facets)
    .filter(([, values]) => values.length > 0)
    .map(([facet, values]) =>
      h(
        "section",
        { class: "facet", data: { facet } },
        h("h4", { text: facet.replace(/_/g, " ") }),
        h(
          "ul",
          {},
          ...values.slice(0, 12).map((v) => {
            const active = hasClause(current.query, facetClause(facet, v.value));
            const b = h(
              "button",
              { class: active ? "facet-value active" : "facet-value", attrs: { type: "button" }, data: { value: v.value } },
              h("span", { text: v.value }),
              h("span", {
                class: "muted",
                text: page.facetsEstimated ? `≈${count.format(v.count)}` : count.format(v.count),
              }),
            );
            b.addEventListener("click", () => {
              setQuery(toggleFacet(current.query, facet, v.value));
            });
            return h("li", {}, b);
          }),
        ),
      ),
    );
  byId("facets").replaceChildren(...groups);
}

function setQuery(query: string): void {
  current.query = query;
  byId<HTMLInputElement>("search-input").value = query;
  void runSearch();
}

async function openAsset(id: number): Promise<void> {
  byId("inspector").dataset["open"] = "true";
  await inspector.open(id);
}

async function refreshStats(): Promise<void> {
  try {
    const stats = await api.libraryStats();
    const show = (id: string, value: number) => {
      const el = byId(id);
      el.textContent = count.format(value);
      el.dataset["state"] = "ready";
    };
    show("asset-count", stats.assets);
    show("location-count", stats.locations);
    show("source-count", stats.sources);
    status(stats.offline > 0 ? `${count.format(stats.offline)} offline` : "Up to date");
  } catch (error: unknown) {
    status(errorText(error), "error");
  }
}

async function refreshCollections(): Promise<void> {
  try {
    const all = await api.collections();
    const item = (name: string, label: string) => {
      const b = h("button", { class: current.collection === name ? "link active" : "link", text: label, attrs: { type: "button" } });
      b.addEventListener("click", () => {
        current.collection = current.collection === name ? null : name;
        void refreshCollections();
        void runSearch();
      });
      return h("li", {}, b);
    };
    byId("saved-list").replaceChildren(...all.filter((c) => c.query !== null).map((c) => item(c.name, c.name)));
    byId("collection-list").replaceChildren(
      ...all.filter((c) => c.query === null).map((c) => item(c.name, `${c.name} (${count.format(c.members)})`)),
    );
  } catch (error: unknown) {
    status(errorText(error), "error");
  }
}

async function libraryChanged(): Promise<void> {
  await Promise.all([refreshStats(), runSearch({ keepPlace: true })]);
}

function showView(name: string): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>("[data-view-tab]")) {
    const active = tab.dataset["viewTab"] === name;
    tab.classList.toggle("active", active);
    tab.setAttribute("aria-selected", String(active));
  }
  for (const view of document.querySelectorAll<HTMLElement>("[data-view]")) {
    view.hidden = view.dataset["view"] !== name;
  }
  if (name === "library") {
    browser.schedule();
  }
  if (name === "archive") {
    archive.shown();
  }
}

const sources = new SourcesPanel(libraryChanged);
const jobs = new JobsPanel(() => void libraryChanged());
new DupesView(libraryChanged);
const archive = new ArchiveView({
  selectedIds: () => browser.selectedIds(),
  currentQuery: () => current.query,
  changed: libraryChanged,
});
inspector.clear();

byId<HTMLFormElement>("search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  current.query = byId<HTMLInputElement>("search-input").value.trim();
  void runSearch();
});
byId<HTMLSelectElement>("sort").addEventListener("change", (e) => {
  current.sort = (e.target as HTMLSelectElement).value;
  void runSearch();
});
for (const b of document.querySelectorAll<HTMLButtonElement>("[data-mode]")) {
  b.addEventListener("click", () => {
    const mode = b.dataset["mode"] as ViewMode;
    browser.setMode(mode);
    byId("list-header").hidden = mode !== "list";
    for (const other of document.querySelectorAll<HTMLButtonElement>("[data-mode]")) {
      other.classList.toggle("active", other === b);
    }
  });
}
for (const tab of document.querySelectorAll<HTMLButtonElement>("[data-view-tab]")) {
  tab.addEventListener("click", () => showView(tab.dataset["viewTab"] ?? "library"));
}
byId("save-search").addEventListener("click", () => {
  const name = byId<HTMLInputElement>("collection-name").value.trim();
  if (name === "" || current.query === "") {
    status("Type a search and a name first.", "error");
    return;
  }
  void api
    .saveSearch(name, current.query)
    .then(refreshCollections)
    .catch((e: unknown) => status(errorText(e), "error"));
});
byId("add-to-collection").addEventListener("click", () => {
  const name = byId<HTMLInputElement>("collection-name").value.trim();
  if (name === "") {
    status("Type a collection name first.", "error");
    return;
  }
  void browser
    .selectedIds()
    .then((ids) => api.collectionAdd(name, ids))
    .then(refreshCollections)
    .catch((e: unknown) => status(errorText(e), "error"));
});
byId("inspector-close").addEventListener("click", () => {
  byId("inspector").dataset["open"] = "false";
  browser.focus();
});

// Results first: they are what the first paint shows.
void runSearch().then(() => browser.focus());
void refreshStats();
void refreshCollections();
void sources.refresh().catch((e: unknown) => status(errorText(e), "error"));
void jobs.start().catch((e: unknown) => status(errorText(e), "error"));
window.setInterval(() => void refreshStats(), 5000);
archive.startPolling();
