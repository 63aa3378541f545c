import type { AggregationOp } from '../../scenario/types.js';

/**
 * One aggregation on the oracle's side: its SQL over the counted rows of a (window, key). `f` is the
 * field's numeric column (NULL where the value is null), `et` the row's event time. Written apart
 * from the engine's on purpose: the oracle must not share the code it judges.
 */
export interface OracleAggregate {
  readonly op: AggregationOp;
  /** The exact value. */
  sql(f: string): string;
  /**
   * For the bounded model (a delivery that may or may not count): SQL for the lowest and highest
   * value, given the FILTER clauses of the rows that must count and of those that may. Without it,
   * the value is not bounded (only whether it may be null is checked).
   */
  bounds?(f: string, must: string, may: string): [lo: string, hi: string];
  /** Fewest non-null values for a non-null result (0: never null). */
  readonly minValues: number;
}
