import type { Scenario } from '../../scenario/types.js';
import type { Source } from '../../sources/types.js';
import type { Outgoing } from '../convert.js';
import { toOutgoing } from '../convert.js';
import type { PlanInput } from '../faults/plan.js';
import { Growing } from '../../core/growing.js';
import { SpillReader, spillOffsets, type SpillWriter } from './spill.js';


/** What replay keeps of a file once read: a few numbers per record, the records themselves spilled. */
export interface Scanned {
  n: number;
  /** Event time of the k-th record in event-time order, NaN where none. */
  eventTime: Float64Array;
  problem: Uint8Array;
  /** Spill offsets in event-time order; undefined when the file was in that order already (read straight through). */
  offsets?: Float64Array;
  /** Where the spill's segment files start (SpillWriter.segments). */
  segments: number[];
  header: string[] | null;
}

export interface ScanProgress {
  phase: 'read' | 'sort';
  rows: number;
}

/**
 * Reads the source once, typing each row (toOutgoing) and spilling it, and orders it by event time
 * (stable; a record without a time keeps its place after its predecessor). A file already in that
 * order, as every `sat gen` stream is, is not sorted at all.
 */
export async function scanSource(source: Source, s: Scenario, spill: SpillWriter, keep?: (o: Outgoing) => boolean, progress?: (p: ScanProgress) => void, progressEveryMs = 1000): Promise<Scanned> {
  // The file's row count sizes the arrays only when every row is kept: a shard keeps 1/n of them.
  const expected = keep === undefined ? await source.rows?.() : undefined;
  const eventTime = new Growing((n) => new Float64Array(n), expected);
  const problem = new Growing((n) => new Uint8Array(n), expected);
  let last = -Infinity;
  let ordered = true;
  // A record without a time sorts with its predecessor (t = the last time seen).
  let rows = 0;
  let reported = performance.now();
  let shown = false;
  for await (const batch of source.batches()) {
    for (const r of batch) {
      const o = toOutgoing(r, s);
      if (keep !== undefined && !keep(o)) continue;
      const t = o.eventTime ?? last;
      if (t < last) ordered = false;
      last = t;
      eventTime.push(o.eventTime ?? NaN);
      problem.push(o.problem !== undefined ? 1 : 0);
      spill.add(o);
    }
    rows += batch.length;
    if (progress && performance.now() - reported >= progressEveryMs) {
      reported = performance.now();
      shown = true;
      progress({ phase: 'read', rows });
    }
  }
  const header = await source.header();
  spill.close();
  const n = eventTime.n;
  const segments = spill.segments;
  if (ordered) return { n, eventTime: eventTime.done(), problem: problem.done(), segments, header };
  // Out of order: sort record numbers by (time, place). Only now are the times with the gaps filled
  // and the records' places in the spill needed, so an ordered file never holds them.
  // Said only where the reading was (a file that took under a second sorts in no time).
  if (shown) progress?.({ phase: 'sort', rows });
  const et = eventTime.done();
  const t = new Float64Array(n);
  let before = -Infinity;
  for (let i = 0; i < n; i++) t[i] = before = Number.isNaN(et[i]) ? before : et[i];
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => t[a] - t[b] || a - b);
  const pr = problem.done();
  const off = spillOffsets(spill.path, segments, n);
  return {
    n,
    eventTime: Float64Array.from(idx, (i) => et[i]),
    problem: Uint8Array.from(idx, (i) => pr[i]),
    offsets: Float64Array.from(idx, (i) => off[i]),
    segments,
    header,
  };
}

/** The plan's view of a scanned file: its arrays, and each record read back from the spill in order. */
export function spilledInput(x: Scanned, spillPath: string): PlanInput & { close(): void } {
  const offsets = x.offsets;
  const reader = new SpillReader(spillPath, x.segments, offsets !== undefined);
  return {
    n: x.n,
    eventTime: x.eventTime,
    problem: x.problem,
    item: offsets ? (k) => reader.at(offsets[k]) : () => reader.next(),
    close: () => reader.close(),
  };
}
