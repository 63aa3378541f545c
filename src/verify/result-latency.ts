import { DuckDBInstance } from '@duckdb/node-api';
import { statSync } from 'node:fs';
import type { Scenario } from '../scenario/types.js';
import { dataFiles } from './actual.js';
import { ledgerSql } from './oracle.js';
import { lit } from './sql.js';

export interface ResultLatency {
  results: number;
  p50: number;
  p99: number;
  max: number;
  /** How a result's visible time was read: the results' emit_time, or their files' change time. */
  visibleBy: 'emit_time' | 'file';
}

/**
 * End to end, the same way for every engine: for each (window, key) result, from the send of the
 * last record of the window that was sent on time (not late, not a duplicate, not malformed) to the
 * moment the result could be read. That moment is the result's emit_time where the engine writes
 * one (sat run), else the change time of the file that holds it: when Spark's file sink wrote its
 * batch, when Flink's file sink committed it (the rename at a checkpoint). It includes the
 * watermark delay in the replay's time, so it compares engines on one paced replay, not in general.
 * Only for results in files (JSONL, or Spark's and Flink's directories of JSON part files).
 */
export async function resultLatency(s: Scenario, results: string, ledgers: string[]): Promise<ResultLatency | undefined> {
  const files = statSync(results).isDirectory() ? dataFiles(results) : [results];
  const json = files.filter((f) => !/\.(parquet|csv)$/i.test(f));
  if (json.length === 0) return undefined;
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    await db.run(`CREATE TABLE visible_at (filename VARCHAR, t DOUBLE)`);
    await db.run(`INSERT INTO visible_at VALUES ${json.map((f) => `(${lit(f)}, ${statSync(f).ctimeMs})`).join(', ')}`);
    const cols = (await db.runAndReadAll(`DESCRIBE SELECT * FROM read_json([${json.map(lit).join(', ')}], format='newline_delimited', union_by_name=true)`)).getRowObjectsJson().map((r) => String(r.column_name));
    const hasEmit = cols.includes('emit_time');
    const key = cols.includes('key') ? 'key' : s.key;
    await db.run(`CREATE TABLE res AS SELECT epoch_ms(CAST(window_start AS TIMESTAMPTZ)) AS ws, CAST(${JSON.stringify(key)} AS VARCHAR) AS k,
        ${hasEmit ? 'epoch_ms(CAST(emit_time AS TIMESTAMPTZ))::DOUBLE' : 'v.t'} AS visible
      FROM read_json([${json.map(lit).join(', ')}], format='newline_delimited', union_by_name=true, filename=true) r JOIN visible_at v USING (filename)`);
    await db.run(`CREATE TABLE led AS SELECT key AS k, event_time AS et, send_time FROM ${ledgerSql(ledgers)}
      WHERE fault IN ('none', 'out-of-order', 'boundary')`);
    const r = (await db.runAndReadAll(`WITH last AS (
        SELECT r.ws, r.k, any_value(r.visible) AS visible, max(l.send_time) AS sent
        FROM res r JOIN led l ON l.k = r.k AND l.et >= r.ws AND l.et < r.ws + ${s.window.size}
        GROUP BY r.ws, r.k)
      SELECT count(*) AS n, quantile_cont(visible - sent, 0.5) AS p50, quantile_cont(visible - sent, 0.99) AS p99, max(visible - sent) AS mx FROM last`)).getRowObjectsJson()[0];
    if (Number(r.n) === 0) return undefined;
    return { results: Number(r.n), p50: Number(r.p50), p99: Number(r.p99), max: Number(r.mx), visibleBy: hasEmit ? 'emit_time' : 'file' };
  } finally {
    db.closeSync();
  }
}

export const formatResultLatency = (l: ResultLatency) =>
  `result latency (last on-time record of a window sent -> its result readable, by ${l.visibleBy === 'file' ? "the file's change time" : 'emit_time'}): p50 ${Math.round(l.p50)} ms, p99 ${Math.round(l.p99)} ms, max ${Math.round(l.max)} ms (${l.results} results)`;
