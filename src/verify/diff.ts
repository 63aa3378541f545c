import { DuckDBInstance } from '@duckdb/node-api';
import type { Scenario } from '../scenario/types.js';
import { loadActual, type OutputMode } from './actual.js';
import { ident, nearSql } from './sql.js';

/** One engine's output for sat diff: where it is, how to read it. */
export interface DiffSide {
  path: string;
  map?: Record<string, string>;
  mode?: OutputMode;
}

export interface DiffResult {
  /** Results (window, key) each side has. */
  a: number;
  b: number;
  onlyA: number;
  onlyB: number;
  /** Results both have whose values differ beyond the tolerance. */
  differ: number;
  /** The first differences, for a look. */
  examples: Record<string, unknown>[];
}

/**
 * Two engines' results side by side (Spark against Flink, either against sat run): each read as
 * verify reads results (files, Spark and Flink layouts, renamed columns, update mode collapsed to
 * the last row per window and key), then matched by (window, key) and compared NULL-safely within a
 * relative tolerance. A window emitted twice counts once here (the last row in update mode, else
 * any): verify's "each result emitted once" is the place to judge repeats.
 */
export async function diffResults(s: Scenario, a: DiffSide, b: DiffSide, tolerance: number): Promise<DiffResult> {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    await db.run(`SET TimeZone = 'UTC'`);
    const cols = s.aggregations.map((x) => ident(x.name));
    for (const [name, side] of [['ra', a], ['rb', b]] as const) {
      await loadActual(db, s, side.path, { ...s.resultColumns, ...side.map }, side.mode ?? 'append');
      await db.run(`CREATE OR REPLACE TABLE ${name} AS SELECT ws, k, ${cols.map((c) => `any_value(${c}) AS ${c}`).join(', ')} FROM act GROUP BY ws, k`);
    }
    const one = async (sql: string) => Number((await db.runAndReadAll(sql)).getRows()[0][0]);
    const differs = s.aggregations.map((x) => `NOT ${nearSql(`ra.${ident(x.name)}`, `rb.${ident(x.name)}`, tolerance)}`).join(' OR ');
    const iso = (c: string) => `strftime(make_timestamp(${c} * 1000), '%Y-%m-%dT%H:%M:%S.%gZ')`;
    const examples = (await db.runAndReadAll(`
      SELECT ${iso('coalesce(ra.ws, rb.ws)')} AS window_start, coalesce(ra.k, rb.k) AS key,
             CASE WHEN rb.k IS NULL THEN 'only in A' WHEN ra.k IS NULL THEN 'only in B' ELSE 'values differ' END AS difference,
             ${s.aggregations.map((x) => `ra.${ident(x.name)} AS ${ident(`a_${x.name}`)}, rb.${ident(x.name)} AS ${ident(`b_${x.name}`)}`).join(', ')}
      FROM ra FULL JOIN rb USING (ws, k)
      WHERE ra.k IS NULL OR rb.k IS NULL OR ${differs}
      ORDER BY coalesce(ra.ws, rb.ws), coalesce(ra.k, rb.k) LIMIT 10`)).getRowObjectsJson() as Record<string, unknown>[];
    return {
      a: await one('SELECT count(*) FROM ra'),
      b: await one('SELECT count(*) FROM rb'),
      onlyA: await one('SELECT count(*) FROM ra ANTI JOIN rb USING (ws, k)'),
      onlyB: await one('SELECT count(*) FROM rb ANTI JOIN ra USING (ws, k)'),
      differ: await one(`SELECT count(*) FROM ra JOIN rb USING (ws, k) WHERE ${differs}`),
      examples,
    };
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}
