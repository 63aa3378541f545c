import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../../scenario/types.js';
import { lit } from '../../verify/sql.js';

/**
 * `sat run --partitioned`: the run's outputs also as Hive-style date-partitioned Parquet datasets
 * (results/date=YYYY-MM-DD/part-*.parquet, and late/, dead-letters/, corrupted/), one table each
 * for DuckDB, Spark or pandas. They are cut from the JSONL outputs at each checkpoint: the bytes
 * written since the last one become part files named by that byte range, written hidden and renamed
 * into place before the checkpoint is saved. On resume the JSONL is truncated to the checkpoint, and
 * every part reaching past it (written after the last checkpoint, whose results come again) is
 * deleted with any hidden leftovers: each output record is in exactly one committed part.
 */
interface Exported {
  name: string;
  jsonl: string;
  /** DuckDB's column types for the JSONL (read with these, so every part has one schema). */
  columns: Record<string, string>;
  /** SQL for the partition date of a row. */
  date: string;
}

const PART = /^part-(\d+)-(\d+)-\d+\.parquet$/;

export class PartitionedExport {
  readonly #outputs: Exported[];
  readonly #from = new Map<string, number>();
  #db: DuckDBConnection | undefined;
  #instance: DuckDBInstance | undefined;

  constructor(
    readonly dir: string,
    s: Scenario,
    files: { results: string; late: string; deadLetters: string; corrupted?: string },
    /** The JSONL lengths at the checkpoint resumed from (none: a fresh run). */
    resumed: Record<string, number> | undefined,
  ) {
    const aggs = Object.fromEntries(s.aggregations.map((a) => [a.name, 'DOUBLE']));
    const scored: Record<string, string> = s.score ? { score: 'DOUBLE', missing: 'VARCHAR[]', snapshot_day: 'VARCHAR' } : {};
    // Dead letters and corrupted rows carry no trusted time: their date is the day they were written.
    const today = `strftime(current_date, '%Y-%m-%d')`;
    this.#outputs = [
      { name: 'results', jsonl: files.results, columns: { window_start: 'TIMESTAMP', window_end: 'TIMESTAMP', key: 'VARCHAR', ...aggs, ...scored, emit_time: 'TIMESTAMP' }, date: `strftime(window_start, '%Y-%m-%d')` },
      { name: 'late', jsonl: files.late, columns: { partition: 'INTEGER', offset: 'BIGINT', key: 'VARCHAR', event_time: 'VARCHAR', id: 'VARCHAR', watermark: 'VARCHAR', value: 'VARCHAR' }, date: 'substr(event_time, 1, 10)' },
      { name: 'dead-letters', jsonl: files.deadLetters, columns: { partition: 'INTEGER', offset: 'BIGINT', kind: 'VARCHAR', reason: 'VARCHAR', raw: 'VARCHAR' }, date: today },
      ...(files.corrupted ? [{ name: 'corrupted', jsonl: files.corrupted, columns: { partition: 'INTEGER', offset: 'BIGINT', reason: 'VARCHAR', value: 'VARCHAR' }, date: today }] : []),
    ];
    for (const o of this.#outputs) {
      const from = resumed?.[o.name] ?? 0;
      this.#from.set(o.name, from);
      this.#trim(join(dir, o.name), from);
    }
  }

  /** Deletes parts past `upTo` and hidden leftovers (a fresh run: everything). */
  #trim(root: string, upTo: number): void {
    if (!existsSync(root)) return;
    for (const e of readdirSync(root, { withFileTypes: true })) {
      const full = join(root, e.name);
      if (e.name.startsWith('.')) rmSync(full, { recursive: true, force: true });
      else if (e.isDirectory()) this.#trim(full, upTo);
      else {
        const m = PART.exec(e.name);
        if (m && Number(m[2]) > upTo) rmSync(full, { force: true });
      }
    }
  }

  async #conn(): Promise<DuckDBConnection> {
    if (this.#db === undefined) {
      this.#instance = await DuckDBInstance.create(':memory:');
      this.#db = await this.#instance.connect();
      await this.#db.run(`SET TimeZone = 'UTC'`);
      await this.#db.run(`SET threads = 1`);
    }
    return this.#db;
  }

  /** Exports each output's bytes since the last commit, up to its current length (flushed by the caller). */
  async commit(lengths: Record<string, number>): Promise<void> {
    for (const o of this.#outputs) {
      const from = this.#from.get(o.name)!;
      const to = lengths[o.name];
      if (to === undefined || to <= from) continue;
      const root = join(this.dir, o.name);
      const staging = join(root, `.staging-${from}-${to}`);
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true });
      const chunk = join(staging, 'chunk.jsonl');
      writeFileSync(chunk, readRange(o.jsonl, from, to));
      const db = await this.#conn();
      const cols = `{${Object.entries(o.columns).map(([k, t]) => `'${k}': '${t}'`).join(', ')}}`;
      await db.run(`COPY (SELECT *, ${o.date} AS date FROM read_json(${lit(chunk)}, format = 'newline_delimited', columns = ${cols}))
        TO ${lit(join(staging, 'out'))} (FORMAT parquet, PARTITION_BY (date), FILENAME_PATTERN 'part-${from}-${to}-{i}')`);
      for (const d of readdirSync(join(staging, 'out'))) {
        mkdirSync(join(root, d), { recursive: true });
        for (const f of readdirSync(join(staging, 'out', d))) renameSync(join(staging, 'out', d, f), join(root, d, f));
      }
      rmSync(staging, { recursive: true, force: true });
      this.#from.set(o.name, to);
    }
  }

  close(): void {
    this.#db?.closeSync();
    this.#instance?.closeSync();
  }
}

function readRange(file: string, from: number, to: number): Buffer {
  const buf = Buffer.alloc(to - from);
  const fd = openSync(file, 'r');
  try {
    let read = 0;
    while (read < buf.length) {
      const n = readSync(fd, buf, read, buf.length - read, from + read);
      if (n === 0) break;
      read += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}
