import { compressionsAlgorithms, crc32c, IS_TRANSACTIONAL } from '@platformatic/kafka';

/** A record as the producer hands it to its Produce request (bytes already serialised). */
export interface BatchMessage {
  key?: Uint8Array | null;
  value?: Uint8Array | null;
  headers?: Map<Uint8Array, Uint8Array>;
  timestamp?: bigint | number;
}

export interface BatchOptions {
  compression?: string;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
}

/** Bytes from the batch's start to its records: offset, length, epoch, magic, crc, attributes ... count. */
export const HEADER = 61;
/** Where the CRC'd part begins (attributes), and where the CRC itself sits. */
const CRC_FROM = 21;
const CRC_AT = 17;

let scratch = Buffer.allocUnsafe(1 << 20);
let at = 0;

/**
 * Kafka's record batch (magic 2) for one partition, written in one pass into one reused buffer: the
 * client's own encoder builds a Writer, DynamicBuffers and BigInts per record (half of a replay's
 * produce time went there). The bytes are the same as the client's (`test/transport/record-batch.test.ts`),
 * except that the leader epoch is -1, as the Java producer sends it (the broker sets it).
 */
export function encodeRecordBatch(messages: readonly BatchMessage[], o: BatchOptions): Buffer {
  const now = Date.now();
  beginBatch();
  // Messages often share one headers Map: encoded once for a run of them.
  let lastHeaders: BatchMessage['headers'];
  let encoded: EncodedHeaders = NO_HEADERS;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const key = m.key ?? null;
    const value = m.value ?? null;
    const ts = m.timestamp === undefined ? now : Number(m.timestamp);
    if (m.headers !== lastHeaders) {
      lastHeaders = m.headers;
      // The client's producer hands each message a Map of its own, mostly empty: nothing to encode then.
      encoded = m.headers && m.headers.size > 0 ? encodeHeaders(m.headers) : NO_HEADERS;
    }
    const s = startRecord(ts, key === null ? -1 : key.length, value === null ? -1 : value.length, encoded);
    if (key !== null) scratch.set(key, s.key);
    if (value !== null) scratch.set(value, s.value);
  }
  return finishBatch(o);
}

/** The batch being written: its record count and first and largest timestamps. */
let count = 0;
let first = 0;
let max = 0;

/** Starts a batch in the scratch buffer (one at a time). */
export function beginBatch(): void {
  at = HEADER;
  count = 0;
}

/** Where startRecord left room for the key's and the value's bytes. */
const slots = { key: 0, value: 0 };

/**
 * Appends a record's framing (length, delta timestamp and offset, key and value lengths, headers) and
 * leaves room for its key's and value's bytes at the returned positions of `batchScratch()`: the
 * caller copies them straight from wherever they are (a packed buffer), with no view per record.
 * Lengths of -1 are null; the headers come encoded (`encodeHeaders`), made once for many records.
 */
export function startRecord(ts: number, keyLength: number, valueLength: number, encoded: EncodedHeaders = NO_HEADERS): { key: number; value: number } {
  if (count === 0) first = max = ts;
  else if (ts > max) max = ts;
  const i = count++;
  const size = 1 + zigzagSize(ts - first) + zigzagSize(i) + lengthSize(keyLength) + lengthSize(valueLength) + Math.max(keyLength, 0) + Math.max(valueLength, 0) + encoded.length;
  room(size + 5);
  writeZigzag(size);
  scratch[at++] = 0;
  writeZigzag(ts - first);
  writeZigzag(i);
  writeZigzag(keyLength);
  slots.key = at;
  if (keyLength > 0) at += keyLength;
  writeZigzag(valueLength);
  slots.value = at;
  if (valueLength > 0) at += valueLength;
  for (let k = 0; k < encoded.length; k++) scratch[at++] = encoded[k];
  return slots;
}

/** A record's headers as they are written (their count, then each key and value with its length): made once, written into many records. */
export type EncodedHeaders = Uint8Array;

const NO_HEADERS: EncodedHeaders = new Uint8Array([0]);

export function encodeHeaders(headers: ReadonlyMap<Uint8Array, Uint8Array>): EncodedHeaders {
  const saved = scratch;
  const savedAt = at;
  // Written through the same helpers, into a buffer of its own.
  scratch = Buffer.allocUnsafe(64);
  at = 0;
  let size = zigzagSize(headers.size);
  for (const [hk, hv] of headers) size += bytesSize(hk) + bytesSize(hv);
  room(size);
  writeZigzag(headers.size);
  for (const [hk, hv] of headers) {
    writeBytes(hk);
    writeBytes(hv);
  }
  const out = Buffer.from(scratch.subarray(0, at));
  scratch = saved;
  at = savedAt;
  return out;
}

/** Kafka's sequence numbers wrap to 0 after 2^31 - 1 (as the Java producer's DefaultRecordBatch.incrementSequence). */
export const nextSequence = (seq: number, n: number) => (seq > 0x7fffffff - n ? n - (0x7fffffff - seq) - 1 : seq + n);

/** The buffer startRecord's positions are in (it may be replaced as it grows: ask after each call). */
export const batchScratch = (): Buffer => scratch;

/** Closes the batch begun last: compresses its records, fills in the header and the CRC. */
export function finishBatch(o: BatchOptions): Buffer {
  if (count === 0) first = max = Date.now();
  let attributes = o.transactional ? IS_TRANSACTIONAL : 0;
  let out: Buffer;
  const compression = o.compression ?? 'none';
  if (compression !== 'none') {
    const algorithm = (compressionsAlgorithms as Record<string, { bitmask: number; compressSync(b: Buffer): Buffer }>)[compression];
    if (!algorithm) throw new Error(`unsupported compression ${compression}`);
    attributes |= algorithm.bitmask;
    const packed = algorithm.compressSync(scratch.subarray(HEADER, at));
    out = Buffer.allocUnsafe(HEADER + packed.length);
    packed.copy(out, HEADER);
  } else {
    out = Buffer.allocUnsafe(at);
    scratch.copy(out, HEADER, HEADER, at);
  }
  out.writeBigInt64BE(0n, 0);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt32BE(-1, 12);
  out.writeInt8(2, 16);
  out.writeInt16BE(attributes, 21);
  out.writeInt32BE(count - 1, 23);
  out.writeBigInt64BE(BigInt(first), 27);
  out.writeBigInt64BE(BigInt(max), 35);
  out.writeBigInt64BE(o.producerId ?? -1n, 43);
  out.writeInt16BE(o.producerEpoch ?? -1, 51);
  out.writeInt32BE(o.baseSequence ?? -1, 53);
  out.writeInt32BE(count, 57);
  out.writeUInt32BE(crc32c(out.subarray(CRC_FROM)), CRC_AT);
  return out;
}

function room(n: number): void {
  if (at + n <= scratch.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(scratch.length * 2, at + n));
  scratch.copy(bigger, 0, 0, at);
  scratch = bigger;
}

const zigzagSize = (v: number): number => varintSize(v >= 0 ? v * 2 : -v * 2 - 1);

function varintSize(u: number): number {
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

const bytesSize = (b: Uint8Array | null): number => (b === null ? 1 : zigzagSize(b.length) + b.length);
const lengthSize = (n: number): number => (n < 0 ? 1 : zigzagSize(n));

/** A signed varint (zigzag), exact up to 2^52 (timestamps deltas, lengths). */
function writeZigzag(v: number): void {
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  while (u >= 0x80) {
    scratch[at++] = (u & 0x7f) | 0x80;
    u = Math.floor(u / 128);
  }
  scratch[at++] = u;
}

function writeBytes(b: Uint8Array | null): void {
  if (b === null) {
    writeZigzag(-1);
    return;
  }
  writeZigzag(b.length);
  scratch.set(b, at);
  at += b.length;
}
