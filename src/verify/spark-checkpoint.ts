import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';

/** One committed micro-batch of a Spark Structured Streaming query, as its checkpoint records it. */
export interface SparkBatch {
  batch: number;
  /** The watermark the batch evicted state with (offsets/N batchWatermarkMs). */
  watermark: number;
  /** Per input partition, the offset the batch read up to (exclusive). */
  endOffsets: Map<number, number>;
}

/**
 * Reads a Structured Streaming checkpoint directory: `offsets/N` holds, per micro-batch, a version
 * line, the batch's metadata (batchWatermarkMs) and each source's end offsets ({"topic": {"0": 123}});
 * `commits/N` exists once batch N finished. Only committed batches count: an offsets file without a
 * commit is a batch that was running when the query stopped, and Spark runs it again on restart.
 */
export function readSparkCheckpoint(dir: string, topic: string): SparkBatch[] {
  const offsets = join(dir, 'offsets');
  const commits = join(dir, 'commits');
  if (!existsSync(offsets) || !existsSync(commits)) throw new UsageError(`--spark-checkpoint ${dir}: not a Structured Streaming checkpoint (no offsets/ and commits/ in it)`);
  const committed = new Set(readdirSync(commits).filter((f) => /^\d+$/.test(f)).map(Number));
  const batches: SparkBatch[] = [];
  for (const f of readdirSync(offsets).filter((x) => /^\d+$/.test(x)).map(Number).sort((a, b) => a - b)) {
    if (!committed.has(f)) continue;
    const lines = readFileSync(join(offsets, String(f)), 'utf8').split('\n').filter((l) => l.trim() !== '');
    try {
      const meta = JSON.parse(lines[1]) as { batchWatermarkMs?: number };
      const sources = lines.slice(2).map((l) => JSON.parse(l) as Record<string, Record<string, number>>);
      const mine = sources.find((s) => s !== null && typeof s === 'object' && topic in s);
      if (mine === undefined) throw new UsageError(`--spark-checkpoint ${dir}: batch ${f} did not read topic ${topic} (it read ${sources.map((s) => Object.keys(s ?? {}).join(',')).join('; ')})`);
      batches.push({ batch: f, watermark: Number(meta.batchWatermarkMs ?? 0), endOffsets: new Map(Object.entries(mine[topic]).map(([p, o]) => [Number(p), Number(o)])) });
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--spark-checkpoint ${dir}: offsets/${f} is not what Spark writes (${(e as Error).message})`);
    }
  }
  if (batches.length === 0) throw new UsageError(`--spark-checkpoint ${dir}: no committed micro-batch`);
  return batches;
}

/**
 * The table the oracle's spark-batches model reads: for every batch and partition, the end offset,
 * and the watermark Spark judges that batch's late rows by. With more than one stateful operator
 * (here dropDuplicatesWithinWatermark and the window aggregation) Spark 3.4+ filters late rows with
 * the previous batch's watermark and evicts state with the current one; both are kept.
 */
export async function loadSparkBatches(db: DuckDBConnection, batches: SparkBatch[]): Promise<void> {
  await db.run(`CREATE OR REPLACE TABLE spark_batches (batch INTEGER, partition INTEGER, end_offset BIGINT, wm_late BIGINT, wm_evict BIGINT)`);
  const rows: string[] = [];
  batches.forEach((b, i) => {
    const late = i === 0 ? 0 : batches[i - 1].watermark;
    for (const [p, o] of b.endOffsets) rows.push(`(${b.batch}, ${p}, ${o}, ${late}, ${b.watermark})`);
  });
  for (let i = 0; i < rows.length; i += 1000) await db.run(`INSERT INTO spark_batches VALUES ${rows.slice(i, i + 1000).join(', ')}`);
}
