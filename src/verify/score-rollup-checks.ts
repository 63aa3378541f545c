import type { DuckDBConnection } from '@duckdb/node-api';
import { scoreBuckets, scoreRollupColumns, SCORE_ROLLUP_STATS } from '../scenario/score-rollup.js';
import type { Rollup, Scenario, ScoreSpec } from '../scenario/types.js';
import { compareTables, periodOf, rollupCheckName, tableReader } from './batch-checks.js';
import { one, rows, type Check, type Counts } from './checks.js';
import { conditionSql, ident, lit, nearSql } from './sql.js';

/** A result whose customer has no row in its snapshot day has no segment: one named group on both sides. */
const NO_SEGMENT = '(no snapshot row)';

/**
 * A score rollup, judged (README, "The batch layer"):
 * - its table must equal the oracle's own distribution of the oracle's scores (exp_score), grouped
 *   by the segment the oracle read from the same snapshot day (exp_seg) and the unit of the minute
 *   scored. Counts are exact; a bucket or action count may differ by the scores lying within the
 *   tolerance of a bound, which may fall either way;
 * - the Lambda reconciliation: per segment, the raw data's active customer-minutes (a valid row of
 *   the customer in that minute) against the results the speed layer scored, the difference split
 *   into minutes whose rows were all late (or came after their minute's window closed), suppressed
 *   as duplicates, or only ever sent malformed.
 * Needs runScoreOracle's tables.
 */
export async function scoreRollupChecks(db: DuckDBConnection, s: Scenario, r: Rollup, file: string, t: string, tolerance: number, counts: Counts): Promise<Check[]> {
  const score = s.score as ScoreSpec;
  const columns = scoreRollupColumns(score);
  const seg = ident(r.segment!);
  await db.run(`CREATE OR REPLACE TABLE ${t} AS SELECT CAST(period AS VARCHAR) AS period, coalesce(CAST(key AS VARCHAR), ${lit(NO_SEGMENT)}) AS k,
      ${columns.map((c) => `TRY_CAST(${ident(c)} AS DOUBLE) AS ${ident(c)}`).join(', ')} FROM ${tableReader(file)}`);

  // The oracle's distribution: a bucket by its index, an action by the first threshold under.
  const { size, slide } = s.window;
  const buckets = scoreBuckets(score.range);
  const [lo, hi] = score.range;
  const width = (hi - lo) / buckets.length;
  // DuckDB's least() skips a NULL: an unscored result must not land in the top bucket.
  const index = `CASE WHEN score IS NOT NULL THEN least(${buckets.length - 1}, floor((score - ${lo}) / ${width})) END`;
  const action = score.actions.length ? `CASE ${score.actions.map((a) => `WHEN score < ${a.below} THEN ${lit(a.name)}`).join(' ')} END` : 'NULL';
  const bounds = [...buckets.slice(1).map((b) => b.lo), ...score.actions.map((a) => a.below)];
  const edge = bounds.length ? bounds.map((b) => `abs(score - ${b}) <= ${tolerance} * greatest(1, ${Math.abs(b)})`).join(' OR ') : 'FALSE';
  const stats: Record<(typeof SCORE_ROLLUP_STATS)[number], string> = {
    results: 'count(*)',
    scored: 'count(*) FILTER (WHERE score IS NOT NULL)',
    avg_score: 'sum(score) / count(score)',
    min_score: 'min(score)',
    p10: 'quantile_cont(score, 0.1)',
    p50: 'median(score)',
    p90: 'quantile_cont(score, 0.9)',
    max_score: 'max(score)',
  };
  await db.run(`CREATE OR REPLACE TABLE exp_${t} AS
    WITH scored AS (
      SELECT ${periodOf(r.every, `e.ws + ${size - slide}`)} AS period, coalesce(g.${seg}, ${lit(NO_SEGMENT)}) AS k, e.score,
        ${index} AS bucket, ${action} AS action, coalesce(${edge}, FALSE) AS edge
      FROM exp_score e LEFT JOIN exp_seg g ON g.day = e.day AND g.k = e.k)
    SELECT period, k, ${SCORE_ROLLUP_STATS.map((c) => `${stats[c]} AS ${ident(c)}`).join(', ')},
      ${buckets.map((b, i) => `count(*) FILTER (WHERE bucket = ${i}) AS ${ident(b.name)}`).join(', ')}${score.actions.map((a) => `, count(*) FILTER (WHERE action = ${lit(a.name)}) AS ${ident(a.name)}`).join('')},
      count(*) FILTER (WHERE edge) AS edge
    FROM scored GROUP BY period, k`);
  const exact = ['results', 'scored'];
  const loose = [...buckets.map((b) => b.name), ...score.actions.map((a) => a.name)];
  const differs = columns
    .map((c) => {
      const [b, e] = [`b.${ident(c)}`, `e.${ident(c)}`];
      if (exact.includes(c)) return `${b} IS DISTINCT FROM ${e}`;
      if (loose.includes(c)) return `coalesce(abs(${b} - ${e}) > e.edge, TRUE)`;
      return `NOT ${nearSql(b, e, tolerance)}`;
    })
    .join(' OR ');
  const cmp = await compareTables(db, t, columns, differs);
  counts[`batch_${r.name}_rows`] = cmp.expectedRows;
  const check: Check = {
    name: rollupCheckName(r),
    pass: cmp.bad === 0,
    expected: 0,
    actual: cmp.bad,
    detail: `${cmp.expectedRows} (${r.every === 'all' ? 'all time' : r.every}, ${r.segment}) rows expected from the oracle's scores: ${cmp.summary}`,
    examples: cmp.examples,
  };
  return [check, await lambdaCheck(db, s, r, t, counts)];
}

/** Per segment over all time: the raw data's active customer-minutes against the results scored. */
async function lambdaCheck(db: DuckDBConnection, s: Scenario, r: Rollup, t: string, counts: Counts): Promise<Check> {
  const { size, slide } = s.window;
  const lateness = s.allowedLateness;
  const filter = s.filter.length === 0 ? 'TRUE' : s.filter.map(conditionSql).join(' AND ');
  // A minute is the speed layer's when a row counted in it before the window ending it closed (the
  // oracle's rule for emit: active); its segment is read from the day its result was scored with.
  await db.run(`CREATE OR REPLACE TABLE lambda_minutes AS
    WITH m AS (
      SELECT k, last_start AS minute,
        bool_or(class = 'counted' AND last_start + ${slide} + ${lateness} > watermark) AS active,
        bool_or(class = 'late' OR class = 'counted') AS late,
        bool_or(class = 'duplicate') AS dup,
        bool_and(fault = 'malformed') AS only_malformed
      FROM cls WHERE coalesce(valid, FALSE) AND coalesce(${filter}, FALSE) GROUP BY k, last_start)
    SELECT m.*, coalesce(g.${ident(r.segment!)}, ${lit(NO_SEGMENT)}) AS segment
    FROM m LEFT JOIN exp_score e ON e.k = m.k AND e.ws = m.minute - ${size - slide}
    LEFT JOIN exp_seg g ON g.k = m.k AND g.day = coalesce(e.day, (SELECT max(day) FROM exp_seg))`);
  await db.run(`CREATE OR REPLACE TABLE lambda_segments AS
    WITH raw AS (
      SELECT segment AS k, count(*) AS raw,
        count(*) FILTER (WHERE NOT active AND late) AS late,
        count(*) FILTER (WHERE NOT active AND NOT late AND dup) AS deduplicated,
        count(*) FILTER (WHERE NOT active AND NOT late AND NOT dup AND only_malformed) AS malformed
      FROM lambda_minutes GROUP BY segment),
    speed AS (SELECT k, sum(results) AS speed FROM ${t} GROUP BY k)
    SELECT k, coalesce(raw, 0) AS raw, coalesce(speed, 0) AS speed, coalesce(late, 0) AS late, coalesce(deduplicated, 0) AS deduplicated, coalesce(malformed, 0) AS malformed,
      coalesce(raw, 0) - coalesce(late, 0) - coalesce(deduplicated, 0) - coalesce(malformed, 0) - coalesce(speed, 0) AS unexplained
    FROM raw FULL JOIN speed USING (k)`);
  const [raw, speed, late, dedup, malformed, unexplained, differing, bad] = (await db.runAndReadAll(`SELECT sum(raw), sum(speed), sum(late), sum(deduplicated), sum(malformed), sum(abs(unexplained)),
      count(*) FILTER (WHERE raw <> speed), count(*) FILTER (WHERE unexplained <> 0) FROM lambda_segments`)).getRows()[0].map((x) => Number(x ?? 0));
  const n = r.name;
  Object.assign(counts, { [`lambda_${n}_raw`]: raw, [`lambda_${n}_speed`]: speed, [`lambda_${n}_late`]: late, [`lambda_${n}_deduplicated`]: dedup, [`lambda_${n}_malformed`]: malformed, [`lambda_${n}_unexplained`]: unexplained });
  const unscoredMinutes = await one(db, `SELECT count(*) FROM lambda_minutes WHERE NOT active AND NOT late AND NOT dup AND NOT only_malformed`);
  const examples = await rows(db, `SELECT k AS ${ident(r.segment!)}, raw AS raw_minutes, speed AS results, late, deduplicated, malformed, unexplained FROM lambda_segments
      WHERE raw <> speed ORDER BY abs(unexplained) DESC, abs(raw - speed) DESC, k LIMIT 5`);
  const detail = `raw data ${raw} active customer-minutes, speed layer ${speed} results: ${differing} ${r.segment} values differ, by ${late} late, ${dedup} suppressed as duplicates, ${malformed} only ever sent malformed; unexplained ${unexplained}${bad ? ` in ${bad} ${r.segment} values` : ''}${unscoredMinutes ? ` (${unscoredMinutes} minutes with no cause)` : ''}`;
  return { name: `batch rollup ${n}: the speed layer's losses are explained (Lambda)`, pass: bad === 0, expected: 0, actual: unexplained, detail, examples: examples.length ? examples : undefined };
}
