import type { TimeFormat } from '../core/time-format.js';
import type { Encoding } from '../sources/lines.js';
import type { Expr } from './expression.js';

export type FieldType = 'string' | 'int' | 'float' | 'timestamp' | 'date';

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** An empty value is allowed (null on the wire). */
  nullable: boolean;
}

export type ConditionOp = '<' | '<=' | '>' | '>=' | '==' | '!=' | 'between' | 'in' | 'not in';

/**
 * One test on a field; a filter or an alert is a list of them, all of which must hold. A comparison
 * is on a number; `in` and `not in` are on a set of numbers or of texts (`= 'x'` is `in ('x')`).
 */
export interface Condition {
  field: string;
  op: ConditionOp;
  value: number;
  /** Upper bound (inclusive) for `between`. */
  value2?: number;
  /** The values of `in` and `not in`: all numbers, or all texts. */
  set?: (number | string)[];
  text: string;
}

/**
 * The aggregation functions a scenario may name. The engine (src/engine/aggregations) and the oracle
 * (src/verify/aggregations) each keep one entry per name, written apart on purpose; a test fails
 * when either list differs from this one.
 */
export const AGGREGATION_OPS = ['count', 'sum', 'avg', 'min', 'max', 'stddev', 'variance', 'count_distinct', 'first', 'last'] as const;
export type AggregationOp = (typeof AGGREGATION_OPS)[number];

export interface Aggregation {
  name: string;
  op: AggregationOp;
  field?: string;
}

export interface WindowSpec {
  kind: 'tumbling' | 'sliding';
  size: number;
  slide: number;
  /**
   * all: a result per key with a record anywhere in the window. active: only keys with a record in
   * the window's last slide (a score per customer active in that minute, over the past hour).
   */
  emit: 'all' | 'active';
}

export interface SourceSpec {
  /** Column order for files without a header (and for a Parquet value column holding delimited lines). */
  columns: string[];
  delimiter?: string;
  /** false: a quote character is plain data (the Amazon reviews TSV). */
  quote: boolean;
  header: 'auto' | 'yes' | 'no';
  /** How CSV/TSV/JSONL bytes become text (replay --encoding overrides it). */
  encoding: Encoding;
  /** A Parquet column holding one delimited line per row (a Kafka topic dump). */
  parquetValueColumn?: string;
  /** With no FILE, replay reads <dir>/<generated>.{parquet,csv,jsonl} (what `sat gen` wrote). */
  generated?: string;
}

export interface AlertSpec {
  name: string;
  when: Condition[];
}

export interface FaultMix {
  malformed: number;
  late: number;
  lateBy: [number, number];
  duplicates: number;
  outOfOrder: number;
  /** Share of records used as boundary probes (replay/faults/boundary.ts). */
  boundary: number;
}

export interface OnlineSpec {
  /** Customer ids per request. */
  batchSize: number;
  /** Requests in flight at once. */
  concurrency: number;
  timeoutMs: number;
  /** Further attempts after a failed request (5xx, timeout, cut-off or invalid body). */
  retries: number;
}

/** The join with the daily batch snapshot: <dir>/<prefix>-YYYY-MM-DD.{parquet,csv,jsonl}, the latest day. */
export interface BatchSpec {
  prefix: string;
  key: string;
}

export interface ScoreSpec {
  /** The formula as written (the oracle gives this text to DuckDB). */
  formula: string;
  expr: Expr;
  /** The score is clamped to [min, max]; a NaN is no score. */
  range: [number, number];
  /** Most urgent first: a customer gets the first action whose threshold its score is under. */
  actions: { name: string; below: number }[];
  batch?: BatchSpec;
  online?: OnlineSpec;
}

/** Batch reports over the whole stream (the messages scenario). */
export interface ReportsSpec {
  /** Rows whose field is missing or empty (if `missing`) or one of `values` are corrupted: split off, counted apart. */
  corrupted: { field: string; values: string[]; missing: boolean };
  /** A lookup table beside the data (CSV): key column and the name joined in. */
  countries?: { file: string; key: string; name: string; field: string };
  /** Daily counts per key (channel) of each value of this field, one column per value. */
  pivot: { field: string };
  /** The n most active values of this field per key. */
  topUsers: { field: string; n: number };
}

/** A rollup of the stream's results (the batch layer): by key and a calendar unit of the window start. */
export interface Rollup {
  name: string;
  every: 'day' | 'month' | 'year' | 'all';
  /** The scenario's aggregations rolled up, each merged by its op. */
  aggregations: Aggregation[];
  top?: { n: number; by: string };
  /** Also count the alerts raised per key and unit (column `alerts`). */
  alerts: boolean;
  /**
   * A score rollup instead: the distribution of the scores per value of this snapshot column (the
   * customer's segment, from the snapshot day each result names), by the unit of the minute scored.
   */
  segment?: string;
}

export interface Scenario {
  name: string;
  description: string;
  /** The file the scenario was loaded from. */
  path: string;
  key: string;
  /** The event-time field's name. */
  eventTime: string;
  /** How its text is read (README, "Event time"). */
  time: TimeFormat;
  id: string[];
  fields: FieldSpec[];
  source: SourceSpec;
  window: WindowSpec;
  watermarkDelay: number;
  allowedLateness: number;
  filter: Condition[];
  aggregations: Aggregation[];
  alerts: AlertSpec[];
  faults: FaultMix;
  /** Joins and a score per result (the satisfaction scenario). */
  score?: ScoreSpec;
  /** How an external engine names result columns: sat's name -> theirs (verify --map overrides). */
  resultColumns?: Record<string, string>;
  reports?: ReportsSpec;
  /** The batch layer's rollups (sat batch; reconciled by verify). */
  rollups?: Rollup[];
}
