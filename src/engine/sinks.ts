import { closeSync, createReadStream, existsSync, openSync, statSync, truncateSync } from 'node:fs';
import { SatError } from '../core/errors.js';
import { writeAll } from '../core/fs-errors.js';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { cachedIso } from '../core/time.js';
import { fsError } from '../core/fs-errors.js';
import type { Scenario } from '../scenario/types.js';
import { emptyRows, type ResultRows } from './parquet/result-columns.js';
import type { ScoredResult } from './join/scorer.js';
import type { WindowResult } from './operator.js';

/** Where a sink stood at a checkpoint: resuming truncates the file back to this. */
export interface SinkState {
  bytes: number;
  count: number;
}

/**
 * Buffered JSON Lines file: one object per line, written in batches with plain synchronous writes,
 * so after flush() the file holds exactly `bytes` bytes: what a checkpoint records. Resuming from a
 * checkpoint truncates the file back to that length (outputs after it are written again).
 */
export class JsonlSink {
  readonly #fd: number;
  #buf: string[] = [];
  count = 0;
  bytes = 0;

  constructor(readonly path: string, resume?: SinkState) {
    if (resume) {
      const size = existsSync(path) ? statSync(path).size : 0;
      if (size < resume.bytes) throw new SatError(`${path} is shorter (${size} bytes) than the run's checkpoint says (${resume.bytes}): it was changed since; sat run --fresh starts over`, 3);
      truncateSync(path, resume.bytes);
      this.#fd = openSync(path, 'a');
      this.bytes = resume.bytes;
      this.count = resume.count;
    } else {
      this.#fd = openSync(path, 'w');
    }
  }

  write(obj: unknown): void {
    this.writeLine(JSON.stringify(obj));
  }

  /** A line already serialized as JSON. */
  writeLine(line: string): void {
    this.#buf.push(line);
    this.count++;
    if (this.#buf.length >= 1024) this.flush();
  }

  flush(): void {
    if (this.#buf.length === 0) return;
    const data = Buffer.from(`${this.#buf.join('\n')}\n`);
    writeAll(this.#fd, data, this.path);
    this.bytes += data.length;
    this.#buf = [];
  }

  /** Flushed position, for a checkpoint. */
  state(): SinkState {
    this.flush();
    return { bytes: this.bytes, count: this.count };
  }

  async close(): Promise<void> {
    this.flush();
    closeSync(this.#fd);
  }
}

const ROW_GROUP = 50_000;
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
 * One result as a JSON line: window bounds as ISO timestamps, aggregates by name, emit time.
 * Built by hand: it runs once per result, and JSON.stringify of a fresh object costs 3x more.
 */
export function resultLine(r: WindowResult | ScoredResult, aggs: Scenario['aggregations'], emitIso: string, iso = (ms: number) => new Date(ms).toISOString()): string {
  let line = `{"window_start":"${iso(r.windowStart)}","window_end":"${iso(r.windowEnd)}","key":${JSON.stringify(r.key)}`;
  const names = quotedNames(aggs);
  for (let i = 0; i < aggs.length; i++) line += `${names[i]}${r.values[aggs[i].name] ?? 'null'}`;
  if ('score' in r) line += `,"score":${r.score ?? 'null'},"missing":${JSON.stringify(r.missing)},"snapshot_day":${r.snapshotDay === null ? 'null' : `"${r.snapshotDay}"`}`;
  return `${line},"emit_time":"${emitIso}"}`;
}

const quoted = new WeakMap<Scenario['aggregations'], string[]>();
/** `,"name":` of each aggregation, made once per scenario. */
function quotedNames(aggs: Scenario['aggregations']): string[] {
  let q = quoted.get(aggs);
  if (q === undefined) quoted.set(aggs, (q = aggs.map((a) => `,${JSON.stringify(a.name)}:`)));
  return q;
}

/** The results' Parquet file, encoded by a worker thread (parquet/worker.ts) from row groups handed over. */
class ParquetInWorker {
  readonly #worker: Worker;
  readonly #done: Promise<{ failed?: { message: string; code?: string } }>;

  constructor(
    readonly path: string,
    s: Scenario,
  ) {
    this.#worker = new Worker(new URL('./parquet/worker.js', import.meta.url), {
      workerData: { path, aggs: s.aggregations.map((a) => ({ name: a.name, op: a.op })), scored: s.score !== undefined },
      resourceLimits: { maxOldGenerationSizeMb: PARQUET_THREAD_HEAP_MB },
    });
    // It must not hold the process open while the engine runs; finish() holds it until it answers.
    this.#worker.unref();
    this.#done = new Promise((resolve) => {
      this.#worker.once('message', resolve);
      this.#worker.once('error', (e) =>
        resolve({ failed: { message: (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' ? `the Parquet writer thread ran out of its ${PARQUET_THREAD_HEAP_MB} MB heap` : e.message } }),
      );
      this.#worker.once('exit', (code) => resolve({ failed: { message: `the Parquet writer thread exited (${code})` } }));
    });
  }

  write(rows: ResultRows): void {
    this.#worker.postMessage({ rows });
  }

  async finish(): Promise<void> {
    this.#worker.ref();
    this.#worker.postMessage({ finish: true });
    const r = await this.#done;
    if (r.failed) throw fsError(Object.assign(new Error(`writing ${this.path}: ${r.failed.message}`), { code: r.failed.code }), this.path);
  }
}

/**
 * Window results, written as they fire: JSONL (window bounds as ISO timestamps) and Parquet
 * (timestamps in ms, counts INT64, other aggregates DOUBLE), a row group every 50k results so
 * memory stays bounded however many windows fire.
 */
export class ResultSink {
  readonly #jsonl: JsonlSink;
  /** Absent when resumed from a checkpoint: the Parquet file is then rebuilt from the JSONL at the end. */
  #parquet: ParquetInWorker | undefined;
  readonly #parquetPath: string;
  readonly #scenario: Scenario;
  readonly #aggs: Scenario['aggregations'];
  readonly #scored: boolean;
  #cols: ResultRows;
  /** Characters of text in #cols (keys and missing lists). */
  #chars = 0;
  readonly #iso = cachedIso();

  constructor(jsonlPath: string, parquetPath: string, s: Scenario, resume?: SinkState) {
    this.#jsonl = new JsonlSink(jsonlPath, resume);
    this.#parquetPath = parquetPath;
    this.#scenario = s;
    this.#aggs = s.aggregations;
    this.#scored = s.score !== undefined;
    this.#cols = emptyRows(this.#aggs.length);
    this.#parquet = resume ? undefined : new ParquetInWorker(parquetPath, s);
  }

  state(): SinkState {
    return this.#jsonl.state();
  }

  get count(): number {
    return this.#jsonl.count;
  }

  write(results: (WindowResult | ScoredResult)[], emitTime: number): void {
    const emit = new Date(emitTime).toISOString();
    for (const r of results) {
      this.#jsonl.writeLine(resultLine(r, this.#aggs, emit, this.#iso));
      // Resumed from a checkpoint, Parquet is rebuilt from the JSONL at the end instead.
      if (this.#parquet) {
        this.#push(r, emitTime);
        if (this.#cols.key.length >= ROW_GROUP || this.#chars >= ROW_GROUP_CHARS) this.#flushRowGroup();
      }
    }
  }

  /** One result into the Parquet column buffers. */
  #push(r: WindowResult | ScoredResult, emitTime: number): void {
    this.#cols.start.push(r.windowStart);
    this.#cols.end.push(r.windowEnd);
    this.#cols.key.push(r.key);
    this.#chars += r.key.length;
    this.#cols.emit.push(emitTime);
    const aggs = this.#aggs;
    for (let i = 0; i < aggs.length; i++) this.#cols.aggs[i].push(r.values[aggs[i].name] ?? null);
    if ('score' in r) {
      this.#cols.score.push(r.score);
      const missing = r.missing.join(',');
      this.#cols.missing.push(missing);
      this.#chars += missing.length;
      this.#cols.snapshotDay.push(r.snapshotDay);
    }
  }

  async close(): Promise<void> {
    if (this.#parquet) {
      this.#flushRowGroup();
      await this.#jsonl.close();
      await this.#parquet.finish();
      return;
    }
    await this.#jsonl.close();
    await this.#rebuildParquet();
  }

  /** After a resume: the Parquet results again from the JSONL, a row group at a time. */
  async #rebuildParquet(): Promise<void> {
    this.#cols = emptyRows(this.#aggs.length);
    this.#parquet = new ParquetInWorker(this.#parquetPath, this.#scenario);
    for await (const line of createInterface({ input: createReadStream(this.#jsonl.path), crlfDelay: Infinity })) {
      if (line === '') continue;
      const o = JSON.parse(line) as Record<string, unknown> & { window_start: string; window_end: string; key: string; emit_time: string };
      const base: WindowResult = { windowStart: Date.parse(o.window_start), windowEnd: Date.parse(o.window_end), key: o.key, values: o as Record<string, number | null> };
      const r = this.#scored ? { ...base, score: (o.score as number | null) ?? null, missing: (o.missing as string[]) ?? [], snapshotDay: (o.snapshot_day as string | null) ?? null } : base;
      this.#push(r, Date.parse(o.emit_time));
      if (this.#cols.key.length >= ROW_GROUP || this.#chars >= ROW_GROUP_CHARS) this.#flushRowGroup();
    }
    this.#flushRowGroup();
    await this.#parquet.finish();
  }

  flush(): void {
    this.#jsonl.flush();
  }


  #flushRowGroup(): void {
    if (this.#cols.key.length === 0 || !this.#parquet) return;
    this.#parquet.write(this.#cols);
    this.#cols = emptyRows(this.#aggs.length);
    this.#chars = 0;
  }
}
