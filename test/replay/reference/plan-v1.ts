// The batch fault planner as sat 0.x shipped it (whole input in memory), kept as the reference the
// streaming planner must reproduce exactly: the same seed gives the same plan across versions.
import { createRng, deriveSeed } from '../../../src/core/rng.js';
import type { FaultMix, Scenario } from '../../../src/scenario/types.js';
import type { Outgoing } from '../../../src/replay/convert.js';
import { corrupt } from '../../../src/replay/faults/malformed.js';

import type { FaultKind } from '../../../src/replay/faults/kinds.js';
import type { Delivery, PlanSummary } from '../../../src/replay/faults/plan.js';

/** Where a record's last window closes: window end + allowed lateness, in event time. */
function lastWindowClose(t: number, s: Scenario): number {
  const start = Math.floor(t / s.window.slide) * s.window.slide;
  return start + s.window.size + s.allowedLateness;
}

/**
 * Decides, from the seed alone, which records become malformed, late, out-of-order or duplicated and
 * where each is delivered. Pure: the same items, scenario, mix and seed give the same plan.
 *
 * Positions are slots in the event-time-ordered input: a late record is delivered after the first
 * slot where the stream's watermark has passed its window's close by the drawn `lateBy`; an
 * out-of-order one after a later slot whose event time is still within the watermark delay, so it
 * must count; a delayed duplicate after a random number of slots.
 */
export function planFaults(items: Outgoing[], s: Scenario, mix: FaultMix, seed: number): { deliveries: Delivery[]; summary: PlanSummary } {
  const pick = createRng(deriveSeed(seed, 'pick'));
  const shape = createRng(deriveSeed(seed, 'shape'));
  const n = items.length;
  const kinds: FaultKind[] = new Array(n).fill('none');
  const notApplicable = { late: 0, outOfOrder: 0 };

  for (let i = 0; i < n; i++) {
    const it = items[i];
    if (it.problem !== undefined) {
      kinds[i] = 'source';
      continue;
    }
    const u = pick.next();
    if (u < mix.malformed) kinds[i] = 'malformed';
    else if (u < mix.malformed + mix.late) kinds[i] = 'late';
    else if (u < mix.malformed + mix.late + mix.outOfOrder) kinds[i] = 'out-of-order';
  }

  // Highest event time delivered in place up to each slot: a lower bound of the engine's maximum there.
  const prefixMax = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = items[i].eventTime;
    if (kinds[i] === 'none' && t !== undefined) max = Math.max(max, t);
    prefixMax[i] = max;
  }

  type Slotted = Delivery & { slot: number; order: number };
  const out: Slotted[] = [];
  let order = 0;
  const push = (d: Delivery, slot: number) => out.push({ ...d, slot, order: order++ });

  for (let i = 0; i < n; i++) {
    const item = items[i];
    const t = item.eventTime;
    let kind = kinds[i];
    let slot = i;
    let detail = '';
    let payload: Uint8Array | undefined;
    if (kind === 'malformed') {
      const c = corrupt(JSON.parse(item.payload) as Record<string, unknown>, s, shape);
      payload = c.payload;
      detail = c.kind;
    } else if (kind === 'late') {
      const lateBy = shape.int(mix.lateBy[0], mix.lateBy[1]);
      const threshold = t === undefined ? Infinity : lastWindowClose(t, s) + s.watermarkDelay + lateBy;
      const j = firstAtLeast(prefixMax, threshold, i + 1);
      if (j === -1) {
        kind = 'none';
        notApplicable.late++;
      } else {
        slot = j + 0.5;
        detail = `after watermark passed window close by ${lateBy}ms`;
      }
    } else if (kind === 'out-of-order') {
      // Later slots whose event time stays below t + delay: the watermark cannot pass t there.
      let last = i;
      while (last + 1 < n && last - i < 64 && (items[last + 1].eventTime ?? -Infinity) < (t as number) + s.watermarkDelay) last++;
      if (last === i) {
        kind = 'none';
        notApplicable.outOfOrder++;
      } else {
        const j = shape.int(i + 1, last);
        slot = j + 0.5;
        detail = `moved ${j - i} places later`;
      }
    }
    push({ item, fault: kind, detail, payload }, slot);
    if (kind !== 'malformed' && kind !== 'source' && pick.next() < mix.duplicates) {
      const delayed = shape.next() < 0.5;
      const gap = delayed ? shape.int(1, 200) : 0;
      push({ item, fault: 'duplicate', detail: delayed ? `second delivery ${gap} places later` : 'second delivery right after' }, slot + gap + 0.75);
    }
  }

  out.sort((a, b) => a.slot - b.slot || a.order - b.order);
  const faults: Record<FaultKind, number> = { none: 0, malformed: 0, late: 0, duplicate: 0, 'out-of-order': 0, source: 0, boundary: 0 };
  for (const d of out) faults[d.fault]++;
  return {
    deliveries: out.map(({ item, fault, detail, payload }) => ({ item, fault, detail, payload })),
    summary: { read: n, sent: out.length, faults, notApplicable },
  };
}

function firstAtLeast(a: Float64Array, x: number, from: number): number {
  let lo = from;
  let hi = a.length - 1;
  if (lo > hi || a[hi] < x) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] >= x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Stable order by event time; a record without one keeps its place after its predecessor. */
/** How sat 0.x ordered replay's records (all in memory): stable by event time, a record without one after its predecessor. */
export function orderByEventTime(items: Outgoing[]): Outgoing[] {
  let last = -Infinity;
  const keyed = items.map((item, i) => {
    if (item.eventTime !== undefined) last = item.eventTime;
    return { item, t: item.eventTime ?? last, i };
  });
  keyed.sort((a, b) => a.t - b.t || a.i - b.i);
  return keyed.map((k) => k.item);
}
