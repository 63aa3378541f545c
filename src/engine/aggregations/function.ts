import type { AggregationOp } from '../../scenario/types.js';

/**
 * One aggregation on the engine's side, as Flink's AggregateFunction has it: an accumulator is a
 * few float64 slots (from `at` in a shared Float64Array, so a pane is one typed array however many
 * aggregations it holds), plus a set for the functions that need one (count_distinct).
 * `add` gets the record's value of the field (null when the field is null; count() gets null always)
 * and its event time; `merge` folds another pane's accumulator (its slots from `fromAt` in `from`) into this one, the way a window
 * merges its slide buckets when it fires.
 */
export interface AggregateFunction {
  readonly op: AggregationOp;
  readonly slots: number;
  /** True when the accumulator keeps a set of values beside its slots. */
  readonly usesSet?: boolean;
  /** Written as an integer column (Parquet INT64). */
  readonly integer?: boolean;
  init(v: Float64Array, at: number): void;
  add(v: Float64Array, at: number, x: number | null, time: number, set: Set<number> | undefined): void;
  merge(into: Float64Array, at: number, from: Float64Array, fromAt: number, intoSet: Set<number> | undefined, fromSet: Set<number> | undefined): void;
  result(v: Float64Array, at: number, set: Set<number> | undefined): number | null;
  /** add and merge as JavaScript statements (the same steps), for AggregationPlan to compile. */
  readonly inline?: InlineSteps;
}

/**
 * An aggregation's add and merge as source text: when every aggregation of a scenario has them, the
 * plan compiles one function for each (no call per aggregation, per record and per merged pane: at a
 * million active customers those calls were a tenth of the engine's time). `slot(k)` is the
 * expression of the accumulator's slot k; `x` names the value (a number, or null).
 */
export interface InlineSteps {
  add(slot: (k: number) => string, x: string): string;
  merge(into: (k: number) => string, from: (k: number) => string): string;
}
