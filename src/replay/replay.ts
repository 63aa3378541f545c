import { invocation } from '../core/invocation.js';
import { describeInput } from './input-facts.js';
import { mkdirSync, rmSync } from 'node:fs';
import { claimWorkdir, lockWorkdir, writeJsonAtomic } from '../core/workdir-guard.js';
import { SatError, UsageError } from '../core/errors.js';

/** One open file per partition: beyond this the process runs out of file descriptors (EMFILE). */
const MAX_LOG_PARTITIONS = 1024;
import { join, resolve } from 'node:path';
import { partitionForBytes, partitionForKey, partitionForRange } from '../core/murmur2.js';
import { paths, replayFiles, replayParts, type Shard } from '../core/workdir.js';
import type { FaultMix, Scenario } from '../scenario/types.js';
import { openSource, type SourceOverrides } from '../sources/index.js';
import type { Outgoing, SpilledBytes } from './convert.js';
import { placeBoundaryProbes } from './faults/boundary.js';
import { FaultPlan, type Delivery, type PlanInput, type PlanSummary } from './faults/plan.js';
import { scanSource, spilledInput, type ScanProgress, type Scanned } from './stream/scan.js';
import { removeSpill, SpillWriter } from './stream/spill.js';
import { LedgerWriter, type LedgerEntry } from './ledger.js';
import { logSink } from '../transport/log/sink.js';
import type { RecordSink } from '../transport/types.js';
import { PackedWriter } from '../transport/packed-records.js';
import { Latency, type LatencySummary } from '../report/latency.js';
import { quantiles, type MetricsSink } from '../report/metrics.js';
import type { Encoding } from '../sources/lines.js';
import { pace, realClock, type PaceProgress, type PaceResult } from './pace/pacer.js';
import { constantRate, eventTimeSchedule, type Schedule } from './pace/schedule.js';

export interface ReplayOptions extends SourceOverrides {
  file: string;
  scenario: Scenario;
  dir: string;
  /** Records per second; 0 = as fast as possible. */
  rate: number;
  seed: number;
  mix: FaultMix;
  partitions: number;
  /** Where to send: the embedded log in --dir (default) or a Kafka sink made by the caller. */
  sink?: (partitions: number, shard?: Shard) => Promise<RecordSink>;
  /** For the summary: the transport, as verify needs it to find outputs. */
  transport?: TransportInfo;
  /** A rate profile instead of the constant --rate. */
  profile?: Schedule;
  /** Send with the gaps of the records' own event times divided by this (instead of a rate). */
  speedup?: number;
  /** Bounds: stop after this many records, or when the schedule (wall time if unpaced) reaches this. */
  maxRecords?: number;
  durationMs?: number;
  /** The first ms are sent but left out of the rate and latency figures. */
  warmupMs?: number;
  progress?: (p: PaceProgress) => void;
  /** Marks each batch sent and acknowledged (the progress line's "waiting for the broker"). */
  acks?: { sending(now: number): number; acked(token: number): void };
  /** While the file is read and ordered, before the first send: rows read so far, every second. */
  reading?: (p: ScanProgress) => void;
  /** Publishes live figures (sat replay --metrics-port). */
  metrics?: MetricsSink;
  /** SIGINT/SIGTERM: stop sending; the ledger and the stream end at what was sent. */
  signal?: AbortSignal;
  /** This process sends only its share of the keys (Kafka only; verify merges the ledgers). */
  shard?: Shard;
}

export type TransportInfo = { kind: 'log' } | { kind: 'kafka'; brokers: string[]; topic: string };

export interface ReplaySummary extends PlanSummary {
  /** False while sending: sat run may start early (it needs the scenario), sat verify may not. */
  finished: boolean;
  file: string;
  /** A folder's files, in listing order: row r is in files[floor(r / 2^32)] (sources/dataset.ts). */
  files?: string[];
  format: string;
  scenario: string;
  scenarioPath: string;
  /** The file's header, or null: columns in scenario order. */
  header: string[] | null;
  /** How the file was read (CSV/TSV), so that verify's own reader reads it alike. */
  quote: boolean;
  encoding: Encoding;
  seed: number;
  rate: number;
  partitions: number;
  transport: TransportInfo;
  sentTo: string;
  mix: FaultMix;
  malformedKinds: Record<string, number>;
  elapsedMs: number;
  recordsPerSecond: number;
  /** Set when this replay is one of several sharing the dataset. */
  shard?: Shard;
  /** The command line that made this replay (provenance in verify's report). */
  command?: string;
  /** The input's size in bytes, and for a single file its SHA-256 (a folder's files are not hashed). */
  input?: { bytes: number; files: number; sha256?: string };
  /** What paced the sends: a rate, a profile, event time, or as fast as possible. */
  schedule?: string;
  stoppedBy?: PaceResult['stoppedBy'];
  /** Mean records/s the schedule asked for over the measured seconds (0: unpaced). */
  targetRate?: number;
  achievedRate?: number;
  /** Worst |sent - due| / due over any whole second after warm-up, in percent. */
  worstSecondErrorPct?: number | null;
  /** The longest a record went out after its intended send time. */
  behindScheduleMs?: number;
  /** Send-to-acknowledgement, from the intended send time when paced (ms). */
  latency?: LatencySummary;
  /** With a profile: the same per phase. */
  latencyByPhase?: ({ phase: number; rate: string; fromMs: number; toMs: number } & LatencySummary)[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

const enc = new TextEncoder();
const now = () => performance.timeOrigin + performance.now();

/**
 * Clears what an earlier run left, so a new replay never mixes with old results. A shard clears only
 * its own part (and an unsharded replay's summary): the other shards are writing theirs beside it.
 */
function resetWorkdir(dir: string, shard?: Shard): void {
  mkdirSync(dir, { recursive: true });
  const own = replayFiles(dir, shard);
  const stale = shard ? [own.replay, own.ledger, own.latency, paths(dir).replay, paths(dir).ledger] : [...Object.values(paths(dir)), ...replayParts(dir).flatMap((x) => [x.replay, x.ledger])];
  for (const f of stale) rmSync(f, { recursive: true, force: true });
}

/** Which shard a source row belongs to: by key (Kafka's murmur2), keyless rows by row number. */
function shardOf(item: Outgoing, count: number): number {
  return item.key === null ? item.row % count : partitionForKey(item.key, count);
}

/** Reads a file, orders it by event time, injects faults, and sends it to the embedded log at a rate. */
export async function replay(o: ReplayOptions): Promise<ReplaySummary> {
  claimWorkdir(o.dir, [o.file]);
  lockWorkdir(o.dir, o.shard ? `replay.shard-${o.shard.index}-of-${o.shard.count}` : 'replay', 'sat replay');
  if (!o.sink && o.partitions > MAX_LOG_PARTITIONS) throw new UsageError(`--partitions ${o.partitions}: the embedded log keeps a file open per partition; at most ${MAX_LOG_PARTITIONS} (use Kafka for more)`);
  const { source, format, files } = openSource(o.file, o.scenario, o, o.shard);
  const shard = o.shard;
  // The records wait on disk, not in memory: replay keeps a few numbers per record (stream/scan.ts).
  mkdirSync(o.dir, { recursive: true });
  const spillPath = join(o.dir, shard ? `.replay-spill-${shard.index}-of-${shard.count}` : '.replay-spill');
  let input: ReturnType<typeof spilledInput> | undefined;
  try {
    let scanned: Scanned;
    try {
      scanned = await scanSource(source, o.scenario, new SpillWriter(spillPath), shard ? (it) => shardOf(it, shard.count) === shard.index - 1 : undefined, o.reading);
    } catch (e) {
      if (e instanceof SatError || typeof (e as NodeJS.ErrnoException).code === 'string') throw e;
      // The reader's own complaint (a CSV given --format parquet, a truncated Parquet file), named.
      throw new UsageError(`${o.file}: cannot be read as ${format} (${(e as Error).message})`);
    }
    if (o.signal?.aborted) throw new SatError('replay interrupted while reading its input: nothing was sent, the working directory is as it was', 130);
    input = spilledInput(scanned, spillPath);
    return await send(o, format, scanned.header, input, shard, files);
  } finally {
    input?.close();
    removeSpill(spillPath);
  }
}

/** Plans the faults and sends the deliveries at the schedule's pace, writing the ledger as they are acknowledged. */
async function send(o: ReplayOptions, format: string, header: string[] | null, input: PlanInput, shard: Shard | undefined, files: string[] | undefined): Promise<ReplaySummary> {
  const plan = new FaultPlan(input, o.scenario, o.mix, o.seed);
  resetWorkdir(o.dir, shard);
  const p = paths(o.dir);
  const own = replayFiles(o.dir, shard);
  const sink = o.sink ? await o.sink(o.partitions, shard) : logSink(p.log, o.partitions);
  const partitions = sink.partitions;
  // Boundary probes look ahead for the record that moves the watermark where they need it, and a
  // schedule by event time needs every send's time: both take the plan whole, in memory. Otherwise
  // each delivery is made as it is sent.
  let take: () => Delivery;
  let total = plan.total;
  let boundary: { probes: PlanSummary['boundaryProbes']; notApplicable: number } | undefined;
  let times: (number | undefined)[] | undefined;
  if (o.mix.boundary > 0 || o.speedup) {
    const planned: Delivery[] = [];
    for (let d = plan.next(); d !== undefined; d = plan.next()) planned.push(d);
    // Boundary probes need the watermark's scope: one over the embedded log, one per Kafka partition.
    const scopeOf = o.transport?.kind === 'kafka' ? (d: Delivery) => (d.item.key === null ? 0 : partitionForKey(d.item.key, partitions)) : () => 0;
    const probed = placeBoundaryProbes(planned, o.scenario, o.mix.boundary, o.seed, scopeOf);
    boundary = { probes: probed.probes, notApplicable: probed.notApplicable };
    const deliveries = probed.deliveries;
    total = deliveries.length;
    times = o.speedup ? deliveries.map((d) => d.item.eventTime) : undefined;
    let next = 0;
    take = () => deliveries[next++];
  } else {
    take = () => plan.next()!;
  }
  const faults: PlanSummary['faults'] = { none: 0, malformed: 0, late: 0, duplicate: 0, 'out-of-order': 0, source: 0, boundary: 0 };
  const summary: PlanSummary = { read: input.n, sent: total, faults, notApplicable: plan.notApplicable, ...(boundary ? { boundaryProbes: boundary.probes } : {}) };
  const describe = (finished: boolean, elapsedMs: number): ReplaySummary => ({
    finished,
    ...summary,
    notApplicable: { ...plan.notApplicable, ...(boundary ? { boundary: boundary.notApplicable } : {}) },
    file: resolve(o.file),
    ...(files && { files: files.map((f) => resolve(f)) }),
    format,
    scenario: o.scenario.name,
    scenarioPath: resolve(o.scenario.path),
    header,
    quote: o.quote ?? o.scenario.source.quote,
    encoding: o.encoding ?? o.scenario.source.encoding,
    seed: o.seed,
    rate: o.rate,
    partitions,
    transport: o.transport ?? { kind: 'log' },
    shard,
    command: invocation(),
    sentTo: sink.describe,
    mix: o.mix,
    malformedKinds,
    elapsedMs: Math.round(elapsedMs),
    recordsPerSecond: Math.round(total / Math.max(elapsedMs / 1000, 1e-9)),
  });
  // Hashed while it is replayed (a second read, streamed), so the report can name exactly what was sent.
  const inputFacts = describeInput(files ?? [o.file]);
  inputFacts.catch(() => undefined);
  const ledger = new LedgerWriter(own.ledger);
  const entry: LedgerEntry = { seq: 0, row: 0, partition: 0, offset: 0, key: null, keyAt: 0, keyLength: 0, eventTime: undefined, id: null, idAt: 0, idLength: 0, fault: 'none', detail: '', scheduledTime: 0, sendTime: 0 };
  let bytesPerRecord = 128;
  const malformedKinds: Record<string, number> = {};
  // Until it has finished, the summary claims nothing sent.
  writeJsonAtomic(own.replay, { ...describe(false, 0), sent: 0, recordsPerSecond: 0 });
  const schedule = times ? eventTimeSchedule(times, o.speedup!) : (o.profile ?? constantRate(o.rate));
  const paced = schedule.meanRate > 0;
  const latency = new Latency('replay send-to-ack');
  // Records intended (or sent, unpaced) before this are left out of the latency figures.
  const paceStart = now();
  const warmupEnd = paceStart + (o.warmupMs ?? 0);
  // A profile's figures also per phase.
  const byPhase = schedule.phases && schedule.phaseAt ? schedule.phases.map((ph) => new Latency(`replay send-to-ack, ${ph.name}`)) : undefined;
  const sent: Record<string, number> = {};
  let paceResult: PaceResult | undefined;
  let live: PaceProgress | undefined;
  let batches = 0;
  const m = o.metrics;
  m?.gauge('records_sent', 'Records sent so far', () => live?.sent ?? 0);
  m?.gauge('current_rate', 'Records sent in the last full second', () => live?.currentRate ?? 0);
  m?.gauge('target_rate', 'Records the schedule asked for in the last full second (0: unpaced)', () => live?.targetRate ?? 0);
  m?.gauge('behind_schedule_ms', 'How long after its intended send time the newest batch went out', () => live?.lagMs ?? 0);
  m?.gauge('faults_sent', 'Records sent, by fault kind', () => ({ ...sent }), 'fault');
  m?.gauge('latency_ms', 'Send-to-ack latency (from the intended send time when paced)', () => quantiles(latency.summary()), 'quantile');
  try {
    paceResult = await pace({
      schedule,
      total,
      maxRecords: o.maxRecords,
      durationMs: o.durationMs,
      signal: o.signal,
      warmupMs: o.warmupMs,
      batchSize: 1000,
      // Paced, up to 16 batches await their acknowledgement while the schedule goes on (the Kafka
      // sink's next request takes all that waits, as the Java producer's accumulator does).
      // Unpaced, as many as the sink says keep it busy (the Kafka sink's own thread encodes and waits
      // on the broker while this one plans the next batches).
      maxInFlight: paced ? 16 : (sink.unpacedInFlight ?? 1),
      clock: realClock,
      progress: (p) => {
        live = p;
        o.progress?.(p);
      },
      send: async (from, to, intended, sendTime) => {
        const n = to - from;
        // Packed straight from the records' bytes (no object per record); room for about as many bytes
        // a record as the last batch had.
        const packed = new PackedWriter(n, Math.ceil(bytesPerRecord * n * 1.25) + 1024);
        const made: Delivery[] = [];
        // Each record's partition, for the ledger (the packed buffer moves to the producer's thread).
        const partitionOf = new Int32Array(n);
        for (let k = 0; k < n; k++) {
          const d = take();
          made.push(d);
          const item = d.item;
          const payload = d.payload;
          let partition = 0;
          if (item.src !== undefined) {
            // A record read back from the spill: its key and value are ranges of its read buffer.
            const r = item as Outgoing & SpilledBytes;
            const src = r.src;
            const key = r.keyLength < 0 ? null : src;
            if (key !== null) partition = partitionForRange(src, r.keyAt, r.keyLength, partitions);
            if (payload !== undefined) packed.add(partition, sendTime, key, r.keyAt, r.keyLength, payload, 0, payload.length);
            else packed.add(partition, sendTime, key, r.keyAt, r.keyLength, src, r.at, r.length);
          } else {
            // A missing-key corruption is still produced with its key, as a producer would: only the value is bad.
            const key = item.key === null ? null : enc.encode(item.key);
            const value = payload ?? enc.encode(item.payload);
            if (key !== null) partition = partitionForBytes(key, partitions);
            packed.add(partition, sendTime, key, 0, key?.length ?? 0, value, 0, value.length);
          }
          partitionOf[k] = partition;
          if (d.fault === 'malformed') malformedKinds[d.detail] = (malformedKinds[d.detail] ?? 0) + 1;
          sent[d.fault] = (sent[d.fault] ?? 0) + 1;
        }
        if (n > 0) bytesPerRecord = packed.dataBytes / n;
        const token = o.acks?.sending(performance.now());
        const offsets = await sink.send(packed.finish(), n, from);
        if (token !== undefined) o.acks!.acked(token);
        const acked = now();
        // Let timers and I/O in now and then, even when sending flat out: the ledger's file stream (which
        // otherwise holds every line in memory, unopened), the progress line, a signal, a metrics scrape.
        if (++batches % 8 === 0) {
          await new Promise(setImmediate);
          await ledger.drained();
        }
        for (let k = 0; k < n; k++) {
          const seq = from + k;
          const d = made[k];
          // From the intended send time when paced: a stall delays every record behind it, and they all count.
          const start = paced ? intended[k] : sendTime;
          if (start >= warmupEnd) {
            latency.record(acked - start);
            // The phase of the record's place in the schedule (not of the wall clock: start-up under load shifts that).
            if (byPhase) byPhase[schedule.phaseAt!(schedule.timeOf(seq))]?.record(acked - start);
          }
          // One entry object filled in for every line (the ledger copies what it writes).
          const e = entry;
          const item = d.item;
          // Sharded, sequence numbers interleave so the merged ledgers stay unique.
          e.seq = shard ? seq * shard.count + shard.index - 1 : seq;
          e.row = item.row;
          e.partition = partitionOf[k];
          e.offset = offsets[k];
          if (item.src !== undefined) {
            // The bytes where the record has them (read back from the spill): no text decoded per record.
            const r = item as Outgoing & SpilledBytes;
            e.key = r.keyLength < 0 ? null : r.src;
            e.keyAt = r.keyAt;
            e.keyLength = r.keyLength;
            e.id = r.idLength < 0 ? null : r.src;
            e.idAt = r.idAt;
            e.idLength = r.idLength;
          } else {
            e.key = item.key;
            e.id = item.id;
          }
          e.eventTime = d.eventTime ?? item.eventTime;
          e.fault = d.fault;
          e.detail = d.fault === 'source' ? (item.problem ?? '') : d.detail;
          e.scheduledTime = paced ? intended[k] : sendTime;
          e.sendTime = sendTime;
          ledger.add(e);
        }
      },
    });
    await sink.finish();
  } finally {
    await sink.close();
    await ledger.close();
  }
  latency.save(own.latency);
  const result = describe(true, paceResult.elapsedMs);
  result.input = await inputFacts;
  const faultsSent = Object.fromEntries(Object.keys(summary.faults).map((k) => [k, sent[k] ?? 0])) as PlanSummary['faults'];
  Object.assign(result, {
    sent: paceResult.sent,
    faults: faultsSent,
    recordsPerSecond: Math.round(paceResult.sent / Math.max(paceResult.elapsedMs / 1000, 1e-9)),
    schedule: schedule.describe,
    stoppedBy: paceResult.stoppedBy,
    targetRate: round1(paceResult.targetRate),
    achievedRate: round1(paceResult.achievedRate),
    worstSecondErrorPct: paceResult.worstSecondErrorPct === null ? null : round1(paceResult.worstSecondErrorPct * 100) / 100,
    behindScheduleMs: round1(paceResult.behindScheduleMs),
    latency: latency.summary(),
    latencyByPhase: byPhase && schedule.phases!.map((ph, k) => ({ phase: k + 1, rate: ph.name, fromMs: ph.fromMs, toMs: ph.toMs, ...byPhase[k].summary() })),
  });
  writeJsonAtomic(own.replay, result);
  return result;
}
