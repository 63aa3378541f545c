import { readJson, SatError, UsageError } from '../../core/errors.js';
import { closeSync, existsSync, openSync, read, readFileSync, readSync } from 'node:fs';
import { BATCH_HEADER, checkFrame, FRAME_COMPLETE, FRAME_CORRUPT, frameEnd, frameRecord, frameSeq, frameSize, frameTimestamp, frameValueStart, isBatchHeader, verifiedBatchEnd, type LogRecord } from './frame.js';
import { doneFile, metaFile, partitionFile, type LogMeta } from './writer.js';

const CHUNK = 1 << 20;
/** The largest batch read whole to check its CRC once (the writer's are 256 KB, or one larger frame). */
const MAX_BATCH = 4 * CHUNK;

/** A chunk being read ahead in the background (the file's bytes at `pos`, `n` of them once done). */
interface ReadAhead {
  pos: number;
  buf: Buffer;
  n: number;
  done: boolean;
  failed: boolean;
}

/**
 * Reads one partition file from an offset, tolerating a frame still being written at the tail.
 * While the engine works through one chunk, the next is read in the background (a log that is not
 * in the page cache costs a disk read per chunk: a third of a satisfaction run's time was spent
 * waiting on it). A chunk not read ahead in time is read there and then, as before.
 */
class PartitionReader {
  #fd: number | undefined;
  #buf = Buffer.alloc(CHUNK);
  #start = 0; // unread bytes in #buf: [#start, #end)
  #end = 0;
  #filePos = 0;
  #ahead: ReadAhead | undefined;
  #spare: Buffer | undefined;
  #closing = false;
  offset = 0;
  corrupt = false;
  /** #buf up to here is a batch whose CRC matched: its frames' own CRCs are not checked again. */
  #verifiedTo = 0;
  /** Where the head (a frame peeked, not taken) starts in #buf; -1: none held. */
  #head = -1;
  /** The head's send sequence. */
  seq = 0;
  /** position before peek() found the head. */
  #headPosition = 0;

  constructor(readonly path: string, readonly partition: number) {}

  /**
   * Byte position of the next frame not taken (frames are contiguous): with a head held, where
   * reading stood before peek() found it (before a batch header it passed, so that reading resumed
   * there checks the batch's CRC at once).
   */
  get position(): number {
    return this.#head >= 0 ? this.#headPosition : this.#filePos - (this.#end - this.#start);
  }

  /** Continues from a position and offset saved earlier (a checkpoint). */
  seek(position: number, offset: number): void {
    this.#filePos = position;
    this.#start = 0;
    this.#end = 0;
    this.#verifiedTo = 0;
    this.#head = -1;
    this.offset = offset;
  }

  /**
   * Finds the next complete frame and holds it as the head, not taken (its bytes stay where they are
   * in buf until take()); false when none is complete yet. No object is made per frame: a reader
   * reads the head's fields below (a frame object and the view of its value per record were most of
   * what the log's reading thread collected).
   */
  peek(): boolean {
    if (this.#head >= 0) return true;
    const from = this.position;
    for (;;) {
      if (isBatchHeader(this.#buf, this.#start, this.#end)) {
        const to = this.#start + BATCH_HEADER + (this.#end - this.#start >= BATCH_HEADER ? this.#buf.readUInt32LE(this.#start + 4) : 0);
        // Read on until the whole batch is here, if it is in the file (and of a size a writer makes: a
        // damaged length must not pull the file into memory); else its frames are checked one by one.
        if ((this.#end - this.#start < BATCH_HEADER || (to > this.#end && to - this.#start <= MAX_BATCH)) && this.#fill()) continue;
        if (this.#end - this.#start < BATCH_HEADER) return false;
        this.#verifiedTo = Math.max(this.#verifiedTo, verifiedBatchEnd(this.#buf, this.#start, this.#end));
        this.#start += BATCH_HEADER;
        continue;
      }
      const c = checkFrame(this.#buf, this.#start, this.#end, this.#start < this.#verifiedTo);
      if (c === FRAME_COMPLETE) {
        this.#head = this.#start;
        this.#headPosition = from;
        this.seq = frameSeq(this.#buf, this.#start);
        return true;
      }
      if (c === FRAME_CORRUPT) {
        this.corrupt = true;
        return false;
      }
      if (!this.#fill()) return false;
    }
  }

  /** A head is held (peek() found it, take() has not taken it). */
  get hasHead(): boolean {
    return this.#head >= 0;
  }

  /** Takes the head: the next peek() looks past it. */
  take(): void {
    this.#start += frameSize(this.#buf, this.#head);
    this.offset++;
    this.#head = -1;
  }

  /** The buffer the head lies in (valid until the next peek() after take()). */
  get buf(): Buffer {
    return this.#buf;
  }

  get timestamp(): number {
    return frameTimestamp(this.#buf, this.#head);
  }

  /** Where the head's value starts in buf. */
  get valueStart(): number {
    return frameValueStart(this.#buf, this.#head);
  }

  /** Where the head's value ends in buf. */
  get valueEnd(): number {
    return frameEnd(this.#buf, this.#head);
  }

  /** The head as a record object (its value a view of buf), not taken. */
  record(): LogRecord {
    return frameRecord(this.#buf, this.#head, this.partition, this.offset);
  }

  #fill(): boolean {
    if (this.#fd === undefined) {
      if (!existsSync(this.path)) return false;
      this.#fd = openSync(this.path, 'r');
    }
    const left = this.#end - this.#start;
    if (this.#start > 0) {
      this.#buf.copy(this.#buf, 0, this.#start, this.#end);
      this.#verifiedTo = Math.max(0, this.#verifiedTo - this.#start);
      this.#start = 0;
      this.#end = left;
    }
    if (this.#end === this.#buf.length) {
      // A frame larger than the buffer: grow it.
      const bigger = Buffer.alloc(this.#buf.length * 2);
      this.#buf.copy(bigger, 0, 0, this.#end);
      this.#buf = bigger;
    }
    const a = this.#ahead;
    if (a !== undefined && a.done) {
      this.#ahead = undefined;
      this.#spare = a.buf;
      // Read ahead from where reading stands (not before a seek) and not empty (the tail may have grown since).
      if (!a.failed && a.pos === this.#filePos && a.n > 0) {
        const n = Math.min(a.n, this.#buf.length - this.#end);
        a.buf.copy(this.#buf, this.#end, 0, n);
        this.#filePos += n;
        this.#end += n;
        this.#readAhead();
        return true;
      }
    }
    const n = readSync(this.#fd, this.#buf, this.#end, this.#buf.length - this.#end, this.#filePos);
    this.#filePos += n;
    this.#end += n;
    if (n > 0) this.#readAhead();
    return n > 0;
  }

  /** Starts reading the chunk after what #buf holds, unless a read is already under way. */
  #readAhead(): void {
    if (this.#fd === undefined || this.#ahead !== undefined) return;
    const a: ReadAhead = { pos: this.#filePos, buf: this.#spare ?? Buffer.allocUnsafe(CHUNK), n: 0, done: false, failed: false };
    this.#spare = undefined;
    this.#ahead = a;
    const fd = this.#fd;
    read(fd, a.buf, 0, a.buf.length, a.pos, (err, n) => {
      a.done = true;
      a.failed = err !== null;
      a.n = n;
      // close() came while this read was under way: the descriptor is closed now, not under it.
      if (this.#closing && this.#ahead === a) closeSync(fd);
    });
  }

  /** Closes the file (a second close does nothing). */
  close(): void {
    if (this.#fd === undefined) return;
    if (this.#ahead !== undefined && !this.#ahead.done) this.#closing = true;
    else closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** The log's partition count (its meta file); a usage error when there is no log at `dir`. */
export function logPartitions(dir: string): number {
  if (!existsSync(metaFile(dir))) throw new UsageError(`no embedded log at ${dir} (run sat replay first)`);
  return readJson<LogMeta>(metaFile(dir), (x) => readFileSync(x, 'utf8')).partitions;
}

/** Per partition the offset the writer ended at, once it has finished (its end marker); else undefined. */
export function doneOffsets(dir: string): number[] | undefined {
  return existsSync(doneFile(dir)) ? (JSON.parse(readFileSync(doneFile(dir), 'utf8')) as { offsets: number[] }).offsets : undefined;
}

/** A checkpoint's position is of a log with as many partitions (else the log was replayed again since). */
export function checkPartitions(at: LogPosition, partitions: number, dir: string): void {
  if (at.partitions.length !== partitions) throw new SatError(`the run's checkpoint has ${at.partitions.length} partitions, the log in ${dir} ${partitions}: the log was replayed again since; sat run --fresh starts over`, 3);
}

/** A partition's head record, read where it lies (LogReader.head). */
export interface LogHead {
  readonly partition: number;
  /** Its offset in the partition. */
  readonly offset: number;
  readonly seq: number;
  readonly timestamp: number;
  /** The bytes it lies in, and where its value is in them: valid until the next peekNext() after take(). */
  readonly buf: Buffer;
  readonly valueStart: number;
  readonly valueEnd: number;
}

export interface LogPosition {
  partitions: { position: number; offset: number }[];
  nextSeq: number;
}

/**
 * Reads all partitions of an embedded log merged in send order (each frame carries its send
 * sequence), so one consumer sees the stream the replay produced, and the watermark is deterministic.
 */
export class LogReader {
  readonly #parts: PartitionReader[];

  constructor(readonly dir: string) {
    this.#parts = Array.from({ length: logPartitions(dir) }, (_, p) => new PartitionReader(partitionFile(dir, p), p));
    this.#dry = this.#parts.map(() => false);
  }

  /** Where reading stands: per partition the next record to return (a head is not taken), and the next send in line. */
  position(): LogPosition {
    return { partitions: this.#parts.map((p) => ({ position: p.position, offset: p.offset })), nextSeq: this.#nextSeq };
  }

  /** Continues from a saved position: records before it are not read again. */
  seek(at: LogPosition): void {
    checkPartitions(at, this.#parts.length, this.dir);
    at.partitions.forEach((x, i) => this.#parts[i].seek(x.position, x.offset));
    this.#dry.fill(false);
    this.#nextSeq = at.nextSeq;
  }

  get partitions(): number {
    return this.#parts.length;
  }

  /**
   * Where partition p's next record starts, right after its head was taken (what position() then
   * records for p): a cheap per-record position.
   */
  positionAfter(p: number): number {
    return this.#parts[p].position;
  }

  /** True once the writer has finished and every record has been read. */
  isDone(): boolean {
    const done = this.#doneOffsets();
    if (done === undefined) return false;
    return this.#parts.every((p, i) => !p.hasHead && p.offset >= done[i]);
  }

  /**
   * The next record in send order, taken, or undefined when a partition has nothing complete yet.
   * Once the log is done, partitions that have ended no longer hold the others back.
   */
  next(): LogRecord | undefined {
    const p = this.peekNext();
    if (p < 0) return undefined;
    const r = this.#parts[p].record();
    this.take(p);
    return r;
  }

  /**
   * The partition whose head is the next record in send order, not taken (read it through head(p),
   * then take(p)); -1 as next() answers undefined. Nothing is made per record.
   */
  peekNext(): number {
    // Almost always the next send in line is at a head already, or in a partition that just
    // delivered: partitions found dry are polled again only when it is not (a dry one costs a read
    // system call per poll, which was half the engine's time on a log with empty partitions).
    const p = this.#pick(false);
    return p >= 0 && this.#parts[p].seq === this.#nextSeq ? p : this.#pick(true);
  }

  /** Partition p's head, as peekNext() found it: its fields, read where they lie. */
  head(p: number): LogHead {
    return this.#parts[p];
  }

  /** Takes partition p's head (peekNext()'s answer). */
  take(p: number): void {
    const part = this.#parts[p];
    this.#nextSeq = part.seq + 1;
    part.take();
  }

  /** The partition whose head has the smallest send number, or -1 while an earlier one may still come. */
  #pick(pollDry: boolean): number {
    let best = -1;
    let bestSeq = 0;
    let waiting = false;
    for (let p = 0; p < this.#parts.length; p++) {
      const part = this.#parts[p];
      let held = part.hasHead;
      if (!held && (pollDry || !this.#dry[p])) {
        held = part.peek();
        this.#dry[p] = !held;
      }
      if (!held) {
        // A partition may still deliver an earlier record (unpolled ones are assumed to: cheap and safe).
        if (!pollDry) waiting = true;
        else {
          const finished = this.#doneOffsets();
          if (finished === undefined || part.offset < finished[p]) waiting = true;
        }
        continue;
      }
      if (best < 0 || part.seq < bestSeq) {
        best = p;
        bestSeq = part.seq;
      }
    }
    // Replay numbers its sends 0, 1, 2, ...: the next number in line can go even while a partition
    // that has received nothing yet (few keys, many partitions) holds no head to compare with.
    if (best < 0 || (waiting && bestSeq !== this.#nextSeq)) return -1;
    return best;
  }

  readonly #dry: boolean[];
  #nextSeq = 0;

  #cachedDone: number[] | undefined;
  #doneOffsets(): number[] | undefined {
    this.#cachedDone ??= doneOffsets(this.dir);
    return this.#cachedDone;
  }

  close(): void {
    for (const p of this.#parts) p.close();
  }
}
