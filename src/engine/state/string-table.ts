import { copyRange } from '../../core/bytes.js';
import type { RecordId } from '../record-id.js';

const encoder = new TextEncoder();
const EMPTY = 0;
const UNKNOWN = -2;
/** The `at` of an entry not in use. */
const FREE = 0xffffffff;

/**
 * A set of strings held as their UTF-8 bytes in one pool, found through an open-addressing table of
 * (entry, hash) pairs. It stands in for a Set<string> or Map<string, number> of the engine's keys and
 * natural ids, which cost ~70 bytes per string and several cache misses per lookup (a chain of
 * entries, each string's header, then its characters); here a lookup is one encode-and-hash pass over
 * the string and, mostly, one probe. A string's entry number is stable while it is held, so callers
 * index their own typed arrays by it, and its bytes go into a checkpoint as they are (no string is
 * read or encoded again there).
 */
export class StringTable {
  #pool = new Uint8Array(1 << 16);
  #poolEnd = 0;
  /** Pool bytes of removed entries: compacted away when the pool fills and they are half of it. */
  #poolDead = 0;
  /**
   * Per entry, side by side: where its bytes start in the pool (2e), and how many (2e + 1). One
   * array, so a lookup's compare reads both in one cache line (two arrays were two misses each).
   */
  #ent = new Uint32Array(2 * 256);
  #hash = new Int32Array(256);
  #entries = 0;
  readonly #free: number[] = [];
  /** (entry + 1, hash) pairs; EMPTY where none. A power of two of pairs, at most half full. */
  #slots = new Int32Array(2 * 1024);
  #mask = 1024 - 1;
  #size = 0;
  /** The last string encoded (a lookup then an add of the same one encodes it once). */
  #scratch = new Uint8Array(256);
  #scratchLen = 0;
  #scratchHash = 0;
  #scratchOf: string | undefined;
  /** What the last find of the scratch answered, until the table changes. */
  #scratchFound = UNKNOWN;

  get size(): number {
    return this.#size;
  }

  /** Entry numbers are below this. */
  get capacity(): number {
    return this.#entries;
  }

  /** The entry holding `s`, or -1. */
  find(s: string): number {
    this.#encode(s);
    return (this.#scratchFound = this.#findScratch());
  }

  /** The entry holding `s`, added if it is not held (a find of the same string just before is not repeated). */
  add(s: string): number {
    const known = s === this.#scratchOf && this.#scratchFound !== UNKNOWN;
    this.#encode(s);
    return this.#addScratch(known);
  }

  /** The entry holding the record id of these values (its bytes written without its text), or -1. */
  findId(id: RecordId, values: Record<string, unknown>): number {
    this.#encodeId(id, values);
    return (this.#scratchFound = this.#findScratch());
  }

  /**
   * The entry holding the record id of these values, added if it is not held (as add()). `found`:
   * the table's last call was findId() of this same record, whose encoding and answer are reused.
   * Only the caller knows: a values object may be written over for the next record (the validator
   * reuses one), so it does not say which record it holds.
   */
  addId(id: RecordId, values: Record<string, unknown>, found = false): number {
    const known = found && this.#scratchFound !== UNKNOWN;
    if (!known) this.#encodeId(id, values);
    return this.#addScratch(known);
  }

  /** The scratch's entry, added if not held; `known`: the last find of this scratch answered it already. */
  #addScratch(known: boolean): number {
    const found = known ? this.#scratchFound : this.#findScratch();
    return found >= 0 ? found : this.#insert(this.#scratch, 0, this.#scratchLen, this.#scratchHash);
  }

  /** The entry holding the string whose UTF-8 bytes are bytes[from, to) (a record's key, no text made), or -1. */
  findBytes(bytes: Uint8Array, from: number, to: number): number {
    return this.#probe(bytes, from, to - from, hashBytes(bytes, from, to));
  }

  /** Adds the string whose UTF-8 bytes are bytes[from, to), which findBytes has just not found; returns its entry. */
  addNewBytes(bytes: Uint8Array, from: number, to: number): number {
    return this.#insert(bytes, from, to - from, hashBytes(bytes, from, to));
  }

  /** Adds the string whose UTF-8 bytes are bytes[from, to) (a checkpoint's); returns its entry. */
  addBytes(bytes: Uint8Array, from: number, to: number): number {
    this.#scratchFound = UNKNOWN;
    const h = hashBytes(bytes, from, to);
    const found = this.#probe(bytes, from, to - from, h);
    return found >= 0 ? found : this.#insert(bytes, from, to - from, h);
  }

  /** Forgets the entry (its number may be handed out again). */
  remove(e: number): void {
    this.#scratchFound = UNKNOWN;
    const mask = this.#mask;
    const slots = this.#slots;
    let i = this.#hash[e] & mask;
    while (slots[2 * i] !== e + 1) {
      if (slots[2 * i] === EMPTY) return; // not held (never reached while callers keep their entries right)
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: move later members of the probe run into the hole, so a lookup never
    // stops early at an emptied slot (no tombstones to clean up later).
    let hole = i;
    for (let j = (i + 1) & mask; slots[2 * j] !== EMPTY; j = (j + 1) & mask) {
      const home = slots[2 * j + 1] & mask;
      // j's entry may fill the hole when its home is not cyclically inside (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        slots[2 * hole] = slots[2 * j];
        slots[2 * hole + 1] = slots[2 * j + 1];
        hole = j;
      }
    }
    slots[2 * hole] = EMPTY;
    slots[2 * hole + 1] = 0;
    this.#size--;
    this.#poolDead += this.#ent[2 * e + 1];
    this.#ent[2 * e] = FREE;
    this.#free.push(e);
  }

  /** The entry's string (decoded from its bytes). */
  text(e: number): string {
    const at = this.#ent[2 * e];
    return decodeUtf8(this.#pool, at, at + this.#ent[2 * e + 1]);
  }

  /** Entries' strings as a checkpoint's column (UTF-8 bytes and where each ends). */
  column(entries: ArrayLike<number>): { bytes: Uint8Array; ends: Uint32Array } {
    const ends = new Uint32Array(entries.length);
    let total = 0;
    const ent = this.#ent;
    for (let i = 0; i < entries.length; i++) ends[i] = total += ent[2 * entries[i] + 1];
    const bytes = new Uint8Array(total);
    // Entries added one after another sit one after another in the pool (a changelog's new ids, a
    // snapshot of keys in the order they came): each such run is copied at once.
    const pool = this.#pool;
    let at = 0;
    let runFrom = 0;
    let runTo = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const from = ent[2 * e];
      if (from !== runTo) {
        at = copyRange(bytes, at, pool, runFrom, runTo - runFrom);
        runFrom = from;
      }
      runTo = from + ent[2 * e + 1];
    }
    copyRange(bytes, at, pool, runFrom, runTo - runFrom);
    return { bytes, ends };
  }

  #findScratch(): number {
    return this.#probe(this.#scratch, 0, this.#scratchLen, this.#scratchHash);
  }

  #probe(bytes: Uint8Array, from: number, n: number, h: number): number {
    const mask = this.#mask;
    const slots = this.#slots;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e1 = slots[2 * i];
      if (e1 === EMPTY) return -1;
      if (slots[2 * i + 1] === h && this.#same(e1 - 1, bytes, from, n)) return e1 - 1;
    }
  }

  #same(e: number, bytes: Uint8Array, from: number, n: number): boolean {
    const ent = this.#ent;
    if (ent[2 * e + 1] !== n) return false;
    const pool = this.#pool;
    const at = ent[2 * e];
    for (let i = 0; i < n; i++) if (pool[at + i] !== bytes[from + i]) return false;
    return true;
  }

  #insert(bytes: Uint8Array, from: number, n: number, h: number): number {
    this.#scratchFound = UNKNOWN;
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#rehash((this.#mask + 1) * 2);
    const e = this.#free.pop() ?? this.#newEntry();
    if (this.#poolEnd + n > this.#pool.length) this.#growPool(n);
    const at = this.#poolEnd;
    const pool = this.#pool;
    copyRange(pool, at, bytes, from, n);
    this.#poolEnd += n;
    this.#ent[2 * e] = at;
    this.#ent[2 * e + 1] = n;
    this.#hash[e] = h;
    this.#place(e, h);
    this.#size++;
    return e;
  }

  #place(e: number, h: number): void {
    const mask = this.#mask;
    const slots = this.#slots;
    let i = h & mask;
    while (slots[2 * i] !== EMPTY) i = (i + 1) & mask;
    slots[2 * i] = e + 1;
    slots[2 * i + 1] = h;
  }

  #newEntry(): number {
    const e = this.#entries++;
    if (2 * e === this.#ent.length) {
      const n = e * 2;
      this.#ent = grow(this.#ent, new Uint32Array(2 * n));
      this.#hash = grow(this.#hash, new Int32Array(n));
    }
    return e;
  }

  #rehash(pairs: number): void {
    const old = this.#slots;
    this.#slots = new Int32Array(2 * pairs);
    this.#mask = pairs - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== EMPTY) this.#place(old[i] - 1, old[i + 1]);
  }

  /**
   * The pool is full: compact it when at least half of it is dead, else double it (compacting on
   * the way), so each compaction frees as many bytes as it moves and its cost is paid once per byte.
   */
  #growPool(n: number): void {
    const live = this.#poolEnd - this.#poolDead;
    const size = this.#poolDead >= live ? this.#pool.length : this.#pool.length * 2;
    this.#compact(Math.max(size, (live + n) * 2));
  }

  /** Moves the live entries' bytes to a new pool of `size` bytes, in entry order (about the order they came). */
  #compact(size: number): void {
    const pool = new Uint8Array(size);
    const old = this.#pool;
    if (this.#poolDead === 0) {
      pool.set(old.subarray(0, this.#poolEnd));
      this.#pool = pool;
      return;
    }
    let end = 0;
    const ent = this.#ent;
    for (let e = 0; e < this.#entries; e++) {
      const from = ent[2 * e];
      if (from === FREE) continue;
      const n = ent[2 * e + 1];
      copyRange(pool, end, old, from, n);
      ent[2 * e] = end;
      end += n;
    }
    this.#pool = pool;
    this.#poolEnd = end;
    this.#poolDead = 0;
  }

  /** A record id's UTF-8 into the scratch, from its values (no text made), hashed as #encode hashes its text. */
  #encodeId(id: RecordId, values: Record<string, unknown>): void {
    this.#scratchFound = UNKNOWN;
    let n = id.write(values, this.#scratch);
    if (n < 0) {
      this.#scratch = new Uint8Array(Math.max(id.bound(values), 2 * this.#scratch.length));
      n = id.write(values, this.#scratch);
    }
    this.#scratchLen = n;
    this.#scratchHash = hashBytes(this.#scratch, 0, n);
    this.#scratchOf = undefined;
  }

  /** UTF-8 of `s` into the scratch, hashed on the way (ASCII byte by byte; anything else through TextEncoder). */
  #encode(s: string): void {
    if (s === this.#scratchOf) return;
    this.#scratchFound = UNKNOWN;
    const n = s.length;
    if (this.#scratch.length < n * 3) this.#scratch = new Uint8Array(n * 3);
    const out = this.#scratch;
    let h = 0x811c9dc5 | 0;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      out[i] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    if (i < n) {
      const len = encoder.encodeInto(s, out).written;
      this.#scratchLen = len;
      this.#scratchHash = hashBytes(out, 0, len);
    } else {
      this.#scratchLen = n;
      this.#scratchHash = h;
    }
    this.#scratchOf = s;
  }
}

/** FNV-1a over bytes[from, to): the same hash #encode computes for an ASCII string. */
function hashBytes(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h;
}

function grow<T extends Uint32Array | Int32Array>(a: T, b: T): T {
  b.set(a);
  return b;
}

const decoder = new TextDecoder();
function decodeUtf8(bytes: Uint8Array, from: number, to: number): string {
  let ascii = true;
  for (let i = from; i < to; i++) if (bytes[i] >= 0x80) {
    ascii = false;
    break;
  }
  if (ascii && to - from <= 64) {
    let s = '';
    for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  return decoder.decode(bytes.subarray(from, to));
}
