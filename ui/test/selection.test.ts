import { describe, expect, it } from "vitest";
import { Selection } from "../src/lib/selection";

describe("Selection", () => {
  it("click selects one, ctrl-click toggles, shift-click extends from the anchor", () => {
    const s = new Selection(20);
    s.click(3);
    expect(s.indexes()).toEqual([3]);
    s.click(7, { toggle: true });
    expect(s.indexes()).toEqual([3, 7]);
    s.click(3, { toggle: true });
    expect(s.indexes()).toEqual([7]);
    // The anchor is the item clicked last (3): Shift-click selects from there.
    s.click(5, { shift: true });
    expect(s.indexes()).toEqual([3, 4, 5]);
    s.click(8, { shift: true, toggle: true });
    expect(s.indexes()).toEqual([3, 4, 5, 6, 7, 8]);
    s.click(9);
    expect(s.indexes()).toEqual([9]);
  });

  it("arrows move the focus; shift-arrows extend; clamped to the results", () => {
    const s = new Selection(10);
    expect(s.move(1)).toBe(0);
    expect(s.indexes()).toEqual([0]);
    s.move(1, { shift: true });
    s.move(1, { shift: true });
    expect(s.indexes()).toEqual([0, 1, 2]);
    s.move(-1, { shift: true });
    expect(s.indexes()).toEqual([0, 1]);
    s.move(100);
    expect(s.indexes()).toEqual([9]);
    s.move(-4);
    expect(s.focus).toBe(5);
  });

  it("select all, clear, reset", () => {
    const s = new Selection(5);
    s.selectAll();
    expect(s.size).toBe(5);
    s.clear();
    expect(s.size).toBe(0);
    s.click(2);
    s.reset(3);
    expect(s.size).toBe(0);
    expect(s.focus).toBeUndefined();
    s.click(7);
    expect(s.size).toBe(0);
  });
});
