import { describe, expect, it } from "vitest";
import { frameAt, spriteStyle } from "../src/lib/scrub";

describe("hover-scrub", () => {
  it("picks the frame under the pointer", () => {
    expect(frameAt(0, 200, 20)).toBe(0);
    expect(frameAt(199.9, 200, 20)).toBe(19);
    expect(frameAt(250, 200, 20)).toBe(19);
    expect(frameAt(100, 200, 20)).toBe(10);
    expect(frameAt(-5, 200, 20)).toBe(0);
  });

  it("positions the sprite on that frame's tile, scaled", () => {
    const strip = { frames: 20, columns: 5, tileWidth: 160, tileHeight: 90 };
    expect(spriteStyle(strip, 7, 320)).toEqual({ size: "1600px 720px", position: "-640px -180px" });
    expect(spriteStyle(strip, 0, 160)).toEqual({ size: "800px 360px", position: "0px 0px" });
  });
});
