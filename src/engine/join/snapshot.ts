import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { Growing } from '../../core/growing.js';
import { partitionForKey } from '../../core/murmur2.js';
import { completeDays } from '../../core/partitioned.js';
import { delimitedSource } from '../../sources/delimited.js';
import { jsonlSource } from '../../sources/jsonl.js';
import type { Source } from '../../sources/types.js';
import { KeyIndex } from './key-index.js';

/**
 * One day's batch snapshot, reduced to what the score reads: the key column and the referenced
 * numeric columns, each a Float64Array (booleans 1/0, NULL as NaN). Memory is rows x (8 bytes a
 * column + the key's bytes + ~20), whatever the width of the file: 5,000 feature columns cost nothing
 * unless used.
 */
export interface Snapshot {
  day: string;
  /** What was read: the flat file, or the parts of a partitioned day. */
  file: string;
  rows: number;
  /** Customer key → row (off the heap: a Map holds at most 2^24 keys). */
  index: KeyIndex;
  columns: Map<string, Float64Array>;
  /** The input partitions whose customers it holds (all of them when undefined). */
  scope?: SnapshotScope;
}

/** The customers a Kafka member needs: those Kafka's partitioner puts on the partitions it is assigned. */
export interface SnapshotScope {
  partitions: number;
  assigned: ReadonlySet<number>;
}

/** A day's snapshot on disk: one flat file, or the complete parts of a partitioned day. */
export interface SnapshotDay {
  day: string;
  files: string[];
  /** n, for the parts of a partitioned day (part i holds the keys of partition i-1 of n). */
  parts?: number;
}

const NAME = (prefix: string) => new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{4}-\\d{2}-\\d{2})\\.(parquet|csv|jsonl)$`);

/**
 * The snapshot days in dir, oldest first: <prefix>-YYYY-MM-DD.{parquet,csv,jsonl}, or a complete day of
 * the partitioned dataset <prefix>/date=YYYY-MM-DD/part-i-of-n.* (sat gen --shard), which wins over a
 * flat file of the same day.
 */
export function snapshotDays(dir: string, prefix: string): SnapshotDay[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const byDay = new Map<string, SnapshotDay>();
  const re = NAME(prefix);
  for (const n of names) {
    const m = re.exec(n);
    if (m) byDay.set(m[1], { day: m[1], files: [join(dir, n)] });
  }
  for (const d of completeDays(join(dir, prefix))) byDay.set(d.day, d);
  return [...byDay.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
}

/** The newest snapshot day in dir (snapshotDays); undefined if none. */
export const latestSnapshotDay = (dir: string, prefix: string): SnapshotDay | undefined => snapshotDays(dir, prefix).pop();

/**
 * Loads the key and the given columns of a snapshot day; a missing or non-numeric column is a usage
 * error. With a scope, only the scope's customers are kept: a part whose n equals the partition count
 * is read only when its partition is assigned (its keys all belong to it); other files are read and
 * their rows filtered by the key's partition.
 */
export async function loadSnapshot(on: SnapshotDay, key: string, columns: string[], scope?: SnapshotScope): Promise<Snapshot> {
  const into = new Rows(columns);
  const whole = on.parts !== undefined && scope !== undefined && on.parts === scope.partitions;
  const keep = scope === undefined || whole ? undefined : (k: string) => scope.assigned.has(partitionForKey(k, scope.partitions));
  for (let i = 0; i < on.files.length; i++) {
    if (whole && !scope.assigned.has(i)) continue;
    const file = on.files[i];
    await (file.endsWith('.parquet') ? loadParquet(file, key, columns, into, keep) : loadText(file, key, columns, into, keep));
  }
  const file = on.files.length === 1 ? on.files[0] : `${dirname(on.files[0])} (${on.files.length} parts)`;
  return { day: on.day, file, scope, ...into.done() };
}

/** Accepted rows, appended in typed chunks (the count is known only at the end when rows are filtered). */
class Rows {
  readonly index = new KeyIndex();
  readonly values: Growing<Float64Array>[];
  constructor(readonly columns: string[]) {
    this.values = columns.map(() => new Growing((n) => new Float64Array(n)));
  }
  /** The row's key; a key seen before is a usage error (which row would a join take?). */
  key(k: string, file: string): void {
    if (!this.index.add(k)) throw new UsageError(`snapshot ${file}: key ${k} appears twice`);
  }
  done(): Pick<Snapshot, 'rows' | 'index' | 'columns'> {
    return { rows: this.index.size, index: this.index, columns: new Map(this.columns.map((c, j) => [c, this.values[j].done()])) };
  }
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

async function loadParquet(file: string, key: string, columns: string[], into: Rows, keep?: (key: string) => boolean): Promise<void> {
  // Loaded when a snapshot is a Parquet file: its ~27 modules were ~30 ms of every sat run's start.
  const [{ asyncBufferFromFile, parquetMetadataAsync, parquetSchema }, { flatRowGroups }] = await Promise.all([import('hyparquet'), import('../../sources/parquet-groups.js')]);
  const buf = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buf);
  const names = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
  for (const c of [key, ...columns]) if (!names.has(c)) throw new UsageError(`snapshot ${file}: no column "${c}"`);
  // A row group at a time: the decoded pages of one group are garbage before the next is read,
  // which keeps the peak near the result's size (all groups at once peaked at 3.7x it).
  // Keys as text, features converted to numbers as each chunk is copied (every cell is checked, kept
  // or not, so every member of a group refuses the same file).
  const columnInto = (c: string, rows: number) =>
    c === key ? { out: new Array<string>(rows), convert: String } : { out: new Float64Array(rows), convert: (v: unknown) => cellNumber(v, file, c) };
  for await (const group of flatRowGroups(buf, metadata, [key, ...columns], columnInto)) {
    const keys = group.columns.get(key) as string[];
    const values = columns.map((c) => group.columns.get(c) as Float64Array);
    for (let r = 0; r < group.rows; r++) {
      const k = keys[r];
      if (keep && !keep(k)) continue;
      into.key(k, file);
      for (let j = 0; j < values.length; j++) into.values[j].push(values[j][r]);
    }
  }
}

async function loadText(file: string, key: string, columns: string[], into: Rows, keep?: (key: string) => boolean): Promise<void> {
  const source: Source = file.endsWith('.csv')
    ? delimitedSource(file, { encoding: 'utf8', delimiter: ',', quote: true, header: 'yes', columns: [], headerHints: [] })
    : jsonlSource(file);
  let checked = false;
  for await (const batch of source.batches()) {
    for (const r of batch) {
      if (r.values === undefined) throw new UsageError(`snapshot ${file}: row ${r.row + 1}: ${r.problem ?? 'unreadable'}`);
      if (!checked) {
        for (const c of [key, ...columns]) if (!(c in r.values)) throw new UsageError(`snapshot ${file}: no column "${c}"`);
        checked = true;
      }
      const k = String(r.values[key]);
      if (keep && !keep(k)) continue;
      into.key(k, file);
      for (let j = 0; j < columns.length; j++) into.values[j].push(cellNumber(r.values[columns[j]], file, columns[j]));
    }
  }
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
  #scope: SnapshotScope | undefined;

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

  /**
   * Keeps only the customers of these input partitions (a Kafka member's assignment): the snapshot is
   * loaded again for the new scope when it differs from the one loaded, before any record of a newly
   * assigned partition is scored.
   */
  async setScope(scope: SnapshotScope): Promise<void> {
    this.#scope = { partitions: scope.partitions, assigned: new Set(scope.assigned) };
    // Compared with what is loaded, not with the last scope asked for: a load that failed is tried again.
    const loaded = this.current?.scope;
    if (loaded && loaded.partitions === scope.partitions && sameSet(loaded.assigned, scope.assigned)) return;
    await this.#loading;
    this.#loading = this.#refresh(true, true).finally(() => (this.#loading = undefined));
    await this.#loading;
  }

  async #refresh(force: boolean, rescope = false): Promise<Snapshot | undefined> {
    const now = performance.now();
    if (!force && now - this.#lastCheck < this.checkEveryMs) return this.current;
    this.#lastCheck = now;
    const latest = latestSnapshotDay(this.dir, this.prefix);
    if (latest === undefined && rescope) throw new Error(`no complete snapshot day in ${this.dir} to load the assigned partitions' customers from`);
    if (latest === undefined || (!rescope && this.current !== undefined && latest.day <= this.current.day)) return this.current;
    try {
      const started = performance.now();
      this.current = await loadSnapshot(latest, this.key, this.columns, this.#scope);
      const of = this.#scope ? ` of partitions [${[...this.#scope.assigned].sort((a, b) => a - b).join(', ')}] of ${this.#scope.partitions}` : '';
      this.log(`snapshot ${latest.day}: ${this.current.rows} customers${of}, ${this.columns.length} columns, loaded in ${Math.round(performance.now() - started)} ms`);
    } catch (e) {
      // A snapshot without the assigned partitions' customers must not score them: the member recovers and tries again.
      if ((e instanceof UsageError && this.current === undefined) || rescope) throw e;
      if (this.#failedDay !== latest.day) this.log(`snapshot ${latest.day} not loaded yet (${(e as Error).message}); keeping ${this.current?.day ?? 'none'}`);
      this.#failedDay = latest.day;
    }
    return this.current;
  }
}

const sameSet = (a: ReadonlySet<number>, b: ReadonlySet<number>) => a.size === b.size && [...a].every((x) => b.has(x));
