/**
 * Groups a stream of rows by call, in bounded memory. Master.csv is written in hang-up order,
 * so the rows of one call are near each other, not necessarily adjacent: a call's group is held
 * until `window` rows have passed without one of its own, then released whole — so the ledger
 * assembles the call once rather than once per row. A call whose rows are farther apart than the
 * window is released in pieces; that only costs an extra update of the same conversation
 * (legs are keyed), and `recent` keeps it from being counted as two calls.
 * @module
 */
export interface Released<T> {
  key: string;
  items: T[];
  /** False when an earlier piece of this call was released already. */
  first: boolean;
}

export class CallGroups<T> {
  /** Ordered by last row seen: the stalest group is always first. */
  private readonly open = new Map<string, { items: T[]; lastRow: number; first: boolean }>();
  /** Keys released lately (insertion-ordered; the oldest are forgotten). */
  private readonly recent = new Set<string>();
  private row = 0;

  constructor(
    private readonly window: number,
    private readonly recentLimit = window * 10,
  ) {}

  /** Adds an item; returns the groups that went out of the window. */
  add(key: string, item: T): Released<T>[] {
    this.row++;
    const group = this.open.get(key);
    if (group) {
      this.open.delete(key);
      group.items.push(item);
      group.lastRow = this.row;
      this.open.set(key, group);
    } else {
      this.open.set(key, { items: [item], lastRow: this.row, first: !this.recent.has(key) });
    }
    const released: Released<T>[] = [];
    for (const [k, g] of this.open) {
      if (g.lastRow > this.row - this.window) break;
      this.open.delete(k);
      released.push(this.release(k, g));
    }
    return released;
  }

  /** Releases everything (end of input). */
  drain(): Released<T>[] {
    const all = [...this.open].map(([k, g]) => this.release(k, g));
    this.open.clear();
    return all;
  }

  get size(): number {
    return this.open.size;
  }

  private release(key: string, g: { items: T[]; first: boolean }): Released<T> {
    this.recent.delete(key);
    this.recent.add(key);
    if (this.recent.size > this.recentLimit) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    return { key, items: g.items, first: g.first };
  }
}
