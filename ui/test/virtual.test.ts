import { describe, expect, it } from "vitest";
import { gridShape, itemsOfRows, rowCount, scrollToRow, visibleRows } from "../src/lib/virtual";

describe("visibleRows", () => {
  it("renders only the rows in view plus overscan, even for 100,000 items", () => {
    const rows = rowCount(100_000, 6);
    expect(rows).toBe(16_667);
    const window = visibleRows(500_000, 800, 150, rows, 2);
    expect(window.first).toBe(3331);
    expect(window.end).toBe(3341);
    expect(window.end - window.first).toBeLessThan(12);
  });

  it("clamps at both ends", () => {
    expect(visibleRows(0, 800, 100, 3, 2)).toEqual({ first: 0, end: 3 });
    expect(visibleRows(10_000, 800, 100, 3, 0)).toEqual({ first: 2, end: 3 });
    expect(visibleRows(-50, 800, 100, 100, 1)).toEqual({ first: 0, end: 9 });
    expect(visibleRows(0, 800, 100, 0, 2)).toEqual({ first: 0, end: 0 });
  });

  it("maps rows to item ranges, the last row partial", () => {
    expect(itemsOfRows({ first: 2, end: 4 }, 5, 100)).toEqual({ start: 10, end: 20 });
    expect(itemsOfRows({ first: 2, end: 4 }, 5, 13)).toEqual({ start: 10, end: 13 });
  });
});

describe("gridShape", () => {
  it("fits as many tiles as the width allows, at least one", () => {
    const shape = gridShape(1000, 180, 8, 44);
    expect(shape.columns).toBe(5);
    expect(shape.tileWidth * shape.columns + 8 * (shape.columns + 1)).toBeLessThanOrEqual(1000);
    expect(gridShape(100, 180, 8, 44).columns).toBe(1);
  });
});

describe("scrollToRow", () => {
  it("scrolls only when the row is out of view", () => {
    expect(scrollToRow(5, 100, 0, 800)).toBeUndefined();
    expect(scrollToRow(9, 100, 0, 800)).toBe(200);
    expect(scrollToRow(1, 100, 500, 800)).toBe(100);
  });
});
