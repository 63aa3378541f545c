import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { partitionForKey } from './murmur2.js';
import type { Shard } from './workdir.js';

/**
 * A partitioned dataset as `sat gen --shard i/n` writes it: `<root>/date=YYYY-MM-DD/part-i-of-n.<ext>`
 * (Hive-style, so DuckDB, Spark and pandas read the folder as one table). Row r belongs to part i when
 * Kafka's default partitioner puts its key on partition i-1 of n: with as many input partitions as
 * parts, part i holds exactly the customers of partition i-1.
 *
 * A day is complete when parts 1..n of one n are all there (each part is written under a temporary
 * name and renamed when whole); an incomplete day is not read, by the engine or by the oracle.
 */
export interface DatasetDay {
  day: string;
  /** The parts' count n. */
  parts: number;
  /** Part files, by part number (1..n), in order. */
  files: string[];
}

/** Where a shard's part of one day goes (its day's folder is made): <root>/date=DAY/part-i-of-n.<ext>. */
export function partPath(root: string, day: string, shard: Shard, ext: string): string {
  const folder = join(root, `date=${day}`);
  mkdirSync(folder, { recursive: true });
  return join(folder, `part-${shard.index}-of-${shard.count}.${ext}`);
}

/** The part (1..n) a key belongs to: Kafka's partition of the key, plus one. */
export const partOfKey = (key: string, parts: number) => partitionForKey(key, parts) + 1;

const PART = /^part-(\d+)-of-(\d+)\.(parquet|csv|jsonl)$/;

/** The complete days under root, oldest first (an empty list when root is missing). */
export function completeDays(root: string): DatasetDay[] {
  const out: DatasetDay[] = [];
  for (const folder of list(root).sort()) {
    const m = /^date=(\d{4}-\d{2}-\d{2})$/.exec(folder);
    if (!m) continue;
    const byCount = new Map<number, Map<number, string>>();
    for (const name of list(join(root, folder))) {
      const p = PART.exec(name);
      if (!p) continue;
      const [index, count] = [Number(p[1]), Number(p[2])];
      if (index < 1 || index > count) continue;
      if (!byCount.has(count)) byCount.set(count, new Map());
      byCount.get(count)!.set(index, join(root, folder, name));
    }
    // The largest n whose parts are all present: a re-shard beside an old one is read once it is whole.
    const whole = [...byCount].filter(([n, parts]) => parts.size === n).sort((a, b) => b[0] - a[0])[0];
    if (whole) out.push({ day: m[1], parts: whole[0], files: [...whole[1]].sort((a, b) => a[0] - b[0]).map(([, f]) => f) });
  }
  return out;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
