import type { OracleAggregate } from './function.js';

/** Sample variance: DuckDB's var_samp (NULL below two values). */
export const variance: OracleAggregate = { op: 'variance', sql: (f) => `var_samp(${f})`, minValues: 2 };
