import { UsageError } from '../core/errors.js';
import { holds } from '../scenario/conditions.js';
import type { Condition, Scenario } from '../scenario/types.js';
import { AggregationPlan } from './aggregations/index.js';
import { DedupStore, type DedupColumns } from './state/dedup.js';
import { PaneStore, type PaneColumns } from './state/panes.js';
import type { ValidRecord } from './validate.js';

export interface WindowResult {
  windowStart: number;
  windowEnd: number;
  key: string;
  values: Record<string, number | null>;
}

/**
 * A result as the operator fires it, carrying its key's id in the window state (KeyIds) as a hint,
 * not as part of the result (a private field: no copy, clone or comparison of results sees it). A
 * join can keep what it looked up per id (Scorer: the key's snapshot row) instead of hashing the
 * key again each minute; an id is reused once its key holds no state, so such a cache checks the key.
 */
export class FiredResult implements WindowResult {
  readonly #keyId: number;

  constructor(
    public windowStart: number,
    public windowEnd: number,
    public key: string,
    public values: Record<string, number | null>,
    keyId: number,
  ) {
    this.#keyId = keyId;
  }

  /** The key's id when the operator fired r, or -1 (a result made elsewhere: restored, or a test's). */
  static keyIdOf(r: WindowResult): number {
    return #keyId in r ? (r as FiredResult).#keyId : -1;
  }
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

/**
 * What the operator needs to know: the window, watermark and lateness policies, the aggregations,
 * the filter and the alerts (a Scenario is one; the rest of a scenario is the edges' business).
 */
export type OperatorSpec = Pick<Scenario, 'window' | 'watermarkDelay' | 'allowedLateness' | 'aggregations' | 'filter' | 'alerts'>;

/** Everything the operator holds, as plain JSON: what a full checkpoint saves. */
export interface OperatorSnapshot {
  watermark: number | null;
  stats: OperatorStats;
  panes: PaneColumns;
  /** Windows starting before this have fired (null: none yet). */
  fireFrom: number | null;
  /** Dedup ids by close time. */
  forget: DedupColumns;
}

/** What changed since the last snapshot or changelog: what an incremental checkpoint saves. */
export interface OperatorChanges {
  watermark: number | null;
  stats: OperatorStats;
  fireFrom: number | null;
  panes: PaneColumns;
  /** Ids held since, by close time. */
  forget: DedupColumns;
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
  readonly #panes: PaneStore;
  /** Windows starting before this have fired or were empty when they closed. */
  #fireFrom = -Infinity;
  readonly #dedup = new DedupStore();
  #fired: WindowResult[] = [];
  readonly #outcome: { outcome: Outcome; alerts: string[] } = { outcome: 'counted', alerts: [] };
  /**
   * The watermark the last #fire ran at. With the watermark where it was, nothing more can fire or
   * expire: a record that would open a window already due is late and adds nothing (on reviews the
   * watermark moves once a day of event time, so most records skip it).
   */
  #firedAt = NaN;
  /**
   * The watermark below which #fire has nothing to do: no window to fire, bucket to seal, first
   * open window to move or dedup id to expire (set by #fire, lowered by each record held). Where the
   * watermark moves with nearly every record (IoT, Kafka's pass-through) #fire ran per record.
   */
  #fireDue = -Infinity;
  readonly #plan: AggregationPlan;
  readonly #filter: Condition[];
  readonly #alerts: { name: string; when: Condition[] }[];
  readonly #activeOnly: boolean;
  readonly #mutant: Mutant | undefined;

  constructor(spec: OperatorSpec, policy: EnginePolicy = {}) {
    this.#mutant = policy.mutant;
    this.#size = spec.window.size;
    this.#slide = spec.window.slide;
    this.#lateness = spec.allowedLateness;
    this.#delay = this.#mutant === 'no-delay' ? 0 : spec.watermarkDelay;
    this.#plan = new AggregationPlan(spec.aggregations);
    this.#panes = new PaneStore(this.#plan, spec.window.emit === 'active');
    this.#filter = spec.filter;
    this.#alerts = spec.alerts;
    this.#activeOnly = spec.window.emit === 'active';
  }

  /**
   * Processes one record; returns what became of it and the alerts it raised, in one object reused
   * by every call (read it before the next: no object per record).
   */
  process(r: ValidRecord): { readonly outcome: Outcome; readonly alerts: string[] } {
    this.#observe(r.time);

    // The record's bucket is also the start of the last window holding it.
    const m = this.#mutant;
    const lastStart = Math.floor((m === 'end-inclusive' ? r.time - 1 : r.time) / this.#slide) * this.#slide;
    const closeOfLast = lastStart + this.#size + this.#lateness;
    let outcome: Outcome;
    let alerts = NO_ALERTS;
    if (m === undefined ? closeOfLast <= this.watermark : m === 'late-strict' ? closeOfLast < this.watermark : m !== 'count-late' && closeOfLast <= this.watermark) {
      outcome = 'late';
    } else if (this.#dedup.hasRecord(r)) {
      outcome = 'duplicate';
    } else {
      const close = m === 'dedup-forever' ? Infinity : m === 'dedup-early' ? closeOfLast - this.#slide : closeOfLast;
      this.#dedup.holdRecord(r, close);
      // Its bucket seals, and the first window holding it fires, no sooner than the bucket's end.
      const due = Math.min(lastStart + this.#slide, close);
      if (due < this.#fireDue) this.#fireDue = due;
      for (const a of this.#alerts) if (allHold(a.when, r.values)) (alerts === NO_ALERTS ? (alerts = []) : alerts).push(a.name);
      if (!allHold(this.#filter, r.values)) {
        outcome = 'filtered';
      } else {
        outcome = 'counted';
        // Windows already closed have fired without it; the open ones will merge this bucket.
        this.#panes.add(lastStart, r.keySpan ?? r.key, r.values, r.time);
      }
    }
    this.stats[outcome === 'duplicate' ? 'duplicates' : outcome]++;
    if (this.watermark >= this.#fireDue && this.watermark !== this.#firedAt) this.#fire(this.watermark);
    const out = this.#outcome;
    out.outcome = outcome;
    out.alerts = alerts;
    return out;
  }

  /**
   * A valid record that is split off before windowing (a corrupted row) still moves the watermark:
   * the watermark belongs to the source, as Flink assigns it there, and windows it closes fire.
   */
  advance(time: number): void {
    this.#observe(time);
    if (this.watermark >= this.#fireDue && this.watermark !== this.#firedAt) this.#fire(this.watermark);
  }

  #observe(time: number): void {
    const wm = time - this.#delay;
    if (wm > this.watermark) this.watermark = wm;
  }

  /** End of input: the watermark goes to +infinity and every open window fires. */
  flush(): void {
    this.flushSome(Infinity);
  }

  /**
   * End of input a part at a time: whole windows fire, oldest first, until at least `results` have
   * fired since the last takeResults() or none is left; true while windows remain (call again after
   * taking the results). The same results in the same order as flush(): handed over in parts, the
   * results' thread writes the first while the rest fire (a day of reviews fires 51k at the end).
   */
  flushSome(results: number): boolean {
    if (this.#mutant === 'no-final-flush') return false;
    return this.#fire(Infinity, results);
  }

  /** Results fired since the last call, oldest window first. */
  takeResults(): WindowResult[] {
    const out = this.#fired;
    // Nothing fired (most records): the shared empty list, not a new array per record.
    if (out.length === 0) return NO_RESULTS;
    this.#fired = [];
    return out;
  }

  /** Buckets holding state (each open window spans size/slide of them). */
  get openBuckets(): number {
    return this.#panes.starts.length;
  }

  /** Accumulators held: one per (slide bucket, key). */
  get stateEntries(): number {
    return this.#panes.entries;
  }

  /** All state; the next changes() are relative to it. `base`: see PaneStore.snapshot. */
  snapshot(base = false): OperatorSnapshot {
    return { ...this.#scalars(), panes: this.#panes.snapshot(base), forget: this.#dedup.snapshot() };
  }

  /** What changed since the last snapshot() or changes(). */
  changes(): OperatorChanges {
    return { ...this.#scalars(), panes: this.#panes.changes(), forget: this.#dedup.changes() };
  }

  #scalars() {
    return { watermark: Number.isFinite(this.watermark) ? this.watermark : null, stats: { ...this.stats }, fireFrom: Number.isFinite(this.#fireFrom) ? this.#fireFrom : null };
  }

  /**
   * Rebuilds an operator from a snapshot and the changelogs written after it, in order. What fired
   * or expired in between is dropped by the same rules that dropped it live: buckets before the next
   * window to fire, ids whose close the watermark has reached.
   */
  static restore(spec: OperatorSpec, snap: OperatorSnapshot, policy: EnginePolicy = {}, changes: OperatorChanges[] = []): WindowOperator {
    const op = new WindowOperator(spec, policy);
    // The keys by the ids the files name them by.
    const names: string[] = [];
    op.#panes.load(snap.panes, names);
    op.#dedup.load(snap.forget);
    let last: OperatorSnapshot | OperatorChanges = snap;
    for (const c of changes) {
      // What fired or expired by this changelog goes first: its own additions are all live at it,
      // while an id dropped before it may have been held again in it (drained after, it would go).
      op.#panes.dropBefore(c.fireFrom ?? -Infinity);
      op.#dedup.drain(c.watermark ?? -Infinity);
      op.#panes.load(c.panes, names);
      op.#dedup.load(c.forget);
      last = c;
    }
    op.watermark = last.watermark ?? -Infinity;
    Object.assign(op.stats, last.stats);
    op.#fireFrom = last.fireFrom ?? -Infinity;
    op.#panes.dropBefore(op.#fireFrom);
    op.#dedup.drain(op.watermark);
    return op;
  }

  /** Fires what the watermark closes; true when it stopped with windows left, `most` results fired. */
  #fire(watermark: number, most = Infinity): boolean {
    this.#firedAt = watermark;
    const size = this.#size;
    const slide = this.#slide;
    const starts = this.#panes.starts;
    while (starts.length > 0) {
      // The next window to consider: the first one not yet handled that holds the oldest bucket.
      const start = Math.max(this.#fireFrom, starts[0] - size + slide);
      if (start + size + this.#lateness > watermark) break;
      const fired = this.#panes.fire(start, size, slide, this.#activeOnly, (key, v, off, sets, id) => {
        this.#fired.push(new FiredResult(start, start + size, key, this.#plan.resultsAt(v, off, sets), id));
      });
      if (fired > 0) this.stats.windowsFired++;
      this.#fireFrom = start + slide;
      // A bucket before the next window's start is in no window still to fire.
      this.#panes.dropBefore(this.#fireFrom);
      if (this.#fired.length >= most && starts.length > 0) return true;
    }
    // Windows that closed with no state never fire; a record arriving later must not reopen them.
    if (Number.isFinite(watermark)) {
      this.#panes.sealThrough(watermark - slide);
      const firstOpen = (Math.floor((watermark - size - this.#lateness) / slide) + 1) * slide;
      if (firstOpen > this.#fireFrom) this.#fireFrom = firstOpen;
    }
    this.#dedup.drain(watermark);
    // Past this watermark: the first open window moves (no window fires before it either), the
    // next bucket seals, an id expires. Each is past `watermark` now.
    this.#fireDue = Number.isFinite(this.#fireFrom) ? Math.min(this.#fireFrom + size + this.#lateness, this.#panes.nextSeal + slide, this.#dedup.firstClose) : -Infinity;
    return false;
  }
}

/** Returned by takeResults() when nothing fired: frozen, so a caller that adds to it fails at once. */
const NO_RESULTS: WindowResult[] = Object.freeze([]) as unknown as WindowResult[];

/** Shared by every record that raises none: no array per record. Never mutated (see process()). */
const NO_ALERTS: string[] = [];

function allHold(cs: Condition[], values: Record<string, unknown>): boolean {
  for (let i = 0; i < cs.length; i++) if (!holdsOn(cs[i], values)) return false;
  return true;
}

function holdsOn(c: Condition, values: Record<string, unknown>): boolean {
  return holds(c, values[c.field]);
}
