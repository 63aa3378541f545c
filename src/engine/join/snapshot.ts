import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { UsageError } from '../../core/errors.js';
import { delimitedSource } from '../../sources/delimited.js';
import { jsonlSource } from '../../sources/jsonl.js';
import type { Source } from '../../sources/types.js';

/**
 * One day's batch snapshot, reduced to what the score reads: the key column and the referenced
 * numeric columns, each a Float64Array (booleans 1/0, NULL as NaN). Memory is rows x (columns + 1
 * map entry), whatever the width of the file: 5,000 feature columns cost nothing unless used.
 */
export interface Snapshot {
  day: string;
  file: string;
  rows: number;
  index: Map<string, number>;
  columns: Map<string, Float64Array>;
}

const NAME = (prefix: string) => new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{4}-\\d{2}-\\d{2})\\.(parquet|csv|jsonl)$`);

/** The newest snapshot file in dir: <prefix>-YYYY-MM-DD.{parquet,csv,jsonl}; undefined if none. */
export function latestSnapshotFile(dir: string, prefix: string): { day: string; file: string } | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const re = NAME(prefix);
  let best: { day: string; file: string } | undefined;
  for (const n of names) {
    const m = re.exec(n);
    if (m && (best === undefined || m[1] > best.day)) best = { day: m[1], file: join(dir, n) };
  }
  return best;
}

/** Loads the key and the given columns of a snapshot file; a missing or non-numeric column is a usage error. */
export async function loadSnapshot(file: string, day: string, key: string, columns: string[]): Promise<Snapshot> {
  return file.endsWith('.parquet') ? loadParquet(file, day, key, columns) : loadText(file, day, key, columns);
}

function cellNumber(v: unknown, file: string, column: string): number {
  if (v === null || v === undefined || v === '') return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (v === 'true') return 1;
  if (v === 'false') return 0;
  const n = Number(v);
  if (typeof v === 'string' && Number.isFinite(n)) return n;
  throw new UsageError(`snapshot ${file}: column ${column} is not numeric (found ${JSON.stringify(String(v)).slice(0, 40)})`);
}

async function loadParquet(file: string, day: string, key: string, columns: string[]): Promise<Snapshot> {
  const buf = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buf);
  const names = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
  for (const c of [key, ...columns]) if (!names.has(c)) throw new UsageError(`snapshot ${file}: no column "${c}"`);
  const rows = Number(metadata.num_rows);
  const keys: string[] = new Array(rows);
  const cols = new Map(columns.map((c) => [c, new Float64Array(rows)]));
  // A row group at a time: the decoded pages of one group are garbage before the next is read,
  // which keeps the peak near the result's size (all groups at once peaked at 3.7x it).
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    await parquetRead({
      file: buf,
      metadata,
      columns: [key, ...columns],
      rowStart: groupStart,
      rowEnd: groupEnd,
      onChunk: ({ columnName, columnData, rowStart }) => {
        const from = Math.max(groupStart, rowStart);
        const to = Math.min(groupEnd, rowStart + columnData.length);
        if (columnName === key) {
          for (let r = from; r < to; r++) keys[r] = String(columnData[r - rowStart]);
          return;
        }
        const out = cols.get(columnName);
        if (out === undefined) return;
        for (let r = from; r < to; r++) out[r] = cellNumber(columnData[r - rowStart], file, columnName);
      },
    });
    groupStart = groupEnd;
  }
  return { day, file, rows, index: indexOf(keys, file), columns: cols };
}

async function loadText(file: string, day: string, key: string, columns: string[]): Promise<Snapshot> {
  const source: Source = file.endsWith('.csv')
    ? delimitedSource(file, { encoding: 'utf8', delimiter: ',', quote: true, header: 'yes', columns: [], headerHints: [] })
    : jsonlSource(file);
  const keys: string[] = [];
  const values: number[][] = columns.map(() => []);
  let checked = false;
  for await (const batch of source.batches()) {
    for (const r of batch) {
      if (r.values === undefined) throw new UsageError(`snapshot ${file}: row ${r.row + 1}: ${r.problem ?? 'unreadable'}`);
      if (!checked) {
        for (const c of [key, ...columns]) if (!(c in r.values)) throw new UsageError(`snapshot ${file}: no column "${c}"`);
        checked = true;
      }
      keys.push(String(r.values[key]));
      for (let j = 0; j < columns.length; j++) values[j].push(cellNumber(r.values[columns[j]], file, columns[j]));
    }
  }
  return { day, file, rows: keys.length, index: indexOf(keys, file), columns: new Map(columns.map((c, j) => [c, Float64Array.from(values[j])])) };
}

function indexOf(keys: string[], file: string): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) {
    if (index.has(keys[i])) throw new UsageError(`snapshot ${file}: key ${keys[i]} appears twice`);
    index.set(keys[i], i);
  }
  return index;
}

/**
 * The latest snapshot, reloaded when a newer day appears in the directory. The directory is looked at
 * no more than once per `checkEveryMs`; a file that fails to load (still being written) is tried
 * again at the next look, and the current snapshot stays in use meanwhile.
 */
export class SnapshotStore {
  current: Snapshot | undefined;
  #lastCheck = -Infinity;
  #failedDay: string | undefined;
  #loading: Promise<Snapshot | undefined> | undefined;

  constructor(
    readonly dir: string,
    readonly prefix: string,
    readonly key: string,
    readonly columns: string[],
    readonly checkEveryMs = 5000,
    readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Loads the newest snapshot if there is a newer one than the current (and it is time to look). */
  refresh(force = false): Promise<Snapshot | undefined> {
    // Concurrent scorers share one look (and one load).
    this.#loading ??= this.#refresh(force).finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  async #refresh(force: boolean): Promise<Snapshot | undefined> {
    const now = performance.now();
    if (!force && now - this.#lastCheck < this.checkEveryMs) return this.current;
    this.#lastCheck = now;
    const latest = latestSnapshotFile(this.dir, this.prefix);
    if (latest === undefined || (this.current !== undefined && latest.day <= this.current.day)) return this.current;
    try {
      const started = performance.now();
      this.current = await loadSnapshot(latest.file, latest.day, this.key, this.columns);
      this.log(`snapshot ${latest.day}: ${this.current.rows} customers, ${this.columns.length} columns, loaded in ${Math.round(performance.now() - started)} ms`);
    } catch (e) {
      if (e instanceof UsageError && this.current === undefined) throw e;
      if (this.#failedDay !== latest.day) this.log(`snapshot ${latest.day} not loaded yet (${(e as Error).message}); keeping ${this.current?.day ?? 'none'}`);
      this.#failedDay = latest.day;
    }
    return this.current;
  }
}
