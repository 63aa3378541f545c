import { existsSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { viewOf } from '../../core/bytes.js';
import { NextArrival } from '../../core/next-arrival.js';
import { SatError } from '../../core/errors.js';
import { checkPartitions, doneOffsets, LogReader, logPartitions, type LogPosition } from '../../transport/log/reader.js';
import type { ScanColumns, ScanSteps } from '../scan-record.js';
import { engineScanSteps, scanSpecData, type ScanSpec, type ScanSpecData } from '../scan-spec.js';
import { partitionFile } from '../../transport/log/writer.js';

export interface ReadThreadData {
  dir: string;
  /** The scenario's fields and those the engine reads (and the event time's, read from the bytes): the thread runs the byte scanner's walk. */
  scan?: ScanSpecData;
}

/**
 * Records read by the thread, in send order: their values back to back in `bytes`; per record
 * ints [partition, end of its value in bytes] and meta [offset, its partition's position after it,
 * send sequence, send time].
 */
export interface ReadBatch {
  n: number;
  bytes: ArrayBuffer;
  ints: Int32Array;
  meta: Float64Array;
  /** With a scan: per record 1 when the scanner took it (its values are in `cols`), 0 for the full path. */
  ok?: Uint8Array;
  cols?: ScanColumns;
  failed?: string;
}

/** Asks the thread for a batch, handing back the buffers of one processed (not read again after). */
export interface ReadRequest {
  read: true;
  /** At most this many records (up to BATCH_RECORDS). */
  records: number;
  /** The first ask: where reading starts (a checkpoint's position, or the beginning). */
  position?: LogPosition;
  bytes?: ArrayBuffer;
  meta?: Float64Array;
  ints?: Int32Array;
  ok?: Uint8Array;
  cols?: ScanColumns;
}

/**
 * A batch holds up to this many records, or values of about this many bytes. Each batch asked for
 * wakes the thread, and on a busy machine the woken thread can take the engine's core (~0.7 ms a
 * hand-over in a reviews run, against 11 µs in isolation): 4 MB rather than 2 halves the batches
 * of reviews' ~470-byte records (+2–3% records/s), where the record bound held IoT's already.
 */
export const BATCH_RECORDS = 8192;
export const BATCH_BYTES = 4 << 20;
/**
 * The thread's heap holds little but short-lived objects (the batches are off its heap). Its
 * young generation is a cap, not a size: V8 grows it only while much survives. At 4 MB the thread
 * scavenged 435 times in a satisfaction run at a million active customers (~0.9 s of pauses); 16 MB
 * (with the results' and online threads' at 32) made that run +2.5% and IoT and reviews +3%, for
 * ~60 MB more peak RSS (1,333 MB; the goal is 1.5 GB).
 */
const READ_THREAD_HEAP = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 64 };
/** Batches asked for or waiting beyond the one being processed: the thread keeps ahead through a hiccup. */
const AHEAD = 2;

/** The embedded log as the engine reads it: on a thread of its own, or (a small log) on its own thread. */
export type EngineLogReader = Pick<ThreadedLogReader, 'next' | 'position' | 'isDone' | 'seek' | 'close'>;

/**
 * A log written whole (its end marker there) and smaller than this is read on the engine's thread:
 * a thread's start (~50 ms on this machine, beside the results' and checkpoints' threads starting)
 * costs more than it saves on it (measured: 11k records, 7 MB, 300 → 360 ms).
 */
const SMALL_LOG_BYTES = 16 << 20;

/** The reader for a log: the thread, unless the log is written whole and small. */
export function openLogReader(dir: string, scan?: ScanSpec): EngineLogReader {
  // SAT_LOG_READER=thread|direct: one or the other whatever the log (the tests compare the two).
  const forced = process.env.SAT_LOG_READER;
  if (forced === 'thread') return new ThreadedLogReader(dir, scan);
  if (forced === 'direct') return new LogReader(dir);
  if (doneOffsets(dir) !== undefined) {
    const partitions = logPartitions(dir);
    let bytes = 0;
    for (let p = 0; p < partitions; p++) bytes += existsSync(partitionFile(dir, p)) ? statSync(partitionFile(dir, p)).size : 0;
    if (bytes < SMALL_LOG_BYTES) return new LogReader(dir);
  }
  return new ThreadedLogReader(dir, scan);
}

/** One record as the engine reads it from a batch (one object, reused: read it before the next). */
export interface ReadRecord {
  partition: number;
  offset: number;
  timestamp: number;
  /** Its value (a view made when asked for: bytes[from, to) where the reader has those). */
  readonly value: Uint8Array;
  /** The batch's bytes the value lies in, at [from, to): read these rather than make a view per record. */
  bytes?: Uint8Array;
  from?: number;
  to?: number;
  /** The scanner's values (null: the full path decides), when the thread scanned. */
  scanned?: unknown[] | null;
}

/** A record of a batch: its value viewed only when asked for. */
class BatchRecord implements ReadRecord {
  partition = 0;
  offset = 0;
  timestamp = 0;
  bytes = new Uint8Array(0);
  from = 0;
  to = 0;
  scanned: unknown[] | null | undefined = undefined;

  get value(): Uint8Array {
    return viewOf(this.bytes, this.from, this.to);
  }
}

/**
 * The embedded log read on a thread of its own: LogReader (frames, batch CRCs, read-ahead, send
 * order across partitions) runs there, and hands the records over in batches, the next read while
 * the engine works through this one (reading was a tenth of the engine's thread on IoT). The
 * position a checkpoint records is that of the records the engine has taken (not of those read
 * ahead): each record comes with its partition's position after it. next() answers a promise while
 * a batch is on its way, and undefined when the thread found nothing new (then the caller waits and
 * asks again: the thread is asked once per next() after that, never in a loop of its own).
 */
export class ThreadedLogReader {
  readonly partitions: number;
  readonly #position: Float64Array;
  readonly #offset: Float64Array;
  #nextSeq = 0;
  #worker: Worker | undefined;
  /** The first batch has been asked for (from the position then: no seek after). */
  #asked = false;
  #batchRecords = 256;
  #batch: ReadBatch | undefined;
  #i = 0;
  /** Batches come in, not yet begun. */
  readonly #queue: ReadBatch[] = [];
  /** Batches processed whole: their buffers go back to the thread to be filled again. */
  readonly #spares: ReadBatch[] = [];
  /** Asks not answered yet. */
  #inFlight = 0;
  /** Settled when the next answer comes. */
  readonly #arrival = new NextArrival();
  /** The last answer had no record: next() says so once (undefined) before asking again. */
  #empty = false;
  #failed: Error | undefined;
  #closed = false;
  #done: number[] | undefined;
  readonly #record = new BatchRecord();
  /** The batch being taken's bytes. */
  #bytes = new Uint8Array(0);

  readonly #scan: ReadThreadData['scan'];
  readonly #steps: ScanSteps | undefined;
  readonly #fields: number;

  /** `scan`: the scenario's fields and those read, for the thread to run the byte scanner's walk. */
  constructor(readonly dir: string, scan?: ScanSpec) {
    this.#steps = scan && engineScanSteps(scan);
    this.#scan = scan && this.#steps && scanSpecData(scan);
    this.#fields = scan?.fields.length ?? 0;
    this.partitions = logPartitions(dir);
    this.#position = new Float64Array(this.partitions);
    this.#offset = new Float64Array(this.partitions);
    // Started now, so that its start overlaps the engine's own (restore, outputs, threads): the
    // first batch is asked for, from where reading stands, at the first next().
    this.#start();
  }

  /** Continues from a saved position (before the first next()). */
  seek(at: LogPosition): void {
    checkPartitions(at, this.partitions, this.dir);
    if (this.#asked) throw new Error('seek after reading has started');
    at.partitions.forEach((x, p) => {
      this.#position[p] = x.position;
      this.#offset[p] = x.offset;
    });
    this.#nextSeq = at.nextSeq;
  }

  /** The next record; a promise while a batch is on its way (await it, ask again); undefined when nothing new was there. */
  next(): ReadRecord | Promise<void> | undefined {
    let b = this.#batch;
    if (b === undefined || this.#i >= b.n) {
      if (b !== undefined && b.n > 0) this.#spares.push(b);
      b = this.#batch = this.#queue.shift();
      this.#i = 0;
      if (b === undefined) {
        if (this.#failed) throw this.#failed;
        if (this.#inFlight > 0) return this.#arrival.wait();
        if (this.#empty) {
          this.#empty = false;
          return undefined;
        }
        this.#ask();
        return this.#arrival.wait();
      }
      this.#bytes = new Uint8Array(b.bytes);
      // The next batches are read while this one is processed.
      while (!this.#empty && this.#inFlight + this.#queue.length < AHEAD) this.#ask();
    }
    const i = this.#i++;
    const p = b.ints[2 * i];
    const r = this.#record;
    r.partition = p;
    r.offset = b.meta[4 * i];
    r.timestamp = b.meta[4 * i + 3];
    r.bytes = this.#bytes;
    r.from = i === 0 ? 0 : b.ints[2 * i - 1];
    r.to = b.ints[2 * i + 1];
    this.#position[p] = b.meta[4 * i + 1];
    this.#offset[p] = r.offset + 1;
    this.#nextSeq = b.meta[4 * i + 2] + 1;
    if (b.ok !== undefined) r.scanned = b.ok[i] === 1 ? this.#steps!.values(this.#bytes, b.cols!, i * this.#fields) : null;
    return r;
  }

  /** Where the engine stands: per partition the next record it has not taken, and the next send in line. */
  position(): LogPosition {
    return { partitions: Array.from(this.#position, (position, p) => ({ position, offset: this.#offset[p] })), nextSeq: this.#nextSeq };
  }

  /** True once the writer has finished and the engine has taken every record. */
  isDone(): boolean {
    this.#done ??= doneOffsets(this.dir);
    const done = this.#done;
    if (done === undefined) return false;
    for (let p = 0; p < this.partitions; p++) if (this.#offset[p] < done[p]) return false;
    return true;
  }

  close(): void {
    const w = this.#worker;
    if (w === undefined || this.#closed) return;
    this.#closed = true;
    this.#failed ??= new Error('the log reader is closed');
    w.postMessage('close');
    w.unref();
  }

  #ask(): void {
    const w = this.#worker!;
    if (this.#inFlight++ === 0) w.ref();
    const spare = this.#spares.pop();
    // The first batches are small, so the engine starts on records soon (a small log is one batch).
    const records = this.#batchRecords;
    this.#batchRecords = Math.min(records * 4, BATCH_RECORDS);
    if (!this.#asked) {
      this.#asked = true;
      w.postMessage({ read: true, records, position: this.position() } satisfies ReadRequest);
    } else if (spare === undefined) w.postMessage({ read: true, records } satisfies ReadRequest);
    else {
      const { bytes, meta, ints, ok, cols } = spare;
      w.postMessage({ read: true, records, bytes, meta, ints, ok, cols } satisfies ReadRequest, transferList(spare));
    }
  }

  #start(): void {
    const data: ReadThreadData = { dir: this.dir, scan: this.#scan };
    const w = (this.#worker = new Worker(new URL('./read-worker.js', import.meta.url), { workerData: data, resourceLimits: READ_THREAD_HEAP }));
    w.unref();
    w.on('message', (b: ReadBatch) => {
      if (--this.#inFlight === 0) w.unref();
      if (b.failed !== undefined) return this.#fail(new SatError(`reading the log in ${this.dir}: ${b.failed}`, 3));
      if (b.n === 0) this.#empty = true;
      else this.#queue.push(b);
      this.#arrival.resolve();
    });
    w.on('error', (e) =>
      this.#fail(
        (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new SatError(`the log reader's thread ran out of its ${READ_THREAD_HEAP.maxOldGenerationSizeMb} MB heap reading ${this.dir}`, 3)
          : new Error(`the log reader's thread failed: ${e.stack ?? e.message}`),
      ),
    );
    w.on('exit', (code) => {
      if (this.#failed === undefined) this.#fail(new Error(`the log reader's thread exited (${code})`));
    });
  }

  #fail(e: Error): void {
    this.#failed ??= e;
    this.#arrival.reject(this.#failed);
    this.#worker?.unref();
  }
}

/** The buffers of a batch, moved (not copied) between the threads. */
export function transferList(b: Pick<ReadBatch, 'bytes' | 'meta' | 'ints' | 'ok' | 'cols'>): ArrayBuffer[] {
  const list = [b.bytes, b.meta.buffer, b.ints.buffer] as ArrayBuffer[];
  if (b.ok !== undefined) list.push(b.ok.buffer as ArrayBuffer);
  if (b.cols !== undefined) for (const a of [b.cols.tag, b.cols.num, b.cols.from, b.cols.to]) list.push(a.buffer as ArrayBuffer);
  return list;
}
