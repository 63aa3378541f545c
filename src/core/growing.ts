/**
 * A typed array built by appending, in chunks of 2^20 values, then copied once to its exact size
 * (doubling would hold up to twice the records' worth, and a copy of it, at the end of the read);
 * or, when the count is known ahead, in one array of that size, not copied.
 */
export class Growing<T extends Float64Array | Uint8Array> {
  n = 0;
  #chunks: T[] = [];
  #cur: T;
  #at = 0;
  #sized: boolean;
  /**
   * `capacity`: how many are expected, when known (a Parquet file's row count): then they go into one
   * array that done() hands back as it is, instead of chunks copied into a new array at the end,
   * which held them twice at that moment (1.8 GB for 100M records' times and flags).
   */
  constructor(
    readonly make: (n: number) => T,
    capacity?: number,
  ) {
    this.#sized = capacity !== undefined && capacity > 0;
    this.#cur = make(this.#sized ? capacity! : CHUNK);
  }
  push(x: number): void {
    if (this.#at === this.#cur.length) {
      this.#chunks.push(this.#cur);
      this.#cur = this.make(CHUNK);
      this.#at = 0;
    }
    this.#cur[this.#at++] = x;
    this.n++;
  }
  done(): T {
    // Sized right (or over: rows a filter left out), the one array is the result; a chunk is not
    // (it would keep 2^20 values' memory for a few).
    if (this.#sized && this.#chunks.length === 0) return this.#cur.subarray(0, this.#at) as T;
    const out = this.make(this.n);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    out.set(this.#cur.subarray(0, this.#at), at);
    this.#chunks = [];
    return out;
  }
}

const CHUNK = 1 << 20;
