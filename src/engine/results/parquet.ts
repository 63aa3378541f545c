import { Worker } from 'node:worker_threads';
import { fsError } from '../../core/fs-errors.js';
import type { Aggregation } from '../../scenario/types.js';
import { emptyRows, type ResultRows } from '../parquet/result-columns.js';

/**
 * Rows per row group of the results' Parquet file, at most. 20,000 rather than 50,000: the encoder's
 * thread holds less live data, so its collector copies less (reviews at a million rows 177k → 183k
 * records/s, satisfaction's peak RSS 1,403–1,420 → 1,346–1,387 MB), and less is left to encode after
 * the input's end.
 */
const ROW_GROUP = 20_000;
/**
 * Rows from which a row group is handed over early, when the encoder has nothing to do: the last
 * group, encoded after the input's end while the run waits, is then small (a full one was 5-10% of
 * a 300k-record run), and no group is smaller than this but the last.
 */
const ROW_GROUP_WHEN_IDLE = 10_000;
/** A row group is also cut at this many characters of text (keys, missing lists): it bounds the writer thread's heap. */
const ROW_GROUP_CHARS = 8 << 20;
/**
 * The Parquet writer thread's old generation, in MB. Its live data is one row group (bounded above)
 * and the encoder's working copies; without a limit V8 let that thread's heap grow to 150–270 MB of
 * garbage at a million active customers (a fifth of the run's peak RSS), with it the heap is
 * collected before it grows past this.
 */
const PARQUET_THREAD_HEAP_MB = 256;

/**
 * The results' Parquet file, encoded by a thread of its own (parquet/worker.ts): rows are collected
 * here into row groups of ROW_GROUP results (or ROW_GROUP_CHARS of text) and handed over whole.
 */
export class ParquetResults {
  readonly #worker: Worker;
  readonly #done: Promise<{ failed?: { message: string; code?: string } }>;
  /** Row groups handed over and not encoded yet. */
  #encoding = 0;
  #rows: ResultRows;
  /** Characters of text in #rows (keys and missing lists). */
  #chars = 0;

  constructor(
    readonly path: string,
    readonly aggs: Pick<Aggregation, 'name' | 'op'>[],
    readonly scored: boolean,
  ) {
    this.#rows = emptyRows(aggs.length);
    this.#worker = new Worker(new URL('../parquet/worker.js', import.meta.url), {
      workerData: { path, aggs, scored },
      resourceLimits: { maxOldGenerationSizeMb: PARQUET_THREAD_HEAP_MB },
    });
    // It must not hold the process open while the engine runs; finish() holds it until it answers.
    this.#worker.unref();
    this.#done = new Promise((resolve) => {
      this.#worker.on('message', (m: { wrote?: number; done?: true; failed?: { message: string; code?: string } }) => {
        if (m.wrote !== undefined) this.#encoding--;
        else resolve(m);
      });
      this.#worker.once('error', (e) =>
        resolve({ failed: { message: (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' ? `the Parquet writer thread ran out of its ${PARQUET_THREAD_HEAP_MB} MB heap` : e.message } }),
      );
      this.#worker.once('exit', (code) => resolve({ failed: { message: `the Parquet writer thread exited (${code})` } }));
    });
  }

  /**
   * The rows of `c`, appended; a full row group is handed over, and one of ROW_GROUP_WHEN_IDLE rows
   * or more when the encoder is idle.
   */
  add(c: ResultRows): void {
    const n = c.key.length;
    for (let i = 0; i < n; i++) {
      const r = this.#rows; // a new one after each hand-over
      r.start.push(c.start[i]);
      r.end.push(c.end[i]);
      r.key.push(c.key[i]);
      r.emit.push(c.emit[i]);
      this.#chars += c.key[i].length;
      for (let j = 0; j < c.aggs.length; j++) r.aggs[j].push(c.aggs[j][i]);
      if (this.scored) {
        r.score.push(c.score[i]);
        r.missing.push(c.missing[i]);
        r.snapshotDay.push(c.snapshotDay[i]);
        this.#chars += c.missing[i].length;
      }
      if (r.key.length >= ROW_GROUP || this.#chars >= ROW_GROUP_CHARS) this.#handOver();
    }
    if (this.#encoding === 0 && this.#rows.key.length >= ROW_GROUP_WHEN_IDLE) this.#handOver();
  }

  /** The last row group, then the file's footer; a failure on the thread is raised here. */
  async finish(): Promise<void> {
    this.#handOver();
    this.#worker.ref();
    this.#worker.postMessage({ finish: true });
    const r = await this.#done;
    if (r.failed) throw fsError(Object.assign(new Error(`writing ${this.path}: ${r.failed.message}`), { code: r.failed.code }), this.path);
  }

  #handOver(): void {
    if (this.#rows.key.length === 0) return;
    this.#worker.postMessage({ rows: this.#rows });
    this.#encoding++;
    this.#rows = emptyRows(this.aggs.length);
    this.#chars = 0;
  }
}
