import { grown } from '../../core/arrays.js';
import { copyRange } from '../../core/bytes.js';
import { murmur2 } from '../../core/murmur2.js';

/**
 * String key → row number, off the JS heap: the keys' UTF-8 bytes in one arena, their hashes and
 * starts in typed arrays, and an open-addressing table of row numbers. A JS Map holds at most 2^24
 * entries (a snapshot of 16.8M customers threw "Map maximum size exceeded"), and 100M string keys
 * on the heap need ~6 GB; here a 10-byte key costs ~20 bytes, outside the heap.
 */
export class KeyIndex {
  size = 0;
  #arena = new Uint8Array(1 << 16);
  /** starts[r] is where row r's key begins; starts[size] is where the next one will. */
  #starts = new Uint32Array(1 << 12);
  #hashes = new Uint32Array(1 << 12);
  /** Row + 1 per slot; 0 is empty. Kept at most 3/4 full (linear probing). */
  #table = new Uint32Array(1 << 13);
  #mask = (1 << 13) - 1;
  #scratch = new Uint8Array(256);
  #scratchLength = 0;
  /** rowsOf's keys: their bytes back to back, where each ends, their hashes. */
  #batchBytes = new Uint8Array(1 << 12);
  #batchEnds = new Uint32Array(256);
  #batchHashes = new Uint32Array(256);

  /** Adds a key as the next row; false (and nothing added) if it is already there. */
  add(key: string): boolean {
    const h = this.#encode(key);
    if (this.#find(h) >= 0) return false;
    const n = this.#scratchLength;
    const row = this.size;
    if (row + 1 >= this.#starts.length) {
      this.#starts = grown(this.#starts, this.#starts.length * 2);
      this.#hashes = grown(this.#hashes, this.#starts.length);
    }
    const at = this.#starts[row];
    if (at + n > this.#arena.length) {
      if (at + n > 0xffff_ffff) throw new RangeError(`the keys take more than 4 GB (${row} keys)`);
      this.#arena = grown(this.#arena, Math.min(0xffff_ffff, Math.max(at + n, this.#arena.length * 2)));
    }
    copyRange(this.#arena, at, this.#scratch, 0, n); // no view per key (a subarray each was ~100 MB a million-key load)
    this.#starts[row + 1] = at + n;
    this.#hashes[row] = h;
    this.size = row + 1;
    if (this.size * 4 > this.#table.length * 3) this.#rehash();
    else this.#place(row);
    return true;
  }

  get(key: string): number | undefined {
    const r = this.#find(this.#encode(key));
    return r < 0 ? undefined : r;
  }

  /**
   * The rows of many keys at once (-1 where absent), into `out`. The same answers as get(), in three
   * passes across the keys (their bytes and hashes; their slots; the rows found there checked): a
   * lookup alone is a chain of cache misses (slot, row's hash, its bytes), each waiting for the one
   * before, while the loads of different keys do not depend on each other, so the processor overlaps
   * their misses. A key whose slot holds another row is probed on as get() does.
   */
  rowsOf(keys: readonly string[], out: Int32Array): void {
    const n = keys.length;
    if (this.#batchHashes.length < n) {
      this.#batchHashes = new Uint32Array(Math.max(n, this.#batchHashes.length * 2));
      this.#batchEnds = new Uint32Array(this.#batchHashes.length);
    }
    const hashes = this.#batchHashes;
    const ends = this.#batchEnds;
    let bytes = this.#batchBytes;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const h = this.#encode(keys[i]);
      const len = this.#scratchLength;
      if (at + len > bytes.length) bytes = this.#batchBytes = grown(bytes, Math.max(at + len, bytes.length * 2));
      at = copyRange(bytes, at, this.#scratch, 0, len);
      ends[i] = at;
      hashes[i] = h;
    }
    const table = this.#table;
    const mask = this.#mask;
    for (let i = 0; i < n; i++) out[i] = table[hashes[i] & mask] - 1;
    const rowHashes = this.#hashes;
    const starts = this.#starts;
    const arena = this.#arena;
    for (let i = 0, from = 0; i < n; from = ends[i], i++) {
      const r = out[i];
      if (r < 0) continue; // an empty slot: absent
      const len = ends[i] - from;
      const start = starts[r];
      let same = rowHashes[r] === hashes[i] && starts[r + 1] - start === len;
      for (let j = 0; same && j < len; j++) same = arena[start + j] === bytes[from + j];
      if (same) continue;
      // Another key's row in its slot: probe on from the next one.
      this.#scratch = this.#scratch.length >= len ? this.#scratch : new Uint8Array(len);
      this.#scratch.set(bytes.subarray(from, from + len));
      this.#scratchLength = len;
      out[i] = this.#find(hashes[i], (hashes[i] + 1) & mask);
    }
  }

  has(key: string): boolean {
    return this.#find(this.#encode(key)) >= 0;
  }

  /** The keys in row order. */
  *keys(): IterableIterator<string> {
    const decoder = new TextDecoder();
    for (let r = 0; r < this.size; r++) yield decoder.decode(this.#arena.subarray(this.#starts[r], this.#starts[r + 1]));
  }

  /** Bytes held (for memory figures). */
  get bytes(): number {
    return this.#arena.byteLength + this.#starts.byteLength + this.#hashes.byteLength + this.#table.byteLength;
  }

  /** The key's UTF-8 bytes into the scratch buffer; returns their hash. */
  #encode(key: string): number {
    if (key.length * 3 > this.#scratch.length) this.#scratch = new Uint8Array(key.length * 3);
    const s = this.#scratch;
    let n = 0;
    for (; n < key.length; n++) {
      const c = key.charCodeAt(n);
      if (c >= 0x80) {
        n = encoder.encodeInto(key, s).written;
        break;
      }
      s[n] = c;
    }
    this.#scratchLength = n;
    return murmur2(s, n) >>> 0;
  }

  /** The row whose key is the scratch buffer's bytes (hash h), or -1; probing from `first` (the key's own slot unless said). */
  #find(h: number, first = h & this.#mask): number {
    const table = this.#table;
    const mask = this.#mask;
    for (let slot = first; ; slot = (slot + 1) & mask) {
      const v = table[slot];
      if (v === 0) return -1;
      const r = v - 1;
      if (this.#hashes[r] === h && this.#sameKey(r)) return r;
    }
  }

  #sameKey(r: number): boolean {
    const start = this.#starts[r];
    const n = this.#scratchLength;
    if (this.#starts[r + 1] - start !== n) return false;
    const a = this.#arena;
    const s = this.#scratch;
    for (let i = 0; i < n; i++) if (a[start + i] !== s[i]) return false;
    return true;
  }

  #place(r: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let slot = this.#hashes[r] & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = r + 1;
  }

  #rehash(): void {
    this.#table = new Uint32Array(this.#table.length * 2);
    this.#mask = this.#table.length - 1;
    for (let r = 0; r < this.size; r++) this.#place(r);
  }
}

const encoder = new TextEncoder();
