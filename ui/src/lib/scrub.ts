// Hover-scrub: which filmstrip frame a pointer position shows, and where it sits in the sprite.

export interface Filmstrip {
  frames: number;
  columns: number;
  tileWidth: number;
  tileHeight: number;
}

/** The frame under `x` of a tile `width` wide. */
export function frameAt(x: number, width: number, frames: number): number {
  if (frames <= 0 || width <= 0) {
    return 0;
  }
  const fraction = Math.min(0.999999, Math.max(0, x / width));
  return Math.floor(fraction * frames);
}

/** CSS background size and position showing `frame` scaled to `width` px. */
export function spriteStyle(
  strip: Filmstrip,
  frame: number,
  width: number,
): { size: string; position: string } {
  const scale = width / strip.tileWidth;
  const rows = Math.ceil(strip.frames / Math.max(1, strip.columns));
  const column = frame % strip.columns;
  const row = Math.floor(frame / strip.columns);
  const x = -column * strip.tileWidth * scale;
  const y = -row * strip.tileHeight * scale;
  return {
    size: `${strip.columns * strip.tileWidth * scale}px ${rows * strip.tileHeight * scale}px`,
    position: `${x}px ${y}px`,
  };
}
