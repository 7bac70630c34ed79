// A page cache over the search command: items are fetched in pages by offset and limit, only
// for the rows in view, and far pages are dropped so 100,000 results never sit in memory.

export interface Page<T> {
  total: number;
  offset: number;
  items: T[];
}

export type PageFetcher<T> = (offset: number, limit: number) => Promise<Page<T>>;

export class PageCache<T> {
  private readonly pages = new Map<number, T[]>();
  private readonly inFlight = new Map<number, Promise<void>>();
  private generation = 0;
  total = 0;

  constructor(
    private readonly pageSize: number,
    private fetcher: PageFetcher<T>,
    private readonly maxPages = 40,
    private readonly onLoaded: () => void = () => {},
  ) {}

  /** Starts over with another fetcher (a new query); late answers of the old one are ignored. */
  reset(fetcher: PageFetcher<T>, total = 0): void {
    this.generation += 1;
    this.fetcher = fetcher;
    this.pages.clear();
    this.inFlight.clear();
    this.total = total;
  }

  /** Stores a page fetched elsewhere (the first page of a new query). */
  put(page: Page<T>): void {
    this.total = page.total;
    this.pages.set(Math.floor(page.offset / this.pageSize), page.items);
  }

  get(index: number): T | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.[index % this.pageSize];
  }

  /** Page numbers that cover items [start, end). */
  pagesFor(start: number, end: number): number[] {
    if (end <= start) {
      return [];
    }
    const first = Math.floor(start / this.pageSize);
    const last = Math.floor((end - 1) / this.pageSize);
    const result: number[] = [];
    for (let p = first; p <= last; p += 1) {
      result.push(p);
    }
    return result;
  }

  /** Fetches the missing pages covering [start, end); resolves when they are in. */
  async ensure(start: number, end: number): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const page of this.pagesFor(start, Math.min(end, Math.max(this.total, end)))) {
      if (this.pages.has(page)) {
        continue;
      }
      let pending = this.inFlight.get(page);
      if (pending === undefined) {
        pending = this.load(page);
        this.inFlight.set(page, pending);
      }
      waits.push(pending);
    }
    await Promise.all(waits);
    this.evict(Math.floor(start / this.pageSize));
  }

  private async load(page: number): Promise<void> {
    const generation = this.generation;
    try {
      const result = await this.fetcher(page * this.pageSize, this.pageSize);
      if (generation !== this.generation) {
        return;
      }
      this.total = result.total;
      this.pages.set(page, result.items);
      this.onLoaded();
    } finally {
      if (generation === this.generation) {
        this.inFlight.delete(page);
      }
    }
  }

  /** Drops the pages farthest from `near` beyond the cap. */
  private evict(near: number): void {
    if (this.pages.size <= this.maxPages) {
      return;
    }
    const byDistance = [...this.pages.keys()].sort((a, b) => Math.abs(b - near) - Math.abs(a - near));
    for (const page of byDistance.slice(0, this.pages.size - this.maxPages)) {
      this.pages.delete(page);
    }
  }

  /** Pages held now (for tests and the status line). */
  get cachedPages(): number {
    return this.pages.size;
  }
}
