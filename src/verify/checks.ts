import type { DuckDBConnection } from '@duckdb/node-api';
import type { Scenario } from '../scenario/types.js';
import { ident, nearSql } from './sql.js';

export interface Check {
  name: string;
  pass: boolean;
  /** Skipped: the output it needs was not given (e.g. an external engine's dead letters). */
  skipped?: boolean;
  detail: string;
  /** A few offending rows, to start debugging from. */
  examples?: unknown[];
  /** The figure the check compares, as the oracle expects it and as found (for the report's table). */
  expected?: number;
  actual?: number;
}

export interface Counts {
  [name: string]: number | null;
}

/** The first cell of a query's first row, as a number (0 when empty or NULL). */
export async function one(db: DuckDBConnection, sql: string): Promise<number> {
  const r = await db.runAndReadAll(sql);
  const v = r.getRows()[0]?.[0];
  return v === null || v === undefined ? 0 : Number(v);
}

export async function rows(db: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const r = await db.runAndReadAll(sql);
  // Numbers as numbers on both sides of an example: DuckDB's JSON form gives a BIGINT (a count) as
  // text, beside the DOUBLE the engine wrote, and "3" vs 4 reads as a type mismatch that is not there.
  const numeric = r.columnTypes().map((t) => /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|DECIMAL|FLOAT|DOUBLE)/.test(t.toString()));
  const names = r.columnNames();
  return r.getRowObjectsJson().map((o) => {
    for (let i = 0; i < names.length; i++) if (numeric[i] && typeof o[names[i]] === 'string') o[names[i]] = Number(o[names[i]]);
    return o as Record<string, unknown>;
  });
}

/** A ms epoch column as an ISO timestamp, for examples in reports. */
export const ts = (col: string) => `strftime(make_timestamp(${col} * 1000), '%Y-%m-%dT%H:%M:%S.%gZ')`;

/** Compares actual results with the oracle's; every check names what it found. */
export async function resultChecks(db: DuckDBConnection, s: Scenario, tolerance: number): Promise<{ checks: Check[]; counts: Counts }> {
  const count = s.aggregations.find((a) => a.op === 'count')!.name;
  const c = ident(count);
  await db.run(`CREATE OR REPLACE TABLE act_g AS SELECT ws, k, count(*) AS emissions, sum(${c}) AS total FROM act GROUP BY ws, k`);
  const expectedWindows = await one(db, `SELECT count(*) FROM expected`);
  const actualWindows = await one(db, `SELECT count(*) FROM act_g`);
  const missing = await one(db, `SELECT count(*) FROM expected e ANTI JOIN act_g a USING (ws, k)`);
  const extra = await one(db, `SELECT count(*) FROM act_g a ANTI JOIN expected e USING (ws, k)`);
  const repeated = await one(db, `SELECT count(*) FROM act_g WHERE emissions > 1`);
  const lost = await one(db, `SELECT sum(greatest(0, e.${c} - coalesce(a.total, 0))) FROM expected e LEFT JOIN act_g a USING (ws, k)`);
  const doubled = await one(db, `SELECT sum(greatest(0, a.total - coalesce(e.${c}, 0))) FROM act_g a LEFT JOIN expected e USING (ws, k)`);
  const differs = s.aggregations.map((a) => `NOT ${nearSql(`a.${ident(a.name)}`, `e.${ident(a.name)}`, tolerance)}`).join(' OR ');
  const wrong = await one(db, `SELECT count(*) FROM act a JOIN expected e USING (ws, k) WHERE ${differs}`);
  const example = (where: string, from: string) =>
    rows(db, `SELECT ${ts('ws')} AS window_start, k AS key, * EXCLUDE (ws, k) FROM ${from} ${where} ORDER BY ws, k LIMIT 5`);

  const checks: Check[] = [
    { name: 'no results missing', pass: missing === 0, expected: expectedWindows, actual: expectedWindows - missing, detail: `${missing} expected (window, key) results absent`, examples: missing ? await example('', 'expected e ANTI JOIN act_g a USING (ws, k)') : undefined },
    { name: 'no results extra', pass: extra === 0, expected: 0, actual: extra, detail: `${extra} (window, key) results the oracle does not expect`, examples: extra ? await example('', 'act_g a ANTI JOIN expected e USING (ws, k)') : undefined },
    { name: 'no wrong values', pass: wrong === 0, expected: 0, actual: wrong, detail: `${wrong} results differ from the oracle (relative tolerance ${tolerance})`, examples: wrong ? await rows(db, `SELECT ${ts('ws')} AS window_start, k AS key, ${s.aggregations.map((a) => `a.${ident(a.name)} AS ${ident(`actual_${a.name}`)}, e.${ident(a.name)} AS ${ident(`expected_${a.name}`)}`).join(', ')} FROM act a JOIN expected e USING (ws, k) WHERE ${differs} ORDER BY ws, k LIMIT 5`) : undefined },
    { name: 'each result emitted once', pass: repeated === 0, expected: 0, actual: repeated, detail: `${repeated} (window, key) results emitted more than once`, examples: repeated ? await example('WHERE emissions > 1', 'act_g') : undefined },
    { name: 'no records lost', pass: lost === 0, expected: 0, actual: lost, detail: `${lost} valid records not reflected in the results` },
    { name: 'no records double-counted', pass: doubled === 0, expected: 0, actual: doubled, detail: `${doubled} records counted more than once or in the wrong window` },
  ];
  return { checks, counts: { expected_results: expectedWindows, actual_results: actualWindows, results_missing: missing, results_extra: extra, results_wrong: wrong, results_repeated: repeated, records_lost: lost, records_double_counted: doubled } };
}

/** Side outputs matched delivery by delivery, by (partition, offset). */
export async function positionCheck(db: DuckDBConnection, name: string, table: string, cls: string, given: boolean, what: string): Promise<{ check: Check; expected: number; actual: number }> {
  const expected = await one(db, `SELECT count(*) FROM cls WHERE ${cls}`);
  const actual = await one(db, `SELECT count(*) FROM ${table}`);
  if (!given) return { check: { name, pass: true, skipped: true, detail: `no ${what} output given` }, expected, actual };
  const notThere = await one(db, `SELECT count(*) FROM (SELECT partition, "offset" FROM cls WHERE ${cls}) ANTI JOIN ${table} USING (partition, "offset")`);
  const unexpected = await one(db, `SELECT count(*) FROM ${table} t ANTI JOIN (SELECT partition, "offset" FROM cls WHERE ${cls}) USING (partition, "offset")`);
  const examples = [
    ...(notThere ? await rows(db, `SELECT 'missing' AS problem, partition, "offset", fault, class FROM (SELECT * FROM cls WHERE ${cls}) ANTI JOIN ${table} USING (partition, "offset") ORDER BY seq LIMIT 5`) : []),
    ...(unexpected ? await rows(db, `SELECT 'unexpected' AS problem, t.partition, t."offset", c.fault, c.class FROM (${table} t ANTI JOIN (SELECT * FROM cls WHERE ${cls}) USING (partition, "offset")) t LEFT JOIN cls c USING (partition, "offset") LIMIT 5`) : []),
  ];
  // Positions past a partition's last send are sat's end-of-stream markers, never records.
  const markers = unexpected ? await one(db, `SELECT count(*) FROM ${table} t JOIN (SELECT partition, max("offset") AS last FROM ledger GROUP BY partition) l USING (partition) WHERE t."offset" > l.last`) : 0;
  const hint = markers ? `; ${markers} of them are sat's end-of-stream markers (past the partition's last record: header sat-end-of-stream, empty value), which a pipeline should skip, not ${what} (README "Testing your own pipeline")` : '';
  return {
    check: { name, pass: notThere === 0 && unexpected === 0, expected, actual, detail: `${expected} expected, ${actual} in ${what} output: ${notThere} missing from it, ${unexpected} that should not be there${hint}`, examples: examples.length ? examples : undefined },
    expected,
    actual,
  };
}

/**
 * The shape of the results, whatever the watermark model: every typed column holds what it must (a
 * text in a numeric column is a failed check naming the column, never a crash), and every window's
 * end is its start plus the window size (when the results carry window_end).
 */
export async function shapeChecks(db: DuckDBConnection, s: Scenario): Promise<Check[]> {
  const problems = (await db.runAndReadAll(`SELECT col, n, example FROM act_problems ORDER BY col`)).getRowObjectsJson();
  const bad = problems.reduce((n, p) => n + Number(p.n), 0);
  const hasEnd = (await one(db, `SELECT count(*) FROM act_meta WHERE has_window_end`)) > 0;
  const size = s.window.size;
  const wrongEnd = hasEnd ? await one(db, `SELECT count(*) FROM act WHERE we IS DISTINCT FROM ws + ${size}`) : 0;
  return [
    {
      name: 'results are well-formed',
      pass: bad === 0,
      expected: 0,
      actual: bad,
      detail: bad === 0 ? 'every window time and aggregate parses' : problems.map((p) => (p.col === '(a line that is not UTF-8)' ? `${p.n} lines are not UTF-8 (the first: ${p.example}): read with U+FFFD in place of the bad bytes` : String(p.col).startsWith('(') ? `${p.n} lines are not JSON (e.g. ${JSON.stringify(p.example)}): left out` : `${p.n} values in ${p.col} are not ${String(p.col).startsWith('window') ? 'a time' : 'a number'} (e.g. ${JSON.stringify(p.example)})`)).join('; '),
      examples: bad ? problems : undefined,
    },
    hasEnd
      ? {
          name: 'window ends match the window size',
          pass: wrongEnd === 0,
          expected: 0,
          actual: wrongEnd,
          detail: `${wrongEnd} results whose window_end is not window_start + ${size} ms`,
          examples: wrongEnd ? await rows(db, `SELECT ${ts('ws')} AS window_start, ${ts('we')} AS window_end, k AS key FROM act WHERE we IS DISTINCT FROM ws + ${size} ORDER BY ws, k LIMIT 5`) : undefined,
        }
      : { name: 'window ends match the window size', pass: true, skipped: true, detail: 'the results have no window_end column' },
  ];
}
