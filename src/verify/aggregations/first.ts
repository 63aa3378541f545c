import type { OracleAggregate } from './function.js';

/** The non-null value with the earliest event time; ties go to the smallest value. */
export const first: OracleAggregate = { op: 'first', sql: (f) => `first(${f} ORDER BY et, ${f}) FILTER (WHERE ${f} IS NOT NULL)`, minValues: 1 };
