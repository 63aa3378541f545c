import { closeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { SatError } from '../../core/errors.js';
import { FileSystemError } from '../../core/fs-errors.js';
import type { Aggregation, Scenario } from '../../scenario/types.js';
import type { ScoredResult } from '../join/scorer.js';
import type { WindowResult } from '../operator.js';
import { openOutput, type SinkState } from '../sinks.js';
import { ChunkBuilder, chunkTransfers, type ResultChunk } from './chunk.js';
import { SIDE_NAMES, SideCollector, type SideBatch, type SideName } from './side.js';

/** What the results thread is started with. */
export interface ResultsThreadData {
  /** results.jsonl, opened (and truncated to `resume`) by the engine's thread. */
  fd: number;
  jsonlPath: string;
  parquetPath: string;
  aggs: Pick<Aggregation, 'name' | 'op'>[];
  scored: boolean;
  resume?: SinkState;
  /** The side outputs' files, opened (and truncated) by the engine's thread likewise. */
  side?: Record<SideName, { fd: number; path: string; resume?: SinkState }>;
  /** One Int32: the messages of rows written so far (the engine's backpressure reads it). */
  progress: SharedArrayBuffer;
}
export interface ResultsMessage {
  rows?: ResultChunk;
  side?: SideBatch;
  sync?: true;
  finish?: true;
}
export interface ResultsFailure {
  message: string;
  code?: string;
  file: string;
}
export interface ResultsAnswer {
  bytes?: number;
  count?: number;
  side?: Record<SideName, SinkState>;
  failed?: ResultsFailure;
}

/** Every file's length and line count through the rows handed over: what a checkpoint records. */
export interface OutputStates {
  results: SinkState;
  side?: Record<SideName, SinkState>;
}

/** The side outputs to write beside the results: their paths, and where a checkpoint left them. */
export interface SideFiles {
  paths: Record<SideName, string>;
  resume?: Partial<Record<SideName, SinkState>>;
}

/** Results handed to the thread at a time (and at every flush): about as often as the JSONL was written before. */
const CHUNK = 1024;
/**
 * The results thread's heap. Its live data is a chunk being written and the Parquet row group being
 * collected (bounded in parquet.ts); small limits make V8 collect it early. Satisfaction at a million
 * active customers peaked at 1,434–1,494 MB without them, 1,385 MB with (its goal is 1.5 GB). A young
 * generation of 8 MB scavenged 607 times in that run (~1.5 s of pauses), 32 MB 112 times.
 */
const RESULTS_THREAD_HEAP = { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 32 };
/** Messages of rows handed over and not written yet past which the engine waits for the thread (bounds the memory between them). */
const MAX_BEHIND = 64;

/**
 * Window results, written as they fire: JSONL (window bounds as ISO timestamps) and Parquet
 * (timestamps in ms, counts INT64, other aggregates DOUBLE, in row groups of at most 20k results so
 * memory stays bounded however many windows fire). The engine's thread only puts each result into columns;
 * the results thread (thread.ts) makes the lines, writes them and encodes the Parquet file: those
 * were a tenth of the engine's time on reviews and more on satisfaction. With `side`, the thread
 * also writes the side outputs (late records, dead letters, alerts: side.ts), whose JSON lines cost
 * the engine's thread ~13% of an IoT run. A checkpoint asks the thread for the files' lengths
 * through the rows handed over so far (state(), states()).
 */
export class ResultSink {
  readonly #thread: Worker;
  readonly #aggs: Scenario['aggregations'];
  readonly #scored: boolean;
  readonly #rows: ChunkBuilder;
  count: number;
  /** The thread's first failure, sent as it happened: the next write raises it. */
  #failed: ResultsFailure | undefined;
  /** Answers still to come, in the order asked. */
  readonly #waiting: ((a: ResultsAnswer) => void)[] = [];
  /** close() was asked: the thread's exit is then its end, not a failure. */
  #closing = false;
  /** results.jsonl, opened here and written by the thread (a descriptor is the process's). */
  readonly #fd: number;
  /** Chunks handed over, and (shared with the thread) written. */
  #handedOver = 0;
  readonly #written = new Int32Array(new SharedArrayBuffer(4));
  /** The side rows, collected here until handed over (with `side` only). */
  readonly side?: SideCollector;
  readonly #sideFds: number[] = [];
  /** The last list of missing sources #joined() was given, and its join. */
  #lastMissing: readonly string[] | undefined;
  #lastJoined = '';

  constructor(
    readonly path: string,
    parquetPath: string,
    s: Scenario,
    resume?: SinkState,
    side?: SideFiles,
  ) {
    this.#aggs = s.aggregations;
    this.#scored = s.score !== undefined;
    this.#rows = new ChunkBuilder(this.#aggs.length, this.#scored, CHUNK);
    this.count = resume?.count ?? 0;
    const workerData: ResultsThreadData = { fd: (this.#fd = openOutput(path, resume)), jsonlPath: path, parquetPath, aggs: s.aggregations.map((a) => ({ name: a.name, op: a.op })), scored: this.#scored, resume, progress: this.#written.buffer as SharedArrayBuffer };
    if (side) {
      this.side = new SideCollector(side.resume);
      const files = {} as NonNullable<ResultsThreadData['side']>;
      for (const name of SIDE_NAMES) {
        const fd = openOutput(side.paths[name], side.resume?.[name]);
        this.#sideFds.push(fd);
        files[name] = { fd, path: side.paths[name], resume: side.resume?.[name] };
      }
      workerData.side = files;
    }
    const t = (this.#thread = new Worker(new URL('./thread.js', import.meta.url), { workerData, resourceLimits: RESULTS_THREAD_HEAP }));
    t.on('message', (a: ResultsAnswer) => {
      if (a.failed) this.#failed ??= a.failed;
      // A failure is also sent unasked, the moment it happens; only answers with a length are awaited.
      if (a.bytes !== undefined) this.#waiting.shift()?.(a);
      if (this.#waiting.length === 0) t.unref();
    });
    const gone = (message: string) => {
      this.#failed ??= { message, file: path };
      while (this.#waiting.length > 0) this.#waiting.shift()!({ failed: this.#failed });
    };
    t.on('error', (e) => gone(`the results writer thread failed: ${e.message}`));
    t.on('exit', (code) => {
      if (!this.#closing || code !== 0) gone(`the results writer thread exited (${code})`);
    });
    // It must not hold the process open while the engine runs; an answer awaited holds it.
    t.unref();
  }

  write(results: (WindowResult | ScoredResult)[], emitTime: number): void {
    if (this.#failed) throw raise(this.#failed);
    const aggs = this.#aggs;
    const c = this.#rows;
    for (let k = 0; k < results.length; k++) {
      const r = results[k];
      const i = c.row(r.windowStart, r.windowEnd, r.key, emitTime);
      for (let j = 0; j < aggs.length; j++) c.agg(j, i, r.values[aggs[j].name] ?? null);
      if ('score' in r) c.scoredRow(i, r.score, this.#joined(r.missing), r.snapshotDay);
      if (i + 1 >= CHUNK) this.flush();
    }
    this.count += results.length;
  }

  /**
   * The missing sources comma-joined, for the list the last result had: the scorer hands out a few
   * frozen lists, and a join per result was a string per result (~5% of what a satisfaction run's
   * engine thread allocated).
   */
  #joined(missing: readonly string[]): string {
    if (missing !== this.#lastMissing) {
      this.#lastMissing = missing;
      this.#lastJoined = missing.join(',');
    }
    return this.#lastJoined;
  }

  /** Hands what is collected to the thread, which writes it at once (an idle run's results become readable). */
  flush(): void {
    const side = this.side?.take();
    const empty = this.#rows.chunk.n === 0;
    if (empty && side === undefined) return;
    const rows = empty ? undefined : this.#rows.take();
    const moved = rows ? chunkTransfers(rows) : [];
    if (side) moved.push(side.bytes.buffer as ArrayBuffer);
    this.#thread.postMessage({ rows, side } satisfies ResultsMessage, moved);
    this.#handedOver++;
  }

  /** After a side row: hands the side rows over once enough are collected. */
  sideAdded(): void {
    if (this.side!.full) this.flush();
  }

  /** The thread is far behind: the engine should wait for it (catchUp) before handing over more. */
  get behind(): boolean {
    return this.#handedOver - Atomics.load(this.#written, 0) > MAX_BEHIND;
  }

  /** Resolves once the thread has written everything handed over. */
  async catchUp(): Promise<void> {
    await this.state();
  }

  /** The file's length and line count through every result written so far: for a checkpoint. */
  async state(): Promise<SinkState> {
    return (await this.states()).results;
  }

  /** Every file's length and line count through every row written so far (the side outputs' too). */
  async states(): Promise<OutputStates> {
    this.flush();
    return this.#ask({ sync: true });
  }

  /** The last rows, then the Parquet file finished (or rebuilt from the JSONL after a resume). */
  async close(): Promise<SinkState> {
    return (await this.closeAll()).results;
  }

  /** close(), answering every file's final length. */
  async closeAll(): Promise<OutputStates> {
    this.flush();
    this.#closing = true;
    try {
      return await this.#ask({ finish: true });
    } finally {
      closeSync(this.#fd);
      for (const fd of this.#sideFds) closeSync(fd);
    }
  }

  async #ask(m: ResultsMessage): Promise<OutputStates> {
    if (this.#failed) throw raise(this.#failed);
    const answered = new Promise<ResultsAnswer>((resolve) => this.#waiting.push(resolve));
    this.#thread.ref();
    this.#thread.postMessage(m);
    const a = await answered;
    if (a.failed) throw raise(a.failed);
    return { results: { bytes: a.bytes!, count: a.count! }, side: a.side };
  }
}

/** The thread's failure as the engine raises it: a file-system error names the file and errno (exit 3). */
function raise(f: ResultsFailure): Error {
  if (f.code !== undefined && /^E[A-Z]+$/.test(f.code)) return new FileSystemError(f.file, f.code, 'writing');
  return new SatError(f.message.startsWith('writing ') ? f.message : `writing ${f.file}: ${f.message}`, 1);
}
