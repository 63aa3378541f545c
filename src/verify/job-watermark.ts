import type { DuckDBConnection } from '@duckdb/node-api';
import { formatDuration } from '../core/duration.js';
import type { Scenario } from '../scenario/types.js';
import { rows, type Check } from './checks.js';
import { conditionSql } from './sql.js';
import type { Diagnosis } from './diagnose.js';

/** Past year 8000: the far-future event time the reference pipelines give sat's end-of-stream markers. */
const END_MARKER_WATERMARK = 190_000_000_000_000;
const iso = (ms: unknown) => (ms === null || ms === undefined ? 'none' : new Date(Number(ms)).toISOString());

/**
 * The exact models take the job's own watermark (Spark's checkpoint, Flink's audit) as given, so a
 * job with no watermark, or another delay than the scenario's, would be judged by its own mistake.
 * This checks the watermark against the scenario: Spark's batch N must run with the largest valid
 * event time of batches before N minus the delay (it starts at 0 and never falls back; batches after
 * the end markers are left out); a Flink job's can only be bounded from outside (the interleaving is
 * its own): it must exist and never pass the largest valid event time minus the delay.
 */
export async function jobWatermarkCheck(db: DuckDBConnection, s: Scenario, model: 'spark-batches' | 'flink-watermarks'): Promise<{ check: Check; diagnosis?: Diagnosis }> {
  const delay = s.watermarkDelay;
  const name = "the job's watermark follows the scenario";
  if (model === 'spark-batches') {
    // Rows the scenario's filter drops, and corrupted rows, move sat's watermark; Spark's optimizer
    // may push such a filter below withWatermark, and then they do not. Either is right: the job's
    // watermark must lie between the two.
    const filter = s.filter.length === 0 ? 'TRUE' : s.filter.map(conditionSql).join(' AND ');
    const counting = `(${filter})${s.reports ? ' AND NOT coalesce(r_corrupted, FALSE)' : ''}`;
    const bad = await rows(db, `
      WITH d AS (SELECT s.et, coalesce(${counting}, FALSE) AS counting, (SELECT min(b.batch) FROM spark_batches b WHERE b.partition = s.partition AND s."offset" < b.end_offset) AS batch FROM stage s WHERE s.ok),
      m AS (SELECT batch, max(et) AS mx, max(et) FILTER (WHERE counting) AS mx_lo FROM d WHERE batch IS NOT NULL GROUP BY batch),
      b AS (SELECT DISTINCT batch, wm_evict AS job FROM spark_batches),
      e AS (SELECT b.batch, b.job,
              greatest(0, coalesce(max(m.mx) OVER (ORDER BY b.batch ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - ${delay}, 0)) AS want,
              greatest(0, coalesce(max(m.mx_lo) OVER (ORDER BY b.batch ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - ${delay}, 0)) AS want_lo
            FROM b LEFT JOIN m USING (batch))
      SELECT batch, job, want, want_lo, max(job) OVER () AS top FROM e WHERE (job > want OR job < want_lo) AND job < ${END_MARKER_WATERMARK} ORDER BY batch`);
    if (bad.length === 0) return { check: { name, pass: true, detail: `every micro-batch ran with the largest event time before it minus ${formatDuration(delay)}` } };
    const first = bad[0];
    const none = Number(first.top) === 0;
    const want = first.want === first.want_lo ? iso(first.want) : `${iso(first.want_lo)} to ${iso(first.want)}`;
    const detail = `${bad.length} micro-batches ran with another watermark than the scenario's (first: batch ${first.batch} with ${iso(first.job)}, the scenario's ${want})`;
    return {
      check: { name, pass: false, expected: 0, actual: bad.length, detail },
      diagnosis: { cause: none ? 'no watermark' : 'watermark delay', detail: none ? `the job's watermark never moved (batchWatermarkMs 0 in every batch): no withWatermark, so no record is ever late and state grows forever; the scenario's delay is ${formatDuration(delay)}` : `${detail}: a withWatermark delay other than ${formatDuration(delay)}?` },
    };
  }
  const [r] = await rows(db, `SELECT count(flink_wm) AS moved, max(flink_wm) AS top, max(CASE WHEN ok THEN et END) - ${delay} AS cap FROM stage`);
  if (Number(r.moved) === 0) {
    const detail = 'no record met a watermark (every CURRENT_WATERMARK in the audit is null)';
    return { check: { name, pass: false, detail }, diagnosis: { cause: 'no watermark', detail: `${detail}: no WATERMARK FOR in the source table, so no record is ever late; the scenario's delay is ${formatDuration(delay)}` } };
  }
  const ahead = await rows(db, `SELECT partition, "offset", flink_wm FROM stage WHERE flink_wm > ${Number(r.cap)} AND flink_wm < ${END_MARKER_WATERMARK} ORDER BY seq LIMIT 1`);
  if (ahead.length > 0) {
    const detail = `the job's watermark reached ${iso(ahead[0].flink_wm)} (partition ${ahead[0].partition} offset ${ahead[0].offset}), past the largest event time sent minus ${formatDuration(delay)} (${iso(r.cap)})`;
    return { check: { name, pass: false, detail }, diagnosis: { cause: 'watermark delay', detail: `${detail}: a WATERMARK delay shorter than the scenario's?` } };
  }
  return { check: { name, pass: true, detail: `the watermark moved, and never past the largest event time minus ${formatDuration(delay)}` } };
}
