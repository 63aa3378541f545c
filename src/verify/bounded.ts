import type { DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../core/errors.js';
import type { Scenario } from '../scenario/types.js';
import { one, rows, ts, type Check, type Counts } from './checks.js';
import { ORACLE_AGGREGATIONS } from './aggregations/index.js';
import { conditionSql, ident } from './sql.js';

/**
 * Watermark models whose lateness decisions depend on what the oracle cannot see (micro-batch
 * boundaries, how partitions interleave):
 *   global-max          Spark Structured Streaming: max event time seen - delay, advanced between
 *                       micro-batches (a batch lasts at most --batch-span)
 *   per-partition-min   Flink: the minimum over partitions of each one's max event time - delay;
 *                       a partition's records are read within --batch-span of being sent
 *   none                no lateness: every valid record counts once
 * For each record and window the oracle computes the highest watermark the engine can have had (all
 * earlier sends read) and the lowest (only sends older than the span read). A window that closes
 * above the highest must count the record; one that closes at or below the lowest must not; in
 * between it may go either way. Windows with no such record are checked exactly, the others within
 * bounds (counts and sums between the least and most that can count, min and max likewise, an
 * average within the range reachable by adding any subset of the may-count values).
 */
export type BoundedModel = 'global-max' | 'per-partition-min' | 'none';
export const BOUNDED_MODELS: readonly string[] = ['global-max', 'per-partition-min', 'none'];

export async function runBoundedOracle(db: DuckDBConnection, s: Scenario, model: BoundedModel, spanMs: number): Promise<void> {
  if (s.window.emit === 'active') throw new UsageError(`--watermark ${model}: not supported yet for scenarios with window.emit: active`);
  const { size, slide } = s.window;
  const delay = s.watermarkDelay;
  const lateness = s.allowedLateness;
  await db.run(`CREATE OR REPLACE TABLE bd0 AS SELECT s.*, l.send_time FROM stage s JOIN ledger l USING (seq)`);
  const okEt = `CASE WHEN ok THEN et END`;
  if (model === 'none') {
    await db.run(`CREATE OR REPLACE TABLE bd AS SELECT *, NULL::BIGINT AS w_hi, NULL::BIGINT AS w_lo FROM bd0`);
  } else if (model === 'global-max') {
    await db.run(`CREATE OR REPLACE TABLE bd AS SELECT *,
        max(${okEt}) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - ${delay} AS w_hi,
        max(${okEt}) OVER (ORDER BY send_time RANGE BETWEEN UNBOUNDED PRECEDING AND ${spanMs} PRECEDING) - ${delay} AS w_lo
      FROM bd0`);
  } else {
    // Highest: this partition up to the record, every other partition read to its end.
    // Lowest: every partition read only up to what was sent more than the span before the record.
    await db.run(`CREATE OR REPLACE TABLE pmax AS SELECT partition, max(${okEt}) AS mx FROM bd0 GROUP BY partition HAVING max(${okEt}) IS NOT NULL`);
    await db.run(`CREATE OR REPLACE TABLE prun AS SELECT partition, send_time, max(${okEt}) OVER (PARTITION BY partition ORDER BY send_time ROWS UNBOUNDED PRECEDING) AS runmax FROM bd0`);
    await db.run(`CREATE OR REPLACE TABLE lo_cut AS
      SELECT t.seq, min(coalesce(r.runmax, -9223372036854775807)) AS lo
      FROM (SELECT b.seq, b.send_time - ${spanMs} AS cut, p.partition AS q FROM bd0 b CROSS JOIN pmax p) t
      ASOF LEFT JOIN prun r ON r.partition = t.q AND t.cut > r.send_time
      GROUP BY t.seq`);
    await db.run(`CREATE OR REPLACE TABLE bd AS SELECT b.*,
        least(max(${okEt}) OVER (PARTITION BY b.partition ORDER BY b."offset" ROWS UNBOUNDED PRECEDING),
              (SELECT min(mx) FROM pmax WHERE pmax.partition <> b.partition)) - ${delay} AS w_hi,
        CASE WHEN c.lo = -9223372036854775807 THEN NULL ELSE c.lo - ${delay} END AS w_lo
      FROM bd0 b LEFT JOIN lo_cut c USING (seq)`);
  }

  // Per delivery and window: must, may or not count. An id counts once, by its best delivery.
  const filter = s.filter.length === 0 ? 'TRUE' : s.filter.map(conditionSql).join(' AND ');
  await db.run(`CREATE OR REPLACE TABLE bw AS
    SELECT *, CASE WHEN w_hi IS NULL OR ws + ${size} + ${lateness} > w_hi THEN 2
                   WHEN w_lo IS NOT NULL AND ws + ${size} + ${lateness} <= w_lo THEN 0 ELSE 1 END AS st
    FROM (SELECT *, unnest(generate_series(last_start - ${size - slide}, last_start, ${slide})) AS ws FROM bd WHERE ok)`);
  await db.run(`CREATE OR REPLACE TABLE brow AS
    SELECT * FROM (SELECT *, max(st) OVER (PARTITION BY id, ws) AS best, row_number() OVER (PARTITION BY id, ws ORDER BY st DESC, seq) AS rk FROM bw)
    WHERE rk = 1 AND best > 0 AND (${filter})`);
  // A delivery is surely late when none of its windows can count it; surely on time when one must.
  await db.run(`CREATE OR REPLACE TABLE blate AS SELECT seq, partition, "offset", max(st) AS top FROM bw GROUP BY seq, partition, "offset"`);

  const cols: string[] = [];
  for (const a of s.aggregations) {
    const f = a.field ? ident(`n_${a.field}`) : 'NULL';
    const agg = ORACLE_AGGREGATIONS[a.op];
    const must = `FILTER (WHERE best = 2)`;
    const may = `FILTER (WHERE best = 1)`;
    // Null is possible when the rows that must count may hold too few values.
    const nullOk = agg.minValues === 0 ? 'FALSE' : `count(${f}) ${must} < ${agg.minValues}`;
    const [lo, hi] = agg.bounds?.(f, must, may) ?? ['NULL::DOUBLE', 'NULL::DOUBLE'];
    cols.push(`${lo} AS ${ident(`${a.name}__lo`)}, ${hi} AS ${ident(`${a.name}__hi`)}, ${nullOk} AS ${ident(`${a.name}__null`)}`);
  }
  await db.run(`CREATE OR REPLACE TABLE bexp AS SELECT ws, k, count(*) FILTER (WHERE best = 2) AS must_n, count(*) FILTER (WHERE best = 1) AS may_n, ${cols.join(', ')}
    FROM brow GROUP BY ws, k`);
  // Averages: adding the smallest (largest) may-count values one by one reaches the lowest (highest).
  for (const a of s.aggregations.filter((x) => x.op === 'avg')) {
    const f = ident(`n_${a.field}`);
    await db.run(`CREATE OR REPLACE TABLE bavg AS
      WITH m AS (SELECT ws, k, coalesce(sum(${f}) FILTER (WHERE best = 2), 0) AS sm, count(${f}) FILTER (WHERE best = 2) AS nm FROM brow GROUP BY ws, k),
      y AS (SELECT ws, k,
              sum(${f}) OVER (PARTITION BY ws, k ORDER BY ${f} ROWS UNBOUNDED PRECEDING) AS up_s, row_number() OVER (PARTITION BY ws, k ORDER BY ${f}) AS up_n,
              sum(${f}) OVER (PARTITION BY ws, k ORDER BY ${f} DESC ROWS UNBOUNDED PRECEDING) AS dn_s, row_number() OVER (PARTITION BY ws, k ORDER BY ${f} DESC) AS dn_n
            FROM brow WHERE best = 1 AND ${f} IS NOT NULL)
      SELECT m.ws, m.k,
        least(min((m.sm + y.up_s) / (m.nm + y.up_n)), CASE WHEN m.nm > 0 THEN m.sm / m.nm END) AS lo,
        greatest(max((m.sm + y.dn_s) / (m.nm + y.dn_n)), CASE WHEN m.nm > 0 THEN m.sm / m.nm END) AS hi
      FROM m LEFT JOIN y USING (ws, k) GROUP BY m.ws, m.k, m.sm, m.nm`);
    await db.run(`UPDATE bexp SET ${ident(`${a.name}__lo`)} = bavg.lo, ${ident(`${a.name}__hi`)} = bavg.hi FROM bavg WHERE bexp.ws = bavg.ws AND bexp.k = bavg.k`);
  }
}

/** Results against the bounds: exact windows exactly, ambiguous ones within bounds, reported apart. */
export async function boundedChecks(db: DuckDBConnection, s: Scenario, tolerance: number, lateGiven: boolean): Promise<{ checks: Check[]; counts: Counts }> {
  const count = s.aggregations.find((a) => a.op === 'count')!.name;
  await db.run(`CREATE OR REPLACE TABLE act_g AS SELECT ws, k, count(*) AS emissions FROM act GROUP BY ws, k`);
  const tol = (x: string) => `${tolerance} * greatest(1, abs(${x}))`;
  const outOf = s.aggregations
    .map((a) => {
      const v = `a.${ident(a.name)}`;
      const lo = `e.${ident(`${a.name}__lo`)}`;
      const hi = `e.${ident(`${a.name}__hi`)}`;
      const nul = `e.${ident(`${a.name}__null`)}`;
      return `(CASE WHEN ${v} IS NULL THEN NOT ${nul} ELSE (${lo} IS NOT NULL AND ${v} < ${lo} - ${tol(lo)}) OR (${hi} IS NOT NULL AND ${v} > ${hi} + ${tol(hi)}) END)`;
    })
    .join(' OR ');
  const joined = `act a JOIN bexp e USING (ws, k)`;
  const exactWindows = await one(db, `SELECT count(*) FROM bexp WHERE may_n = 0`);
  const ambiguousWindows = await one(db, `SELECT count(*) FROM bexp WHERE may_n > 0`);
  const missing = await one(db, `SELECT count(*) FROM bexp e WHERE must_n > 0 AND NOT EXISTS (SELECT 1 FROM act_g a WHERE a.ws = e.ws AND a.k = e.k)`);
  const extra = await one(db, `SELECT count(*) FROM act_g a ANTI JOIN bexp e USING (ws, k)`);
  const repeated = await one(db, `SELECT count(*) FROM act_g WHERE emissions > 1`);
  const exactWrong = await one(db, `SELECT count(*) FROM ${joined} WHERE e.may_n = 0 AND (${outOf})`);
  const ambiguousWrong = await one(db, `SELECT count(*) FROM ${joined} WHERE e.may_n > 0 AND (${outOf})`);
  const c = ident(count);
  const lost = await one(db, `SELECT sum(greatest(0, e.${ident(`${count}__lo`)} - coalesce(a.${c}, 0))) FROM bexp e LEFT JOIN act a USING (ws, k)`);
  const doubled = await one(db, `SELECT sum(greatest(0, a.${c} - coalesce(e.${ident(`${count}__hi`)}, 0))) FROM act a LEFT JOIN bexp e USING (ws, k)`);
  const example = (where: string) =>
    rows(db, `SELECT ${ts('ws')} AS window_start, k AS key, e.must_n, e.may_n, ${s.aggregations.map((a) => `a.${ident(a.name)} AS ${ident(`actual_${a.name}`)}, e.${ident(`${a.name}__lo`)} AS ${ident(`${a.name}_lo`)}, e.${ident(`${a.name}__hi`)} AS ${ident(`${a.name}_hi`)}`).join(', ')} FROM ${joined} WHERE ${where} ORDER BY ws, k LIMIT 5`);
  const checks: Check[] = [
    { name: 'no results missing', pass: missing === 0, expected: 0, actual: missing, detail: `${missing} (window, key) results that must exist are absent` },
    { name: 'no results extra', pass: extra === 0, expected: 0, actual: extra, detail: `${extra} (window, key) results no record can reach` },
    { name: 'exact windows match', pass: exactWrong === 0, expected: 0, actual: exactWrong, detail: `${exactWrong} of ${exactWindows} windows whose records are all decided differ from the oracle`, examples: exactWrong ? await example(`e.may_n = 0 AND (${outOf})`) : undefined },
    { name: 'ambiguous windows within bounds', pass: ambiguousWrong === 0, expected: 0, actual: ambiguousWrong, detail: `${ambiguousWrong} of ${ambiguousWindows} windows with records that may go either way are out of bounds`, examples: ambiguousWrong ? await example(`e.may_n > 0 AND (${outOf})`) : undefined },
    { name: 'each result emitted once', pass: repeated === 0, expected: 0, actual: repeated, detail: `${repeated} (window, key) results emitted more than once` },
    { name: 'no records lost', pass: lost === 0, expected: 0, actual: lost, detail: `${lost} records that must count are not reflected in the results` },
    { name: 'no records double-counted', pass: doubled === 0, expected: 0, actual: doubled, detail: `${doubled} records counted beyond what can count` },
  ];
  if (lateGiven) {
    const mustLate = await one(db, `SELECT count(*) FROM blate b WHERE top = 0 AND NOT EXISTS (SELECT 1 FROM lt WHERE lt.partition = b.partition AND lt."offset" = b."offset")`);
    const notLate = await one(db, `SELECT count(*) FROM lt WHERE NOT EXISTS (SELECT 1 FROM blate b WHERE b.partition = lt.partition AND b."offset" = lt."offset" AND b.top < 2)`);
    checks.push({ name: 'late output within bounds', pass: mustLate + notLate === 0, detail: `${mustLate} surely late records missing from the late output, ${notLate} in it that must have counted` });
  }
  return {
    checks,
    counts: { exact_windows: exactWindows, ambiguous_windows: ambiguousWindows, exact_wrong: exactWrong, ambiguous_out_of_bounds: ambiguousWrong, results_missing: missing, results_extra: extra, results_repeated: repeated, records_lost: lost, records_double_counted: doubled, actual_results: await one(db, `SELECT count(*) FROM act_g`) },
  };
}
