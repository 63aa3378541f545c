import { snappyCompress } from '@platformatic/wasm-utils';
import { Bytes } from '../../core/byte-buffer.js';
import { writeHybrid } from './rle-hybrid.js';
import { CompactWriter } from './thrift-compact.js';

/** Where a column chunk landed in the file and what its footer entry says of it. */
export interface ChunkMeta {
  start: number;
  /** -1 when the chunk is plain-encoded. */
  dictionaryOffset: number;
  dataOffset: number;
  uncompressed: number;
  compressed: number;
  encodings: number[];
  nulls: number;
  /** Statistics in the column's physical encoding; absent when no value has an order (all NULL or NaN) or a string bound is longer than STRING_STAT_MAX. */
  min?: Uint8Array;
  max?: Uint8Array;
}

const PLAIN = 0;
const RLE = 3;
const RLE_DICTIONARY = 8;
const DATA_PAGE = 0;
const DICTIONARY_PAGE = 2;
/** Values sampled to judge whether a chunk's values repeat enough for a dictionary. */
const SAMPLE = 256;
/** String statistics longer than this are left out rather than truncated (a truncated max needs care to stay an upper bound). */
const STRING_STAT_MAX = 64;

/**
 * Encodes one column chunk as a dictionary page (when its values repeat: at most half of them
 * distinct) and one data page (v1: definition levels, then plain values or dictionary indexes),
 * each Snappy-compressed, with the chunk's statistics. Scratch buffers are kept between chunks.
 * Snappy is the Kafka client's WebAssembly one (wasm-utils): the pure-JS snappyjs took twice as long
 * once compiled, and a short run's results are encoded before V8 has compiled it (IoT's 14k results
 * at the end of a 300k-record run: ~15–20 ms of the 40–48 ms their file took to finish).
 */
export class ColumnChunk {
  readonly #levels = new Bytes();
  readonly #values = new Bytes();
  readonly #dict = new Bytes();
  readonly #body = new Bytes();
  #defs = new Uint8Array(0);
  #indexes = new Int32Array(0);
  #nums = new Float64Array(0);
  readonly #numDict = new Map<number, number>();
  readonly #strDict = new Map<string, number>();
  #dictSize = -1;
  #nulls = 0;
  #min: Uint8Array | undefined;
  #max: Uint8Array | undefined;

  /** Appends the chunk of the first `n` of `values` to `out`, which starts at file offset `base`. */
  encode(out: Bytes, base: number, kind: 'timestamp' | 'int64' | 'double' | 'string', nullable: boolean, values: ArrayLike<number | string | null>, n: number): ChunkMeta {
    if (this.#defs.length < n) {
      this.#defs = new Uint8Array(n);
      this.#indexes = new Int32Array(n);
      this.#nums = new Float64Array(n);
    }
    this.#levels.reset();
    this.#values.reset();
    this.#dict.reset();
    if (kind === 'string') this.#strings(values as ArrayLike<string | null>, n, nullable);
    else this.#numbers(values as ArrayLike<number | null>, n, nullable, kind === 'double');
    if (nullable) writeHybrid(this.#levels, this.#defs, n, 1);

    const meta: ChunkMeta = { start: base + out.len, dictionaryOffset: -1, dataOffset: 0, uncompressed: 0, compressed: 0, encodings: [], nulls: this.#nulls, min: this.#min, max: this.#max };
    if (this.#dictSize >= 0) {
      meta.dictionaryOffset = base + out.len;
      this.#page(out, meta, DICTIONARY_PAGE, this.#dict.view(), this.#dictSize, PLAIN);
    }
    const body = this.#body;
    body.reset();
    if (nullable) {
      body.u32(this.#levels.len);
      body.bytes(this.#levels.view());
    }
    body.bytes(this.#values.view());
    meta.dataOffset = base + out.len;
    const encoding = this.#dictSize >= 0 ? RLE_DICTIONARY : PLAIN;
    this.#page(out, meta, DATA_PAGE, body.view(), n, encoding);
    meta.encodings = this.#dictSize >= 0 ? [PLAIN, RLE, RLE_DICTIONARY] : [PLAIN, RLE];
    return meta;
  }

  #page(out: Bytes, meta: ChunkMeta, type: number, body: Buffer, count: number, encoding: number): void {
    const compressed = snappyCompress(body);
    const at = out.len;
    const t = new CompactWriter(out);
    t.element();
    t.i32(1, type);
    t.i32(2, body.length);
    t.i32(3, compressed.length);
    if (type === DATA_PAGE) {
      t.struct(5);
      t.i32(1, count);
      t.i32(2, encoding);
      t.i32(3, RLE);
      t.i32(4, RLE);
    } else {
      t.struct(7);
      t.i32(1, count);
      t.i32(2, PLAIN);
    }
    t.end();
    t.end();
    const header = out.len - at;
    out.bytes(compressed);
    meta.uncompressed += header + body.length;
    meta.compressed += header + compressed.length;
  }

  #numbers(v: ArrayLike<number | null>, n: number, nullable: boolean, double: boolean): void {
    const dict = this.#numDict;
    dict.clear();
    const c = collectNumbers(v, n, nullable, this.#defs, this.#nums, this.#indexes, dict, repeats(v, n));
    this.#nulls = c.nulls;
    let { min, max } = c;
    if (min <= max) {
      // Parquet's rule for zero bounds: a minimum of zero is written -0, a maximum +0.
      if (min === 0) min = -0;
      if (max === 0) max = 0;
      const b = new Bytes(16);
      putNumber(b, min, double);
      putNumber(b, max, double);
      this.#min = b.buf.subarray(0, 8);
      this.#max = b.buf.subarray(8, 16);
    } else this.#min = this.#max = undefined;
    const out = this.#values;
    out.reserve(8 * c.k);
    if (c.useDict) {
      this.#dictSize = dict.size;
      for (const x of dict.keys()) putNumber(this.#dict, x, double);
      indexesOut(out, this.#indexes, c.k, dict.size);
    } else {
      this.#dictSize = -1;
      plainNumbers(out, this.#nums, c.k, double);
    }
  }

  #strings(v: ArrayLike<string | null>, n: number, nullable: boolean): void {
    const defs = this.#defs;
    const indexes = this.#indexes;
    const dict = this.#strDict;
    dict.clear();
    let useDict = repeats(v, n);
    const limit = Math.max(1, n >> 1);
    let k = 0;
    let nulls = 0;
    for (let i = 0; i < n && useDict; i++) {
      const s = v[i] ?? (nullable ? null : '');
      if (s === null) continue;
      let d = dict.get(s);
      if (d === undefined) {
        if (dict.size >= limit) useDict = false;
        else dict.set(s, (d = dict.size));
      }
      indexes[k++] = d ?? 0;
    }
    const out = this.#values;
    let ascii = true;
    let min: string | undefined;
    let max: string | undefined;
    if (useDict) {
      for (const s of dict.keys()) {
        if (plainString(this.#dict, s) !== s.length) ascii = false;
        if (min === undefined || s < min) min = s;
        if (max === undefined || s > max) max = s;
      }
    }
    k = 0;
    for (let i = 0; i < n; i++) {
      const s = v[i] ?? (nullable ? null : '');
      if (s === null) {
        defs[i] = 0;
        nulls++;
        continue;
      }
      defs[i] = 1;
      k++;
      if (useDict) continue;
      if (plainString(out, s) !== s.length) ascii = false;
      if (min === undefined || s < min) min = s;
      if (max === undefined || s > max) max = s;
    }
    this.#nulls = nulls;
    if (useDict) {
      this.#dictSize = dict.size;
      indexesOut(out, indexes, k, dict.size);
    } else this.#dictSize = -1;
    // UTF-16 order (JS <) is UTF-8 byte order except around surrogate pairs: a column with any
    // non-ASCII value is ordered again by its bytes.
    if (!ascii) [min, max] = utf8Bounds(useDict ? dict.keys() : v, n, useDict);
    const minBytes = min === undefined ? undefined : Buffer.from(min, 'utf8');
    const maxBytes = max === undefined ? undefined : Buffer.from(max, 'utf8');
    const fits = minBytes && maxBytes && minBytes.length <= STRING_STAT_MAX && maxBytes.length <= STRING_STAT_MAX;
    this.#min = fits ? minBytes : undefined;
    this.#max = fits ? maxBytes : undefined;
  }
}

/** Whether a sample of the values repeats at all (at most 90% distinct): only then is a dictionary tried, and kept if at most half the chunk's values are distinct. */
function repeats(v: ArrayLike<number | string | null>, n: number): boolean {
  if (n <= SAMPLE) return true;
  const seen = new Set<number | string | null>();
  const step = n / SAMPLE;
  for (let i = 0; i < SAMPLE; i++) seen.add(v[Math.floor(i * step)]);
  return seen.size <= SAMPLE * 0.9;
}

/** What collectNumbers found; one object, reused (read it before the next call). */
const collected = { k: 0, nulls: 0, min: Infinity, max: -Infinity, useDict: false };

/**
 * A numeric chunk's values in one pass: definition levels into `defs`, the non-null values into
 * `nums`, their dictionary indexes into `indexes` while `useDict` holds (at most half of them
 * distinct), and their bounds. The loops are functions of their own, apart from what runs once
 * after them: V8 compiles a long loop while it runs, and code after it that had not run yet was
 * thrown away when it first ran (every chunk, in the results thread).
 */
function collectNumbers(v: ArrayLike<number | null>, n: number, nullable: boolean, defs: Uint8Array, nums: Float64Array, indexes: Int32Array, dict: Map<number, number>, useDict: boolean): typeof collected {
  const limit = Math.max(1, n >> 1);
  let min = Infinity;
  let max = -Infinity;
  let k = 0;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    let x = v[i];
    if (x === null || x === undefined) {
      if (nullable) {
        defs[i] = 0;
        nulls++;
        continue;
      }
      x = 0;
    }
    defs[i] = 1;
    if (x < min) min = x;
    if (x > max) max = x;
    if (useDict) {
      // A Map holds -0 and 0 as one key: a chunk with -0 is written plain so the sign survives.
      if (x === 0 && 1 / x < 0) useDict = false;
      else {
        let d = dict.get(x);
        if (d === undefined) {
          if (dict.size >= limit) useDict = false;
          else dict.set(x, (d = dict.size));
        }
        indexes[k] = d ?? 0;
      }
    }
    nums[k++] = x;
  }
  collected.k = k;
  collected.nulls = nulls;
  collected.min = min;
  collected.max = max;
  collected.useDict = useDict;
  return collected;
}

/** A number as its PLAIN value: DOUBLE, or INT64 (counts, timestamps). */
function putNumber(b: Bytes, x: number, double: boolean): void {
  if (double) b.f64(x);
  else b.i64(x);
}

/** The first k of nums as PLAIN values. */
function plainNumbers(out: Bytes, nums: Float64Array, k: number, double: boolean): void {
  if (double) for (let j = 0; j < k; j++) out.f64(nums[j]);
  else for (let j = 0; j < k; j++) out.i64(nums[j]);
}

/** A PLAIN BYTE_ARRAY value: its UTF-8 length, then its bytes; returns the length. */
function plainString(out: Bytes, s: string): number {
  const at = out.len;
  out.u32(0);
  const bytes = out.utf8(s);
  out.buf.writeUInt32LE(bytes, at);
  return bytes;
}

/** Dictionary indexes as a data page's values: their bit width, then the RLE/bit-packed hybrid. */
function indexesOut(out: Bytes, indexes: Int32Array, k: number, size: number): void {
  const width = Math.max(1, 32 - Math.clz32(size - 1));
  out.u8(width);
  writeHybrid(out, indexes, k, width);
}

/** The least and greatest strings by their UTF-8 bytes (Parquet's order for UTF8 columns). */
function utf8Bounds(values: Iterable<string> | ArrayLike<string | null>, n: number, iterable: boolean): [string | undefined, string | undefined] {
  const all: string[] = iterable ? [...(values as Iterable<string>)] : Array.from({ length: n }, (_, i) => (values as ArrayLike<string | null>)[i]).filter((s): s is string => s !== null && s !== undefined);
  let min: string | undefined;
  let max: string | undefined;
  let minB: Buffer | undefined;
  let maxB: Buffer | undefined;
  for (const s of all) {
    const b = Buffer.from(s, 'utf8');
    if (!minB || Buffer.compare(b, minB) < 0) [min, minB] = [s, b];
    if (!maxB || Buffer.compare(b, maxB) > 0) [max, maxB] = [s, b];
  }
  return [min, max];
}
