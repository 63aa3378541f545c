import type { AggregationOp } from '../../scenario/types.js';
import { avg, count, max, min, sum } from './basic.js';
import { countDistinct } from './count-distinct.js';
import { first } from './first.js';
import type { OracleAggregate } from './function.js';
import { last } from './last.js';
import { stddev } from './stddev.js';
import { variance } from './variance.js';

export type { OracleAggregate } from './function.js';

/** Every aggregation the oracle knows, by the name a scenario uses. */
export const ORACLE_AGGREGATIONS: Record<AggregationOp, OracleAggregate> = {
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
