import { UsageError } from '../core/errors.js';
import { holds } from '../scenario/conditions.js';
import type { Condition, Scenario } from '../scenario/types.js';
import { AggregationPlan, type Pane, type PaneSnapshot } from './aggregations/index.js';
import type { ValidRecord } from './validate.js';

export interface WindowResult {
  windowStart: number;
  windowEnd: number;
  key: string;
  values: Record<string, number | null>;
}

export type Outcome = 'counted' | 'filtered' | 'late' | 'duplicate';

/**
 * Known-wrong engines, built on purpose so the tests can show that verify catches each one
 * (SAT_ENGINE_MUTANT in the environment of sat run; never set in normal use):
 *   end-inclusive   windows are (start, end] instead of [start, end)
 *   late-strict     late only when close < watermark (a record exactly at the close counts)
 *   no-delay        the watermark ignores the scenario's delay
 *   dedup-forever   dedup state is never dropped
 *   dedup-early     an id is forgotten one slide before its last window closes
 *   count-late      late records are aggregated anyway
 *   no-final-flush  the windows still open at the end of the input never fire
 */
export const MUTANTS = ['end-inclusive', 'late-strict', 'no-delay', 'dedup-forever', 'dedup-early', 'count-late', 'no-final-flush'] as const;
export type Mutant = (typeof MUTANTS)[number];
export interface EnginePolicy {
  mutant?: Mutant;
}

/** The policy sat run uses: SAT_ENGINE_MUTANT names a mutant for the tests; unset, the real engine. */
export function policyFromEnv(env: NodeJS.ProcessEnv = process.env): EnginePolicy {
  const m = env.SAT_ENGINE_MUTANT;
  if (m === undefined || m === '') return {};
  if (!(MUTANTS as readonly string[]).includes(m)) throw new UsageError(`SAT_ENGINE_MUTANT=${m}: not a mutant (${MUTANTS.join(', ')})`);
  process.stderr.write(`sat: SAT_ENGINE_MUTANT=${m}: this engine is wrong on purpose (a test of verify)\n`);
  return { mutant: m as Mutant };
}

/** Everything the operator holds, as plain JSON: what a checkpoint or a changelog saves. */
export interface OperatorSnapshot {
  watermark: number | null;
  stats: OperatorStats;
  /** [bucket start, [[key, pane]]] */
  buckets: [number, [string, ...PaneSnapshot][]][];
  /** Windows starting before this have fired (null: none yet). */
  fireFrom: number | null;
  /** [close time, ids] */
  forget: [number, string[]][];
}

export interface OperatorStats {
  counted: number;
  filtered: number;
  late: number;
  duplicates: number;
  windowsFired: number;
}

/**
 * The windowing core: pure and synchronous, no I/O. For each valid record, in arrival order:
 *   1. the watermark becomes max(event time seen) - watermark delay;
 *   2. a record whose windows have all closed (end + allowed lateness <= watermark) is late;
 *   3. a second delivery of a natural id still held in dedup state is a duplicate;
 *   4. alerts are checked, then the filter, then the record is added to its open windows;
 *   5. windows whose end + allowed lateness <= watermark fire, once.
 * State is one accumulator per (slide bucket, key), not a copy per window: a record updates one
 * bucket however many sliding windows hold it, and a window merges its size/slide buckets when it
 * fires. A bucket is dropped once the last window holding it has fired. With emit: active, a window
 * fires a result only for the keys with a record in its last slide. Dedup state for an id is
 * dropped when its last window closes; any later copy is then late.
 */
export class WindowOperator {
  watermark = -Infinity;
  readonly stats: OperatorStats = { counted: 0, filtered: 0, late: 0, duplicates: 0, windowsFired: 0 };

  readonly #size: number;
  readonly #slide: number;
  readonly #lateness: number;
  readonly #delay: number;
  /** Bucket starts holding state, ascending. */
  readonly #starts: number[] = [];
  readonly #buckets = new Map<number, Map<string, Pane>>();
  /** Windows starting before this have fired or were empty when they closed. */
  #fireFrom = -Infinity;
  readonly #seen = new Set<string>();
  /** Dedup ids by the watermark at which they can be forgotten. */
  readonly #forget = new Map<number, string[]>();
  /** The keys of #forget, ascending (they arrive almost in order, so inserting is cheap). */
  readonly #forgetOrder: number[] = [];
  #fired: WindowResult[] = [];
  readonly #plan: AggregationPlan;
  readonly #filter: Condition[];
  readonly #alerts: { name: string; when: Condition[] }[];
  readonly #activeOnly: boolean;
  readonly #mutant: Mutant | undefined;

  constructor(readonly scenario: Scenario, policy: EnginePolicy = {}) {
    this.#mutant = policy.mutant;
    this.#size = scenario.window.size;
    this.#slide = scenario.window.slide;
    this.#lateness = scenario.allowedLateness;
    this.#delay = this.#mutant === 'no-delay' ? 0 : scenario.watermarkDelay;
    this.#plan = new AggregationPlan(scenario.aggregations);
    this.#filter = scenario.filter;
    this.#alerts = scenario.alerts;
    this.#activeOnly = scenario.window.emit === 'active';
  }

  /** Processes one record; returns what became of it and the alerts it raised. */
  process(r: ValidRecord): { outcome: Outcome; alerts: string[] } {
    this.#observe(r.time);

    // The record's bucket is also the start of the last window holding it.
    const m = this.#mutant;
    const lastStart = Math.floor((m === 'end-inclusive' ? r.time - 1 : r.time) / this.#slide) * this.#slide;
    const closeOfLast = lastStart + this.#size + this.#lateness;
    let outcome: Outcome;
    let alerts = NO_ALERTS;
    if (m === undefined ? closeOfLast <= this.watermark : m === 'late-strict' ? closeOfLast < this.watermark : m !== 'count-late' && closeOfLast <= this.watermark) {
      outcome = 'late';
    } else if (this.#seen.has(r.id)) {
      outcome = 'duplicate';
    } else {
      this.#seen.add(r.id);
      const forgetAt = m === 'dedup-forever' ? Infinity : m === 'dedup-early' ? closeOfLast - this.#slide : closeOfLast;
      const bucket = this.#forget.get(forgetAt);
      if (bucket) bucket.push(r.id);
      else {
        this.#forget.set(forgetAt, [r.id]);
        insertSorted(this.#forgetOrder, forgetAt);
      }
      for (const a of this.#alerts) if (allHold(a.when, r.values)) (alerts === NO_ALERTS ? (alerts = []) : alerts).push(a.name);
      if (!allHold(this.#filter, r.values)) {
        outcome = 'filtered';
      } else {
        outcome = 'counted';
        // Windows already closed have fired without it; the open ones will merge this bucket.
        this.#add(lastStart, r);
      }
    }
    this.stats[outcome === 'duplicate' ? 'duplicates' : outcome]++;
    this.#fire(this.watermark);
    return { outcome, alerts };
  }

  /**
   * A valid record that is split off before windowing (a corrupted row) still moves the watermark:
   * the watermark belongs to the source, as Flink assigns it there, and windows it closes fire.
   */
  advance(time: number): void {
    this.#observe(time);
    this.#fire(this.watermark);
  }

  #observe(time: number): void {
    const wm = time - this.#delay;
    if (wm > this.watermark) this.watermark = wm;
  }

  /** End of input: the watermark goes to +infinity and every open window fires. */
  flush(): void {
    if (this.#mutant === 'no-final-flush') return;
    this.#fire(Infinity);
  }

  /** Results fired since the last call, oldest window first. */
  takeResults(): WindowResult[] {
    const out = this.#fired;
    this.#fired = [];
    return out;
  }

  /** Buckets holding state (each open window spans size/slide of them). */
  get openBuckets(): number {
    return this.#starts.length;
  }

  /** Accumulators held: one per (slide bucket, key). */
  get stateEntries(): number {
    let n = 0;
    for (const byKey of this.#buckets.values()) n += byKey.size;
    return n;
  }

  snapshot(): OperatorSnapshot {
    return {
      watermark: Number.isFinite(this.watermark) ? this.watermark : null,
      stats: { ...this.stats },
      buckets: this.#starts.map((start) => [start, [...this.#buckets.get(start)!].map(([k, pane]) => [k, ...this.#plan.snapshot(pane)] as [string, ...PaneSnapshot])]),
      fireFrom: Number.isFinite(this.#fireFrom) ? this.#fireFrom : null,
      forget: [...this.#forget],
    };
  }

  /** Rebuilds an operator from a snapshot; the seen-id set is derived from the forget buckets. */
  static restore(scenario: Scenario, snap: OperatorSnapshot, policy: EnginePolicy = {}): WindowOperator {
    const op = new WindowOperator(scenario, policy);
    op.watermark = snap.watermark ?? -Infinity;
    Object.assign(op.stats, snap.stats);
    op.#fireFrom = snap.fireFrom ?? -Infinity;
    for (const [start, byKey] of snap.buckets) {
      op.#starts.push(start);
      op.#buckets.set(start, new Map(byKey.map(([k, ...pane]) => [k, op.#plan.restore(pane as PaneSnapshot)])));
    }
    for (const [close, ids] of snap.forget) {
      op.#forget.set(close, [...ids]);
      insertSorted(op.#forgetOrder, close);
      for (const id of ids) op.#seen.add(id);
    }
    return op;
  }

  #add(bucket: number, r: ValidRecord): void {
    let byKey = this.#buckets.get(bucket);
    if (byKey === undefined) {
      byKey = new Map();
      this.#buckets.set(bucket, byKey);
      insertSorted(this.#starts, bucket);
    }
    let pane = byKey.get(r.key);
    if (pane === undefined) {
      pane = this.#plan.create();
      byKey.set(r.key, pane);
    }
    this.#plan.add(pane, r.values, r.time);
  }

  /** Every key with a record in the window [start, start + size). */
  #mergeAll(start: number): Map<string, Pane> {
    const merged = new Map<string, Pane>();
    for (const b of this.#starts) {
      if (b >= start + this.#size) break;
      for (const [key, acc] of this.#buckets.get(b)!) {
        const into = merged.get(key);
        if (into === undefined) merged.set(key, this.#plan.copy(acc));
        else this.#plan.merge(into, acc);
      }
    }
    return merged;
  }

  /** Only the keys with a record in the window's last slide, each merged over the whole window. */
  #mergeActive(start: number): Map<string, Pane> {
    const merged = new Map<string, Pane>();
    const last = this.#buckets.get(start + this.#size - this.#slide);
    if (last === undefined) return merged;
    for (const [key, acc] of last) merged.set(key, this.#plan.copy(acc));
    for (const b of this.#starts) {
      if (b >= start + this.#size - this.#slide) break;
      if (b < start) continue;
      const byKey = this.#buckets.get(b)!;
      // Look up from the smaller side: the active keys or the bucket's keys.
      if (byKey.size < merged.size) {
        for (const [key, acc] of byKey) {
          const into = merged.get(key);
          if (into !== undefined) this.#plan.merge(into, acc);
        }
      } else {
        for (const [key, into] of merged) {
          const acc = byKey.get(key);
          if (acc !== undefined) this.#plan.merge(into, acc);
        }
      }
    }
    return merged;
  }

  #fire(watermark: number): void {
    const size = this.#size;
    const slide = this.#slide;
    while (this.#starts.length > 0) {
      // The next window to consider: the first one not yet handled that holds the oldest bucket.
      const start = Math.max(this.#fireFrom, this.#starts[0] - size + slide);
      if (start + size + this.#lateness > watermark) break;
      const merged = this.#activeOnly ? this.#mergeActive(start) : this.#mergeAll(start);
      for (const [key, acc] of merged) this.#fired.push({ windowStart: start, windowEnd: start + size, key, values: this.#plan.results(acc) });
      if (merged.size > 0) this.stats.windowsFired++;
      this.#fireFrom = start + slide;
      // A bucket before the next window's start is in no window still to fire.
      while (this.#starts.length > 0 && this.#starts[0] < this.#fireFrom) this.#buckets.delete(this.#starts.shift() as number);
    }
    // Windows that closed with no state never fire; a record arriving later must not reopen them.
    if (Number.isFinite(watermark)) {
      const firstOpen = (Math.floor((watermark - size - this.#lateness) / slide) + 1) * slide;
      if (firstOpen > this.#fireFrom) this.#fireFrom = firstOpen;
    }
    // Close times in ascending order: drained from the front as the watermark passes them.
    const order = this.#forgetOrder;
    let drained = 0;
    while (drained < order.length && order[drained] <= watermark) {
      for (const id of this.#forget.get(order[drained])!) this.#seen.delete(id);
      this.#forget.delete(order[drained]);
      drained++;
    }
    if (drained > 0) order.splice(0, drained);
  }
}

/** Shared by every record that raises none: no array per record. Never mutated (see process()). */
const NO_ALERTS: string[] = [];

function allHold(cs: Condition[], values: Record<string, unknown>): boolean {
  for (let i = 0; i < cs.length; i++) if (!holdsOn(cs[i], values)) return false;
  return true;
}

function holdsOn(c: Condition, values: Record<string, unknown>): boolean {
  const v = values[c.field];
  return typeof v === 'number' && holds(c, v);
}

function insertSorted(a: number[], x: number): void {
  let i = a.length;
  while (i > 0 && a[i - 1] > x) i--;
  a.splice(i, 0, x);
}
