#!/usr/bin/env python3
"""Draws Trove's app icons as RGBA PNGs using only the standard library.

The icon is a dark rounded square holding two stacked amber frames (a library of
media), the front one with a play triangle. Run once from any directory:

    python3 icons/make_icons.py

It rewrites 32x32.png, 128x128.png, 128x128@2x.png and icon.png (512x512) beside
this script. The PNGs are committed; rerun only when the design changes.
"""

import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# Sizes Tauri needs on Linux (bundle.icon in src-tauri/tauri.conf.json).
OUTPUTS = {
    "32x32.png": 32,
    "128x128.png": 128,
    "128x128@2x.png": 256,
    "icon.png": 512,
}

SUPERSAMPLE = 4  # 4x4 samples per pixel for smooth edges.

BACKGROUND = (0x1C, 0x1C, 0x1E)
BACK_FRAME = (0x8A, 0x66, 0x30)
FRONT_FRAME = (0xE0, 0xA8, 0x4F)
PLAY = (0x1C, 0x1C, 0x1E)


def in_rounded_rect(x, y, left, top, right, bottom, radius):
    """Whether point (x, y) in unit coordinates lies inside a rounded rectangle."""
    if x < left or x > right or y < top or y > bottom:
        return False
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def in_triangle(x, y, a, b, c):
    """Whether point (x, y) lies inside triangle abc (any winding)."""

    def side(p, q):
        return (x - q[0]) * (p[1] - q[1]) - (p[0] - q[0]) * (y - q[1])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    has_neg = d1 < 0 or d2 < 0 or d3 < 0
    has_pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (has_neg and has_pos)


def shade(x, y):
    """The colour at a point in unit coordinates, or None when transparent."""
    if not in_rounded_rect(x, y, 0.02, 0.02, 0.98, 0.98, 0.2):
        return None
    if in_rounded_rect(x, y, 0.30, 0.20, 0.84, 0.62, 0.06):
        # The back frame shows only where the front frame does not cover it.
        if not in_rounded_rect(x, y, 0.16, 0.34, 0.70, 0.80, 0.06):
            return BACK_FRAME
    if in_rounded_rect(x, y, 0.16, 0.34, 0.70, 0.80, 0.06):
        if in_triangle(x, y, (0.36, 0.46), (0.36, 0.68), (0.54, 0.57)):
            return PLAY
        return FRONT_FRAME
    return BACKGROUND


def render(size):
    """RGBA rows for a square icon of `size` pixels, anti-aliased by supersampling."""
    rows = []
    n = SUPERSAMPLE
    for py in range(size):
        row = bytearray()
        for px in range(size):
            r = g = b = a = 0
            for sy in range(n):
                for sx in range(n):
                    colour = shade((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size)
                    if colour is not None:
                        r += colour[0]
                        g += colour[1]
                        b += colour[2]
                        a += 1
            if a == 0:
                row += b"\x00\x00\x00\x00"
            else:
                # Colour averaged over covered samples; alpha from coverage.
                row += bytes((r // a, g // a, b // a, (a * 255) // (n * n)))
        rows.append(bytes(row))
    return rows


def png(size, rows):
    """A PNG file (8-bit RGBA, no interlace) holding `rows`."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main():
    for name, size in OUTPUTS.items():
        path = os.path.join(HERE, name)
        with open(path, "wb") as out:
            out.write(png(size, render(size)))
        print(f"wrote {path} ({size}x{size})")


if __name__ == "__main__":
    main()
