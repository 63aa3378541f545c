export type FieldType = 'string' | 'int' | 'float' | 'timestamp' | 'date';

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** An empty value is allowed (null on the wire). */
  nullable: boolean;
}

export type ConditionOp = '<' | '<=' | '>' | '>=' | '==' | '!=' | 'between';

/** One comparison on a numeric field; a filter or an alert is a list of them, all of which must hold. */
export interface Condition {
  field: string;
  op: ConditionOp;
  value: number;
  /** Upper bound (inclusive) for `between`. */
  value2?: number;
  text: string;
}

export type AggregationOp = 'count' | 'sum' | 'avg' | 'min' | 'max';

export interface Aggregation {
  name: string;
  op: AggregationOp;
  field?: string;
}

export interface WindowSpec {
  kind: 'tumbling' | 'sliding';
  size: number;
  slide: number;
}

export interface SourceSpec {
  /** Column order for files without a header (and for a Parquet value column holding delimited lines). */
  columns: string[];
  delimiter?: string;
  /** false: a quote character is plain data (the Amazon reviews TSV). */
  quote: boolean;
  header: 'auto' | 'yes' | 'no';
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
}

export interface Scenario {
  name: string;
  description: string;
  /** The file the scenario was loaded from. */
  path: string;
  key: string;
  eventTime: string;
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
}
