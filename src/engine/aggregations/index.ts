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
}

/** A pane as plain JSON: the slots (infinities as ±1e308), then the sets' values when there are any. */
export type PaneSnapshot = [number[]] | [number[], number[][]];

type AddInline = (v: Float64Array, off: number, values: Record<string, unknown>) => void;
type MergeInline = (into: Float64Array, io: number, from: Float64Array, fo: number) => void;

/** A scenario's aggregations laid out over one pane: what the operator calls per record and per window. */
export class AggregationPlan {
  readonly #fns: AggregateFunction[];
  readonly #at: number[] = [];
  readonly #set: number[] = [];
  readonly #fields: (string | undefined)[];
  readonly #names: string[];
  readonly #width: number;
  readonly #sets: number;
  /** addAt and mergeAt compiled from the aggregations' inline steps (when all have them). */
  readonly #addInline: AddInline | undefined;
  readonly #mergeInline: MergeInline | undefined;

  /** `compile`: false keeps the calls per aggregation (a test holds the two equal). */
  constructor(aggs: Aggregation[], compile = true) {
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
    if (compile && this.#fns.every((f) => f.inline !== undefined)) {
      const slot = (v: string, off: string, i: number) => (k: number) => `${v}[${off} + ${this.#at[i] + k}]`;
      let add = '';
      let merge = '';
      for (let i = 0; i < this.#fns.length; i++) {
        const { inline } = this.#fns[i];
        const field = this.#fields[i];
        // The value as addAt reads it: a number, else null (count reads none).
        if (field !== undefined) add += `x = values[${JSON.stringify(field)}]; if (typeof x !== 'number') x = null;\n`;
        add += `${inline!.add(slot('v', 'off', i), field === undefined ? 'null' : 'x')}\n`;
        merge += `${inline!.merge(slot('into', 'io', i), slot('from', 'fo', i))}\n`;
      }
      this.#addInline = new Function('v', 'off', 'values', `let x;\n${add}`) as AddInline;
      this.#mergeInline = new Function('into', 'io', 'from', 'fo', merge) as MergeInline;
    }
  }

  /** Float64 slots per pane. */
  get width(): number {
    return this.#width;
  }

  /** Sets per pane (count_distinct keeps one). */
  get setCount(): number {
    return this.#sets;
  }

  create(): Pane {
    const v = new Float64Array(this.#width);
    this.initAt(v, 0);
    return { v, sets: this.newSets() };
  }

  add(p: Pane, values: Record<string, unknown>, time: number): void {
    this.addAt(p.v, 0, p.sets, values, time);
  }

  copy(p: Pane): Pane {
    return { v: Float64Array.from(p.v), sets: p.sets?.map((s) => new Set(s)) };
  }

  merge(into: Pane, from: Pane): void {
    this.mergeAt(into.v, 0, into.sets, from.v, 0, from.sets);
  }

  results(p: Pane): Record<string, number | null> {
    return this.resultsAt(p.v, 0, p.sets);
  }

  // The same over a pane laid out at `off` in a column of panes (the state store's layout).

  newSets(): Set<number>[] | undefined {
    return this.#sets === 0 ? undefined : Array.from({ length: this.#sets }, () => new Set<number>());
  }

  initAt(v: Float64Array, off: number): void {
    for (let i = 0; i < this.#fns.length; i++) this.#fns[i].init(v, off + this.#at[i]);
  }

  addAt(v: Float64Array, off: number, sets: Set<number>[] | undefined, values: Record<string, unknown>, time: number): void {
    if (this.#addInline !== undefined) return this.#addInline(v, off, values);
    for (let i = 0; i < this.#fns.length; i++) {
      const field = this.#fields[i];
      const x = field === undefined ? null : values[field];
      this.#fns[i].add(v, off + this.#at[i], typeof x === 'number' ? x : null, time, this.#setIn(sets, i));
    }
  }

  mergeAt(into: Float64Array, intoOff: number, intoSets: Set<number>[] | undefined, from: Float64Array, fromOff: number, fromSets: Set<number>[] | undefined): void {
    if (this.#mergeInline !== undefined) return this.#mergeInline(into, intoOff, from, fromOff);
    for (let i = 0; i < this.#fns.length; i++) {
      this.#fns[i].merge(into, intoOff + this.#at[i], from, fromOff + this.#at[i], this.#setIn(intoSets, i), this.#setIn(fromSets, i));
    }
  }

  resultsAt(v: Float64Array, off: number, sets: Set<number>[] | undefined): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (let i = 0; i < this.#fns.length; i++) out[this.#names[i]] = this.#fns[i].result(v, off + this.#at[i], this.#setIn(sets, i));
    return out;
  }

  snapshot(p: Pane): PaneSnapshot {
    const v = Array.from(p.v, (x) => (Number.isFinite(x) ? x : x > 0 ? 1e308 : -1e308));
    return p.sets === undefined ? [v] : [v, p.sets.map((s) => [...s])];
  }

  /** Refuses state made for other aggregations (a checkpoint of an earlier scenario). */
  check(width: number, sets: number): void {
    if (width !== this.#width || sets !== this.#sets) throw new SatError(`a checkpoint's pane has ${width} slots and ${sets} sets, the scenario's aggregations ${this.#width} and ${this.#sets}: the scenario changed since (sat run --fresh starts over)`, 3);
  }

  restore(s: PaneSnapshot): Pane {
    this.check(s[0].length, s[1]?.length ?? 0);
    return { v: Float64Array.from(s[0], (x) => (x >= 1e308 ? Infinity : x <= -1e308 ? -Infinity : x)), sets: this.#sets === 0 ? undefined : (s[1] ?? []).map((xs) => new Set(xs)) };
  }

  #setIn(sets: Set<number>[] | undefined, i: number): Set<number> | undefined {
    const k = this.#set[i];
    return k < 0 ? undefined : sets![k];
  }
}
