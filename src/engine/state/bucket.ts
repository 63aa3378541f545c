import { RowIndex } from './row-index.js';

/**
 * One slide bucket's panes as columns: row r is key keyOf[r], its slots at r * width in vals. A
 * pane is a few numbers in shared arrays, not an object with a typed array of its own.
 */
export class Bucket {
  rows = 0;
  keyOf: Int32Array;
  readonly rowOf: RowIndex;
  /** No longer the bucket in-order records go to: its arrays are trimmed and grow slowly if at all. */
  sealed = false;
  vals: Float64Array;
  /** The store's change epoch when the row last changed (-1: loaded, unchanged). */
  epoch: Int32Array;
  /** The last change epoch in which a row of this bucket changed (the store lists the bucket once per epoch). */
  dirtyIn = 0;
  /** Per row, the start of the previous bucket holding a pane of the same key (NaN: none); emit: active only. */
  prev: Float64Array | undefined;
  /** Per row, that pane's row in the previous bucket (-1: none): no lookup by key when a window merges the chain. */
  prevRow: Int32Array | undefined;
  sets: (Set<number>[] | undefined)[] | undefined;

  constructor(
    readonly start: number,
    readonly width: number,
    chained: boolean,
    withSets: boolean,
    /** Rows to make room for at once (a newest bucket takes about as many keys as the one before). */
    cap = 8,
  ) {
    this.rowOf = new RowIndex(cap);
    this.keyOf = new Int32Array(cap);
    this.vals = new Float64Array(cap * width);
    this.epoch = new Int32Array(cap);
    this.prev = chained ? new Float64Array(cap) : undefined;
    this.prevRow = chained ? new Int32Array(cap) : undefined;
    this.sets = withSets ? [] : undefined;
  }

  /** A new row for key id; its slots are zero (the caller initialises them). */
  append(id: number): number {
    const row = this.rows++;
    if (row === this.keyOf.length) this.#grow();
    this.keyOf[row] = id;
    this.rowOf.set(id, row);
    return row;
  }

  #grow(): void {
    // Doubling while records arrive in order; a sealed bucket takes only stragglers.
    const cap = this.sealed ? this.keyOf.length + Math.max(8, this.keyOf.length >> 3) : this.keyOf.length * 2;
    this.#resize(cap);
  }

  /**
   * Trims the columns to the rows held: up to half of a doubled array is otherwise empty, for as
   * long as the bucket lives (an hour of sliding windows holds 60 of them).
   */
  seal(): void {
    this.sealed = true;
    if (this.rows < this.keyOf.length) this.#resize(Math.max(this.rows, 1));
    this.rowOf.trim();
  }

  #resize(cap: number): void {
    const n = Math.min(this.rows, cap);
    const keyOf = new Int32Array(cap);
    keyOf.set(this.keyOf.subarray(0, n));
    this.keyOf = keyOf;
    const vals = new Float64Array(cap * this.width);
    vals.set(this.vals.subarray(0, n * this.width));
    this.vals = vals;
    const epoch = new Int32Array(cap);
    epoch.set(this.epoch.subarray(0, n));
    this.epoch = epoch;
    if (this.prev) {
      const prev = new Float64Array(cap);
      prev.set(this.prev.subarray(0, n));
      this.prev = prev;
      const prevRow = new Int32Array(cap);
      prevRow.set(this.prevRow!.subarray(0, n));
      this.prevRow = prevRow;
    }
  }
}
