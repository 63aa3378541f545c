// node bench/fire.mjs [ROOT] [KEYS] [EVENTS]: the window state's fires alone, at the satisfaction
// bench's shape (1-hour windows sliding every minute, emit: active, its five aggregations), with KEYS
// customers (default a million) and EVENTS events spread evenly over the hour. Prints the time spent
// in PaneStore.fire over all 120 fires and what they emitted (the same for any two builds: compare a
// worktree's ROOT with this one's, alternating, by medians; the machine is shared and noisy).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(process.argv[2] ?? resolve(fileURLToPath(import.meta.url), '..', '..'));
const KEYS = Number(process.argv[3] ?? 1e6);
const EVENTS = Number(process.argv[4] ?? 4e6);
const { PaneStore } = await import(`${ROOT}/dist/engine/state/panes.js`);
const { AggregationPlan } = await import(`${ROOT}/dist/engine/aggregations/index.js`);

const plan = new AggregationPlan([
  { name: 'events', op: 'count' },
  { name: 'avg_rating', op: 'avg', field: 'rating' },
  { name: 'total_duration_s', op: 'sum', field: 'duration_s' },
  { name: 'total_amount', op: 'sum', field: 'amount' },
  { name: 'max_v01', op: 'max', field: 'v01' },
]);
const store = new PaneStore(plan, true);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2024, 5, 1);
let seed = 12345;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const keys = Array.from({ length: KEYS }, (_, i) => `C${String(i).padStart(8, '0')}`);
const values = { rating: 3, duration_s: 1.5, amount: 2.5, v01: 0.3 };
let fireMs = 0;
let fired = 0;
let total = 0;
const emit = (_key, v, off) => void (total += v[off + 1]); // the events counted (count keeps [_, n])
// An hour of events, a minute's worth per bucket, each minute's window fired as the stream moves on;
// then an hour with no events, whose windows still fire for the keys of the first hour.
for (let m = 0; m < 120; m++) {
  const bucket = T0 + m * MINUTE;
  if (m < 60) {
    for (let e = 0; e < EVENTS / 60; e++) {
      values.rating = e & 7;
      store.add(bucket, keys[(random() * KEYS) | 0], values, bucket + 1);
    }
  }
  const start = bucket + MINUTE - HOUR;
  const t0 = performance.now();
  fired += store.fire(start, HOUR, MINUTE, true, emit);
  fireMs += performance.now() - t0;
  store.sealThrough(bucket);
  store.dropBefore(start + MINUTE);
}
console.log(JSON.stringify({ keys: KEYS, events: EVENTS, fireMs: Math.round(fireMs), fired, total }));
