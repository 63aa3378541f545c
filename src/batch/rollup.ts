import type { DuckDBConnection } from '@duckdb/node-api';
import type { Aggregation, Rollup, Scenario } from '../scenario/types.js';
import { ident, lit } from '../verify/sql.js';
import { scoreRollupSql } from './score-rollup.js';

/**
 * The batch layer's rollups, over the stream's results in table act(ws, k, <aggregations>): each
 * window's partial aggregate merged by its kind (README, "The batch layer"). This is the product's
 * batch job, judged by verify against the raw data like any other engine's, so it shares nothing
 * with the oracle.
 */
/** The calendar unit of a window start (ms since the epoch), as text: 2015-08-31, 2015-08, 2015, or all. */
export function periodSql(every: Rollup['every'], ms: string): string {
  if (every === 'all') return `'all'`;
  const format = every === 'day' ? '%Y-%m-%d' : every === 'month' ? '%Y-%m' : '%Y';
  return `strftime(make_timestamp((${ms}) * 1000), '${format}')`;
}

function mergeSql(a: Aggregation, s: Scenario): string {
  const v = ident(a.name);
  const n = ident(s.aggregations.find((x) => x.op === 'count')!.name);
  const mean = () => ident(s.aggregations.find((x) => x.op === 'avg' && x.field === a.field)!.name);
  switch (a.op) {
    case 'count':
    case 'sum':
      return `sum(${v})`;
    case 'avg':
      // Weighted by the windows' counts: an average of averages would weigh a window of 1 like one of 1,000.
      return `sum(${v} * ${n}) FILTER (WHERE ${v} IS NOT NULL) / sum(${n}) FILTER (WHERE ${v} IS NOT NULL)`;
    case 'min':
      return `min(${v})`;
    case 'max':
      return `max(${v})`;
    case 'first':
      return `arg_min(${v}, ws) FILTER (WHERE ${v} IS NOT NULL)`;
    case 'last':
      return `arg_max(${v}, ws) FILTER (WHERE ${v} IS NOT NULL)`;
    case 'variance':
    case 'stddev': {
      // Chan et al.: the sum of squared deviations of the whole is the windows' own, plus each window's
      // count times its mean's squared distance from the overall mean.
      const m = mean();
      const own = a.op === 'variance' ? v : `${v} * ${v}`;
      const total = `sum(${n})`;
      const overall = ident(`__mean_${a.field}`); // the group's mean, a window function in the inner query
      const ss = `(sum(coalesce((${n} - 1) * ${own}, 0)) + sum(${n} * (${m} - ${overall}) * (${m} - ${overall})))`;
      const varSql = `CASE WHEN ${total} >= 2 THEN ${ss} / (${total} - 1) END`;
      return a.op === 'variance' ? varSql : `sqrt(${varSql})`;
    }
    case 'count_distinct':
      throw new Error('count_distinct cannot be rolled up (the scenario loader refuses it)');
  }
}

/** SQL of a rollup over act: period, key and the merged aggregates, the top n per period when asked. */
export function rollupSql(r: Rollup, s: Scenario): string {
  const aggs = r.aggregations.map((a) => `${mergeSql(a, s)} AS ${ident(a.name)}`).join(', ');
  // Variance needs each group's overall mean beside every window: computed first, over the same groups.
  const n = ident(s.aggregations.find((x) => x.op === 'count')!.name);
  const means = [...new Set(r.aggregations.filter((a) => a.op === 'variance' || a.op === 'stddev').map((a) => a.field!))].map((f) => {
    const m = ident(s.aggregations.find((x) => x.op === 'avg' && x.field === f)!.name);
    return `, sum(${m} * ${n}) OVER g / sum(${n}) OVER g AS ${ident(`__mean_${f}`)}`;
  });
  const source = `(SELECT *, ${periodSql(r.every, 'ws')} AS period ${means.join('')} FROM act ${means.length ? 'WINDOW g AS (PARTITION BY period, k)' : ''})`;
  let grouped = `SELECT period, k AS key, ${aggs} FROM ${source} GROUP BY period, k`;
  // Alerts per key and unit, beside the results' rollup: a key may have alerts in a unit and no result.
  if (r.alerts) grouped = `SELECT * REPLACE (coalesce(alerts, 0) AS alerts) FROM (${grouped}) FULL JOIN (SELECT ${periodSql(r.every, `(floor(et / ${s.window.size}) * ${s.window.size})::BIGINT`)} AS period, key, count(*) AS alerts FROM act_alerts GROUP BY ALL) USING (period, key)`;
  if (r.top === undefined) return `${grouped} ORDER BY period, key`;
  return `SELECT * FROM (${grouped}) QUALIFY row_number() OVER (PARTITION BY period ORDER BY ${ident(r.top.by)} DESC NULLS LAST, key) <= ${r.top.n} ORDER BY period, ${ident(r.top.by)} DESC, key`;
}

/** Runs every rollup of the scenario over act and writes each as <out>/<name>.parquet; returns the row counts. */
export async function writeRollups(db: DuckDBConnection, s: Scenario, out: string): Promise<{ name: string; rows: number; file: string }[]> {
  const done: { name: string; rows: number; file: string }[] = [];
  for (const r of s.rollups ?? []) {
    const file = `${out}/${r.name}.parquet`;
    const tmp = `${file}.partial`;
    await db.run(`COPY (${r.segment ? scoreRollupSql(r, s) : rollupSql(r, s)}) TO ${lit(tmp)} (FORMAT parquet)`);
    const rows = Number((await db.runAndReadAll(`SELECT count(*) FROM read_parquet(${lit(tmp)})`)).getRows()[0][0]);
    done.push({ name: r.name, rows, file: tmp });
  }
  return done;
}
