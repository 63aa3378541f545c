import type { OracleAggregate } from './function.js';

export const count: OracleAggregate = {
  op: 'count',
  sql: () => 'count(*)',
  bounds: (_f, must) => [`count(*) ${must}`, 'count(*)'],
  minValues: 0,
};

export const sum: OracleAggregate = {
  op: 'sum',
  sql: (f) => `sum(${f})`,
  // Each may-count value can only pull the sum its own way.
  bounds: (f, must, may) => [`coalesce(sum(${f}) ${must}, 0) + coalesce(sum(least(${f}, 0)) ${may}, 0)`, `coalesce(sum(${f}) ${must}, 0) + coalesce(sum(greatest(${f}, 0)) ${may}, 0)`],
  minValues: 1,
};

/** Its bounds are worked out in bounded.ts, adding may-count values one by one in order. */
export const avg: OracleAggregate = { op: 'avg', sql: (f) => `avg(${f})`, minValues: 1 };

export const min: OracleAggregate = {
  op: 'min',
  sql: (f) => `min(${f})`,
  bounds: (f, must, may) => [`min(${f})`, `coalesce(min(${f}) ${must}, max(${f}) ${may})`],
  minValues: 1,
};

export const max: OracleAggregate = {
  op: 'max',
  sql: (f) => `max(${f})`,
  bounds: (f, must, may) => [`coalesce(max(${f}) ${must}, min(${f}) ${may})`, `max(${f})`],
  minValues: 1,
};
