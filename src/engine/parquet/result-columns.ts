import type { ColumnSource } from 'hyparquet-writer';
import { ENGINE_AGGREGATIONS } from '../aggregations/index.js';
import type { Aggregation } from '../../scenario/types.js';

/** A row group of results as plain arrays (what the engine's thread collects and hands over). */
export interface ResultRows {
  start: number[];
  end: number[];
  key: string[];
  emit: number[];
  aggs: (number | null)[][];
  score: (number | null)[];
  missing: string[];
  snapshotDay: (string | null)[];
}

export function emptyRows(aggs: number): ResultRows {
  return { start: [], end: [], key: [], emit: [], aggs: Array.from({ length: aggs }, () => []), score: [], missing: [], snapshotDay: [] };
}

/**
 * The results' Parquet columns: timestamps in ms, counts INT64, other aggregates DOUBLE. Timestamps
 * go in as epoch milliseconds (the writer takes numbers as they are; a Date per value was garbage).
 */
export function resultColumns(c: ResultRows, aggs: Pick<Aggregation, 'name' | 'op'>[], scored: boolean): ColumnSource[] {
  return [
    { name: 'window_start', data: c.start, type: 'TIMESTAMP', nullable: false },
    { name: 'window_end', data: c.end, type: 'TIMESTAMP', nullable: false },
    { name: 'key', data: c.key, type: 'STRING', nullable: false },
    ...aggs.map(
      (a, i): ColumnSource =>
        ENGINE_AGGREGATIONS[a.op].integer
          ? { name: a.name, data: c.aggs[i].map((v) => BigInt(v ?? 0)), type: 'INT64', nullable: false }
          : { name: a.name, data: c.aggs[i], type: 'DOUBLE', nullable: true },
    ),
    ...(scored
      ? [
          { name: 'score', data: c.score, type: 'DOUBLE', nullable: true } as ColumnSource,
          // Comma-separated: "", "online", "batch" or "batch,online".
          { name: 'missing', data: c.missing, type: 'STRING', nullable: false } as ColumnSource,
          { name: 'snapshot_day', data: c.snapshotDay, type: 'STRING', nullable: true } as ColumnSource,
        ]
      : []),
    { name: 'emit_time', data: c.emit, type: 'TIMESTAMP', nullable: false },
  ];
}
