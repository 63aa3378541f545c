import type { OracleAggregate } from './function.js';

/** Distinct non-null values; 0 when there are none. */
export const countDistinct: OracleAggregate = {
  op: 'count_distinct',
  sql: (f) => `count(DISTINCT ${f})`,
  // The must-count rows' distinct values at least; all of them at most.
  bounds: (f, must) => [`count(DISTINCT ${f}) ${must}`, `count(DISTINCT ${f})`],
  minValues: 0,
};
