import type { DuckDBConnection } from '@duckdb/node-api';
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
/** One output as a dataset: its name (the folder), DuckDB's column types for its JSON rows (so every part has one schema), and the SQL of a row's date. */
export interface OutputTable {
  name: 'results' | 'late' | 'dead-letters' | 'corrupted';
  columns: Record<string, string>;
  date: string;
}

/** The run's outputs as tables: results by window start, late rows by event time, the rest by the day written. */
export function outputTables(s: Scenario): OutputTable[] {
  const aggs = Object.fromEntries(s.aggregations.map((a) => [a.name, 'DOUBLE']));
  const scored: Record<string, string> = s.score ? { score: 'DOUBLE', missing: 'VARCHAR[]', snapshot_day: 'VARCHAR' } : {};
  // Dead letters and corrupted rows carry no trusted time: their date is the day they were written.
  const today = `strftime(current_date, '%Y-%m-%d')`;
  return [
    { name: 'results', columns: { window_start: 'TIMESTAMP', window_end: 'TIMESTAMP', key: 'VARCHAR', ...aggs, ...scored, emit_time: 'TIMESTAMP' }, date: `strftime(window_start, '%Y-%m-%d')` },
    { name: 'late', columns: { partition: 'INTEGER', offset: 'BIGINT', key: 'VARCHAR', event_time: 'VARCHAR', id: 'VARCHAR', watermark: 'VARCHAR', value: 'VARCHAR' }, date: 'substr(event_time, 1, 10)' },
    { name: 'dead-letters', columns: { partition: 'INTEGER', offset: 'BIGINT', kind: 'VARCHAR', reason: 'VARCHAR', raw: 'VARCHAR' }, date: today },
    ...(s.reports ? [{ name: 'corrupted' as const, columns: { partition: 'INTEGER', offset: 'BIGINT', reason: 'VARCHAR', value: 'VARCHAR' }, date: today }] : []),
  ];
}

/**
 * Writes JSON rows (one per line) as the table's date-partitioned parts under root, named
 * <tag>-<i>.parquet in root/date=YYYY-MM-DD/: written in a hidden staging folder, then renamed into place.
 */
export async function writeParts(db: DuckDBConnection, table: OutputTable, rows: Buffer, root: string, tag: string): Promise<number> {
  const staging = join(root, `.staging-${tag}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const chunk = join(staging, 'chunk.jsonl');
  writeFileSync(chunk, rows);
  const cols = `{${Object.entries(table.columns).map(([k, t]) => `'${k}': '${t}'`).join(', ')}}`;
  await db.run(`COPY (SELECT *, ${table.date} AS date FROM read_json(${lit(chunk)}, format = 'newline_delimited', columns = ${cols}))
    TO ${lit(join(staging, 'out'))} (FORMAT parquet, PARTITION_BY (date), FILENAME_PATTERN '${tag}-{i}')`);
  let files = 0;
  for (const d of readdirSync(join(staging, 'out'))) {
    mkdirSync(join(root, d), { recursive: true });
    for (const f of readdirSync(join(staging, 'out', d))) {
      renameSync(join(staging, 'out', d, f), join(root, d, f));
      files++;
    }
  }
  rmSync(staging, { recursive: true, force: true });
  return files;
}

/** A DuckDB connection for writing parts: UTC, one thread (it runs beside the engine). */
export async function partWriter(): Promise<{ db: DuckDBConnection; close: () => void }> {
  // Loaded here, not at the top: DuckDB costs ~170 ms to load, and most runs write no parts.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run(`SET TimeZone = 'UTC'`);
  await db.run(`SET threads = 1`);
  return { db, close: () => (db.closeSync(), instance.closeSync()) };
}

interface Exported extends OutputTable {
  jsonl: string;
}

const PART = /^part-(\d+)-(\d+)-\d+\.parquet$/;

export class PartitionedExport {
  readonly #outputs: Exported[];
  readonly #from = new Map<string, number>();
  #writer: { db: DuckDBConnection; close: () => void } | undefined;

  constructor(
    readonly dir: string,
    s: Scenario,
    files: { results: string; late: string; deadLetters: string; corrupted?: string },
    /** The JSONL lengths at the checkpoint resumed from (none: a fresh run). */
    resumed: Record<string, number> | undefined,
  ) {
    const jsonl = { results: files.results, late: files.late, 'dead-letters': files.deadLetters, corrupted: files.corrupted };
    this.#outputs = outputTables(s).flatMap((t) => (jsonl[t.name] === undefined ? [] : [{ ...t, jsonl: jsonl[t.name]! }]));
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
    this.#writer ??= await partWriter();
    return this.#writer.db;
  }

  /** Exports each output's bytes since the last commit, up to its current length (flushed by the caller). */
  async commit(lengths: Record<string, number>): Promise<void> {
    for (const o of this.#outputs) {
      const from = this.#from.get(o.name)!;
      const to = lengths[o.name];
      if (to === undefined || to <= from) continue;
      await writeParts(await this.#conn(), o, readRange(o.jsonl, from, to), join(this.dir, o.name), `part-${from}-${to}`);
      this.#from.set(o.name, to);
    }
  }

  close(): void {
    this.#writer?.close();
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
