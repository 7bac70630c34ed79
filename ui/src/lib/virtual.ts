// Windowing for the virtualized grid and list: which rows are in view, and how many tiles a
// row holds. Pure functions, so the browser renders only the rows these name.

/** A grid's shape for a given width. */
export interface GridShape {
  columns: number;
  tileWidth: number;
  rowHeight: number;
}

/** How many tiles of at least `minTile` px fit in `width`, and their size. */
export function gridShape(width: number, minTile: number, gap: number, captionHeight: number): GridShape {
  const usable = Math.max(0, width - gap);
  const columns = Math.max(1, Math.floor(usable / (minTile + gap)));
  const tileWidth = Math.max(1, Math.floor(usable / columns - gap));
  // Tiles show a 16:9 poster over a caption.
  const rowHeight = Math.round((tileWidth * 9) / 16) + captionHeight + gap;
  return { columns, tileWidth, rowHeight };
}

/** Rows [first, end) to render: those in the viewport plus `overscan` on each side. */
export interface RowWindow {
  first: number;
  end: number;
}

export function visibleRows(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  rowCount: number,
  overscan: number,
): RowWindow {
  if (rowCount <= 0 || rowHeight <= 0) {
    return { first: 0, end: 0 };
  }
  const top = Math.max(0, scrollTop);
  const firstVisible = Math.min(rowCount - 1, Math.floor(top / rowHeight));
  const lastVisible = Math.min(rowCount - 1, Math.floor((top + Math.max(0, viewportHeight) - 1) / rowHeight));
  return {
    first: Math.max(0, firstVisible - overscan),
    end: Math.min(rowCount, Math.max(firstVisible, lastVisible) + 1 + overscan),
  };
}

/** Rows needed for `total` items at `columns` per row. */
export function rowCount(total: number, columns: number): number {
  return total <= 0 ? 0 : Math.ceil(total / Math.max(1, columns));
}

/** Item indexes [start, end) of rows [first, end). */
export function itemsOfRows(window: RowWindow, columns: number, total: number): { start: number; end: number } {
  return {
    start: Math.min(total, window.first * columns),
    end: Math.min(total, window.end * columns),
  };
}

/**
 * The scrollTop that brings `row` into view, or undefined when it already is.
 * Keyboard navigation uses it so the focused item never leaves the screen.
 */
export function scrollToRow(row: number, rowHeight: number, scrollTop: number, viewportHeight: number): number | undefined {
  const top = row * rowHeight;
  if (top < scrollTop) {
    return top;
  }
  if (top + rowHeight > scrollTop + viewportHeight) {
    return top + rowHeight - viewportHeight;
  }
  return undefined;
}
