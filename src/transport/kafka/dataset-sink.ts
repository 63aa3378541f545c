import { Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../../core/errors.js';
import { partWriter, writeParts, type OutputTable } from '../../engine/log/partitioned.js';
import { readCommittedCorrectly } from './aborted-filter.js';
import { clientOptions } from './client-options.js';
import { type KafkaConnection } from './config.js';
import { atKafkaEdge } from './errors.js';
import { settledEnds } from './read-topic.js';
import { partitionCount } from './topics.js';

/**
 * `sat sink`: output topics into date-partitioned Parquet datasets, exactly once, the way Kafka
 * Connect's file sinks do it. It reads committed records only (read_committed), so what lands is what
 * the run's transactions committed. The offsets are the sink's state: each part is named by the
 * topic partition and the offset range it holds (part-<p>-<from>-<to>-<i>.parquet) and, after a
 * flush's parts are renamed into place, the next offset of each partition is saved in
 * <table>/_sat_sink.json (written aside, fsynced, renamed). A restart deletes the parts at or past
 * the saved offsets (a flush that died between its renames and its save) and hidden leftovers, and
 * reads on from the saved offsets: each record is in exactly one part.
 */
export interface DatasetSinkOptions {
  conn: KafkaConnection;
  tables: { table: OutputTable; topic: string }[];
  /** Each table goes to out/<table name>/date=YYYY-MM-DD/. */
  out: string;
  /** Keep reading (until stop) instead of ending at the offsets stable when it started. */
  follow: boolean;
  /** A flush after this many records, or this long after the first record not flushed. */
  flushRecords: number;
  flushMs: number;
  stop?: AbortSignal;
  log: (line: string) => void;
  /** Called after each record is taken (the kill switch of the crash tests). */
  onRecord?: () => void;
}

export interface SinkTableSummary {
  name: string;
  topic: string;
  /** Records written by this run, and part files (one per date per partition per flush). */
  records: number;
  parts: number;
  /** Next offset per partition after the last flush (the saved state). */
  next: number[];
}

interface State {
  topic: string;
  next: number[];
}

const STATE = '_sat_sink.json';
const PART = /^part-(\d+)-(\d+)-(\d+)-\d+\.parquet$/;

export function sinkToDataset(o: DatasetSinkOptions): Promise<SinkTableSummary[]> {
  return atKafkaEdge(() => run(o));
}

async function run(o: DatasetSinkOptions): Promise<SinkTableSummary[]> {
  const tables: (SinkTableSummary & { table: OutputTable; root: string; pending: Map<number, { from: number; to: number; rows: Buffer[] }> })[] = [];
  for (const { table, topic } of o.tables) {
    let partitions = await partitionCount(o.conn, topic);
    // Following a run that has not started yet: its output topics appear when it does.
    for (let said = false; partitions === undefined && o.follow && !o.stop?.aborted; said = true) {
      if (!said) o.log(`${topic}: waiting for the topic to be created (by sat run)`);
      await sleep(250);
      partitions = await partitionCount(o.conn, topic);
    }
    if (partitions === undefined) {
      o.log(`${topic}: no such topic, so no ${table.name} dataset`);
      continue;
    }
    const root = join(o.out, table.name);
    const state = readState(root, topic, partitions);
    trim(root, state.next);
    tables.push({ name: table.name, topic, records: 0, parts: 0, next: state.next, table, root, pending: new Map() });
  }
  if (tables.length === 0) return [];
  const byTopic = new Map(tables.map((t) => [t.topic, t]));

  const consumer = readCommittedCorrectly(new Consumer({ ...clientOptions(o.conn, 'sat-sink'), groupId: `sat-sink-${process.pid}-${Date.now()}`, isolationLevel: FetchIsolationLevels.READ_COMMITTED, autocommit: false }));
  const writer = await partWriter();
  try {
    // Without --follow, the end is where a read_committed reader stood when the sink started.
    const ends = new Map<string, bigint[]>();
    if (!o.follow) for (const t of tables) ends.set(t.topic, await settledEnds(consumer, t.topic, t.next.map((_, p) => p), 60_000, o.log));
    const offsets = tables.flatMap((t) => t.next.map((next, partition) => ({ topic: t.topic, partition, offset: BigInt(next) })));
    const stream = await consumer.consume({ topics: tables.map((t) => t.topic), mode: 'manual', offsets, autocommit: false, isolationLevel: FetchIsolationLevels.READ_COMMITTED, maxWaitTime: 100 });
    let pendingRecords = 0;
    let firstPending = 0;
    stream.on('data', (m) => {
      const t = byTopic.get(m.topic)!;
      const end = ends.get(m.topic)?.[m.partition];
      if (end !== undefined && m.offset >= end) return;
      const offset = Number(m.offset);
      const run = t.pending.get(m.partition);
      if (run) {
        run.rows.push(m.value);
        run.to = offset + 1;
      } else t.pending.set(m.partition, { from: offset, to: offset + 1, rows: [m.value] });
      if (pendingRecords++ === 0) firstPending = performance.now();
      // Bounded memory: the stream waits while a flush catches up.
      if (pendingRecords >= 4 * o.flushRecords) stream.pause();
      o.onRecord?.();
    });
    const flush = async () => {
      const batch = tables.map((t) => ({ t, runs: t.pending }));
      for (const t of tables) t.pending = new Map();
      pendingRecords = 0;
      for (const { t, runs } of batch) {
        if (runs.size === 0) continue;
        for (const [p, r] of runs) {
          t.parts += await writeParts(writer.db, t.table, Buffer.concat(r.rows.flatMap((row) => [row, NEWLINE])), t.root, `part-${p}-${r.from}-${r.to}`);
          t.next[p] = r.to;
          t.records += r.rows.length;
        }
        saveState(t.root, { topic: t.topic, next: t.next });
      }
      if (stream.isPaused()) stream.resume();
    };
    const reached = () =>
      !o.follow &&
      tables.every((t) => t.next.every((_, p) => (stream.offsetsToFetch.get(`${t.topic}:${p}`) ?? 0n) >= (ends.get(t.topic)?.[p] ?? 0n))) &&
      stream.readableLength === 0;
    for (;;) {
      if (reached() || o.stop?.aborted) break;
      if (pendingRecords >= o.flushRecords || (pendingRecords > 0 && performance.now() - firstPending >= o.flushMs)) await flush();
      else await sleep(20);
    }
    await flush();
    await stream.close();
    return tables.map(({ name, topic, records, parts, next }) => ({ name, topic, records, parts, next }));
  } finally {
    writer.close();
    await (consumer.close(true) as unknown as Promise<void>).catch(() => undefined);
  }
}

const NEWLINE = Buffer.from('\n');

function readState(root: string, topic: string, partitions: number): State {
  const file = join(root, STATE);
  if (!existsSync(file)) {
    if (existsSync(root) && readdirSync(root).some((n) => n.startsWith('date='))) throw new UsageError(`${root} holds parts but no ${STATE}: it was not written by sat sink (choose another --out)`);
    return { topic, next: Array.from({ length: partitions }, () => 0) };
  }
  let state: State;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as State;
  } catch (e) {
    throw new UsageError(`${file}: not a sat sink state (${(e as Error).message})`);
  }
  if (state.topic !== topic) throw new UsageError(`${root} holds the topic ${state.topic}, not ${topic}: choose another --out`);
  if (state.next.length > partitions) throw new UsageError(`${file}: ${state.next.length} partitions saved, but ${topic} has ${partitions}`);
  // Partitions added to the topic since start from the beginning.
  return { topic, next: Array.from({ length: partitions }, (_, p) => state.next[p] ?? 0) };
}

/** Writes the state aside, fsyncs it and renames it over the old one: a crash leaves one or the other. */
function saveState(root: string, state: State): void {
  mkdirSync(root, { recursive: true });
  const tmp = join(root, `.${STATE}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(root, STATE));
}

/** Deletes the parts at or past each partition's saved offset, and hidden leftovers (staging folders, a state not renamed). */
function trim(root: string, next: number[]): void {
  if (!existsSync(root)) return;
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const full = join(root, e.name);
    if (e.name.startsWith('.')) rmSync(full, { recursive: true, force: true });
    else if (e.isDirectory()) trim(full, next);
    else {
      const m = PART.exec(e.name);
      if (m && Number(m[2]) >= (next[Number(m[1])] ?? 0)) rmSync(full, { force: true });
    }
  }
}
