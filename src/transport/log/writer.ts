import { readJson, UsageError } from '../../core/errors.js';
import { writeAll, writeFileNamed } from '../../core/fs-errors.js';
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFrame, encodeFrame, frameSize } from './frame.js';

export interface LogMeta {
  partitions: number;
  created: string;
}

export const partitionFile = (dir: string, p: number) => join(dir, `partition-${p}.log`);
export const metaFile = (dir: string) => join(dir, 'meta.json');
export const doneFile = (dir: string) => join(dir, 'DONE');

/**
 * Append-only, partitioned log on disk. Frames are buffered and written in batches; a torn tail left
 * by a crashed writer is cut off when the log is opened again, so earlier records stay intact.
 */
export class LogWriter {
  readonly #fds: number[] = [];
  readonly #pending: Buffer[][] = [];
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
      this.#pending.push([]);
      this.#pendingBytes.push(0);
    }
  }

  /** Buffers one record; returns its offset in the partition. */
  append(partition: number, seq: number, timestamp: number, key: Uint8Array | null, value: Uint8Array): number {
    const frame = encodeFrame(seq, timestamp, key, value);
    this.#pending[partition].push(frame);
    this.#pendingBytes[partition] += frame.length;
    if (this.#pendingBytes[partition] > 1 << 20) this.#flushPartition(partition);
    return this.#offsets[partition]++;
  }

  flush(): void {
    for (let p = 0; p < this.partitions; p++) this.#flushPartition(p);
  }

  #flushPartition(p: number): void {
    if (this.#pending[p].length === 0) return;
    writeAll(this.#fds[p], Buffer.concat(this.#pending[p]), partitionFile(this.dir, p));
    this.#pending[p] = [];
    this.#pendingBytes[p] = 0;
  }

  /** Marks the log complete: a reader that has caught up may stop. */
  finish(): void {
    this.flush();
    writeFileNamed(doneFile(this.dir), JSON.stringify({ offsets: this.#offsets, finished: new Date().toISOString() }));
  }

  close(): void {
    this.flush();
    for (const fd of this.#fds) closeSync(fd);
  }
}

/** Counts the intact frames of a partition and truncates anything after them. */
function recover(fd: number): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const buf = Buffer.alloc(size);
  let read = 0;
  while (read < size) read += readSync(fd, buf, read, size - read, read);
  let at = 0;
  let count = 0;
  for (;;) {
    const d = decodeFrame(buf, at, size, 0, count);
    if (typeof d === 'string') break;
    at += frameSize(buf, at);
    count++;
  }
  if (at < size) ftruncateSync(fd, at);
  return count;
}


