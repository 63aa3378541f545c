import { closeSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsError } from '../../core/fs-errors.js';
import type { Outgoing, SpilledBytes } from '../convert.js';

/**
 * Replay's read records on disk instead of in memory: each record a frame of its fields
 * (row, event time, key, id, problem, payload), appended in file order while the source is read,
 * then read back in event-time order, sequentially when the file was in order already, or record
 * by record at remembered offsets when it was not. Memory stays a few bytes per record.
 *
 * The spill is a run of segment files (`PATH`, `PATH.1`, ...; 1 GiB each, a frame never split), one
 * byte stream whose offsets run on across them. Read sequentially, each segment is deleted once read
 * past, so the spill shrinks as the log it feeds grows: a replay needs disk for the log and the
 * ledger, not also for a whole copy of its input (100M events: ~30 GB less at the peak).
 */
const FIXED = 4 + 8 + 8 + 4 * 4; // frame length, row, event time, four string lengths
const NONE = 0xffffffff; // a null string

const SEGMENT_BYTES = 2 ** 30;
/** Bytes read at a time in order (a new buffer each time: the records read view it). */
const FILL_BYTES = 1 << 20;

/** Segment i's file. */
const segmentPath = (path: string, i: number) => (i === 0 ? path : `${path}.${i}`);

export class SpillWriter {
  #fd: number;
  #buf = Buffer.allocUnsafe(1 << 20);
  #at = 0;
  /** Bytes written so far: the next record's offset. */
  size = 0;
  /** Where each segment starts, in the spill's offsets. */
  readonly segments: number[] = [0];

  constructor(
    readonly path: string,
    readonly segmentBytes = SEGMENT_BYTES,
  ) {
    this.#fd = openSync(path, 'w');
  }

  /** Appends a record; returns its offset. */
  add(o: Outgoing): number {
    const key = o.key;
    const id = o.id;
    const problem = o.problem ?? null;
    const need = FIXED + 3 * (o.payload.length + (key?.length ?? 0) + (id?.length ?? 0) + (problem?.length ?? 0));
    if (this.size - this.segments[this.segments.length - 1] >= this.segmentBytes) this.#nextSegment();
    if (this.#at + need > this.#buf.length) {
      this.#flush();
      if (need > this.#buf.length) this.#buf = Buffer.allocUnsafe(need * 2);
    }
    const b = this.#buf;
    const start = this.#at;
    let p = start + FIXED;
    const str = (s: string | null, lenAt: number) => {
      if (s === null) return void b.writeUInt32LE(NONE, lenAt);
      const n = b.write(s, p, 'utf8');
      b.writeUInt32LE(n, lenAt);
      p += n;
    };
    b.writeDoubleLE(o.row, start + 4);
    b.writeDoubleLE(o.eventTime ?? NaN, start + 12);
    str(key, start + 20);
    str(id, start + 24);
    str(problem, start + 28);
    str(o.payload, start + 32);
    b.writeUInt32LE(p - start, start);
    this.#at = p;
    const offset = this.size;
    this.size += p - start;
    return offset;
  }

  #flush(): void {
    let done = 0;
    try {
      while (done < this.#at) done += writeSync(this.#fd, this.#buf, done, this.#at - done);
    } catch (e) {
      throw fsError(e, this.path);
    }
    this.#at = 0;
  }

  /** The next frame starts a new segment file. */
  #nextSegment(): void {
    this.#flush();
    closeSync(this.#fd);
    this.segments.push(this.size);
    const file = segmentPath(this.path, this.segments.length - 1);
    try {
      this.#fd = openSync(file, 'w');
    } catch (e) {
      throw fsError(e, file);
    }
  }

  close(): void {
    this.#flush();
    closeSync(this.#fd);
  }
}

/**
 * A record read back from the spill: its payload's, key's and id's bytes are ranges of `src` (the read
 * buffer, or the frame's own copy when read at random; length -1: none), so reading it makes one
 * object. Their text, and views of them, are made only when asked for (the send path packs and the
 * ledger writes the ranges).
 */
class SpilledRecord implements Outgoing, SpilledBytes {
  #payload: string | undefined;
  #key: string | null | undefined;
  #id: string | null | undefined;
  constructor(
    readonly row: number,
    readonly eventTime: number | undefined,
    readonly problem: string | undefined,
    readonly src: Uint8Array,
    readonly at: number,
    readonly length: number,
    readonly keyAt: number,
    readonly keyLength: number,
    readonly idAt: number,
    readonly idLength: number,
  ) {}
  get payload(): string {
    return (this.#payload ??= decoder.decode(this.src.subarray(this.at, this.at + this.length)));
  }
  get key(): string | null {
    if (this.#key === undefined) this.#key = this.keyLength < 0 ? null : decoder.decode(this.src.subarray(this.keyAt, this.keyAt + this.keyLength));
    return this.#key;
  }
  get id(): string | null {
    if (this.#id === undefined) this.#id = this.idLength < 0 ? null : decoder.decode(this.src.subarray(this.idAt, this.idAt + this.idLength));
    return this.#id;
  }
}

const decoder = new TextDecoder();

/** The spill's segments read as one byte stream; a read stops at the end of a segment. */
class Segments {
  readonly #fds: (number | undefined)[];
  /** Segments before this one are deleted. */
  #dropped = 0;
  constructor(
    readonly path: string,
    readonly starts: readonly number[],
  ) {
    this.#fds = starts.map(() => undefined);
  }

  /** The segment holding this offset. */
  indexOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  read(buf: Buffer, length: number, offset: number): number {
    const i = this.indexOf(offset);
    const fd = (this.#fds[i] ??= openSync(segmentPath(this.path, i), 'r'));
    const end = i + 1 < this.starts.length ? this.starts[i + 1] : Infinity;
    return readSync(fd, buf, 0, Math.min(length, end - offset), offset - this.starts[i]);
  }

  /** Closes and deletes the segments before segment i (read sequentially, they are not read again). */
  dropBefore(i: number): void {
    for (; this.#dropped < i; this.#dropped++) {
      const fd = this.#fds[this.#dropped];
      if (fd !== undefined) closeSync(fd);
      this.#fds[this.#dropped] = undefined;
      rmSync(segmentPath(this.path, this.#dropped), { force: true });
    }
  }

  close(): void {
    for (const fd of this.#fds) if (fd !== undefined) closeSync(fd);
  }
}

export class SpillReader {
  readonly #file: Segments;
  #buf = Buffer.allocUnsafe(FILL_BYTES);
  #view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.length);
  /** The buffer as a plain Uint8Array, what records refer to (one kind of array on the hot paths that read them). */
  #src = new Uint8Array(this.#buf.buffer, this.#buf.byteOffset, this.#buf.length);
  /** The buffer holds the file's bytes [#from, #from + #len). */
  #from = 0;
  #len = 0;
  #next = 0;

  /**
   * random: records are asked for out of file order, so each read takes a few KB around the record,
   * not a MB (a MB per record made a shuffled 10M-row file take 10 minutes to send). Otherwise the
   * reads go forward, and each segment read past is deleted.
   */
  constructor(
    readonly path: string,
    segments: readonly number[] = [0],
    readonly random = false,
  ) {
    this.#file = new Segments(path, segments);
  }

  /** The record at this offset (sequential reads are served from one buffer). */
  at(offset: number): Outgoing {
    if (offset < this.#from || offset + FIXED > this.#from + this.#len) this.#fill(offset, FIXED);
    let i = offset - this.#from;
    const size = this.#view.getUint32(i, true);
    if (offset + size > this.#from + this.#len) {
      this.#fill(offset, size);
      i = 0;
    }
    const v = this.#view;
    const row = v.getFloat64(i + 4, true);
    const t = v.getFloat64(i + 12, true);
    const keyLength = v.getUint32(i + 20, true);
    const idLength = v.getUint32(i + 24, true);
    const problemLength = v.getUint32(i + 28, true);
    const n = v.getUint32(i + 32, true);
    this.#next = offset + size;
    // Read in order, each fill is a buffer of its own (never refilled): the record's ranges are of it.
    // Read at random, the reused buffer's frame is copied first.
    let src = this.#src;
    if (this.random) {
      src = src.slice(i, i + size);
      i = 0;
    }
    let p = i + FIXED;
    const keyAt = p;
    if (keyLength !== NONE) p += keyLength;
    const idAt = p;
    if (idLength !== NONE) p += idLength;
    const problem = problemLength === NONE ? undefined : decoder.decode(src.subarray(p, p + problemLength));
    if (problemLength !== NONE) p += problemLength;
    return new SpilledRecord(row, Number.isNaN(t) ? undefined : t, problem, src, p, n, keyAt, keyLength === NONE ? -1 : keyLength, idAt, idLength === NONE ? -1 : idLength);
  }

  /** The record after the last one read. */
  next(): Outgoing {
    return this.at(this.#next);
  }

  #fill(offset: number, need: number): void {
    if (!this.random) this.#buf = Buffer.allocUnsafe(Math.max(need * 2, FILL_BYTES));
    else if (need > this.#buf.length) this.#buf = Buffer.allocUnsafe(need * 2);
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.length);
    this.#src = new Uint8Array(this.#buf.buffer, this.#buf.byteOffset, this.#buf.length);
    this.#from = offset;
    this.#len = this.#file.read(this.#buf, this.random ? Math.min(this.#buf.length, Math.max(need, 4096)) : this.#buf.length, offset);
    if (!this.random) this.#file.dropBefore(this.#file.indexOf(offset));
  }

  close(): void {
    this.#file.close();
  }
}

/** Deletes the spill: every segment of it. */
export function removeSpill(path: string): void {
  const name = basename(path);
  let names: string[] = [];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const n of names) if (n === name || (n.startsWith(`${name}.`) && /^\d+$/.test(n.slice(name.length + 1)))) rmSync(join(dirname(path), n), { force: true });
}

/** The offsets of the first n records of a spill, read from their frames' lengths. */
export function spillOffsets(path: string, segments: readonly number[], n: number): Float64Array {
  const out = new Float64Array(n);
  const file = new Segments(path, segments);
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    let from = 0; // the spill offset of buf[0]
    let len = file.read(buf, buf.length, 0);
    let at = 0;
    for (let k = 0; k < n; k++) {
      if (at + 4 > from + len) {
        from = at;
        len = file.read(buf, buf.length, at);
      }
      out[k] = at;
      at += buf.readUInt32LE(at - from);
    }
  } finally {
    file.close();
  }
  return out;
}
