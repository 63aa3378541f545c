import { createWriteStream, type WriteStream } from 'node:fs';
import { parquetWriteFile } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
import type { Scenario } from '../scenario/types.js';
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
    this.#buf.push(JSON.stringify(obj));
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

export interface EmittedResult extends WindowResult {
  emitTime: number;
}

/** The JSONL form of a result: window bounds as ISO timestamps, aggregates by name. */
export function resultRow(r: EmittedResult): Record<string, unknown> {
  return {
    window_start: new Date(r.windowStart).toISOString(),
    window_end: new Date(r.windowEnd).toISOString(),
    key: r.key,
    ...r.values,
    emit_time: new Date(r.emitTime).toISOString(),
  };
}

/** Results as Parquet (timestamps in ms, aggregates as doubles), read back by DuckDB, Spark or pandas. */
export function writeResultsParquet(path: string, results: EmittedResult[], s: Scenario): void {
  const columns: ColumnSource[] = [
    { name: 'window_start', data: results.map((r) => new Date(r.windowStart)), type: 'TIMESTAMP', nullable: false },
    { name: 'window_end', data: results.map((r) => new Date(r.windowEnd)), type: 'TIMESTAMP', nullable: false },
    { name: 'key', data: results.map((r) => r.key), type: 'STRING', nullable: false },
    ...s.aggregations.map(
      (a): ColumnSource =>
        a.op === 'count'
          ? { name: a.name, data: results.map((r) => BigInt(r.values[a.name] ?? 0)), type: 'INT64', nullable: false }
          : { name: a.name, data: results.map((r) => r.values[a.name]), type: 'DOUBLE', nullable: true },
    ),
    { name: 'emit_time', data: results.map((r) => new Date(r.emitTime)), type: 'TIMESTAMP', nullable: false },
  ];
  parquetWriteFile({ filename: path, columnData: columns });
}
