import { lz4Decompress, snappyDecompress } from '@platformatic/wasm-utils';
import zlib, { gunzipSync } from 'node:zlib';
import { viewOf } from '../../core/bytes.js';
import type { ScanColumns } from '../../engine/scan-record.js';
import { HEADER_END, HEADER_SEND_TIME } from '../types.js';
import type { FetchedRecord } from './aborted-filter.js';
import { KafkaError } from './errors.js';
import { decimalOf } from './headers.js';

// A fetched data batch's records read from its bytes. Nothing here loads the Kafka client: the
// member's fetch decoding thread (engine/kafka/fetch-decode-worker.ts) runs it.

/** A fetched record as the member reads it: its offset in its batch, value, and sat's headers. */
export interface RecordOut {
  offsetDelta: number;
  /**
   * The bytes its value lies in, at [from, to) (undefined: a null value). A view of the value is
   * made only where one is needed (valueOf): one per record was a tenth of the member's allocations.
   */
  bytes: Uint8Array | undefined;
  from: number;
  to: number;
  sendTime?: number;
  endMark?: string;
  /** Where the byte scanner's walk ran already (the fetch decoding thread): its columns, and the record's base in them (-1: the walk refused it); the positions are in `bytes`. */
  cols?: ScanColumns;
  at?: number;
}

export const emptyRecordOut = (): RecordOut => ({ offsetDelta: 0, bytes: undefined, from: 0, to: 0 });

/** The record's value as a view (undefined: null). */
export const valueOf = (r: RecordOut): Uint8Array | undefined => r.bytes && viewOf(r.bytes, r.from, r.to);

/** A batch's records, read one at a time; `back` steps back over the last one read. */
export interface RecordCursor {
  /** The records the batch's header counts. */
  readonly count: number;
  /** False while the records are being decoded elsewhere (the fetch decoding thread): next() must wait. */
  readonly ready: boolean;
  next(out: RecordOut): boolean;
  back(): void;
}

/**
 * A data batch's records read from its bytes as they are taken, with no object per record: the
 * client's parse makes a record object, a key and a value buffer, a header array and a BigInt
 * timestamp of each (record format v2: varint length, attributes, timestamp and offset deltas, key,
 * value, headers).
 */
export class BatchRecords implements RecordCursor {
  readonly ready = true;
  #pos = 0;
  #last = 0;
  #read = 0;
  /** The same bytes as a plain Uint8Array (a value's view of it, where one is made, costs less than a Buffer's). */
  readonly #bytes: Uint8Array;

  constructor(
    readonly data: Buffer,
    readonly count: number,
  ) {
    this.#bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
  }

  next(out: RecordOut): boolean {
    if (this.#read === this.count || this.#pos >= this.data.length) return false;
    try {
      return this.#next(out);
    } catch (e) {
      // The broker checked the batch's CRC when it was written; bytes that still do not parse are not
      // something a retry fixes (Java's consumer throws CorruptRecordException).
      throw new KafkaError(`a fetched record batch is malformed at record ${this.#read + 1} of ${this.count}: ${(e as Error).message}`, false);
    }
  }

  #next(out: RecordOut): boolean {
    const b = this.data;
    this.#last = this.#pos;
    let p = this.#pos;
    const length = zigzag(varint(b, p));
    p = varintEnd;
    const end = p + length;
    p++; // attributes
    while (b[p++] & 0x80); // timestamp delta: not needed
    out.offsetDelta = zigzag(varint(b, p));
    p = varintEnd;
    const keyLength = zigzag(varint(b, p));
    p = varintEnd + Math.max(keyLength, 0);
    const valueLength = zigzag(varint(b, p));
    p = varintEnd;
    if (valueLength < 0) out.bytes = undefined;
    else {
      out.bytes = this.#bytes;
      out.from = p;
      out.to = p + valueLength;
    }
    p += Math.max(valueLength, 0);
    out.sendTime = undefined;
    out.endMark = undefined;
    out.cols = undefined;
    let headers = zigzag(varint(b, p));
    p = varintEnd;
    while (headers-- > 0) {
      const kl = zigzag(varint(b, p));
      const k = varintEnd;
      const vl = zigzag(varint(b, k + Math.max(kl, 0)));
      const v = varintEnd;
      p = v + Math.max(vl, 0);
      if (vl < 0) continue;
      if (same(b, k, kl, SEND_TIME)) out.sendTime = decimalOf(b, v, v + vl);
      else if (same(b, k, kl, END)) out.endMark = b.toString('utf8', v, v + vl);
    }
    if (p !== end || end > b.length) throw new RangeError(p > end || end > b.length ? 'a record runs past its length' : 'a record has bytes after its headers');
    this.#pos = end;
    this.#read++;
    return true;
  }

  back(): void {
    this.#pos = this.#last;
    this.#read--;
  }
}

/** The client's parsed records (a broker without Fetch v15–17), read the same way. */
export class ParsedRecords implements RecordCursor {
  readonly ready = true;
  #i = 0;
  constructor(readonly records: FetchedRecord[]) {}

  get count(): number {
    return this.records.length;
  }

  next(out: RecordOut): boolean {
    const r = this.records[this.#i];
    if (r === undefined) return false;
    this.#i++;
    out.offsetDelta = r.offsetDelta;
    out.bytes = r.value ?? undefined;
    out.from = 0;
    out.to = r.value?.length ?? 0;
    out.sendTime = undefined;
    out.endMark = undefined;
    out.cols = undefined;
    for (const [k, v] of r.headers) {
      if (!k || !v) continue;
      if (same(k, 0, k.length, SEND_TIME)) out.sendTime = decimalOf(v, 0, v.length);
      else if (same(k, 0, k.length, END)) out.endMark = v.toString();
    }
    return true;
  }

  back(): void {
    this.#i--;
  }
}

/** A data batch's records as fetched (compressed or not): decoded where they are taken (batchRecords, or the fetch decoding thread). */
export interface EncodedRecords {
  body: Buffer;
  /** The batch's compression bits (attributes & IS_COMPRESSED). */
  compression: number;
  /** The records its header counts. */
  count: number;
}

/**
 * Decompressors by a batch's compression bits, as the client's own (compression.js): its lz4 and
 * snappy (wasm-utils), Node's gzip and zstd. Here rather than the client's so that a thread that
 * decodes batches does not load the client (~300 ms and ~0.5 s of CPU).
 */
const DECOMPRESS: Record<number, ((b: Buffer) => Buffer) | undefined> = {
  1: (b) => gunzipSync(b),
  2: (b) => snappyDecompress(b),
  3: (b) => lz4Decompress(b),
  4: (zlib as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync,
};

/** Whether a batch's compression bits name a codec this Node and sat read. */
export const knownCompression = (compression: number): boolean => compression === 0 || DECOMPRESS[compression] !== undefined;

/** A data batch's records, decompressed here. */
export function batchRecords(e: EncodedRecords): BatchRecords {
  return new BatchRecords(e.compression === 0 ? e.body : DECOMPRESS[e.compression]!(e.body), e.count);
}

const SEND_TIME = Buffer.from(HEADER_SEND_TIME);
const END = Buffer.from(HEADER_END);

function same(b: Buffer, at: number, length: number, name: Buffer): boolean {
  if (length !== name.length) return false;
  for (let i = 0; i < length; i++) if (b[at + i] !== name[i]) return false;
  return true;
}

/** Where the last varint read ended (a module variable: no tuple per varint). */
let varintEnd = 0;

/** An unsigned varint of up to 32 bits at `p`; sets varintEnd. */
function varint(b: Buffer, p: number): number {
  let v = 0;
  let shift = 0;
  for (;;) {
    const c = b[p++];
    if (c === undefined) throw new RangeError('a record runs past its batch');
    v |= (c & 0x7f) << shift;
    if ((c & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) throw new RangeError('a record varint is longer than 5 bytes');
  }
  varintEnd = p;
  return v >>> 0;
}

function zigzag(n: number): number {
  return (n >>> 1) ^ -(n & 1);
}

