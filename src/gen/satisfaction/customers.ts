import { join } from 'node:path';
import { faker } from '@faker-js/faker/locale/en';
import { partPath } from '../../core/partitioned.js';
import { createRng, deriveSeed } from '../../core/rng.js';
import type { Shard } from '../../core/workdir.js';
import { openTable, type Column, type TableFormat } from '../table-writer.js';
import { hash32 } from './online.js';
import { ShardMembers } from './shard-members.js';

export const REGIONS = ['North', 'South', 'East', 'West', 'Central', 'Coastal', 'Mountain', 'Metro'];
export const PLANS = ['prepaid-basic', 'prepaid-plus', 'postpaid-s', 'postpaid-m', 'postpaid-l', 'family', 'business'];
export const DEVICES = ['android-low', 'android-mid', 'android-high', 'ios', 'ios-pro', 'feature-phone', 'router'];
/** The first snapshot day; day d is this date + d. */
export const FIRST_DAY = Date.UTC(2024, 5, 1);
/** Share of customers whose features change from one day to the next. */
export const DAILY_CHANGE = 0.05;

export const customerId = (i: number) => `C${String(i).padStart(9, '0')}`;
export const dayLabel = (d: number) => new Date(FIRST_DAY + d * 86_400_000).toISOString().slice(0, 10);
export const featureName = (j: number) => `f${String(j + 1).padStart(4, '0')}`;
/** Every fifth feature is a flag, the rest numbers. */
export const isFlag = (j: number) => j % 5 === 4;

export interface SnapshotOptions {
  dir: string;
  customers: number;
  features: number;
  days: number;
  seed: number;
  format: TableFormat;
  /** Write only this shard's customers, as customers/date=YYYY-MM-DD/part-i-of-n.<format>. */
  shard?: Shard;
  /** The shard's customers, when the caller has them already (sat gen shares them with the events). */
  members?: ShardMembers;
  progress?: (rows: number) => void;
}

/** Where day d's snapshot goes: one flat file, or the shard's part of a partitioned dataset. */
export function snapshotPath(dir: string, day: number, format: TableFormat, shard?: Shard): string {
  return shard === undefined ? join(dir, `customers-${dayLabel(day)}.${format}`) : partPath(join(dir, 'customers'), dayLabel(day), shard, format);
}

/** Names sampled from a pool built once with faker: 20x faster than a faker call per row, same realism. */
function namePool(seed: number): string[] {
  faker.seed(seed);
  return Array.from({ length: 4096 }, () => faker.person.fullName());
}

/** The last day on or before `day` on which this customer's features changed (0: never since the first). */
function lastChange(seed: number, c: number, day: number): number {
  for (let d = day; d > 0; d--) if (hash32(customerId(c), seed ^ (d * 7919)) / 4294967296 < DAILY_CHANGE) return d;
  return 0;
}

/**
 * One snapshot file per day, customers-YYYY-MM-DD.<format> (or a shard's part of the partitioned
 * dataset, which holds the same rows for the customers it owns): attributes plus F feature columns. A
 * customer's features are drawn from an RNG seeded by (seed, customer, day of last change), so any
 * day's row is computable on its own (no state carried between days), and about 5% of customers
 * differ from one day to the next.
 */
export async function writeSnapshots(o: SnapshotOptions): Promise<{ files: string[]; rows: number }> {
  const names = namePool(o.seed);
  const columns: Column[] = [
    { name: 'customer_id', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'region', type: 'string' },
    { name: 'plan', type: 'string' },
    { name: 'device', type: 'string' },
    { name: 'tenure_months', type: 'int' },
    { name: 'monthly_spend', type: 'double' },
    ...Array.from({ length: o.features }, (_, j): Column => ({ name: featureName(j), type: isFlag(j) ? 'boolean' : 'double' })),
  ];
  // Each feature has its own distribution, fixed by the seed: normal, log-normal or uniform.
  const shape = createRng(deriveSeed(o.seed, 'feature-shapes'));
  const dists = Array.from({ length: o.features }, () => ({ kind: shape.int(0, 2), a: shape.next() * 100, b: 1 + shape.next() * 20 }));
  const kinds = Uint8Array.from(dists, (x) => x.kind);
  const as = Float64Array.from(dists, (x) => x.a);
  const bs = Float64Array.from(dists, (x) => x.b);
  const row: (string | number | boolean | null)[] = new Array(columns.length).fill(null);
  const files: string[] = [];
  const members = o.members ?? (o.shard && new ShardMembers(o.customers, o.shard));
  let visited = 0;
  let rows = 0;
  for (let d = 0; d < o.days; d++) {
    const file = snapshotPath(o.dir, d, o.format, o.shard);
    const table = openTable(file, o.format, columns);
    for (let c = 0; c < o.customers; c++) {
      if (++visited % 10_000 === 0) o.progress?.(visited);
      if (members && !members.has(c)) continue;
      const id = customerId(c);
      rows++;
      const base = createRng(hash32(id, o.seed));
      const rng = createRng(hash32(id, o.seed ^ (lastChange(o.seed, c, d) * 104729)));
      // One row array for the whole file, filled in place (the writers copy or serialize it at once).
      row[0] = id;
      row[1] = names[base.int(0, names.length - 1)];
      row[2] = REGIONS[base.int(0, REGIONS.length - 1)];
      row[3] = PLANS[rng.int(0, PLANS.length - 1)];
      row[4] = DEVICES[rng.int(0, DEVICES.length - 1)];
      row[5] = base.int(1, 180) + d;
      row[6] = Math.round((10 + rng.next() * 140) * 100) / 100;
      for (let j = 0; j < o.features; j++) {
        const at = 7 + j;
        if (isFlag(j)) {
          row[at] = rng.next() < 0.3;
          continue;
        }
        const u = rng.next() || 1e-12;
        const v = rng.next();
        const kind = kinds[j];
        if (kind === 2) {
          row[at] = as[j] * v;
          continue;
        }
        const gauss = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
        row[at] = kind === 0 ? as[j] + bs[j] * gauss : Math.exp(Math.log(1 + as[j]) / 4 + gauss * 0.5);
      }
      const pending = table.write(row);
      if (pending) await pending;
    }
    await table.close();
    files.push(file);
  }
  o.progress?.(visited);
  return { files, rows };
}
