import type { OracleAggregate } from './function.js';

/** The non-null value with the latest event time; ties go to the largest value. */
export const last: OracleAggregate = { op: 'last', sql: (f) => `first(${f} ORDER BY et DESC, ${f} DESC) FILTER (WHERE ${f} IS NOT NULL)`, minValues: 1 };
