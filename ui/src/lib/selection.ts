// The selection model of the browser: click, Ctrl/Cmd-click to toggle, Shift-click and
// Shift-arrows to extend a range from the anchor, arrows to move. Works on result indexes.

export interface Modifiers {
  shift?: boolean;
  toggle?: boolean;
}

export class Selection {
  private readonly selected = new Set<number>();
  /** Where a Shift range starts. */
  anchor: number | undefined;
  /** The item keyboard navigation moves from. */
  focus: number | undefined;

  constructor(public total = 0) {}

  reset(total: number): void {
    this.total = total;
    this.selected.clear();
    this.anchor = undefined;
    this.focus = undefined;
  }

  has(index: number): boolean {
    return this.selected.has(index);
  }

  get size(): number {
    return this.selected.size;
  }

  /** Selected indexes, ascending. */
  indexes(): number[] {
    return [...this.selected].sort((a, b) => a - b);
  }

  click(index: number, modifiers: Modifiers = {}): void {
    if (index < 0 || index >= this.total) {
      return;
    }
    if (modifiers.shift === true && this.anchor !== undefined) {
      if (modifiers.toggle !== true) {
        this.selected.clear();
      }
      this.addRange(this.anchor, index);
    } else if (modifiers.toggle === true) {
      if (this.selected.has(index)) {
        this.selected.delete(index);
      } else {
        this.selected.add(index);
      }
      this.anchor = index;
    } else {
      this.selected.clear();
      this.selected.add(index);
      this.anchor = index;
    }
    this.focus = index;
  }

  /** Arrow keys: moves the focus by `delta` (±1, ±columns), selecting it, or extending with Shift. */
  move(delta: number, modifiers: Modifiers = {}): number | undefined {
    if (this.total === 0) {
      return undefined;
    }
    const from = this.focus ?? (delta > 0 ? -1 : this.total);
    const to = Math.max(0, Math.min(this.total - 1, from + delta));
    if (modifiers.shift === true) {
      if (this.anchor === undefined) {
        this.anchor = Math.max(0, Math.min(this.total - 1, from));
      }
      this.selected.clear();
      this.addRange(this.anchor, to);
      this.focus = to;
    } else {
      this.click(to);
    }
    return to;
  }

  selectAll(): void {
    this.selected.clear();
    this.addRange(0, this.total - 1);
  }

  clear(): void {
    this.selected.clear();
  }

  private addRange(a: number, b: number): void {
    const [low, high] = a <= b ? [a, b] : [b, a];
    for (let i = Math.max(0, low); i <= Math.min(this.total - 1, high); i += 1) {
      this.selected.add(i);
    }
  }
}
