/**
 * Key id → row within one bucket: open addressing over two Int32Arrays, at most half full. It
 * replaces a Map<number, number> per bucket, which cost ~30 bytes an entry in the heap (and the
 * collector's time to trace them: millions at a million active keys); here it is 16 or fewer.
 * Rows are never removed one by one (a bucket is dropped whole), so there is no deletion.
 */
export class RowIndex {
  #ids: Int32Array;
  #rows: Int32Array;
  #mask: number;
  #size = 0;

  constructor(capacity = 8) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.#ids = new Int32Array(n).fill(-1);
    this.#rows = new Int32Array(n);
    this.#mask = n - 1;
  }

  get(id: number): number {
    const ids = this.#ids;
    for (let i = hash(id) & this.#mask; ; i = (i + 1) & this.#mask) {
      const at = ids[i];
      if (at === id) return this.#rows[i];
      if (at === -1) return -1;
    }
  }

  /** Sets id's row (id not yet in the index). */
  set(id: number, row: number): void {
    if ((this.#size + 1) * 2 > this.#ids.length) this.#resize(this.#ids.length * 2);
    this.#put(id, row);
    this.#size++;
  }

  /** Shrinks to what `size` entries need (a bucket sealed: it takes few rows from now on). */
  trim(): void {
    let n = 16;
    while (n < this.#size * 2) n *= 2;
    // Half full at most, but no tighter than that: a lookup then probes little.
    if (n < this.#ids.length) this.#resize(n);
  }

  #put(id: number, row: number): void {
    const ids = this.#ids;
    let i = hash(id) & this.#mask;
    while (ids[i] !== -1) i = (i + 1) & this.#mask;
    ids[i] = id;
    this.#rows[i] = row;
  }

  #resize(n: number): void {
    const ids = this.#ids;
    const rows = this.#rows;
    this.#ids = new Int32Array(n).fill(-1);
    this.#rows = new Int32Array(n);
    this.#mask = n - 1;
    for (let i = 0; i < ids.length; i++) if (ids[i] !== -1) this.#put(ids[i], rows[i]);
  }
}

/** Fibonacci hashing: dense ids spread over the table. */
function hash(id: number): number {
  return Math.imul(id, 0x9e3779b1) >>> 7;
}
