import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Scenario } from '../scenario/types.js';
import { ident, lit } from './sql.js';

function reader(path: string): string {
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet') return `read_parquet(${lit(path)})`;
  if (ext === '.csv') return `read_csv(${lit(path)}, header=true)`;
  if (ext === '.jsonl' || ext === '.json' || ext === '.ndjson') return `read_json(${lit(path)}, format='newline_delimited')`;
  throw new UsageError(`--actual ${path}: unknown results format "${ext}" (use .jsonl, .csv or .parquet)`);
}

/**
 * Loads an engine's results (sat's or another's: JSONL, CSV or Parquet with window_start, key and the
 * scenario's aggregate columns) into act(ws, k, <aggregations>, n) where n numbers repeated emissions.
 */
export async function loadActual(db: DuckDBConnection, s: Scenario, path: string): Promise<void> {
  if (!existsSync(path)) throw new UsageError(`results ${path} not found (run sat run first, or pass --actual)`);
  const aggCols = s.aggregations.map((a) => `${ident(a.name)} DOUBLE`).join(', ');
  const scoreCols = s.score ? ', score DOUBLE, missing VARCHAR, snapshot_day VARCHAR' : '';
  await db.run(`CREATE OR REPLACE TABLE act (ws BIGINT, k VARCHAR, ${aggCols}${scoreCols})`);
  if (statSync(path).size === 0) return;
  const described = await db.runAndReadAll(`DESCRIBE SELECT * FROM ${reader(path)}`);
  const names = described.getRowObjectsJson().map((r) => String(r.column_name));
  const keyCol = names.includes('key') ? 'key' : names.includes(s.key) ? s.key : undefined;
  const missing = ['window_start', ...s.aggregations.map((a) => a.name)].filter((c) => !names.includes(c));
  if (keyCol === undefined) missing.push(`key (or ${s.key})`);
  if (missing.length > 0) throw new UsageError(`results ${path}: missing column(s) ${missing.join(', ')}`);
  if (s.score && !names.includes('score')) throw new UsageError(`results ${path}: missing column score (scenario ${s.name} scores its results)`);
  // missing: a JSON array (sat's JSONL) or comma-separated text (Parquet, CSV); absent means none.
  const types = new Map(described.getRowObjectsJson().map((r) => [String(r.column_name), String(r.column_type)]));
  const missingSql = !names.includes('missing') ? 'NULL' : types.get('missing')?.endsWith('[]') ? `array_to_string(missing, ',')` : 'CAST(missing AS VARCHAR)';
  const scoreSql = s.score ? `, CAST(score AS DOUBLE), ${missingSql}, ${names.includes('snapshot_day') ? 'CAST(snapshot_day AS VARCHAR)' : 'NULL'}` : '';
  await db.run(`INSERT INTO act SELECT
      epoch_ms(CAST(window_start AS TIMESTAMPTZ)), CAST(${ident(keyCol as string)} AS VARCHAR),
      ${s.aggregations.map((a) => `CAST(${ident(a.name)} AS DOUBLE)`).join(', ')}${scoreSql}
    FROM ${reader(path)}`);
}

/** Loads (partition, offset) pairs from a side-output JSONL file into table `name`; false if absent. */
export async function loadPositions(db: DuckDBConnection, name: string, path: string | undefined): Promise<boolean> {
  await db.run(`CREATE OR REPLACE TABLE ${name} (partition INTEGER, "offset" BIGINT)`);
  if (path === undefined || !existsSync(path)) return false;
  if (statSync(path).size > 0) {
    await db.run(`INSERT INTO ${name} SELECT partition, "offset" FROM read_json(${lit(path)}, format='newline_delimited',
      columns={'partition':'INTEGER','offset':'BIGINT'})`);
  }
  return true;
}

/** Loads action records (window_start, key, action) from JSONL into act_actions; false if absent. */
export async function loadActions(db: DuckDBConnection, path: string | undefined): Promise<boolean> {
  await db.run(`CREATE OR REPLACE TABLE act_actions (ws BIGINT, k VARCHAR, action VARCHAR, score DOUBLE)`);
  if (path === undefined || !existsSync(path)) return false;
  if (statSync(path).size > 0) {
    await db.run(`INSERT INTO act_actions SELECT epoch_ms(CAST(window_start AS TIMESTAMPTZ)), key, action, score FROM read_json(${lit(path)}, format='newline_delimited',
      columns={'window_start':'VARCHAR','key':'VARCHAR','action':'VARCHAR','score':'DOUBLE'})`);
  }
  return true;
}
