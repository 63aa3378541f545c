import { readJson, UsageError } from '../../core/errors.js';
import { writeAll, writeFileNamed } from '../../core/fs-errors.js';
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH_HEADER, decodeFrame, frameBytes, frameSize, isBatchHeader, writeBatchHeader, writeFrame } from './frame.js';

export interface LogMeta {
  partitions: number;
  created: string;
}

/**
 * A partition's frames are written out, as one batch, once this many bytes wait (and at every
 * flush): a batch fits a reader's 1 MB chunk, so its CRC is checked once (see frame.ts).
 */
const PENDING_MAX = 1 << 18;

export const partitionFile = (dir: string, p: number) => join(dir, `partition-${p}.log`);
export const metaFile = (dir: string) => join(dir, 'meta.json');
export const doneFile = (dir: string) => join(dir, 'DONE');

/**
 * Append-only, partitioned log on disk. Frames are buffered and written in batches; a torn tail left
 * by a crashed writer is cut off when the log is opened again, so earlier records stay intact.
 */
export class LogWriter {
  readonly #fds: number[] = [];
  /** Each partition's frames not yet written: written into its buffer as they are appended. */
  readonly #pending: Buffer[] = [];
  readonly #pendingBytes: number[] = [];
  readonly #offsets: number[] = [];

  constructor(readonly dir: string, readonly partitions: number) {
    mkdirSync(dir, { recursive: true });
    if (existsSync(metaFile(dir))) {
      const meta = readJson<LogMeta>(metaFile(dir), (x) => readFileSync(x, 'utf8'));
      if (meta.partitions !== partitions) {
        throw new UsageError(`the log in ${dir} has ${meta.partitions} partitions, not ${partitions}`);
      }
    } else {
      writeFileNamed(metaFile(dir), JSON.stringify({ partitions, created: new Date().toISOString() } satisfies LogMeta));
    }
    for (let p = 0; p < partitions; p++) {
      const fd = openSync(partitionFile(dir, p), 'a+');
      this.#offsets.push(recover(fd));
      this.#fds.push(fd);
      this.#pending.push(Buffer.allocUnsafe(0));
      this.#pendingBytes.push(0);
    }
  }

  /** Buffers one record; returns its offset in the partition. */
  append(partition: number, seq: number, timestamp: number, key: Uint8Array | null, value: Uint8Array): number {
    return this.appendRange(partition, seq, timestamp, key, 0, key?.length ?? 0, value, 0, value.length);
  }

  /** Buffers one record whose key and value are ranges of larger buffers (key null: none); returns its offset. */
  appendRange(partition: number, seq: number, timestamp: number, key: Uint8Array | null, keyAt: number, keyLength: number, value: Uint8Array, valueAt: number, valueLength: number): number {
    const need = frameBytes(key === null ? -1 : keyLength, valueLength) + BATCH_HEADER;
    // A batch's first frame goes after the room for its header (filled in when it is written out).
    let at = this.#pendingBytes[partition] || BATCH_HEADER;
    let buf = this.#pending[partition];
    if (at + need > buf.length) {
      // Written out once it holds a MB; until then it grows (a partition that gets few records keeps a small buffer).
      if (buf.length >= PENDING_MAX) {
        this.#flushPartition(partition);
        at = BATCH_HEADER;
      }
      if (at + need > buf.length) {
        const grown = Buffer.allocUnsafe(Math.max(at + need, Math.min(PENDING_MAX, buf.length * 2), 1 << 16));
        buf.copy(grown, 0, 0, at);
        buf = this.#pending[partition] = grown;
      }
    }
    this.#pendingBytes[partition] = writeFrame(buf, at, seq, timestamp, key, keyAt, keyLength, value, valueAt, valueLength);
    return this.#offsets[partition]++;
  }

  flush(): void {
    for (let p = 0; p < this.partitions; p++) this.#flushPartition(p);
  }

  #flushPartition(p: number): void {
    if (this.#pendingBytes[p] === 0) return;
    writeBatchHeader(this.#pending[p], 0, this.#pendingBytes[p]);
    writeAll(this.#fds[p], this.#pending[p].subarray(0, this.#pendingBytes[p]), partitionFile(this.dir, p));
    this.#pendingBytes[p] = 0;
  }

  /** Marks the log complete: a reader that has caught up may stop. */
  finish(): void {
    this.flush();
    // Written aside and renamed into place: a reader following the log (sat run beside replay) that
    // saw the marker half-written failed on it ("Unexpected end of JSON input", once in CI).
    const done = doneFile(this.dir);
    writeFileNamed(`${done}.tmp`, JSON.stringify({ offsets: this.#offsets, finished: new Date().toISOString() }));
    renameSync(`${done}.tmp`, done);
  }

  close(): void {
    this.flush();
    for (const fd of this.#fds) closeSync(fd);
  }
}

/**
 * Counts the intact frames of a partition and truncates anything after the last one (a torn frame,
 * a batch header with no frame after it). Each frame is checked by its own CRC: a torn batch keeps
 * its intact frames, and its header's CRC then fails, so readers check them one by one.
 */
function recover(fd: number): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const buf = Buffer.alloc(size);
  let read = 0;
  while (read < size) read += readSync(fd, buf, read, size - read, read);
  let at = 0;
  let intact = 0;
  let count = 0;
  for (;;) {
    if (isBatchHeader(buf, at, size)) {
      if (size - at < BATCH_HEADER) break;
      at += BATCH_HEADER;
      continue;
    }
    const d = decodeFrame(buf, at, size, 0, count);
    if (typeof d === 'string') break;
    at += frameSize(buf, at);
    intact = at;
    count++;
  }
  if (intact < size) ftruncateSync(fd, intact);
  return count;
}


