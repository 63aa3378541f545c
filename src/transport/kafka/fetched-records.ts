import { compressionsAlgorithmsByBitmask, createAPI, fetchV15, fetchV16, fetchV17, IS_COMPRESSED, IS_CONTROL, Reader, readRecordsBatch, ResponseError } from '@platformatic/kafka';
import { HEADER_END, HEADER_SEND_TIME } from '../types.js';
import type { FetchedBatch, FetchedRecord } from './aborted-filter.js';
import { KafkaError } from './errors.js';
import { decimalOf } from './headers.js';
import { HEADER } from './record-batch.js';

/** firstOffset (8) and length (4): the part of a batch its length does not count. */
const BATCH_HEAD = 12;

/** A fetched record as the member reads it: its offset in its batch, value, and sat's headers. */
export interface RecordOut {
  offsetDelta: number;
  value: Uint8Array | undefined;
  sendTime?: number;
  endMark?: string;
}

/** A batch's records, read one at a time; `back` steps back over the last one read. */
export interface RecordCursor {
  readonly count: number;
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
  #pos = 0;
  #last = 0;
  #read = 0;
  /** The same bytes as a plain Uint8Array: its views cost less to make than a Buffer's. */
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
    out.value = valueLength < 0 ? undefined : this.#bytes.subarray(p, p + valueLength);
    p += Math.max(valueLength, 0);
    out.sendTime = undefined;
    out.endMark = undefined;
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
    out.value = r.value ?? undefined;
    out.sendTime = undefined;
    out.endMark = undefined;
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

/** A data batch as sat's Fetch parse leaves it: the header fields the client's stream and the aborted filter read, its records as bytes. */
export interface RawBatch extends FetchedBatch {
  raw?: BatchRecords;
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

/**
 * The record batches of a partition's fetched bytes: data batches keep their records as bytes
 * (`raw`), control batches (transaction markers, rare) are parsed by the client. A batch cut short
 * at the end of the response (the fetch's byte limit) is left out, as the client leaves it.
 */
export function readBatches(bytes: Buffer): RawBatch[] {
  const batches: RawBatch[] = [];
  let p = 0;
  while (bytes.length - p >= BATCH_HEAD && bytes.length - p - BATCH_HEAD >= bytes.readInt32BE(p + 8)) {
    const length = bytes.readInt32BE(p + 8);
    const attributes = bytes.readInt16BE(p + 21);
    if (attributes & IS_CONTROL) {
      batches.push(readRecordsBatch(Reader.from(bytes.subarray(p, p + BATCH_HEAD + length))) as unknown as RawBatch);
    } else {
      const count = bytes.readInt32BE(p + 57);
      const body = bytes.subarray(p + HEADER, p + BATCH_HEAD + length);
      const compression = attributes & IS_COMPRESSED;
      let data = body;
      if (compression !== 0) {
        const algorithm = (compressionsAlgorithmsByBitmask as Record<number, { decompressSync(b: Buffer): Buffer } | undefined>)[compression];
        if (!algorithm) throw new RangeError(`a fetched batch has compression ${compression}, which the client does not know`);
        data = algorithm.decompressSync(body);
      }
      batches.push({
        firstOffset: bytes.readBigInt64BE(p),
        lastOffsetDelta: bytes.readInt32BE(p + 23),
        partitionLeaderEpoch: bytes.readInt32BE(p + 12),
        producerId: bytes.readBigInt64BE(p + 43),
        attributes,
        records: [],
        raw: new BatchRecords(data, count),
      });
    }
    p += BATCH_HEAD + length;
  }
  return batches;
}

type ParseReader = InstanceType<typeof Reader>;

/** Fetch v15–17's response (one format), as the client parses it but for the records (readBatches). */
function parseResponse(_correlationId: number, apiKey: number, apiVersion: number, reader: ParseReader): unknown {
  const errors: [string, [number, null]][] = [];
  const throttleTimeMs = reader.readInt32();
  const errorCode = reader.readInt16();
  if (errorCode !== 0) errors.push(['', [errorCode, null]]);
  const response = {
    throttleTimeMs,
    errorCode,
    sessionId: reader.readInt32(),
    responses: reader.readArray((r: ParseReader, i: number) => ({
      topicId: r.readUUID(),
      partitions: r.readArray((r: ParseReader, j: number) => {
        const partition: Record<string, unknown> = {
          partitionIndex: r.readInt32(),
          errorCode: r.readInt16(),
          highWatermark: r.readInt64(),
          lastStableOffset: r.readInt64(),
          logStartOffset: r.readInt64(),
          abortedTransactions: r.readArray((r: ParseReader) => ({ producerId: r.readInt64(), firstOffset: r.readInt64() })),
          preferredReadReplica: r.readInt32(),
        };
        if (partition.errorCode !== 0) errors.push([`/responses/${i}/partitions/${j}`, [partition.errorCode as number, null]]);
        // COMPACT_RECORDS: the size is one more than the bytes.
        const recordsSize = r.readUnsignedVarInt() - 1;
        if (recordsSize > 0) {
          partition.records = readBatches(r.buffer.slice(r.position, r.position + recordsSize));
          r.skip(recordsSize);
        }
        return partition;
      }),
    })),
  };
  if (errors.length) throw new ResponseError(apiKey, apiVersion, Object.fromEntries(errors), response);
  return response;
}

const rawApis = new Map<number, unknown>([
  [15, createAPI(1, 15, fetchV15.createRequest, parseResponse as never)],
  [16, createAPI(1, 16, fetchV16.createRequest, parseResponse as never)],
  [17, createAPI(1, 17, fetchV17.createRequest, parseResponse as never)],
]);

/** sat's Fetch API in place of the client's one of the same version (v15–17, one response format), or undefined for another version. */
export function rawFetchApi(version: number): ((...args: unknown[]) => void) | undefined {
  return rawApis.get(version) as ((...args: unknown[]) => void) | undefined;
}
