import { timeFormatter } from '../../core/time-format.js';
import { createRng, deriveSeed } from '../../core/rng.js';
import type { Scenario } from '../../scenario/types.js';
import type { Delivery } from './plan.js';

/**
 * Boundary probes (`--boundary P`): records placed on purpose where off-by-one rules differ, so an
 * engine whose late check is `<` instead of `<=`, whose windows are closed at the wrong end or whose
 * dedup state lives a millisecond too long or too short gives different results from a correct one.
 * Each probe changes one record's event time (the ledger carries the time sent, and the oracle
 * judges by it), or delivers a record or a copy right after a "pusher": the next record of the same
 * watermark scope, its event time set so the watermark lands exactly where the probe needs it.
 *
 *   edge-first      a record moved to the first millisecond of its slide (a window start)
 *   edge-last       a record moved to the last millisecond of its slide
 *   late-at-close   a record held back until the watermark is exactly at its last window's close: late
 *   before-close    the same, one step earlier (1 ms; a day for a date field): it must count
 *   dup-at-expiry   a copy with a later event time (the next window: a natural duplicate) delivered
 *                   exactly when the id's dedup state expires: it counts again
 *   dup-before-expiry  the same copy one step earlier: a duplicate
 *
 * A probe that cannot be placed (no later record in its scope, an edge a date field cannot hold, a
 * record already at the edge, a scenario whose id holds the event time) is sent as it was and counted
 * as not applicable.
 */
export const PROBES = ['edge-first', 'edge-last', 'late-at-close', 'before-close', 'dup-at-expiry', 'dup-before-expiry'] as const;
export type Probe = (typeof PROBES)[number];

export interface BoundaryResult {
  deliveries: Delivery[];
  probes: Partial<Record<Probe | 'pusher', number>>;
  notApplicable: number;
}

const enc = new TextEncoder();

export function placeBoundaryProbes(deliveries: Delivery[], s: Scenario, share: number, seed: number, scopeOf: (d: Delivery) => number): BoundaryResult {
  const probes: BoundaryResult['probes'] = {};
  if (share <= 0) return { deliveries, probes, notApplicable: 0 };
  const pick = createRng(deriveSeed(seed, 'boundary-pick'));
  const kind = createRng(deriveSeed(seed, 'boundary-kind'));
  const { size, slide } = s.window;
  const delay = s.watermarkDelay;
  const etField = s.fields.find((f) => f.name === s.eventTime)!;
  // The smallest step an event time can take in the scenario's format: "just before" is 1 ms before,
  // a day before for a date, a second before for a pattern without %f.
  const { format, step } = timeFormatter(s.time, etField.type as 'date' | 'timestamp');
  const fmt = (t: number) => format(t) as string;
  // A scenario whose id holds the event time: a re-timed record would be another record to the
  // engine but the same row to the oracle (it reads ids from the file), so no probe re-times one.
  const retimable = !s.id.includes(s.eventTime);
  const representable = (t: number) => retimable && format(t) !== undefined;
  const n = deliveries.length;
  const out = deliveries.slice();
  const time = (d: Delivery) => d.eventTime ?? d.item.eventTime;
  const moves = (d: Delivery) => d.fault !== 'malformed' && d.fault !== 'source' && time(d) !== undefined;
  const removed = new Uint8Array(n);
  const used = new Uint8Array(n);
  /** The watermark target a pusher was set to: probes with the same target share it. */
  const pushed = new Map<number, number>();
  const after = new Map<number, Delivery[]>();
  const maxOf = new Map<number, number>();
  let notApplicable = 0;
  const count = (p: Probe | 'pusher') => (probes[p] = (probes[p] ?? 0) + 1);
  const retimed = (d: Delivery, t: number, fault: Delivery['fault'], detail: string): Delivery => {
    const values = JSON.parse(d.item.payload) as Record<string, unknown>;
    values[s.eventTime] = fmt(t);
    return { item: d.item, fault, detail, eventTime: t, payload: enc.encode(JSON.stringify(values)) };
  };
  /** The first later record of this scope whose event time reaches `target`, lowered to exactly it. */
  const pushTo = (i: number, scope: number, target: number): number => {
    for (let j = i + 1; j < n; j++) {
      const d = out[j];
      if (removed[j] || !moves(d) || scopeOf(d) !== scope) continue;
      if ((time(d) as number) < target) continue;
      if (pushed.get(j) === target) return j;
      if (d.fault !== 'none' || used[j]) return -1;
      used[j] = 1;
      pushed.set(j, target);
      if (time(d) !== target) {
        out[j] = retimed(d, target, 'boundary', `pusher: event time lowered to ${fmt(target)}`);
        count('pusher');
      }
      return j;
    }
    return -1;
  };

  for (let i = 0; i < n; i++) {
    const d = out[i];
    const scope = moves(d) ? scopeOf(d) : 0;
    if (d.fault === 'none' && !used[i] && moves(d) && pick.next() < share) {
      used[i] = 1;
      const t = time(d) as number;
      const bucket = Math.floor(t / slide) * slide;
      const close = bucket + size + s.allowedLateness;
      const before = maxOf.get(scope) ?? -Infinity;
      // A date cannot hold a millisecond: only the probes whose times are whole days.
      const probe = PROBES[Math.floor(kind.next() * PROBES.length)];
      let placed = false;
      if (probe === 'edge-first' || probe === 'edge-last') {
        const to = probe === 'edge-first' ? bucket : bucket + slide - step;
        if (to !== t && representable(to)) {
          out[i] = retimed(d, to, 'boundary', `${probe}: event time ${fmt(to)}`);
          placed = true;
        }
      } else {
        const exact = probe === 'late-at-close' || probe === 'dup-at-expiry';
        const target = close + delay - (exact ? 0 : step);
        if (representable(target) && before < target) {
          if (probe === 'late-at-close' || probe === 'before-close') {
            removed[i] = 1;
            const j = pushTo(i, scope, target);
            if (j >= 0) {
              after.set(j, [...(after.get(j) ?? []), { item: d.item, fault: 'boundary', detail: `${probe}: delivered when the watermark is ${exact ? 'at' : `${step} ms before`} its window's close` }]);
              placed = true;
            } else removed[i] = 0;
          } else {
            // The natural duplicate's time: the start of the first window that does not hold the original.
            const copyAt = bucket + size;
            const j = representable(copyAt) ? pushTo(i, scope, target) : -1;
            if (j >= 0) {
              after.set(j, [...(after.get(j) ?? []), retimed(d, copyAt, 'boundary', `${probe}: a copy at ${fmt(copyAt)}, delivered when the id's dedup state ${exact ? 'expires' : `has ${step} ms left`}`)]);
              placed = true;
            }
          }
        }
      }
      if (placed) count(probe);
      else notApplicable++;
    }
    const now = out[i];
    if (!removed[i] && moves(now)) maxOf.set(scopeOf(now), Math.max(maxOf.get(scopeOf(now)) ?? -Infinity, time(now) as number));
  }

  const result: Delivery[] = [];
  for (let i = 0; i < n; i++) {
    if (!removed[i]) result.push(out[i]);
    const extra = after.get(i);
    if (extra) result.push(...extra);
  }
  return { deliveries: result, probes, notApplicable };
}
