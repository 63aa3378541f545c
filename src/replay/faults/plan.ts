import { createRng, deriveSeed, type Rng } from '../../core/rng.js';
import type { FaultMix, Scenario } from '../../scenario/types.js';
import type { Outgoing } from '../convert.js';
import { corrupt } from './malformed.js';

import type { FaultKind } from './kinds.js';

export type { FaultKind } from './kinds.js';

/** One send: which record, in which form, and the fault it carries (for the ledger only). */
export interface Delivery {
  item: Outgoing;
  fault: FaultKind;
  detail: string;
  /** Replaces the record's payload (malformed, boundary). */
  payload?: Uint8Array;
  /** The event time sent when it is not the row's (boundary probes); the ledger carries it. */
  eventTime?: number;
}

export interface PlanSummary {
  read: number;
  sent: number;
  faults: Record<FaultKind, number>;
  /** Records picked for a fault that could not carry it (e.g. late in the last window of the stream). */
  notApplicable: { late: number; outOfOrder: number; boundary?: number };
  /** Boundary probes placed, by kind (and the pushers they moved). */
  boundaryProbes?: Record<string, number>;
}

/**
 * The records to plan, in event-time order: what the plan needs of all of them, and each one in turn.
 * The plan takes the arrays over and rewrites them in place (event times into their running maximum,
 * problem flags into fault kinds), so a record costs 9 bytes of memory, not 18.
 */
export interface PlanInput {
  n: number;
  /** Event time of the k-th record, NaN where it has none. */
  eventTime: Float64Array;
  /** 1 where the source row itself is unusable. */
  problem: Uint8Array;
  /** The k-th record; asked for in order, k = 0, 1, 2, ... */
  item(k: number): Outgoing;
}

/** Where a record's last window closes: window end + allowed lateness, in event time. */
function lastWindowClose(t: number, s: Scenario): number {
  const start = Math.floor(t / s.window.slide) * s.window.slide;
  return start + s.window.size + s.allowedLateness;
}

const NONE = 0, MALFORMED = 1, LATE = 2, OUT_OF_ORDER = 3, SOURCE = 4;

type Slotted = Delivery & { slot: number; order: number };

/**
 * Decides, from the seed alone, which records become malformed, late, out-of-order or duplicated and
 * where each is delivered. Pure: the same records, scenario, mix and seed give the same plan.
 *
 * Positions are slots in the event-time-ordered input: a late record is delivered after the first
 * slot where the stream's watermark has passed its window's close by the drawn `lateBy`; an
 * out-of-order one after a later slot whose event time is still within the watermark delay, so it
 * must count; a delayed duplicate after a random number of slots.
 *
 * The plan streams: the choices need a few numbers per record (kinds, event times, the running
 * maximum), taken in one pass over arrays; the deliveries are then made one record at a time, and
 * a delivery moved later waits in a heap only until its slot has passed. So replay holds the records
 * of a lateness span, not the file.
 */
export class FaultPlan {
  /** Deliveries the whole plan makes (records + duplicates), known before the first is made. */
  readonly total: number;
  readonly notApplicable = { late: 0, outOfOrder: 0 };
  readonly #kinds: Uint8Array;
  readonly #prefixMax: Float64Array;
  readonly #pick: Rng;
  readonly #shape: Rng;
  readonly #heap: Slotted[] = [];
  #k = 0;
  #order = 0;
  /** Records read ahead of the one being planned: #ahead[j] is record #aheadFrom + j. */
  #ahead: Outgoing[] = [];
  #aheadFrom = 0;
  #read = 0;

  constructor(
    readonly input: PlanInput,
    readonly s: Scenario,
    readonly mix: FaultMix,
    seed: number,
  ) {
    const { n, eventTime, problem } = input;
    this.#pick = createRng(deriveSeed(seed, 'pick'));
    this.#shape = createRng(deriveSeed(seed, 'shape'));
    const kinds = (this.#kinds = problem);
    let draws = 0;
    for (let i = 0; i < n; i++) {
      if (problem[i]) {
        kinds[i] = SOURCE;
        continue;
      }
      const u = this.#pick.next();
      draws++;
      if (u < mix.malformed) kinds[i] = MALFORMED;
      else if (u < mix.malformed + mix.late) kinds[i] = LATE;
      else if (u < mix.malformed + mix.late + mix.outOfOrder) kinds[i] = OUT_OF_ORDER;
      else kinds[i] = NONE;
    }
    // Highest event time delivered in place up to each slot: a lower bound of the engine's maximum
    // there. Written over the event times (the out-of-order reach reads those from the records).
    const prefixMax = (this.#prefixMax = eventTime);
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const t = eventTime[i];
      if (kinds[i] === NONE && !Number.isNaN(t)) max = Math.max(max, t);
      prefixMax[i] = max;
    }
    // The duplicates' draws follow the kinds' in the same stream: count them ahead on a copy.
    const ahead = createRng(deriveSeed(seed, 'pick'));
    for (let i = 0; i < draws; i++) ahead.next();
    let dups = 0;
    for (let i = 0; i < n; i++) if (kinds[i] !== MALFORMED && kinds[i] !== SOURCE && ahead.next() < mix.duplicates) dups++;
    this.total = n + dups;
  }

  /** The k-th record (k at or after the one being planned: the out-of-order reach looks up to 64 ahead). */
  #item(k: number): Outgoing {
    const q = this.#ahead;
    while (this.#read <= k) q.push(this.input.item(this.#read++));
    return q[k - this.#aheadFrom];
  }

  /** The next delivery in send order, or undefined at the end. */
  next(): Delivery | undefined {
    const heap = this.#heap;
    // A delivery's slot is never before the record that made it: once record k - 1 is planned, every
    // delivery with a slot below k is final.
    while (this.#k < this.input.n && (heap.length === 0 || heap[0].slot >= this.#k)) this.#planNext();
    if (heap.length === 0) return undefined;
    // The heap's entry itself (its slot and order ride along): no second object per delivery.
    return this.#pop();
  }

  #planNext(): void {
    const { input, s, mix } = this;
    const i = this.#k++;
    const item = this.#item(i);
    if (i - this.#aheadFrom > 4096) {
      this.#ahead.splice(0, i - this.#aheadFrom);
      this.#aheadFrom = i;
    }
    const t = item.eventTime;
    const code = this.#kinds[i];
    let kind: FaultKind = code === SOURCE ? 'source' : code === MALFORMED ? 'malformed' : code === LATE ? 'late' : code === OUT_OF_ORDER ? 'out-of-order' : 'none';
    let slot = i;
    let detail = '';
    let payload: Uint8Array | undefined;
    const shape = this.#shape;
    if (kind === 'malformed') {
      const c = corrupt(JSON.parse(item.payload) as Record<string, unknown>, s, shape);
      payload = c.payload;
      detail = c.kind;
    } else if (kind === 'late') {
      const lateBy = shape.int(mix.lateBy[0], mix.lateBy[1]);
      const threshold = t === undefined ? Infinity : lastWindowClose(t, s) + s.watermarkDelay + lateBy;
      const j = firstAtLeast(this.#prefixMax, threshold, i + 1);
      if (j === -1) {
        kind = 'none';
        this.notApplicable.late++;
      } else {
        slot = j + 0.5;
        detail = `after watermark passed window close by ${lateBy}ms`;
      }
    } else if (kind === 'out-of-order') {
      // Later slots whose event time stays below t + delay: the watermark cannot pass t there.
      const n = input.n;
      let last = i;
      while (last + 1 < n && last - i < 64 && (this.#item(last + 1).eventTime ?? -Infinity) < (t as number) + s.watermarkDelay) last++;
      if (last === i) {
        kind = 'none';
        this.notApplicable.outOfOrder++;
      } else {
        const j = shape.int(i + 1, last);
        slot = j + 0.5;
        detail = `moved ${j - i} places later`;
      }
    }
    this.#push({ item, fault: kind, detail, payload, slot, order: this.#order++ });
    if (kind !== 'malformed' && kind !== 'source' && this.#pick.next() < mix.duplicates) {
      const delayed = shape.next() < 0.5;
      const gap = delayed ? shape.int(1, 200) : 0;
      this.#push({ item, fault: 'duplicate', detail: delayed ? `second delivery ${gap} places later` : 'second delivery right after', slot: slot + gap + 0.75, order: this.#order++ });
    }
  }

  // A binary min-heap on (slot, order): the batch plan's sort order, kept while streaming.
  #push(x: Slotted): void {
    const h = this.#heap;
    let i = h.push(x) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  #pop(): Slotted {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

const before = (a: Slotted, b: Slotted) => a.slot < b.slot || (a.slot === b.slot && a.order < b.order);

/** The plan of records held in memory, all at once (tests, and replay's materialized path). */
export function planFaults(items: Outgoing[], s: Scenario, mix: FaultMix, seed: number): { deliveries: Delivery[]; summary: PlanSummary } {
  const plan = new FaultPlan(inMemoryInput(items), s, mix, seed);
  const deliveries: Delivery[] = [];
  for (let d = plan.next(); d !== undefined; d = plan.next()) deliveries.push(d);
  const faults: Record<FaultKind, number> = { none: 0, malformed: 0, late: 0, duplicate: 0, 'out-of-order': 0, source: 0, boundary: 0 };
  for (const d of deliveries) faults[d.fault]++;
  return { deliveries, summary: { read: items.length, sent: deliveries.length, faults, notApplicable: plan.notApplicable } };
}

export function inMemoryInput(items: Outgoing[]): PlanInput {
  const eventTime = Float64Array.from(items, (x) => x.eventTime ?? NaN);
  const problem = Uint8Array.from(items, (x) => (x.problem !== undefined ? 1 : 0));
  return { n: items.length, eventTime, problem, item: (k) => items[k] };
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
