import type { DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../core/errors.js';
import { snapshotDays } from '../engine/join/snapshot.js';
import { SCORE_ROLLUP_STATS, scoreBuckets } from '../scenario/score-rollup.js';
import type { Rollup, Scenario, ScoreSpec } from '../scenario/types.js';
import { ident, lit } from '../verify/sql.js';
import { periodSql } from './rollup.js';

/**
 * Score rollups (README, "The batch layer"): the distribution of the scores per customer segment, by
 * the unit of the minute each result scored (its window's last slide). A result's segment is the
 * snapshot column's value on the day the result names (snapshot_day; the latest day when it names
 * none), so a customer who changes segment is counted where the stream saw it.
 */

/** The snapshot columns the score rollups group by, for the days the results name, as table seg(day, k, <columns>). */
export async function loadSegments(db: DuckDBConnection, s: Scenario, snapshotsDir: string): Promise<void> {
  const columns = [...new Set((s.rollups ?? []).flatMap((r) => (r.segment ? [r.segment] : [])))];
  await db.run(`CREATE OR REPLACE TABLE seg (day VARCHAR, k VARCHAR${columns.map((c) => `, ${ident(c)} VARCHAR`).join('')})`);
  const batch = s.score?.batch;
  if (columns.length === 0 || batch === undefined) return;
  const all = snapshotDays(snapshotsDir, batch.prefix);
  if (all.length === 0) throw new UsageError(`no snapshot ${batch.prefix}-YYYY-MM-DD.* in ${snapshotsDir}: a score rollup groups by a snapshot column (pass --snapshots)`);
  const named = new Set((await db.runAndReadAll(`SELECT DISTINCT snapshot_day FROM act WHERE snapshot_day IS NOT NULL`)).getRows().map((r) => String(r[0])));
  named.add(all[all.length - 1].day);
  for (const day of all.filter((d) => named.has(d.day))) {
    const files = `[${day.files.map(lit).join(', ')}]`;
    const from = day.files[0].endsWith('.parquet') ? `read_parquet(${files})` : day.files[0].endsWith('.csv') ? `read_csv(${files}, header = true, all_varchar = true)` : `read_json(${files}, format = 'newline_delimited')`;
    const have = (await db.runAndReadAll(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${from})`)).getRows().map((r) => String(r[0]));
    for (const c of [batch.key, ...columns]) if (!have.includes(c)) throw new UsageError(`snapshot ${day.files[0]}: no column ${c} (a score rollup groups by it)`);
    await db.run(`INSERT INTO seg SELECT ${lit(day.day)}, CAST(${ident(batch.key)} AS VARCHAR)${columns.map((c) => `, CAST(${ident(c)} AS VARCHAR)`).join('')} FROM ${from}`);
  }
}

/** SQL of a score rollup over act and seg: period, key (the segment) and the distribution's columns. */
export function scoreRollupSql(r: Rollup, s: Scenario): string {
  const score = s.score as ScoreSpec;
  const lastSlide = `ws + ${s.window.size - s.window.slide}`;
  const buckets = scoreBuckets(score.range).map((b, i, all) => `count(*) FILTER (WHERE score >= ${b.lo} AND ${i === all.length - 1 ? `score <= ${b.hi}` : `score < ${b.hi}`}) AS ${ident(b.name)}`);
  // An action per result: the first (lowest) threshold its score is under, as sat run decides it.
  const actions = score.actions.map((a, i) => `count(*) FILTER (WHERE score < ${a.below}${i > 0 ? ` AND score >= ${score.actions[i - 1].below}` : ''}) AS ${ident(a.name)}`);
  const stats: Record<(typeof SCORE_ROLLUP_STATS)[number], string> = {
    results: 'count(*)',
    scored: 'count(score)',
    avg_score: 'avg(score)',
    min_score: 'min(score)',
    p10: 'quantile_cont(score, 0.1)',
    p50: 'quantile_cont(score, 0.5)',
    p90: 'quantile_cont(score, 0.9)',
    max_score: 'max(score)',
  };
  const latest = `(SELECT max(day) FROM seg)`;
  return `SELECT ${periodSql(r.every, lastSlide)} AS period, g.${ident(r.segment!)} AS key,
      ${[...SCORE_ROLLUP_STATS.map((c) => `${stats[c]} AS ${ident(c)}`), ...buckets, ...actions].join(',\n      ')}
    FROM act LEFT JOIN seg g ON g.day = coalesce(act.snapshot_day, ${latest}) AND g.k = act.k
    GROUP BY ALL ORDER BY period, key NULLS LAST`;
}
