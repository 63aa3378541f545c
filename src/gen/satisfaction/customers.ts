import { join } from 'node:path';
import { faker } from '@faker-js/faker/locale/en';
import { partPath } from '../../core/partitioned.js';
import { createRng } from '../../core/rng.js';
import type { Shard } from '../../core/workdir.js';
import { openTable, type Column, type ColumnData, type TableFormat, type TableWriter } from '../table-writer.js';
import { hash32 } from './online.js';
import { ShardMembers } from './shard-members.js';
import { FeatureDrawer, featureShapes, isFlag, type DrawnBlock } from './features.js';

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
/** From this many features a snapshot's are drawn on a worker thread (below, its start costs more than it saves). */
const WORKER_FEATURES = 100;

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
    // Features are random doubles: snappy spent time on them and saved 2%.
    ...Array.from({ length: o.features }, (_, j): Column => (isFlag(j) ? { name: featureName(j), type: 'boolean' } : { name: featureName(j), type: 'double', incompressible: true })),
  ];
  const files: string[] = [];
  const members = o.members ?? (o.shard && new ShardMembers(o.customers, o.shard));
  const visited = { n: 0 };
  let rows = 0;
  for (let d = 0; d < o.days; d++) {
    const file = snapshotPath(o.dir, d, o.format, o.shard);
    const table = openTable(file, o.format, columns);
    // A wide table's features are drawn on a worker while this thread writes the block before.
    const drawer = new FeatureDrawer(featureShapes(o.seed, o.features), PLANS.length, DEVICES.length, table.groupRows, o.features >= WORKER_FEATURES);
    try {
      let customer = 0;
      let pending: { fixed: FixedColumns; drawn: Promise<DrawnBlock> } | undefined;
      for (;;) {
        const fixed = nextCustomers(o, members, names, d, table.groupRows, customer, visited);
        customer = fixed.nextCustomer;
        const next = fixed.n > 0 ? { fixed, drawn: drawer.draw(fixed.seeds, fixed.n) } : undefined;
        // Awaited on the next turn; a worker's failure is raised there, by the block before it here.
        next?.drawn.catch(() => undefined);
        if (pending) await writeBlock(table, pending.fixed, await pending.drawn, o.features, drawer);
        if (next === undefined) break;
        pending = next;
        rows += fixed.n;
      }
    } finally {
      await drawer.close();
    }
    await table.close();
    files.push(file);
  }
  o.progress?.(visited.n);
  return { files, rows };
}

/** A block's columns drawn from the customers' base RNG (fixed for life), and each one's seed for the rest. */
interface FixedColumns {
  n: number;
  nextCustomer: number;
  ids: string[];
  names: string[];
  regions: string[];
  tenure: number[];
  seeds: Uint32Array;
}

/** The next `rows` customers of the shard from `from` on (all of them when unsharded). */
function nextCustomers(o: SnapshotOptions, members: ShardMembers | undefined, names: string[], d: number, rows: number, from: number, visited: { n: number }): FixedColumns {
  const f: FixedColumns = { n: 0, nextCustomer: from, ids: [], names: [], regions: [], tenure: [], seeds: new Uint32Array(rows) };
  let c = from;
  for (; c < o.customers && f.n < rows; c++) {
    if (++visited.n % 10_000 === 0) o.progress?.(visited.n);
    if (members && !members.has(c)) continue;
    const id = customerId(c);
    const base = createRng(hash32(id, o.seed));
    f.ids.push(id);
    f.names.push(names[base.int(0, names.length - 1)]);
    f.regions.push(REGIONS[base.int(0, REGIONS.length - 1)]);
    f.tenure.push(base.int(1, 180) + d);
    // The features' RNG starts again on each day the customer changed.
    f.seeds[f.n++] = hash32(id, o.seed ^ (lastChange(o.seed, c, d) * 104729));
  }
  f.nextCustomer = c;
  return f;
}

/** Writes a block's rows, column by column in the snapshot's column order, and hands the block back. */
async function writeBlock(table: TableWriter, fixed: FixedColumns, drawn: DrawnBlock, features: number, drawer: FeatureDrawer): Promise<void> {
  const n = fixed.n;
  const data: ColumnData[] = [fixed.ids, fixed.names, fixed.regions, Array.from(drawn.plan.subarray(0, n), (k) => PLANS[k]), Array.from(drawn.device.subarray(0, n), (k) => DEVICES[k]), fixed.tenure, drawn.spend];
  let number = 0;
  let flag = 0;
  for (let j = 0; j < features; j++) {
    const [column, k] = isFlag(j) ? [drawn.flags, flag++] : [drawn.numbers, number++];
    data.push(column.subarray(k * drawn.rows, (k + 1) * drawn.rows));
  }
  await table.writeColumns(n, data);
  drawer.release(drawn);
}
