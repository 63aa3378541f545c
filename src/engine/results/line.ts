import type { Scenario } from '../../scenario/types.js';
import type { ScoredResult } from '../join/scorer.js';
import type { WindowResult } from '../operator.js';
import { aggAt, scoreAt, type ResultChunk } from './chunk.js';

/**
 * A result's JSON line: window bounds as ISO timestamps, aggregates by name, emit time. Built by
 * hand: it runs once per result, and JSON.stringify of a fresh object costs 3x more. Two entry
 * points, one format: a result object (the Kafka outputs) and a row of result columns (the results
 * thread, results/thread.ts); both go through the parts below, and a test holds them equal.
 */
export function resultLine(r: WindowResult | ScoredResult, aggs: Scenario['aggregations'], emitIso: string, iso: (ms: number) => string = isoOf): string {
  let line = head(iso(r.windowStart), iso(r.windowEnd), r.key);
  const names = quotedNames(aggs);
  for (let i = 0; i < aggs.length; i++) line += `${names[i]}${r.values[aggs[i].name] ?? 'null'}`;
  if ('score' in r) line += scoredPart(r.score, r.missing, r.snapshotDay);
  return tail(line, emitIso);
}

/** Row i of result columns as its JSON line (the same text resultLine makes of that result). */
export function rowLine(c: ResultChunk, i: number, names: readonly string[], scored: boolean, emitIso: string, iso: (ms: number) => string): string {
  let line = head(iso(c.start[i]), iso(c.end[i]), c.key[i]);
  for (let j = 0; j < names.length; j++) line += `${names[j]}${aggAt(c, j, i) ?? 'null'}`;
  // The columns hold `missing` comma-joined (as the Parquet file does): its names have no comma.
  if (scored) line += scoredPart(scoreAt(c, i), c.missing[i] === '' ? [] : c.missing[i].split(','), c.snapshotDay[i]);
  return tail(line, emitIso);
}

function head(startIso: string, endIso: string, key: string): string {
  return `{"window_start":"${startIso}","window_end":"${endIso}","key":${JSON.stringify(key)}`;
}

function scoredPart(score: number | null, missing: string[], snapshotDay: string | null): string {
  return `,"score":${score ?? 'null'},"missing":${JSON.stringify(missing)},"snapshot_day":${snapshotDay === null ? 'null' : `"${snapshotDay}"`}`;
}

function tail(line: string, emitIso: string): string {
  return `${line},"emit_time":"${emitIso}"}`;
}

const isoOf = (ms: number) => new Date(ms).toISOString();

const quoted = new WeakMap<readonly Pick<Scenario['aggregations'][number], 'name'>[], string[]>();
/** `,"name":` of each aggregation, made once per list. */
export function quotedNames(aggs: readonly Pick<Scenario['aggregations'][number], 'name'>[]): string[] {
  let q = quoted.get(aggs);
  if (q === undefined) quoted.set(aggs, (q = aggs.map((a) => `,${JSON.stringify(a.name)}:`)));
  return q;
}
