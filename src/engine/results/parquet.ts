import { fsError } from '../../core/fs-errors.js';
import type { Aggregation } from '../../scenario/types.js';
import { emptyRows, type ResultRows } from '../parquet/result-columns.js';
import { ResultsParquetFile } from '../parquet/results-file.js';
import { aggAt, missingAt, scoreAt, snapshotDayAt, type ResultChunk } from './chunk.js';

/**
 * Rows per row group of the results' Parquet file, at most. 20,000 rather than 50,000: the thread
 * holds less live data, so its collector copies less (reviews at a million rows 177k → 183k
 * records/s, satisfaction's peak RSS 1,403–1,420 → 1,346–1,387 MB).
 */
const ROW_GROUP = 20_000;
/** A row group is also cut at this many characters of text (keys, missing lists): it bounds the thread's heap. */
const ROW_GROUP_CHARS = 8 << 20;

/**
 * The results' Parquet file, written by the results thread as it goes: rows are collected into row
 * groups of ROW_GROUP results (or ROW_GROUP_CHARS of text), each encoded once full.
 *
 * The encoding ran on a thread of its own, started by the results thread, until the engine's
 * threads were measured against the machine's two cores (README, "What the two cores allow"): a
 * thread of its own cost an isolate's start, its compiler's warm-up and a copy of each row group
 * between heaps, on cores the engine's thread was already waiting for, and saved nothing the
 * results thread had to wait for (it was idle ~70% of a run).
 *
 * A failure (the file cannot be opened, a full disk) is kept and raised by finish(), naming the
 * file: the results' JSONL, written beside it, goes on to its end either way.
 */
export class ParquetResults {
  readonly #file: ResultsParquetFile | undefined;
  #failed: unknown;
  #rows: ResultRows;
  /** Characters of text in #rows (keys and missing lists). */
  #chars = 0;

  constructor(
    readonly path: string,
    readonly aggs: Pick<Aggregation, 'name' | 'op'>[],
    readonly scored: boolean,
  ) {
    this.#rows = emptyRows(aggs.length);
    try {
      this.#file = new ResultsParquetFile(path, aggs, scored);
    } catch (e) {
      this.#failed = e;
    }
  }

  /** The rows of `c`, appended; a full row group is encoded and written. */
  add(c: ResultChunk): void {
    const n = c.n;
    for (let i = 0; i < n; i++) {
      const r = this.#rows; // a new one after each row group
      r.start.push(c.start[i]);
      r.end.push(c.end[i]);
      r.key.push(c.key[i]);
      r.emit.push(c.emit[i]);
      this.#chars += c.key[i].length;
      for (let j = 0; j < r.aggs.length; j++) r.aggs[j].push(aggAt(c, j, i));
      if (this.scored) {
        r.score.push(scoreAt(c, i));
        const missing = missingAt(c, i);
        r.missing.push(missing);
        r.snapshotDay.push(snapshotDayAt(c, i));
        this.#chars += missing.length;
      }
      if (r.key.length >= ROW_GROUP || this.#chars >= ROW_GROUP_CHARS) this.#writeGroup();
    }
  }

  /** The last row group, then the file's footer; the first failure is raised here. */
  finish(): void {
    this.#writeGroup();
    if (this.#failed === undefined) this.#attempt(() => this.#file!.finish());
    if (this.#failed !== undefined) {
      const e = this.#failed as NodeJS.ErrnoException;
      throw fsError(Object.assign(new Error(`writing ${this.path}: ${e.message}`), { code: e.code }), this.path);
    }
  }

  /**
   * The rows collected, encoded and written; their arrays emptied and filled again for the next row
   * group (new arrays each time made V8 re-learn their element kinds, throwing the results thread's
   * compiled append away once a row group).
   */
  #writeGroup(): void {
    const rows = this.#rows;
    if (rows.key.length === 0) return;
    this.#chars = 0;
    if (this.#failed === undefined) this.#attempt(() => this.#file!.writeGroup(rows));
    for (const a of [rows.start, rows.end, rows.key, rows.emit, rows.score, rows.missing, rows.snapshotDay, ...rows.aggs]) a.length = 0;
  }

  #attempt(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.#failed = e;
    }
  }
}
