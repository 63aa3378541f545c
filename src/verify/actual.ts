import type { DuckDBConnection } from '@duckdb/node-api';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Scenario } from '../scenario/types.js';
import { utf8Results } from './actual-text.js';
import { ident, lit } from './sql.js';

/** A results file, or a directory of them as Spark writes it (part-* files, _SUCCESS, key=value folders). */
function reader(path: string): { sql: string; fmt: 'parquet' | 'csv' | 'json' | undefined; list: string; files: string[] } {
  if (statSync(path).isDirectory()) {
    const files = dataFiles(path);
    if (files.length === 0) throw new UsageError(`--actual ${path}: no .parquet, .csv or .json files in this directory`);
    const formats = new Set(files.map(formatOf));
    if (formats.size > 1) throw new UsageError(`--actual ${path}: mixed formats (${[...formats].join(', ')}) in one directory`);
    const list = `[${files.map(lit).join(', ')}]`;
    // Partition folders (window_date=2024-06-01) become columns, as Spark reads them back.
    const opts = 'hive_partitioning=true, union_by_name=true';
    const fmt = [...formats][0];
    if (fmt === 'parquet') return { fmt, list, files, sql: `read_parquet(${list}, ${opts})` };
    if (fmt === 'csv') return { fmt, list, files, sql: `read_csv(${list}, header=true, ${opts})` };
    return { fmt, list, files, sql: `read_json(${list}, format='newline_delimited', ignore_errors=true, ${opts})` };
  }
  const fmt = formatOf(path);
  if (fmt === 'parquet') return { fmt, list: lit(path), files: [path], sql: `read_parquet(${lit(path)})` };
  if (fmt === 'csv') return { fmt, list: lit(path), files: [path], sql: `read_csv(${lit(path)}, header=true)` };
  if (fmt === 'json') return { fmt, list: lit(path), files: [path], sql: `read_json(${lit(path)}, format='newline_delimited', ignore_errors=true)` };
  throw new UsageError(`--actual ${path}: unknown results format "${extname(path)}" (use .jsonl, .csv or .parquet, or a directory of them)`);
}

function formatOf(file: string): 'parquet' | 'csv' | 'json' | undefined {
  const name = basename(file).toLowerCase().replace(/\.(gz|zst|lz4|bz2)$/, '');
  if (name.endsWith('.parquet')) return 'parquet';
  if (name.endsWith('.csv')) return 'csv';
  if (/\.(jsonl|json|ndjson)$/.test(name)) return 'json';
  if (/^part-[^.]+$/.test(name)) return sniff(file); // Flink's file sink: part-<uuid>-<subtask>-<n>
  return undefined;
}

/** A part file's format from its first bytes: Parquet's magic, a JSON object, else CSV. */
function sniff(file: string): 'parquet' | 'csv' | 'json' | undefined {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const got = readSync(fd, head, 0, 4, 0);
    if (got === 0) return undefined;
    if (head.toString('latin1', 0, got) === 'PAR1') return 'parquet';
    return head.toString('utf8', 0, got).trimStart().startsWith('{') ? 'json' : 'csv';
  } finally {
    closeSync(fd);
  }
}

/**
 * Data files under a results directory: Spark's and Flink's layouts. Skipped: markers and hidden
 * files (_SUCCESS, _committed_*, .crc, Flink's in-progress .part-* files). Flink's file sink names
 * its part files without an extension (part-<uuid>-0-0): their format is read from their first
 * bytes. Where Spark's file sink log (_spark_metadata) is there, only the files it lists count: a
 * file it does not list was written by a batch that never committed (a crash), and Spark's own
 * readers ignore it too.
 */
export function dataFiles(dir: string): string[] {
  const committed = sparkCommitted(dir);
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('_') || e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...dataFiles(full));
    else if (formatOf(full) !== undefined && statSync(full).size > 0 && (committed === undefined || committed.has(resolve(full)))) out.push(full);
  }
  return out.sort();
}

/** The files Spark's file sink committed (every batch's entries in _spark_metadata), or undefined. */
function sparkCommitted(dir: string): Set<string> | undefined {
  const log = join(dir, '_spark_metadata');
  if (!existsSync(log)) return undefined;
  const files = new Set<string>();
  for (const f of readdirSync(log)) {
    if (!/^\d+(\.compact)?$/.test(f)) continue;
    for (const line of readFileSync(join(log, f), 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue; // the version line
      try {
        const entry = JSON.parse(line) as { path?: string; action?: string };
        if (entry.path && entry.action !== 'delete') files.add(resolve(entry.path.replace(/^file:(\/\/)?/, '')));
      } catch {
        // a torn entry: its file is not counted as committed
      }
    }
  }
  return files;
}

/** How results are emitted: append (one final row per window and key) or update (the last row counts). */
export type OutputMode = 'append' | 'update';

/**
 * Parses --map "window_start=window.start,key=product_id": sat's column name = the engine's column;
 * a dotted name reaches into a struct (Spark's window column is a struct of start and end).
 */
export function parseColumnMap(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined || text.trim() === '') return out;
  for (const part of text.split(',')) {
    const m = /^\s*([\w-]+)\s*=\s*([\w.-]+)\s*$/.exec(part);
    if (!m) throw new UsageError(`--map: "${part}" is not name=column (e.g. window_start=window.start)`);
    out[m[1]] = m[2];
  }
  return out;
}

const columnSql = (path: string) => path.split('.').map(ident).join('.');

/**
 * A time column as ms since the epoch: a timestamp, ISO text, or a number taken as epoch ms (Flink
 * and Kafka Streams often write those). NULL when it is none of these.
 */
const timeSql = (c: string) =>
  `(CASE WHEN TRY_CAST(${c} AS VARCHAR) SIMILAR TO '-?[0-9]+(\\.[0-9]+)?' THEN TRY_CAST(TRY_CAST(${c} AS VARCHAR) AS DOUBLE)::BIGINT ELSE epoch_ms(TRY_CAST(TRY_CAST(${c} AS VARCHAR) AS TIMESTAMPTZ)) END)`;

/**
 * Loads an engine's results (sat's or another's: JSONL, CSV or Parquet, a file or a Spark-style
 * directory, with window_start, key and the scenario's aggregates, renamed through `map`) into
 * act(ws, k, <aggregations>). In update mode only the last row of each (window, key) is kept: by
 * emit_time when there is one, else in the order read.
 */
export async function loadActual(db: DuckDBConnection, s: Scenario, path: string, map: Record<string, string> = {}, mode: OutputMode = 'append'): Promise<void> {
  if (!existsSync(path)) throw new UsageError(`results ${path} not found (run sat run first, or pass --actual)`);
  const aggCols = s.aggregations.map((a) => `${ident(a.name)} DOUBLE`).join(', ');
  const scoreCols = s.score ? ', score DOUBLE, missing VARCHAR, snapshot_day VARCHAR' : '';
  await db.run(`CREATE OR REPLACE TABLE act (ws BIGINT, k VARCHAR, we BIGINT, ${aggCols}${scoreCols})`);
  await db.run(`CREATE OR REPLACE TABLE act_problems (col VARCHAR, n BIGINT, example VARCHAR)`);
  await db.run(`CREATE OR REPLACE TABLE act_meta AS SELECT FALSE AS has_window_end`);
  if (statSync(path).isFile() && statSync(path).size === 0) return;
  const r = reader(path);
  const view = await utf8Results(path, r.files, r.fmt);
  try {
    if (view.notUtf8 > 0) await db.run(`INSERT INTO act_problems VALUES ('(a line that is not UTF-8)', ${view.notUtf8}, ${lit(view.example ?? '')})`);
    await loadReadable(db, s, path, view.path === path ? r : reader(view.path), map, mode, view.path);
  } finally {
    view.done();
  }
}

/** DuckDB's complaint in one line: its first line and the first that says why (not the row itself). */
function duckReason(e: unknown): string {
  const lines = String((e as Error).message).split('\n').map((l) => l.trim());
  const why = lines.slice(1).find((l) => l !== '' && !l.startsWith('Original Line') && !l.startsWith('Possible Solution'));
  const cut = (l: string) => (l.length > 160 ? `${l.slice(0, 160)}...` : l);
  return why === undefined ? cut(lines[0]) : `${cut(lines[0])}: ${cut(why)}`;
}

async function loadReadable(db: DuckDBConnection, s: Scenario, path: string, r: ReturnType<typeof reader>, map: Record<string, string>, mode: OutputMode, readFrom: string): Promise<void> {
  const from = r.sql;
  let described;
  try {
    described = await db.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
  } catch (e) {
    // A binary file named .csv, a Parquet file cut short: the pipeline's output cannot be read at all.
    throw new UsageError(`results ${path}: cannot be read as ${r.fmt ?? 'results'} (${duckReason(e).replaceAll(readFrom, path)})`);
  }
  if (r.fmt === 'json') {
    // A torn last line (an engine that crashed mid-write) or garbage between rows: read the rest,
    // and count what is not JSON as a failed check naming an example, never a crash.
    const bad = (await db.runAndReadAll(`SELECT count(*), any_value(line) FROM read_csv(${r.list}, columns={'line': 'VARCHAR'}, header=false, delim=chr(31), quote='', escape='', auto_detect=false, ignore_errors=true)
        WHERE trim(line) <> '' AND NOT json_valid(line)`)).getRows()[0];
    if (Number(bad[0]) > 0) await db.run(`INSERT INTO act_problems VALUES ('(a line that is not JSON)', ${Number(bad[0])}, ${lit(String(bad[1]).slice(0, 200))})`);
  }
  const types = new Map(described.getRowObjectsJson().map((r) => [String(r.column_name), String(r.column_type)]));
  // A column is there under our name, or under the name the map gives (a struct field included).
  const has = (name: string) => {
    const mapped = map[name];
    if (mapped === undefined) return types.has(name);
    const [top, ...fields] = mapped.split('.');
    const t = types.get(top);
    return t !== undefined && fields.every((f) => t.includes(`${f} `) || t.includes(`"${f}" `));
  };
  const col = (name: string) => columnSql(map[name] ?? name);
  const keyName = map.key !== undefined || types.has('key') ? 'key' : types.has(s.key) ? s.key : undefined;
  const missing = ['window_start', ...s.aggregations.map((a) => a.name)].filter((c) => !has(c));
  if (keyName === undefined || !has(keyName)) missing.push(`key (or ${s.key})`);
  if (missing.length > 0) throw new UsageError(`results ${path}: missing column(s) ${missing.join(', ')} (it has ${[...types.keys()].join(', ')}; rename with --map name=column)`);
  if (s.score && !has('score')) throw new UsageError(`results ${path}: missing column score (scenario ${s.name} scores its results)`);
  // A value that is not a number (or a time) where one must be is a failed check naming the column,
  // not a crash: every typed column is read with TRY_CAST and what did not parse is counted.
  const typed: [string, string][] = [
    ['window_start', timeSql(col('window_start'))],
    ...(has('window_end') ? [['window_end', timeSql(col('window_end'))] as [string, string]] : []),
    ...s.aggregations.map((a) => [a.name, `TRY_CAST(${col(a.name)} AS DOUBLE)`] as [string, string]),
    ...(s.score ? [['score', `TRY_CAST(${col('score')} AS DOUBLE)`] as [string, string]] : []),
  ];
  const bad = await db.runAndReadAll(`SELECT ${typed.map(([name, sql], i) => `count(*) FILTER (WHERE ${col(name)} IS NOT NULL AND ${sql} IS NULL) AS n${i}, any_value(CAST(${col(name)} AS VARCHAR)) FILTER (WHERE ${col(name)} IS NOT NULL AND ${sql} IS NULL) AS x${i}`).join(', ')} FROM ${from}`);
  const badRow = bad.getRows()[0];
  for (let i = 0; i < typed.length; i++) {
    if (Number(badRow[2 * i]) > 0) await db.run(`INSERT INTO act_problems VALUES (${lit(typed[i][0])}, ${Number(badRow[2 * i])}, ${lit(String(badRow[2 * i + 1]))})`);
  }
  await db.run(`CREATE OR REPLACE TABLE act_meta AS SELECT ${has('window_end')} AS has_window_end`);
  // missing: a JSON array (sat's JSONL) or comma-separated text (Parquet, CSV); absent means none.
  const missingSql = !has('missing') ? 'NULL' : (types.get(map.missing ?? 'missing') ?? '').endsWith('[]') ? `array_to_string(${col('missing')}, ',')` : `CAST(${col('missing')} AS VARCHAR)`;
  const scoreSql = s.score ? `, TRY_CAST(${col('score')} AS DOUBLE), ${missingSql}, ${has('snapshot_day') ? `CAST(${col('snapshot_day')} AS VARCHAR)` : 'NULL'}` : '';
  const rows = `SELECT ${timeSql(col('window_start'))} AS ws, CAST(${col(keyName as string)} AS VARCHAR) AS k,
      ${has('window_end') ? timeSql(col('window_end')) : 'NULL::BIGINT'} AS we,
      ${s.aggregations.map((a) => `TRY_CAST(${col(a.name)} AS DOUBLE)`).join(', ')}${scoreSql},
      ${has('emit_time') ? `${timeSql(col('emit_time'))}` : 'NULL::BIGINT'} AS __emit, __n
    FROM (SELECT *, row_number() OVER () AS __n FROM ${from})`;
  if (mode === 'update') {
    await db.run(`INSERT INTO act SELECT * EXCLUDE (__emit, __n, __rn) FROM (
      SELECT *, row_number() OVER (PARTITION BY ws, k ORDER BY __emit DESC NULLS LAST, __n DESC) AS __rn FROM (${rows})) WHERE __rn = 1`);
  } else {
    await db.run(`INSERT INTO act SELECT * EXCLUDE (__emit, __n) FROM (${rows})`);
  }
}

/** Loads (partition, offset) pairs from a side output (JSONL, or a directory of part files) into table `name`; false if absent. */
export async function loadPositions(db: DuckDBConnection, name: string, path: string | undefined): Promise<boolean> {
  await db.run(`CREATE OR REPLACE TABLE ${name} (partition INTEGER, "offset" BIGINT)`);
  if (path === undefined || !existsSync(path)) return false;
  // A file, or a directory of part files as Spark and Flink write them (the same rules as results).
  const files = statSync(path).isDirectory() ? dataFiles(path) : statSync(path).size > 0 ? [path] : [];
  // JSON Lines (sat's and Flink's), or Parquet (sat run --partitioned, Spark's file sink).
  const parquet = files.filter((f) => formatOf(f) === 'parquet');
  const json = files.filter((f) => formatOf(f) !== 'parquet');
  if (json.length > 0) {
    await db.run(`INSERT INTO ${name} SELECT partition, "offset" FROM read_json([${json.map(lit).join(', ')}], format='newline_delimited',
      columns={'partition':'INTEGER','offset':'BIGINT'})`);
  }
  if (parquet.length > 0) await db.run(`INSERT INTO ${name} SELECT CAST(partition AS INTEGER), CAST("offset" AS BIGINT) FROM read_parquet([${parquet.map(lit).join(', ')}], union_by_name = true)`);
  return true;
}

/** Loads action records (window_start, key, action) from JSONL (a file or a directory) into act_actions; false if absent. */
export async function loadActions(db: DuckDBConnection, path: string | undefined): Promise<boolean> {
  await db.run(`CREATE OR REPLACE TABLE act_actions (ws BIGINT, k VARCHAR, action VARCHAR, score DOUBLE)`);
  if (path === undefined || !existsSync(path)) return false;
  // A file, or a directory of part files (Spark's foreachBatch writes a folder per batch).
  const files = statSync(path).isDirectory() ? dataFiles(path) : statSync(path).size > 0 ? [path] : [];
  if (files.length > 0) {
    await db.run(`INSERT INTO act_actions SELECT epoch_ms(CAST(window_start AS TIMESTAMPTZ)), key, action, score FROM read_json([${files.map(lit).join(', ')}], format='newline_delimited',
      columns={'window_start':'VARCHAR','key':'VARCHAR','action':'VARCHAR','score':'DOUBLE'})`);
  }
  return true;
}
