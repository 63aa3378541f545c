import { join } from 'node:path';
import { partPath } from '../../core/partitioned.js';
import { counterRng, deriveSeed, weightedPick, type CounterRng } from '../../core/rng.js';
import type { Shard } from '../../core/workdir.js';
import { openTable, type Column, type TableFormat, type TableWriter } from '../table-writer.js';
import { customerId, FIRST_DAY } from './customers.js';
import { ShardMembers } from './shard-members.js';

export const EVENT_TYPES = ['call', 'app_session', 'ticket_opened', 'ticket_resolved', 'payment', 'survey', 'network_reading'] as const;
const TYPE_WEIGHTS = [0.25, 0.3, 0.04, 0.03, 0.08, 0.05, 0.25];

export interface EventOptions {
  dir: string;
  customers: number;
  events: number;
  /** Event time covered, in ms, starting at midnight of the latest snapshot day. */
  spanMs: number;
  /** The latest snapshot day (0-based). */
  day: number;
  variables: number;
  seed: number;
  format: TableFormat;
  /** Write only the events of this shard's customers, as events/date=YYYY-MM-DD/part-i-of-n.<format>. */
  shard?: Shard;
  /** The shard's customers, when the caller has them already. */
  members?: ShardMembers;
  progress?: (rows: number) => void;
}

/** Relative event intensity by hour of day: quiet at night, peaks late morning and evening. */
const intensity = (hour: number) => 0.2 + Math.sin((Math.PI * (hour - 4)) / 24) ** 2 + 0.5 * Math.exp(-((hour - 20) ** 2) / 4);

/**
 * Per-customer interaction events in event-time order. Times follow the daily cycle (inverse of the
 * cumulative intensity, minute by minute); customers are drawn from a power law (a few very active,
 * most rare) mapped through a fixed permutation so the active ones are spread over the id range.
 *
 * Event i is drawn from its own random stream (seeded by the seed and i), so a shard computes only the
 * time and customer of the events it skips, and the n shards' parts together are, row for row, the
 * file written without --shard, whatever n.
 */
export async function writeEvents(o: EventOptions): Promise<{ files: string[]; rows: number }> {
  const rng = counterRng(deriveSeed(o.seed, 'events'));
  const start = FIRST_DAY + o.day * 86_400_000;
  const minutes = Math.max(1, Math.ceil(o.spanMs / 60_000));
  const cumulative = new Float64Array(minutes + 1);
  for (let m = 0; m < minutes; m++) cumulative[m + 1] = cumulative[m] + intensity(((start + m * 60_000) / 3_600_000) % 24);
  const stride = pickStride(o.customers);
  const columns: Column[] = [
    { name: 'event_id', type: 'string' },
    { name: 'customer_id', type: 'string' },
    { name: 'event_time', type: 'timestamp' },
    { name: 'event_type', type: 'string' },
    { name: 'session_id', type: 'string' },
    { name: 'rating', type: 'int', nullable: true },
    // Whole seconds, cents and tenths: a dictionary stores them in a few bits each.
    { name: 'duration_s', type: 'double', fewValues: true },
    { name: 'amount', type: 'double', fewValues: true },
    ...Array.from({ length: o.variables }, (_, k): Column => ({ name: `v${String(k + 1).padStart(2, '0')}`, type: 'double', fewValues: true })),
  ];
  // A shard's events go to one part per date (a span past midnight opens the next date's part).
  const files: string[] = [];
  let table: TableWriter | undefined;
  let tableDay = '';
  const opened = new Set<string>();
  const open = (day: string) => {
    opened.add(day);
    const file = o.shard === undefined ? join(o.dir, `events.${o.format}`) : partPath(join(o.dir, 'events'), day, o.shard, o.format);
    files.push(file);
    return openTable(file, o.format, columns);
  };
  const tableFor = async (t: number): Promise<TableWriter> => {
    if (table !== undefined && (o.shard === undefined || dateOf(t) === tableDay)) return table;
    await table?.close();
    tableDay = dateOf(t);
    table = open(tableDay);
    return table;
  };
  const members = o.members ?? (o.shard && new ShardMembers(o.customers, o.shard));
  const cursor = new EventCursor(o.events, o.customers, stride, cumulative, rng, members, o.progress);
  let rows = 0;
  while (cursor.next()) {
    const { i, m, target, c } = cursor;
    const id = customerId(c);
    const within = (target - cumulative[m]) / (cumulative[m + 1] - cumulative[m]);
    const t = Math.floor(start + (m + Math.min(0.999, within)) * 60_000);
    const type = weightedPick(rng.next(), EVENT_TYPES, TYPE_WEIGHTS);
    const row: (string | number | boolean | null)[] = [
      `E${o.seed}-${i}`,
      id,
      t,
      type,
      `${id}-${Math.floor(t / 1_800_000)}`,
      type === 'survey' ? rng.int(1, 5) : null,
      type === 'call' || type === 'app_session' ? Math.round(rng.next() * 1200) : 0,
      type === 'payment' ? Math.round(rng.next() * 20000) / 100 : 0,
    ];
    for (let k = 0; k < o.variables; k++) row.push(Math.round(rng.next() * 1000) / 10);
    const pending = (await tableFor(t)).write(row);
    if (pending) await pending;
    rows++;
  }
  await (table ?? open(dateOf(start))).close();
  // Every date of the span gets this shard's part, empty or not, so each day of the dataset is complete.
  if (o.shard) {
    const end = start + Math.max(o.spanMs, 1) - 1;
    for (let t = Date.parse(dateOf(start)); t <= end; t += 86_400_000) if (!opened.has(dateOf(t))) await open(dateOf(t)).close();
  }
  o.progress?.(o.events);
  return { files, rows };
}

/**
 * Walks the events to the next one a shard keeps, drawing only its time quantile and its customer. A
 * synchronous loop of its own: inside the async writer, whose await keeps every local in a heap
 * frame, the same walk was 4x slower, and a shard walks all of a day's events.
 */
class EventCursor {
  i = -1;
  m = 0;
  target = 0;
  c = 0;

  constructor(
    readonly events: number,
    readonly customers: number,
    readonly stride: number,
    readonly cumulative: Float64Array,
    readonly rng: CounterRng,
    readonly members: ShardMembers | undefined,
    readonly progress?: (rows: number) => void,
  ) {}

  next(): boolean {
    const { events, customers, stride, cumulative, rng, members } = this;
    const total = cumulative[cumulative.length - 1];
    const last = cumulative.length - 2;
    let m = this.m;
    for (let i = this.i + 1; i < events; i++) {
      rng.seed(i);
      // The i-th event sits at the i/N quantile of the cycle: times come out in order.
      const target = ((i + rng.next()) / events) * total;
      while (m < last && cumulative[m + 1] < target) m++;
      // u * u * u, not u ** 3: Math.pow was two thirds of the walk.
      const u = rng.next();
      const rank = Math.floor(customers * (u * u * u));
      const c = (rank * stride) % customers;
      if ((i + 1) % 10_000 === 0) this.progress?.(i + 1);
      if (members && !members.has(c)) continue;
      this.i = i;
      this.m = m;
      this.target = target;
      this.c = c;
      return true;
    }
    this.i = events;
    this.m = m;
    return false;
  }
}

const dateOf = (t: number) => new Date(t).toISOString().slice(0, 10);

/** A stride coprime with n near n/φ, so rank -> (rank * stride) mod n is a well-spread permutation. */
function pickStride(n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let s = Math.floor(n * 0.6180339887);
  while (n > 1 && (s < 2 || gcd(s, n) !== 1)) s++;
  return n > 1 ? s : 1;
}
