import type { Bytes } from '../../core/byte-buffer.js';
import type { Scenario } from '../../scenario/types.js';
import type { ScoredResult } from '../join/scorer.js';
import type { WindowResult } from '../operator.js';
import { aggAt, missingAt, scoreAt, snapshotDayAt, type ResultChunk } from './chunk.js';

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

/**
 * The same line written as bytes, piece by piece, into `out` (no newline): a line built as a text and
 * then encoded cost the results thread twice as much (the concatenation flattened, then a call into
 * the runtime per line). From a result object (the Kafka outputs' record batches) or a row of result
 * columns (the results thread); a test holds both equal to resultLine.
 */
export function writeResultLine(out: Bytes, r: WindowResult | ScoredResult, aggs: Scenario['aggregations'], emitIso: string, iso: (ms: number) => string): void {
  writeHead(out, iso(r.windowStart), iso(r.windowEnd), r.key);
  const names = quotedNames(aggs);
  for (let j = 0; j < aggs.length; j++) writeValue(out, names[j], (r.values[aggs[j].name] as number | null | undefined) ?? null);
  if ('score' in r) writeScored(out, r.score, r.missing.join(','), r.snapshotDay);
  writeTail(out, emitIso);
}

export function writeRowLine(out: Bytes, c: ResultChunk, i: number, names: readonly string[], scored: boolean, emitIso: string, iso: (ms: number) => string): void {
  writeHead(out, iso(c.start[i]), iso(c.end[i]), c.key[i]);
  for (let j = 0; j < names.length; j++) writeValue(out, names[j], aggAt(c, j, i));
  if (scored) writeScored(out, scoreAt(c, i), missingAt(c, i), snapshotDayAt(c, i));
  writeTail(out, emitIso);
}

function writeHead(out: Bytes, startIso: string, endIso: string, key: string): void {
  out.text('{"window_start":"');
  out.text(startIso);
  out.text('","window_end":"');
  out.text(endIso);
  out.text('","key":');
  out.jsonString(key);
}

/** `,"name":` and the value. */
function writeValue(out: Bytes, quotedName: string, v: number | null): void {
  out.text(quotedName);
  if (v === null) out.text('null');
  else out.numberText(v);
}

/** `missing` comma-joined (as the columns and the Parquet file hold it): its names ("batch", "online") have no comma and nothing JSON escapes. */
function writeScored(out: Bytes, score: number | null, missing: string, snapshotDay: string | null): void {
  writeValue(out, ',"score":', score);
  out.text(missing === '' ? ',"missing":[]' : `,"missing":["${missing.replaceAll(',', '","')}"]`);
  if (snapshotDay === null) out.text(',"snapshot_day":null');
  else {
    out.text(',"snapshot_day":"');
    out.text(snapshotDay);
    out.u8(0x22);
  }
}

function writeTail(out: Bytes, emitIso: string): void {
  out.text(',"emit_time":"');
  out.text(emitIso);
  out.text('"}');
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
