import { SatError } from '../../core/errors.js';
import type { Aggregation, AggregationOp } from '../../scenario/types.js';
import { avg, count, max, min, sum } from './basic.js';
import { countDistinct } from './count-distinct.js';
import { first } from './first.js';
import type { AggregateFunction } from './function.js';
import { last } from './last.js';
import { stddev } from './stddev.js';
import { variance } from './variance.js';

export type { AggregateFunction } from './function.js';

/** Every aggregation the engine knows, by the name a scenario uses. */
export const ENGINE_AGGREGATIONS: Record<AggregationOp, AggregateFunction> = {
  count,
  sum,
  avg,
  min,
  max,
  stddev,
  variance,
  count_distinct: countDistinct,
  first,
  last,
};

/** One (slide bucket, key)'s accumulators: every aggregation's slots in one array, sets beside. */
export interface Pane {
  v: Float64Array;
  sets: Set<number>[] | undefined;
  /** The state store's change epoch when it last marked this pane changed (-1: never). */
  epoch: number;
}

/** A pane as plain JSON: the slots (infinities as ±1e308), then the sets' values when there are any. */
export type PaneSnapshot = [number[]] | [number[], number[][]];

/** A scenario's aggregations laid out over one pane: what the operator calls per record and per window. */
export class AggregationPlan {
  readonly #fns: AggregateFunction[];
  readonly #at: number[] = [];
  readonly #set: number[] = [];
  readonly #fields: (string | undefined)[];
  readonly #names: string[];
  readonly #width: number;
  readonly #sets: number;

  constructor(aggs: Aggregation[]) {
    this.#fns = aggs.map((a) => ENGINE_AGGREGATIONS[a.op]);
    this.#fields = aggs.map((a) => (a.op === 'count' ? undefined : a.field));
    this.#names = aggs.map((a) => a.name);
    let width = 0;
    let sets = 0;
    for (const f of this.#fns) {
      this.#at.push(width);
      this.#set.push(f.usesSet ? sets++ : -1);
      width += f.slots;
    }
    this.#width = width;
    this.#sets = sets;
  }

  create(): Pane {
    const v = new Float64Array(this.#width);
    for (let i = 0; i < this.#fns.length; i++) this.#fns[i].init(v, this.#at[i]);
    return { v, sets: this.#sets === 0 ? undefined : Array.from({ length: this.#sets }, () => new Set<number>()), epoch: -1 };
  }

  add(p: Pane, values: Record<string, unknown>, time: number): void {
    for (let i = 0; i < this.#fns.length; i++) {
      const field = this.#fields[i];
      const x = field === undefined ? null : values[field];
      this.#fns[i].add(p.v, this.#at[i], typeof x === 'number' ? x : null, time, this.#setOf(p, i));
    }
  }

  copy(p: Pane): Pane {
    return { v: Float64Array.from(p.v), sets: p.sets?.map((s) => new Set(s)), epoch: -1 };
  }

  merge(into: Pane, from: Pane): void {
    for (let i = 0; i < this.#fns.length; i++) this.#fns[i].merge(into.v, this.#at[i], from.v, this.#setOf(into, i), this.#setOf(from, i));
  }

  results(p: Pane): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (let i = 0; i < this.#fns.length; i++) out[this.#names[i]] = this.#fns[i].result(p.v, this.#at[i], this.#setOf(p, i));
    return out;
  }

  snapshot(p: Pane): PaneSnapshot {
    const v = Array.from(p.v, (x) => (Number.isFinite(x) ? x : x > 0 ? 1e308 : -1e308));
    return p.sets === undefined ? [v] : [v, p.sets.map((s) => [...s])];
  }

  restore(s: PaneSnapshot): Pane {
    if (s[0].length !== this.#width || (s[1]?.length ?? 0) !== this.#sets) throw new SatError(`a checkpoint's pane has ${s[0].length} slots and ${s[1]?.length ?? 0} sets, the scenario's aggregations ${this.#width} and ${this.#sets}: the scenario changed since (sat run --fresh starts over)`, 3);
    return { v: Float64Array.from(s[0], (x) => (x >= 1e308 ? Infinity : x <= -1e308 ? -Infinity : x)), sets: this.#sets === 0 ? undefined : (s[1] ?? []).map((xs) => new Set(xs)), epoch: -1 };
  }

  #setOf(p: Pane, i: number): Set<number> | undefined {
    const k = this.#set[i];
    return k < 0 ? undefined : p.sets![k];
  }
}
