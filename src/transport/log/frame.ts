import { crc32 } from '../../core/crc32.js';
import { copyRange } from '../../core/bytes.js';

/**
 * One record on the embedded log:
 *   u32 bodyLength | u32 crc32(body) | body
 *   body = f64 seq | f64 timestamp (send time, ms) | i32 keyLength (-1: null) | key | value
 * The CRC lets a reader stop cleanly at a record torn by a crash of the writer.
 *
 * Each write of frames starts with a batch header (as a Kafka record batch has one CRC):
 *   u32 BATCH_MARK | u32 length of the frames after it | u32 crc32 of those bytes
 * A reader that has the whole batch checks its CRC once and then decodes its frames without theirs
 * (a CRC per frame was 4-7% of the engine's time). The header is only a shortcut: when the batch is
 * not all there (still being written, torn by a crash and appended to after recovery) or its CRC
 * does not match, the frames are checked one by one as before, so a log without headers (an
 * earlier sat's) reads the same. No frame body is BATCH_MARK bytes long.
 */
export const HEADER = 8;
const FIXED = 20;
export const BATCH_MARK = 0xffffffff;
export const BATCH_HEADER = 12;

/** True when a batch header starts at `at` (its first four bytes are there). */
export const isBatchHeader = (buf: Buffer, at: number, end: number): boolean => end - at >= 4 && buf.readUInt32LE(at) === BATCH_MARK;

/** Fills in the batch header at `at` for the frames in buf[at + BATCH_HEADER, end). */
export function writeBatchHeader(buf: Buffer, at: number, end: number): void {
  buf.writeUInt32LE(BATCH_MARK, at);
  buf.writeUInt32LE(end - at - BATCH_HEADER, at + 4);
  buf.writeUInt32LE(crc32(buf, at + BATCH_HEADER, end), at + 8);
}

/** Where the batch whose header is at `at` ends, when all of it is in buf[.., end) and its CRC matches; else -1. */
export function verifiedBatchEnd(buf: Buffer, at: number, end: number): number {
  if (end - at < BATCH_HEADER) return -1;
  const to = at + BATCH_HEADER + buf.readUInt32LE(at + 4);
  if (to > end) return -1;
  return crc32(buf, at + BATCH_HEADER, to) === buf.readUInt32LE(at + 8) ? to : -1;
}

export interface LogRecord {
  partition: number;
  offset: number;
  seq: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array;
}

/** The bytes a frame of a key and value of these lengths takes (key length -1: none). */
export const frameBytes = (keyLength: number, valueLength: number): number => HEADER + FIXED + Math.max(keyLength, 0) + valueLength;

/**
 * Writes one frame into buf at `at` (room for frameBytes of it), its key and value copied from ranges
 * of larger buffers (key null: none); returns the position after it.
 */
export function writeFrame(buf: Buffer, at: number, seq: number, timestamp: number, key: Uint8Array | null, keyAt: number, keyLength: number, value: Uint8Array, valueAt: number, valueLength: number): number {
  const keyLen = key === null ? 0 : keyLength;
  buf.writeUInt32LE(FIXED + keyLen + valueLength, at);
  buf.writeDoubleLE(seq, at + 8);
  buf.writeDoubleLE(timestamp, at + 16);
  buf.writeInt32LE(key === null ? -1 : keyLength, at + 24);
  let p = at + HEADER + FIXED;
  if (key !== null) p = copyRange(buf, p, key, keyAt, keyLen);
  p = copyRange(buf, p, value, valueAt, valueLength);
  buf.writeUInt32LE(crc32(buf, at + HEADER, p), at + 4);
  return p;
}

export type Decoded = LogRecord | 'incomplete' | 'corrupt';

/** The size of the whole frame at `at` (header included), once checkFrame has found it complete. */
export function frameSize(buf: Buffer, at: number): number {
  return HEADER + buf.readUInt32LE(at);
}

/** checkFrame's answers. */
export const FRAME_COMPLETE = 1;
export const FRAME_INCOMPLETE = 0;
export const FRAME_CORRUPT = -1;

/**
 * Whether a whole, intact frame starts at `at` in buf[.., end): FRAME_INCOMPLETE when the bytes end
 * inside it (still being written). Inside a batch whose CRC was checked, its own CRC is not checked
 * again. No object is made: a reader reads the frame's fields where they lie (frameSeq, frameValueStart...).
 */
export function checkFrame(buf: Buffer, at: number, end: number, inVerifiedBatch = false): number {
  if (end - at < HEADER) return FRAME_INCOMPLETE;
  const body = buf.readUInt32LE(at);
  if (body < FIXED) return FRAME_CORRUPT;
  if (end - at < HEADER + body) return FRAME_INCOMPLETE;
  if (!inVerifiedBatch && crc32(buf, at + HEADER, at + HEADER + body) !== buf.readUInt32LE(at + 4)) return FRAME_CORRUPT;
  return FRAME_COMPLETE;
}

/** The fields of a complete frame at `at`, read where they lie. */
export const frameSeq = (buf: Buffer, at: number): number => buf.readDoubleLE(at + 8);
export const frameTimestamp = (buf: Buffer, at: number): number => buf.readDoubleLE(at + 16);
export const frameValueStart = (buf: Buffer, at: number): number => at + 28 + Math.max(0, buf.readInt32LE(at + 24));
export const frameEnd = (buf: Buffer, at: number): number => at + frameSize(buf, at);

/** The complete frame at `at` as one record object (key and value are views of `buf`, no copy). */
export function frameRecord(buf: Buffer, at: number, partition: number, offset: number): LogRecord {
  const valueStart = frameValueStart(buf, at);
  // A plain Uint8Array view: a third of what a Buffer's subarray costs to make, per record.
  return new Frame(partition, offset, frameSeq(buf, at), frameTimestamp(buf, at), buf, at + 28, buf.readInt32LE(at + 24), new Uint8Array(buf.buffer, buf.byteOffset + valueStart, frameEnd(buf, at) - valueStart));
}

/** The frame at `at` as a record object, or why there is none: checkFrame, then frameRecord. */
export function decodeFrame(buf: Buffer, at: number, end: number, partition: number, offset: number, inVerifiedBatch = false): Decoded {
  const c = checkFrame(buf, at, end, inVerifiedBatch);
  return c === FRAME_COMPLETE ? frameRecord(buf, at, partition, offset) : c === FRAME_INCOMPLETE ? 'incomplete' : 'corrupt';
}

/** A decoded record whose key is viewed only when asked for: the engine reads values alone, and a view per frame costs. */
class Frame implements LogRecord {
  constructor(
    readonly partition: number,
    readonly offset: number,
    readonly seq: number,
    readonly timestamp: number,
    readonly buf: Buffer,
    /** Where the key starts in buf. */
    readonly keyStart: number,
    readonly keyLength: number,
    readonly value: Uint8Array,
  ) {}

  get key(): Uint8Array | null {
    return this.keyLength < 0 ? null : this.buf.subarray(this.keyStart, this.keyStart + this.keyLength);
  }
}
