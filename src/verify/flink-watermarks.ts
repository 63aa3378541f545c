import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync, statSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { dataFiles } from './actual.js';
import { one, rows, type Check } from './checks.js';
import { lit } from './sql.js';

/**
 * A Flink job's watermark audit: for every record it read, its (partition, offset) and the
 * watermark as the record passed (`CURRENT_WATERMARK(ts)` in a sink of the same job; the reference
 * pipeline, engines/flink/pipeline.py, writes one). With one task the window operators see the
 * records and watermarks in that order, so the oracle judges every record by the watermark it met:
 * exact, however the partitions interleaved and whenever the watermark was emitted. JSON lines (a
 * file, or a directory of part files); the watermark as ISO-8601 text, epoch milliseconds, or null
 * before the first one. Leaves table flink_wm(partition, offset, wm).
 */
export async function loadFlinkWatermarks(db: DuckDBConnection, path: string): Promise<void> {
  if (!existsSync(path)) throw new UsageError(`--flink-watermarks ${path}: no such file or directory`);
  const files = statSync(path).isDirectory() ? dataFiles(path) : [path];
  if (files.length === 0) throw new UsageError(`--flink-watermarks ${path}: no part files in this directory (did the job commit them? Flink's file sink commits on a checkpoint or at the end)`);
  await db.run(`CREATE OR REPLACE TABLE flink_wm AS
    SELECT partition, "offset", CASE WHEN watermark IS NULL THEN NULL
                                     WHEN regexp_full_match(watermark, '-?[0-9]+') THEN CAST(watermark AS BIGINT)
                                     ELSE epoch_ms(CAST(watermark AS TIMESTAMPTZ)) END AS wm
    FROM read_json([${files.map(lit).join(', ')}], format='newline_delimited', columns={'partition':'INTEGER','offset':'BIGINT','watermark':'VARCHAR'})`);
  const twice = await db.runAndReadAll(`SELECT partition, "offset", count(*) AS n FROM flink_wm GROUP BY ALL HAVING count(*) > 1 LIMIT 1`);
  const t = twice.getRowObjectsJson()[0];
  if (t !== undefined) throw new UsageError(`--flink-watermarks ${path}: partition ${t.partition} offset ${t.offset} is audited ${t.n} times (a job restarted without exactly-once file sinks?)`);
}

/** Every delivery must be in the audit: one it lacks was never read by the job (or the audit is cut short). */
export async function auditCheck(db: DuckDBConnection): Promise<Check> {
  const missing = await one(db, `SELECT count(*) FROM cls WHERE NOT audited`);
  const first = missing ? ((await rows(db, `SELECT partition, "offset" FROM cls WHERE NOT audited ORDER BY partition, "offset" LIMIT 5`)) as { partition: number; offset: number }[]) : [];
  return {
    name: 'every record in the watermark audit',
    pass: missing === 0,
    expected: 0,
    actual: missing,
    detail: missing === 0 ? 'the job audited the watermark of every record sent' : `${missing} records sent are not in the watermark audit: the job never read them, or the audit is incomplete (first: ${first.map((r) => `partition ${r.partition} offset ${r.offset}`).join(', ')})`,
  };
}
