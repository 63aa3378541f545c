import { readJson } from '../core/errors.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../scenario/types.js';
import { one, rows, type Check, type Counts } from './checks.js';
import { ident, lit } from './sql.js';

export interface ReportInputs {
  pivot?: string;
  topUsers?: string;
  /** The engine's own counts (sat run's run.json), for the reconciliation. */
  reconciliation?: { input: number; valid: number; corrupted: number; malformed: number };
  /** Where the country table is (beside the dataset). */
  dataDir: string;
}

/**
 * The messages scenario's batch reports, recomputed in SQL from the oracle's per-delivery table:
 * valid, uncorrupted deliveries whatever their lateness, deduplicated on the natural id keeping the
 * earliest event time (the first sent on a tie), the country table joined in by DuckDB's CSV reader.
 */
export async function reportChecks(db: DuckDBConnection, s: Scenario, o: ReportInputs): Promise<{ checks: Check[]; counts: Counts }> {
  const r = s.reports!;
  await db.run(`CREATE OR REPLACE TABLE rep_base AS SELECT * FROM (
      SELECT *, row_number() OVER (PARTITION BY id ORDER BY et, seq) AS rk FROM cls WHERE class NOT IN ('dead', 'corrupted')) WHERE rk = 1`);
  await db.run(`CREATE OR REPLACE TABLE exp_pivot AS SELECT strftime(make_timestamp(et * 1000), '%Y-%m-%d') AS day, k, r_pivot AS v, count(*) AS n FROM rep_base GROUP BY ALL`);
  const countries = r.countries ? join(o.dataDir, r.countries.file) : undefined;
  const haveCountries = countries !== undefined && existsSync(countries);
  await db.run(`CREATE OR REPLACE TABLE exp_top AS
    WITH u AS (SELECT k, r_user AS usr, count(*) AS n, arg_min(r_country, struct_pack(et, seq)) AS cid FROM rep_base GROUP BY k, r_user),
    ranked AS (SELECT *, row_number() OVER (PARTITION BY k ORDER BY n DESC, usr) AS rnk FROM u)
    SELECT k, rnk, usr, n, ${haveCountries ? 'c.cname' : 'NULL'} AS country FROM ranked
    ${haveCountries ? `LEFT JOIN (SELECT CAST(${ident(r.countries!.key)} AS VARCHAR) AS cid, CAST(${ident(r.countries!.name)} AS VARCHAR) AS cname FROM read_csv(${lit(countries!)}, header=true)) c USING (cid)` : ''}
    WHERE rnk <= ${r.topUsers.n}`);

  const checks: Check[] = [];
  const counts: Counts = {};
  // Pivot: one row per (day, key), a column per value; compared cell by cell (absent = 0).
  if (o.pivot && existsSync(o.pivot) && statSync(o.pivot).size > 0) {
    await db.run(`CREATE OR REPLACE TABLE act_pivot AS
      SELECT CAST(day AS VARCHAR) AS day, k, v, CAST(n AS BIGINT) AS n FROM (
        UNPIVOT (SELECT * RENAME (${ident(s.key)} AS k) FROM read_json(${lit(o.pivot)}, format='newline_delimited')) ON COLUMNS(* EXCLUDE (day, k)) INTO NAME v VALUE n)
      WHERE n IS NOT NULL AND n <> 0`);
    const diff = `(SELECT day, k, v, e.n AS expected, a.n AS actual FROM exp_pivot e FULL JOIN act_pivot a USING (day, k, v) WHERE e.n IS DISTINCT FROM a.n)`;
    const wrong = await one(db, `SELECT count(*) FROM ${diff}`);
    checks.push({
      name: 'daily pivot matches',
      pass: wrong === 0,
      expected: 0,
      actual: wrong,
      detail: `${wrong} (day, ${s.key}, ${r.pivot.field}) counts differ from the oracle's (deduplicated on ${s.id.join(', ')}, earliest kept; corrupted rows left out)`,
      examples: wrong ? await rows(db, `SELECT CAST(day AS VARCHAR) AS day, k AS ${ident(s.key)}, v AS ${ident(r.pivot.field)}, expected, actual FROM ${diff} ORDER BY day, k, v LIMIT 5`) : undefined,
    });
    counts.pivot_cells = await one(db, `SELECT count(*) FROM exp_pivot`);
  } else {
    checks.push({ name: 'daily pivot matches', pass: true, skipped: true, detail: 'no pivot output given' });
  }
  if (o.topUsers && existsSync(o.topUsers) && statSync(o.topUsers).size > 0) {
    const country = r.countries?.name ?? 'country';
    await db.run(`CREATE OR REPLACE TABLE act_top AS SELECT CAST(${ident(s.key)} AS VARCHAR) AS k, CAST(rank AS BIGINT) AS rnk, CAST(${ident(r.topUsers.field)} AS VARCHAR) AS usr,
        CAST(events AS BIGINT) AS n, CAST(${ident(country)} AS VARCHAR) AS country FROM read_json(${lit(o.topUsers)}, format='newline_delimited')`);
    const diff = `(SELECT k, rnk, e.usr AS expected_user, a.usr AS actual_user, e.n AS expected_events, a.n AS actual_events, e.country AS expected_country, a.country AS actual_country
      FROM exp_top e FULL JOIN act_top a USING (k, rnk) WHERE e.usr IS DISTINCT FROM a.usr OR e.n IS DISTINCT FROM a.n OR e.country IS DISTINCT FROM a.country)`;
    const wrong = await one(db, `SELECT count(*) FROM ${diff}`);
    checks.push({
      name: 'top users match',
      pass: wrong === 0,
      expected: 0,
      actual: wrong,
      detail: `${wrong} (${s.key}, rank) rows differ (the ${r.topUsers.n} most active ${r.topUsers.field} per ${s.key}, ties by name, with the country of their earliest event)`,
      examples: wrong ? await rows(db, `SELECT * FROM ${diff} ORDER BY k, rnk LIMIT 5`) : undefined,
    });
  } else {
    checks.push({ name: 'top users match', pass: true, skipped: true, detail: 'no top-users output given' });
  }
  // Reconciliation: what was sent = valid + corrupted + malformed, by the oracle and by the engine.
  const sent = await one(db, `SELECT count(*) FROM cls`);
  const dead = await one(db, `SELECT count(*) FROM cls WHERE class = 'dead'`);
  const corrupted = await one(db, `SELECT count(*) FROM cls WHERE class = 'corrupted'`);
  const valid = sent - dead - corrupted;
  Object.assign(counts, { input: sent, valid_expected: valid, corrupted_expected: corrupted, malformed_expected: dead, distinct_expected: await one(db, `SELECT count(*) FROM rep_base`) });
  const e = o.reconciliation;
  if (e === undefined) {
    checks.push({ name: 'input = valid + corrupted + malformed', pass: true, skipped: true, detail: 'no engine counts given (run.json)' });
  } else {
    const ok = e.input === sent && e.valid === valid && e.corrupted === corrupted && e.malformed === dead && e.valid + e.corrupted + e.malformed === e.input;
    checks.push({
      name: 'input = valid + corrupted + malformed',
      pass: ok,
      expected: sent,
      actual: e.valid + e.corrupted + e.malformed,
      detail: `oracle ${sent} = ${valid} + ${corrupted} + ${dead}; engine ${e.input} = ${e.valid} + ${e.corrupted} + ${e.malformed}`,
    });
    Object.assign(counts, { valid: e.valid, corrupted: e.corrupted, malformed: e.malformed });
  }
  return { checks, counts };
}

/** sat run's reconciliation from run.json, when there. */
export function runReconciliation(file: string): ReportInputs['reconciliation'] {
  if (!existsSync(file)) return undefined;
  return readJson<{ reconciliation?: ReportInputs['reconciliation'] }>(file, (x) => readFileSync(x, 'utf8')).reconciliation;
}

/** The per-partition reconciliation rows of a Kafka run (JSON lines), summed; undefined when there are none. */
export function sumReconciliations(file: string | undefined): ReportInputs['reconciliation'] {
  if (file === undefined || !existsSync(file)) return undefined;
  const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as NonNullable<ReportInputs['reconciliation']>);
  if (rows.length === 0) return undefined;
  const sum = { input: 0, valid: 0, corrupted: 0, malformed: 0 };
  for (const r of rows) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += r[k];
  return sum;
}
