import { compressionsAlgorithms, crc32c } from '@platformatic/kafka';

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

const IS_TRANSACTIONAL = 1 << 4;
/** Bytes from the batch's start to its records: offset, length, epoch, magic, crc, attributes ... count. */
const HEADER = 61;
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
  const first = messages.length > 0 && messages[0].timestamp !== undefined ? Number(messages[0].timestamp) : now;
  let max = first;
  at = HEADER;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const ts = m.timestamp === undefined ? now : Number(m.timestamp);
    if (ts > max) max = ts;
    const key = m.key ?? null;
    const value = m.value ?? null;
    // The record's length comes first: measure, then write.
    let size = 1 + zigzagSize(ts - first) + zigzagSize(i) + bytesSize(key) + bytesSize(value) + zigzagSize(m.headers?.size ?? 0);
    if (m.headers) for (const [hk, hv] of m.headers) size += bytesSize(hk) + bytesSize(hv);
    room(size + 5);
    writeZigzag(size);
    scratch[at++] = 0;
    writeZigzag(ts - first);
    writeZigzag(i);
    writeBytes(key);
    writeBytes(value);
    writeZigzag(m.headers?.size ?? 0);
    if (m.headers) {
      for (const [hk, hv] of m.headers) {
        writeBytes(hk);
        writeBytes(hv);
      }
    }
  }
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
  out.writeInt32BE(messages.length - 1, 23);
  out.writeBigInt64BE(BigInt(first), 27);
  out.writeBigInt64BE(BigInt(max), 35);
  out.writeBigInt64BE(o.producerId ?? -1n, 43);
  out.writeInt16BE(o.producerEpoch ?? -1, 51);
  out.writeInt32BE(o.baseSequence ?? -1, 53);
  out.writeInt32BE(messages.length, 57);
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
