import { UsageError } from '../core/errors.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Scenario } from '../scenario/types.js';
import { ORACLE_AGGREGATIONS } from './aggregations/index.js';
import { datasetSql, type DatasetInfo } from './dataset.js';
import { utf8View } from './source-text.js';
import { canonicalSql, conditionSql, eventTimeSql, fieldValidSql, ident, lit, textConditionFields } from './sql.js';

/**
 * The oracle: recomputes in SQL, from the dataset (read by DuckDB) and the truth ledger, what every
 * delivery must become and what every window must hold. It shares no code with the engine's core.
 *
 * Tables it leaves on the connection:
 *   cls(seq, partition, offset, fault, row, id, k, et, watermark, wm_before, dedup_held, class, alerted)
 *       one row per delivery; class is dead | corrupted | late | duplicate | filtered | counted;
 *       dedup_held: the close the id was held until when this delivery arrived (a later delivery of it)
 *   expected(ws, k, <aggregations>)  one row per window and key
 */
/**
 * Watermark models: `global` is the largest event time over the whole stream in send order (sat run
 * on the embedded log); `partition` keeps one per partition in offset order (sat run on Kafka, and
 * Kafka Streams' stream time), so it does not depend on how partitions interleave. `spark-batches`
 * is a Spark Structured Streaming query's, cut into the micro-batches its checkpoint recorded (table
 * spark_batches, see spark-checkpoint.ts), with Spark's rules: a row is late when its event time is
 * at or below the watermark it is judged by (dropDuplicatesWithinWatermark's filter, LessThanOrEqual
 * in Spark's WatermarkSupport), and an id is held until the watermark reaches its event time plus the
 * delay (the dedup state's expiry). `flink-watermarks` is a Flink job's, as its watermark audit
 * recorded it per record (table flink_wm, see flink-watermarks.ts), with Flink SQL's rules: a window
 * has fired once the watermark reaches its end - 1 ms (its last timestamp), and a record counts in
 * the windows that had not fired when it arrived; deduplication is per window (window
 * deduplication, the first row by event time).
 */
export type WatermarkModel = 'global' | 'partition' | 'spark-batches' | 'flink-watermarks';

export async function runOracle(db: DuckDBConnection, s: Scenario, d: DatasetInfo, ledgerPath: string | string[], model: WatermarkModel = 'global'): Promise<void> {
  const { size, slide } = s.window;
  const lateness = s.allowedLateness;
  // A folder is read file by file, each row numbered as replay numbered it (its file's index * 2^32 + its row).
  const files = d.files ?? [d.file];
  let parquetColumns = new Map<string, string>();
  if (d.format === 'parquet') {
    const r = await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${lit(files[0])})`);
    parquetColumns = new Map(r.getRows().map(([name, type]) => [String(name), String(type)]));
  }
  // The files' text is read straight into `data` (no table of raw text: 10M rows of it cost 9 s and
  // the memory the steps below need). Re-encoded copies live until then.
  const views: Awaited<ReturnType<typeof utf8View>>[] = [];
  try {
    let present = new Set<string>();
    const parts: string[] = [];
    for (let i = 0; i < files.length; i++) {
      const view = await utf8View(files[i], d.format, d.encoding ?? s.source.encoding);
      views.push(view);
      const one = datasetSql(s, { ...d, file: view.file }, parquetColumns);
      present = one.present;
      parts.push(i === 0 ? one.sql : `SELECT * REPLACE (__row + ${i * 2 ** 32} AS __row) FROM (${one.sql})`);
    }
    const numeric = s.fields.filter((f) => f.type === 'int' || f.type === 'float');
    const valid = s.fields.map((f) => fieldValidSql(f, present.has(f.name), s, '__et')).join(' AND ');
    const col = (name: string) => (present.has(name) ? ident(name) : 'NULL');
    const fieldOf = (name: string) => s.fields.find((f) => f.name === name);
    await csvRefusalNamed(d, () => db.run(`CREATE OR REPLACE TABLE data AS SELECT
        __row AS row,
        (${valid}) AS valid,
        ${canonicalSql(fieldOf(s.key), col(s.key))} AS k,
        __et AS et,
        concat_ws('|', ${s.id.map((f) => canonicalSql(fieldOf(f), col(f))).join(', ')}) AS id
        ${numeric.map((f) => `, TRY_CAST(${col(f.name)} AS DOUBLE) AS ${ident(`n_${f.name}`)}`).join('')}
        ${textConditionFields(s).map((f) => `, ${col(f)} AS ${ident(`s_${f}`)}`).join('')}
        ${reportColumns(s, col)}
      FROM (SELECT *, ${present.has(s.eventTime) ? eventTimeSql(s) : 'NULL'} AS __et FROM (${parts.map((p) => `(${p})`).join(' UNION ALL ')}))`));
  } finally {
    for (const v of views) v.done();
  }

  await db.run(`CREATE OR REPLACE TABLE ledger AS SELECT * FROM ${ledgerSql(typeof ledgerPath === 'string' ? [ledgerPath] : ledgerPath)}`);

  // Watermark at each delivery: the largest valid event time so far (in the model's order), minus the delay.
  const lastStart = `(floor(et / ${slide}) * ${slide})::BIGINT`;
  const spark = model === 'spark-batches';
  const flink = model === 'flink-watermarks';
  // The largest valid event time so far in the model's order (up to this delivery, or before it), minus the delay.
  const maxEt = (upTo: 'CURRENT ROW' | '1 PRECEDING') =>
    `max(CASE WHEN ok THEN et END) OVER (${model === 'partition' ? 'PARTITION BY partition ORDER BY "offset"' : 'ORDER BY seq'} ROWS BETWEEN UNBOUNDED PRECEDING AND ${upTo}) - ${s.watermarkDelay}`;
  // Spark: each delivery is judged by the watermark of the micro-batch that read it (a delivery past
  // the last committed batch, by the last watermark: the job never read it, so its results lack it).
  const sparkWatermark = `coalesce((SELECT b.wm_late FROM spark_batches b WHERE b.partition = deliv.partition AND deliv."offset" < b.end_offset ORDER BY b.batch LIMIT 1), (SELECT max(wm_evict) FROM spark_batches))`;
  // A delivery's event time (a boundary probe is sent with another event time than its row's: the
  // ledger carries it) and whether it is a valid record.
  const etSql = `CASE WHEN l.fault = 'boundary' THEN l.event_time ELSE d.et END`;
  const okSql = `(l.fault NOT IN ('malformed', 'source') AND coalesce(d.valid, FALSE))`;
  // The running maxima over the model's order first, on the five columns they need: sorting whole
  // deliveries for the window spilled most of verify's time away under a memory limit.
  await db.run(`CREATE OR REPLACE TABLE marks AS
    SELECT seq, ${maxEt('CURRENT ROW')} AS wm_here, ${maxEt('1 PRECEDING')} AS wm_prev
    FROM (SELECT l.seq, l.partition, l."offset", ${okSql} AS ok, ${etSql} AS et FROM ledger l LEFT JOIN data d ON l.row = d.row)`);
  await db.run(`CREATE OR REPLACE TABLE stage AS
    WITH deliv AS (
      SELECT l.seq, l.partition, l."offset", l.fault, d.* REPLACE (${etSql} AS et), ${okSql} AS ok
             ${flink ? ', f.wm AS flink_wm, f.partition IS NOT NULL AS audited' : ''}
      FROM ledger l LEFT JOIN data d ON l.row = d.row
      ${flink ? 'LEFT JOIN flink_wm f ON f.partition = l.partition AND f."offset" = l."offset"' : ''})
    SELECT deliv.*,
      ${spark ? sparkWatermark : flink ? 'flink_wm' : 'marks.wm_here'} AS watermark,
      marks.wm_prev,
      CASE WHEN ok THEN ${lastStart} END AS last_start
    FROM deliv JOIN marks USING (seq)`);
  await db.run(`DROP TABLE marks`);

  const filter = s.filter.length === 0 ? 'TRUE' : s.filter.map(conditionSql).join(' AND ');
  const alertCases = s.alerts.length === 0
    ? 'NULL'
    : `concat_ws(',', ${s.alerts.map((a) => `CASE WHEN ${a.when.map(conditionSql).join(' AND ')} THEN ${lit(a.name)} END`).join(', ')})`;
  // Dedup, as the README's rule says: an id is held from the delivery that was kept (counted or
  // filtered) until that delivery's last window closes; suppressed copies do not extend it. A chain
  // per id: the first on-time delivery is kept; a later one is a duplicate while the held close is
  // above the watermark the engine had before it, else it is kept and holds its own close. Under the
  // partition model each partition is its own task with its own dedup state, in offset order.
  const scope = model === 'partition' ? 'partition, id' : 'id';
  const order = model === 'partition' ? '"offset"' : 'seq';
  // The watermark the engine had before a delivery: computed beside the watermark, in the same window
  // pass over the model's order (a second pass over 10M deliveries cost 16 s).
  const wmBefore = spark ? 'watermark' : 'wm_prev';
  // Flink: a window whose last millisecond (end - 1) the watermark has reached has fired.
  const closeAt = flink ? `${size} + ${lateness} - 1` : `${size} + ${lateness}`;
  const isLate = spark ? 'et <= watermark' : `last_start + ${closeAt} <= watermark`;
  // A view, not a table: its one CASE is cheaper to compute twice (dups, cls) than a third copy of
  // every delivery's columns is to write (9 s of 10M records under a memory limit).
  await db.run(`CREATE OR REPLACE TEMP VIEW c0 AS
    SELECT * EXCLUDE (wm_prev), CASE WHEN NOT ok THEN 'dead'
                   ${s.reports ? "WHEN r_corrupted THEN 'corrupted'" : ''}
                   WHEN ${isLate} THEN 'late'
                   ELSE 'on-time' END AS c0,
      ${wmBefore} AS wm_before
    FROM stage`);
  if (flink) {
    // Window deduplication: per (id, window), among the deliveries that window still takes, the
    // first by event time (ties: the first read; copies of an id share a key, so a partition).
    await db.run(`CREATE OR REPLACE TABLE fwin AS
      SELECT *, row_number() OVER (PARTITION BY id, ws ORDER BY et, partition, "offset") AS win_rn
      FROM (SELECT *, unnest(generate_series(last_start - ${size - slide}, last_start, ${slide})) AS ws FROM c0 WHERE c0 = 'on-time')
      WHERE watermark IS NULL OR ws + ${closeAt} > watermark`);
    await db.run(`CREATE OR REPLACE TABLE dups AS SELECT seq, bool_and(win_rn > 1) AS dup, NULL::BIGINT AS prev_held FROM fwin GROUP BY seq`);
  } else await db.run(`CREATE OR REPLACE TABLE dups AS
    WITH RECURSIVE ot AS (
      SELECT seq, partition, id, wm_before, ${spark ? `et + ${s.watermarkDelay}` : `last_start + ${size} + ${lateness}`} AS close,
             row_number() OVER (PARTITION BY ${scope} ORDER BY ${order}) AS rn,
             count(*) OVER (PARTITION BY ${scope}) AS n
      FROM c0 WHERE c0 = 'on-time'),
    multi AS (SELECT * FROM ot WHERE n > 1),
    chain AS (
      SELECT seq, partition, id, rn, close AS held, FALSE AS dup, NULL::BIGINT AS prev_held FROM multi WHERE rn = 1
      UNION ALL
      SELECT o.seq, o.partition, o.id, o.rn,
             CASE WHEN c.held > o.wm_before THEN c.held ELSE o.close END,
             c.held > o.wm_before, c.held
      FROM chain c JOIN multi o ON o.id = c.id AND o.rn = c.rn + 1${model === 'partition' ? ' AND o.partition = c.partition' : ''})
    SELECT seq, dup, prev_held FROM chain WHERE rn > 1`);
  await db.run(`CREATE OR REPLACE TABLE cls AS
    WITH c2 AS (SELECT c0.*, coalesce(d.dup, FALSE) AS dup, d.prev_held AS dedup_held FROM c0 LEFT JOIN dups d USING (seq))
    SELECT *,
      CASE WHEN c0 <> 'on-time' THEN c0
           WHEN dup THEN 'duplicate'
           WHEN ${filter} THEN 'counted'
           ELSE 'filtered' END AS class,
      CASE WHEN c0 = 'on-time' AND NOT dup THEN NULLIF(${alertCases}, '') END AS alerted
    FROM c2`);
  await db.run(`DROP VIEW c0`);

  const aggs = s.aggregations
    .map((a) => `${ORACLE_AGGREGATIONS[a.op].sql(a.field ? ident(`n_${a.field}`) : 'NULL')} AS ${ident(a.name)}`)
    .join(', ');
  if (s.window.emit === 'active') {
    // Only windows with a record in their last slide: find those (a record's bucket is the last
    // slide of the first window holding it, if it arrived before that window closed), then range-join
    // the key's records into them. Far fewer rows than expanding every record into size/slide windows.
    await db.run(`CREATE OR REPLACE TABLE expected AS
      WITH c AS (SELECT * FROM cls WHERE class = 'counted'),
      aw AS (SELECT DISTINCT k, last_start - ${size - slide} AS ws FROM c WHERE last_start + ${slide} + ${lateness} > watermark)
      SELECT aw.ws, aw.k, ${aggs}
      FROM aw JOIN c ON c.k = aw.k AND c.last_start BETWEEN aw.ws AND aw.ws + ${size - slide}
      WHERE aw.ws + ${size} + ${lateness} > c.watermark
      GROUP BY aw.ws, aw.k`);
    return;
  }
  if (flink) {
    await db.run(`CREATE OR REPLACE TABLE expected AS SELECT ws, k, ${aggs} FROM fwin WHERE win_rn = 1 AND (${filter}) GROUP BY ws, k`);
    return;
  }
  await db.run(`CREATE OR REPLACE TABLE expected AS
    SELECT ws, k, ${aggs}
    FROM (SELECT *, unnest(generate_series(last_start - ${size - slide}, last_start, ${slide})) AS ws FROM cls WHERE class = 'counted')
    WHERE ws + ${size} + ${lateness} > watermark
    GROUP BY ws, k`);
}

/**
 * Scenarios with reports: whether a row is corrupted by the scenario's rule (an empty cell is NULL
 * here), and the pivot, user and country fields as text.
 */
function reportColumns(s: Scenario, col: (name: string) => string): string {
  const r = s.reports;
  if (!r) return '';
  const f = `CAST(${col(r.corrupted.field)} AS VARCHAR)`;
  const values = r.corrupted.values.filter((v) => v !== '');
  const corrupt = [r.corrupted.missing ? `${f} IS NULL` : 'FALSE', values.length ? `${f} IN (${values.map(lit).join(', ')})` : 'FALSE'].join(' OR ');
  return `, coalesce(${corrupt}, FALSE) AS r_corrupted, CAST(${col(r.pivot.field)} AS VARCHAR) AS r_pivot, CAST(${col(r.topUsers.field)} AS VARCHAR) AS r_user,
    ${r.countries ? `CAST(${col(r.countries.field)} AS VARCHAR)` : 'NULL'} AS r_country`;
}

/** The truth ledger file(s) as DuckDB reads them: one row per delivery, typed. */
export function ledgerSql(paths: string[]): string {
  return `read_csv([${paths.map(lit).join(', ')}], header=true, auto_detect=false,
      columns={'seq':'BIGINT','row':'BIGINT','partition':'INTEGER','offset':'BIGINT','key':'VARCHAR','event_time':'BIGINT',
               'id':'VARCHAR','fault':'VARCHAR','detail':'VARCHAR','scheduled_time':'DOUBLE','send_time':'DOUBLE'},
      quote='"', escape='"')`;
}

/**
 * DuckDB's CSV reader is strict where sat's is lenient: a quote in the middle of a quoted field (the
 * Amazon reviews TSV with quoting on) stops it. That is the scenario's mistake, said in one line.
 */
async function csvRefusalNamed<T>(d: DatasetInfo, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    const m = /CSV Error on Line: (\d+)[\s\S]*?\n(?:Original Line: .*\n)?(.+)/.exec((e as Error).message);
    if (m === null) throw e;
    throw new UsageError(`the oracle cannot read line ${m[1]} of ${d.file} with quoting on (DuckDB: ${m[2].trim()}): if quote characters are data in this file, set source.quote: false in the scenario or replay with --no-quote`);
  }
}
