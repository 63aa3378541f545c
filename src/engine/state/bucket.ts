import { RowIndex } from './row-index.js';

/**
 * One slide bucket's panes as columns: row r is key keyOf[r], its slots at r * width in vals. A
 * pane is a few numbers in shared arrays, not an object with a typed array of its own.
 */
export class Bucket {
  rows = 0;
  keyOf: Int32Array;
  /** Key id → row; unchained buckets only (a chained store finds a key's pane down its chain). */
  readonly rowOf: RowIndex | undefined;
  /** No longer the bucket in-order records go to: its arrays are trimmed and grow slowly if at all. */
  sealed = false;
  vals: Float64Array;
  /** The store's change epoch when the row last changed (-1: loaded, unchanged). */
  epoch: Int32Array;
  /** The last change epoch in which a row of this bucket changed (the store lists the bucket once per epoch). */
  dirtyIn = 0;
  /**
   * Emit: active only. Per row r, 16 bytes: in #chain at 2r, the start of the previous bucket
   * holding a pane of the same key (NaN: none); in #links, over the same bytes, at 4r + 2 that
   * pane's row there (-1: none: no lookup by key when a window merges the chain) and at 4r + 3 r's
   * key id again (read and written through prevStart, prevRow, chainKey and setPrev). A window's
   * merge reads all three for a row it has not touched yet: side by side they are one cache miss,
   * not three (at a million active customers the misses were most of a fire's time).
   */
  #chain: Float64Array | undefined;
  #links: Int32Array | undefined;
  sets: (Set<number>[] | undefined)[] | undefined;

  constructor(
    readonly start: number,
    readonly width: number,
    chained: boolean,
    withSets: boolean,
    /** Rows to make room for at once (a newest bucket takes about as many keys as the one before). */
    cap = 8,
  ) {
    this.rowOf = chained ? undefined : new RowIndex(cap);
    this.keyOf = new Int32Array(cap);
    this.vals = new Float64Array(cap * width);
    this.epoch = new Int32Array(cap);
    if (chained) this.#useChain(new Float64Array(cap * 2));
    this.sets = withSets ? [] : undefined;
  }

  /** A new row for key id; its slots are zero (the caller initialises them). */
  append(id: number): number {
    const row = this.rows++;
    if (row === this.keyOf.length) this.#grow();
    this.keyOf[row] = id;
    if (this.#links !== undefined) this.#links[4 * row + 3] = id;
    this.rowOf?.set(id, row);
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
    this.rowOf?.trim();
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
    if (this.#chain) {
      const chain = new Float64Array(cap * 2);
      chain.set(this.#chain.subarray(0, n * 2));
      this.#useChain(chain);
    }
  }

  // The chain's layout, read and written only through these (small: V8 inlines them in a fire's walk).

  /** The start of the bucket holding row's key's previous pane (NaN: none). */
  prevStart(row: number): number {
    return this.#chain![2 * row];
  }

  /** That pane's row there (-1: none). */
  prevRow(row: number): number {
    return this.#links![4 * row + 2];
  }

  /** Row's key id, as the chain holds it (beside the links, so the walk's check costs no other miss). */
  chainKey(row: number): number {
    return this.#links![4 * row + 3];
  }

  /** Links row to its key's previous pane: row `prevRow` of the bucket starting at `prevStart` (NaN, -1: none). */
  setPrev(row: number, prevStart: number, prevRow: number): void {
    this.#chain![2 * row] = prevStart;
    this.#links![4 * row + 2] = prevRow;
  }

  #useChain(chain: Float64Array): void {
    this.#chain = chain;
    this.#links = new Int32Array(chain.buffer);
  }
}
