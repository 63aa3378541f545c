import type { OracleAggregate } from './function.js';

/** Sample standard deviation: DuckDB's stddev_samp (NULL below two values). */
export const stddev: OracleAggregate = { op: 'stddev', sql: (f) => `stddev_samp(${f})`, minValues: 2 };
