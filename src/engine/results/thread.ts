import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parentPort, workerData } from 'node:worker_threads';
import { Bytes } from '../../core/byte-buffer.js';
import { writeAll } from '../../core/fs-errors.js';
import { cachedIso } from '../../core/time.js';
import type { Aggregation } from '../../scenario/types.js';
import { ChunkBuilder, type ResultChunk } from './chunk.js';
import { quotedNames, writeRowLine } from './line.js';
import { ParquetResults } from './parquet.js';
import { SIDE_NAMES, sideLines, type SideBatch, type SideName } from './side.js';
import type { ResultsAnswer, ResultsFailure, ResultsMessage, ResultsThreadData } from './sink.js';
import type { SinkState } from '../sinks.js';

/**
 * The results thread: the engine hands over result rows as columns; this thread makes their JSON
 * lines, appends them to results.jsonl (through the descriptor the engine opened, truncated to the
 * checkpoint on resume, and closes at the end) and encodes them into the Parquet file's row groups.
 * Messages are handled in the order sent, so the length answered to a `sync` is the file
 * through exactly the rows handed over before it: what the engine's checkpoint records. The first
 * failure is kept: answered to every sync and at the end, and sent at once so the engine stops.
 * The side outputs' rows (late records, dead letters, alerts) come the same way and are appended to
 * their files, whose lengths are answered with the results'.
 */
const o = workerData as ResultsThreadData;
const names = quotedNames(o.aggs as Pick<Aggregation, 'name'>[]);
const iso = cachedIso();
const written = new Int32Array(o.progress);
let bytes = o.resume?.bytes ?? 0;
let count = o.resume?.count ?? 0;
let failed: ResultsFailure | undefined;
const side = o.side && (Object.fromEntries(SIDE_NAMES.map((n) => [n, { bytes: o.side![n].resume?.bytes ?? 0, count: o.side![n].resume?.count ?? 0 }])) as Record<SideName, SinkState>);
// Resumed from a checkpoint, the Parquet file is rebuilt from the JSONL at the end instead.
const parquet = o.resume ? undefined : new ParquetResults(o.parquetPath, o.aggs, o.scored);

function attempt(f: () => void, file = o.jsonlPath): void {
  if (failed) return;
  try {
    f();
  } catch (e) {
    failed = failure(e, file);
    answer({ failed });
  }
}

/** What the engine's thread needs to raise the same error (FileSystemError names its file and errno). */
function failure(e: unknown, file: string): ResultsFailure {
  const err = e as Error & { code?: unknown; file?: unknown };
  return { message: err.message, code: typeof err.code === 'string' ? err.code : undefined, file: typeof err.file === 'string' ? err.file : file };
}

function answer(a: ResultsAnswer): void {
  parentPort!.postMessage(a);
}

/** The lines of a hand-over, written as they are made (one text of them all cost twice as much to flatten and encode). */
const lines = new Bytes(1 << 20);

function append(rows: ResultChunk): void {
  const n = rows.n;
  lines.reset();
  let emitMs = NaN;
  let emitIso = '';
  for (let i = 0; i < n; i++) {
    if (rows.emit[i] !== emitMs) emitIso = iso((emitMs = rows.emit[i]));
    writeRowLine(lines, rows, i, names, o.scored, emitIso, iso);
    lines.u8(10);
  }
  const data = lines.view();
  writeAll(o.fd, data, o.jsonlPath);
  bytes += data.length;
  count += n;
  parquet?.add(rows);
}

function appendSide(b: SideBatch, name: SideName): void {
  const { data, rows } = sideLines(b, name);
  if (rows === 0) return;
  writeAll(o.side![name].fd, data, o.side![name].path);
  side![name].bytes += data.length;
  side![name].count += rows;
}

/** The lengths answered to a sync and at the end. */
function lengths(): ResultsAnswer {
  return { bytes, count, side: side && (Object.fromEntries(SIDE_NAMES.map((n) => [n, { ...side[n] }])) as Record<SideName, SinkState>), failed };
}

/** After a resume: the Parquet results again from the whole JSONL, a row group at a time. */
async function rebuildParquet(): Promise<void> {
  const p = new ParquetResults(o.parquetPath, o.aggs, o.scored);
  const rows = new ChunkBuilder(o.aggs.length, o.scored, 4096);
  for await (const line of createInterface({ input: createReadStream(o.jsonlPath), crlfDelay: Infinity })) {
    if (line === '') continue;
    const r = JSON.parse(line) as Record<string, unknown> & { window_start: string; window_end: string; key: string; emit_time: string };
    const i = rows.row(Date.parse(r.window_start), Date.parse(r.window_end), r.key, Date.parse(r.emit_time));
    o.aggs.forEach((a, j) => rows.agg(j, i, (r[a.name] as number | null) ?? null));
    if (o.scored) rows.scoredRow(i, (r.score as number | null) ?? null, ((r.missing as string[]) ?? []).join(','), (r.snapshot_day as string | null) ?? null);
    if (i + 1 >= 4096) p.add(rows.take());
  }
  p.add(rows.take());
  p.finish();
}

async function finish(): Promise<void> {
  if (!failed) {
    try {
      if (parquet) parquet.finish();
      else await rebuildParquet();
    } catch (e) {
      failed = failure(e, o.parquetPath);
    }
  }
  answer(lengths());
  parentPort!.close();
}

parentPort!.on('message', (m: ResultsMessage) => {
  if (m.rows) attempt(() => append(m.rows!));
  if (m.side) for (const name of SIDE_NAMES) attempt(() => appendSide(m.side!, name), o.side![name].path);
  if (m.rows || m.side) Atomics.add(written, 0, 1);
  if (m.sync) answer(lengths());
  if (m.finish) void finish();
});
