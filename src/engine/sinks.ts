import { createWriteStream, type WriteStream } from 'node:fs';
import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import type { Scenario } from '../scenario/types.js';
import type { ScoredResult } from './join/scorer.js';
import type { WindowResult } from './operator.js';

/** Buffered JSON Lines file: one object per line, written in batches. */
export class JsonlSink {
  readonly #out: WriteStream;
  #buf: string[] = [];
  count = 0;

  constructor(path: string) {
    this.#out = createWriteStream(path);
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
    if (this.#buf.length > 0) this.#out.write(`${this.#buf.join('\n')}\n`);
    this.#buf = [];
  }

  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve, reject) => this.#out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

const ROW_GROUP = 50_000;

/**
 * One result as a JSON line: window bounds as ISO timestamps, aggregates by name, emit time.
 * Built by hand: it runs once per result, and JSON.stringify of a fresh object costs 3x more.
 */
export function resultLine(r: WindowResult | ScoredResult, aggs: Scenario['aggregations'], emitIso: string, iso = (ms: number) => new Date(ms).toISOString()): string {
  let line = `{"window_start":"${iso(r.windowStart)}","window_end":"${iso(r.windowEnd)}","key":${JSON.stringify(r.key)}`;
  for (const a of aggs) line += `,${JSON.stringify(a.name)}:${r.values[a.name] ?? 'null'}`;
  if ('score' in r) line += `,"score":${r.score ?? 'null'},"missing":${JSON.stringify(r.missing)},"snapshot_day":${r.snapshotDay === null ? 'null' : `"${r.snapshotDay}"`}`;
  return `${line},"emit_time":"${emitIso}"}`;
}

/**
 * Window results, written as they fire: JSONL (window bounds as ISO timestamps) and Parquet
 * (timestamps in ms, counts INT64, other aggregates DOUBLE), a row group every 50k results so
 * memory stays bounded however many windows fire.
 */
export class ResultSink {
  readonly #jsonl: JsonlSink;
  readonly #parquet: ParquetWriter;
  readonly #aggs: Scenario['aggregations'];
  readonly #scored: boolean;
  #cols: ReturnType<ResultSink['emptyColumns']>;
  #iso = new Map<number, string>();

  constructor(jsonlPath: string, parquetPath: string, s: Scenario) {
    this.#jsonl = new JsonlSink(jsonlPath);
    this.#aggs = s.aggregations;
    this.#scored = s.score !== undefined;
    this.#cols = this.emptyColumns();
    this.#parquet = new ParquetWriter({ writer: fileWriter(parquetPath), schema: schemaFromColumnData({ columnData: this.#columns() }) });
  }

  get count(): number {
    return this.#jsonl.count;
  }

  write(results: (WindowResult | ScoredResult)[], emitTime: number): void {
    const emit = new Date(emitTime).toISOString();
    for (const r of results) {
      this.#jsonl.writeLine(resultLine(r, this.#aggs, emit, this.#isoOf.bind(this)));
      this.#cols.start.push(r.windowStart);
      this.#cols.end.push(r.windowEnd);
      this.#cols.key.push(r.key);
      this.#cols.emit.push(emitTime);
      this.#aggs.forEach((a, i) => this.#cols.aggs[i].push(r.values[a.name]));
      if ('score' in r) {
        this.#cols.score.push(r.score);
        this.#cols.missing.push(r.missing.join(','));
        this.#cols.snapshotDay.push(r.snapshotDay);
      }
    }
    if (this.#cols.key.length >= ROW_GROUP) this.#flushRowGroup();
  }

  async close(): Promise<void> {
    this.#flushRowGroup();
    this.#parquet.finish();
    await this.#jsonl.close();
  }

  flush(): void {
    this.#jsonl.flush();
  }

  #isoOf(ms: number): string {
    let s = this.#iso.get(ms);
    if (s === undefined) {
      if (this.#iso.size > 10_000) this.#iso.clear();
      s = new Date(ms).toISOString();
      this.#iso.set(ms, s);
    }
    return s;
  }

  #flushRowGroup(): void {
    if (this.#cols.key.length === 0) return;
    this.#parquet.write({ columnData: this.#columns(), rowGroupSize: ROW_GROUP });
    this.#cols = this.emptyColumns();
  }

  private emptyColumns() {
    return { start: [] as number[], end: [] as number[], key: [] as string[], emit: [] as number[], aggs: this.#aggs.map(() => [] as (number | null)[]), score: [] as (number | null)[], missing: [] as string[], snapshotDay: [] as (string | null)[] };
  }

  #columns(): ColumnSource[] {
    const c = this.#cols;
    const dates = (xs: number[]) => xs.map((x) => new Date(x));
    return [
      { name: 'window_start', data: dates(c.start), type: 'TIMESTAMP', nullable: false },
      { name: 'window_end', data: dates(c.end), type: 'TIMESTAMP', nullable: false },
      { name: 'key', data: c.key, type: 'STRING', nullable: false },
      ...this.#aggs.map(
        (a, i): ColumnSource =>
          a.op === 'count'
            ? { name: a.name, data: c.aggs[i].map((v) => BigInt(v ?? 0)), type: 'INT64', nullable: false }
            : { name: a.name, data: c.aggs[i], type: 'DOUBLE', nullable: true },
      ),
      ...(this.#scored
        ? [
            { name: 'score', data: c.score, type: 'DOUBLE', nullable: true } as ColumnSource,
            // Comma-separated: "", "online", "batch" or "batch,online".
            { name: 'missing', data: c.missing, type: 'STRING', nullable: false } as ColumnSource,
            { name: 'snapshot_day', data: c.snapshotDay, type: 'STRING', nullable: true } as ColumnSource,
          ]
        : []),
      { name: 'emit_time', data: dates(c.emit), type: 'TIMESTAMP', nullable: false },
    ];
  }
}
