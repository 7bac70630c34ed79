import { describe, expect, it } from "vitest";
import { PageCache, type Page } from "../src/lib/pages";

function fetcher(total: number, calls: number[]) {
  return async (offset: number, limit: number): Promise<Page<number>> => {
    calls.push(offset);
    const items = [];
    for (let i = offset; i < Math.min(total, offset + limit); i += 1) {
      items.push(i);
    }
    return { total, offset, items };
  };
}

describe("PageCache", () => {
  it("fetches only the pages covering the range asked, once each", async () => {
    const calls: number[] = [];
    const cache = new PageCache<number>(100, fetcher(100_000, calls));
    cache.total = 100_000;
    await Promise.all([cache.ensure(250, 420), cache.ensure(300, 310)]);
    expect(calls).toEqual([200, 300, 400]);
    expect(cache.get(419)).toBe(419);
    expect(cache.get(0)).toBeUndefined();
  });

  it("keeps at most maxPages, dropping the farthest", async () => {
    const calls: number[] = [];
    const cache = new PageCache<number>(10, fetcher(1000, calls), 3);
    cache.total = 1000;
    for (const start of [0, 10, 20, 30, 40]) {
      await cache.ensure(start, start + 10);
    }
    expect(cache.cachedPages).toBe(3);
    expect(cache.get(45)).toBe(45);
    expect(cache.get(5)).toBeUndefined();
  });

  it("ignores answers for a query that was replaced", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const slow = async (offset: number, limit: number): Promise<Page<number>> => {
      await gate;
      return { total: 5, offset, items: Array.from({ length: limit }, () => -1) };
    };
    const cache = new PageCache<number>(10, slow);
    cache.total = 5;
    const pending = cache.ensure(0, 5);
    cache.reset(fetcher(3, []), 3);
    release();
    await pending;
    expect(cache.get(0)).toBeUndefined();
    await cache.ensure(0, 3);
    expect(cache.get(2)).toBe(2);
  });
});
