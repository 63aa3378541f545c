/**
 * A typed array built by appending, in chunks of 2^20 values, then copied once to its exact size
 * (doubling would hold up to twice the records' worth, and a copy of it, at the end of the read).
 */
export class Growing<T extends Float64Array | Uint8Array> {
  n = 0;
  #chunks: T[] = [];
  #cur: T;
  #at = 0;
  constructor(readonly make: (n: number) => T) {
    this.#cur = make(CHUNK);
  }
  push(x: number): void {
    if (this.#at === CHUNK) {
      this.#chunks.push(this.#cur);
      this.#cur = this.make(CHUNK);
      this.#at = 0;
    }
    this.#cur[this.#at++] = x;
    this.n++;
  }
  done(): T {
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
