import { decodeStrings, encodeStrings, type StringColumn } from '../checkpoint/strings.js';
import type { WindowResult } from '../operator.js';
import type { InFlight } from './scorer.js';

/**
 * The fired windows being scored when a checkpoint is taken, as its file holds them: columns rather
 * than an object per result. At a million active customers a minute fires ~45k results, and one or
 * two such minutes are nearly always waiting for the online API; as objects they were copied to the
 * checkpoint writer's thread and written as JSON at every checkpoint (half of each changelog's bytes).
 */
export interface InFlightColumns {
  /** Per batch of fired windows: when it fired, and how many results it has (in order below). */
  firedAt: Float64Array;
  results: Uint32Array;
  /** The aggregations, in the order of `values`. */
  names: string[];
  windowStart: Float64Array;
  windowEnd: Float64Array;
  keys: StringColumn;
  /** Per result, per name: its value, and 1 in `nulls` where it is null. */
  values: Float64Array;
  nulls: Uint8Array;
}

/** One batch in columns, made once however many checkpoints hold it. */
type Part = Pick<InFlightColumns, 'windowStart' | 'windowEnd' | 'keys' | 'values' | 'nulls'>;
const parts = new WeakMap<InFlight, Part>();

/** The batches as a checkpoint's columns (new arrays: the checkpoint's writer may take them); undefined for none. */
export function inFlightColumns(batches: readonly InFlight[]): InFlightColumns | undefined {
  const held = batches.filter((b) => b.rows.length > 0);
  if (held.length === 0) return undefined;
  const names = Object.keys(held[0].rows[0].values);
  const ps = held.map((b) => {
    let p = parts.get(b);
    if (p === undefined) parts.set(b, (p = partOf(b.rows, names)));
    return p;
  });
  const n = held.reduce((s, b) => s + b.rows.length, 0);
  const w = names.length;
  const out: InFlightColumns = {
    firedAt: Float64Array.from(held, (b) => b.firedAt),
    results: Uint32Array.from(held, (b) => b.rows.length),
    names,
    windowStart: new Float64Array(n),
    windowEnd: new Float64Array(n),
    keys: { bytes: new Uint8Array(ps.reduce((s, p) => s + p.keys.bytes.length, 0)), ends: new Uint32Array(n) },
    values: new Float64Array(n * w),
    nulls: new Uint8Array(n * w),
  };
  let at = 0;
  let bytes = 0;
  for (const p of ps) {
    const m = p.windowStart.length;
    out.windowStart.set(p.windowStart, at);
    out.windowEnd.set(p.windowEnd, at);
    out.values.set(p.values, at * w);
    out.nulls.set(p.nulls, at * w);
    out.keys.bytes.set(p.keys.bytes, bytes);
    for (let i = 0; i < m; i++) out.keys.ends[at + i] = bytes + p.keys.ends[i];
    bytes += p.keys.bytes.length;
    at += m;
  }
  return out;
}

/** The batches a checkpoint's columns hold, as they were submitted. */
export function inFlightFromColumns(c: InFlightColumns): InFlight[] {
  const keys = decodeStrings(c.keys);
  const w = c.names.length;
  const out: InFlight[] = [];
  let i = 0;
  for (let b = 0; b < c.firedAt.length; b++) {
    const rows: WindowResult[] = [];
    for (const end = i + c.results[b]; i < end; i++) {
      const values: Record<string, number | null> = {};
      for (let j = 0; j < w; j++) values[c.names[j]] = c.nulls[i * w + j] === 1 ? null : c.values[i * w + j];
      rows.push({ windowStart: c.windowStart[i], windowEnd: c.windowEnd[i], key: keys[i], values });
    }
    out.push({ rows, firedAt: c.firedAt[b] });
  }
  return out;
}

function partOf(rows: readonly WindowResult[], names: string[]): Part {
  const n = rows.length;
  const w = names.length;
  const p: Part = { windowStart: new Float64Array(n), windowEnd: new Float64Array(n), keys: encodeStrings(rows.map((r) => r.key)), values: new Float64Array(n * w), nulls: new Uint8Array(n * w) };
  const copy = valuesCopier(names);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    p.windowStart[i] = r.windowStart;
    p.windowEnd[i] = r.windowEnd;
    copy(r.values, p.values, p.nulls, i * w);
  }
  return p;
}

type Copier = (v: Record<string, number | null>, values: Float64Array, nulls: Uint8Array, at: number) => void;
const copiers = new Map<string, Copier>();

/**
 * Copies a result's values into the columns, each read by its own name (a result's values object
 * has the same shape every time, so V8 loads them as named properties: a lookup by a name that
 * changes every iteration costs several times as much, at ~45k results a minute).
 */
function valuesCopier(names: string[]): Copier {
  const id = JSON.stringify(names);
  let c = copiers.get(id);
  if (c === undefined) {
    const lines = names.map((name, j) => `x = v[${JSON.stringify(name)}]; if (x === null || x === undefined) nulls[at + ${j}] = 1; else values[at + ${j}] = x;`);
    copiers.set(id, (c = new Function('v', 'values', 'nulls', 'at', `let x;\n${lines.join('\n')}`) as Copier));
  }
  return c;
}

/** What a checkpoint held in flight, whichever way its file holds it (older files: as objects). */
export function inFlightOf(cp: { inFlightColumns?: InFlightColumns; inFlight?: InFlight[] } | undefined): InFlight[] {
  if (cp?.inFlightColumns !== undefined) return inFlightFromColumns(cp.inFlightColumns);
  return cp?.inFlight ?? [];
}

/** How many batches of fired windows a checkpoint held in flight. */
export function inFlightCount(cp: { inFlightColumns?: InFlightColumns; inFlight?: InFlight[] }): number {
  return cp.inFlightColumns?.firedAt.length ?? cp.inFlight?.length ?? 0;
}
