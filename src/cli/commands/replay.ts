import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SatError, UsageError } from '../../core/errors.js';
import type { Shard } from '../../core/workdir.js';
import { replay } from '../../replay/replay.js';
import { faultCountsLine, faultMix } from '../../replay/faults/kinds.js';
import { loadScenario } from '../../scenario/load.js';
import type { SourceFormat } from '../../sources/index.js';
import type { Encoding } from '../../sources/lines.js';
import { latencyLine } from '../../report/latency.js';
import { serveMetrics } from '../../report/metrics.js';
import { loadRateProfile } from '../../replay/pace/profile-file.js';
import { say } from '../options.js';
import { brokersOf, connectionOf, type KafkaFlags } from './kafka-flags.js';
import { AckWatch, readingProgress, replayProgress } from '../progress.js';

export interface ReplayFlags extends KafkaFlags {
  dir: string;
  json?: boolean;
  scenario: string;
  rate: number;
  seed: number;
  partitions: number;
  /** The fault shares (replay/faults/kinds.ts), by their camel-cased flag names. */
  malformed?: number;
  late?: number;
  lateBy?: [number, number];
  duplicates?: number;
  outOfOrder?: number;
  boundary?: number;
  format?: SourceFormat;
  header?: 'auto' | 'yes' | 'no';
  quote?: boolean;
  encoding?: Encoding;
  topic?: string;
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4';
  profile?: string;
  speedup?: number;
  duration?: number;
  records?: number;
  warmup?: number;
  progress?: boolean;
  /** --rate was given explicitly (not the default). */
  rateGiven?: boolean;
  metricsPort?: number;
  shard?: Shard;
}

/** --shard i/n (parsed by its flag) splits a dataset among processes that write beside each other: Kafka only. */
function checkShard(shard: Shard | undefined, kafka: boolean): Shard | undefined {
  if (shard && !kafka) throw new UsageError('--shard needs Kafka (--brokers, --topic): the embedded log has a single writer');
  return shard;
}

export async function replayCommand(fileArg: string | undefined, f: ReplayFlags): Promise<number> {
  const scenario = loadScenario(f.scenario);
  const file = fileArg ?? generatedFile(scenario.source.generated, f.dir, scenario.name);
  const mix = faultMix(f as unknown as Record<string, unknown>, scenario.faults);
  let kafka: Pick<Parameters<typeof replay>[0], 'sink' | 'transport'> = {};
  let ensureBroker = async () => undefined as void;
  const brokers = brokersOf(f);
  if (brokers !== undefined || f.topic !== undefined) {
    if (brokers === undefined || f.topic === undefined) throw new UsageError('--brokers and --topic go together');
    const { ensureReachable } = await import('../../transport/kafka/config.js');
    const { kafkaSink } = await import('../../transport/kafka/sink-thread.js');
    const conn = connectionOf(f, brokers);
    ensureBroker = () => ensureReachable(conn);
    const topic = f.topic;
    const log = (line: string) => process.stderr.write(`\nsat replay: ${line}\n`);
    kafka = { sink: (n, shard) => kafkaSink(conn, topic, n, f.compression ?? 'lz4', shard, log), transport: { kind: 'kafka', brokers: conn.brokers, topic } };
  }
  const pacing = [f.rateGiven && '--rate', f.profile !== undefined && '--profile', f.speedup !== undefined && '--speedup'].filter(Boolean);
  if (pacing.length > 1) throw new UsageError(`${pacing.join(' and ')} cannot be combined: pick one way to pace the sends`);
  const profile = f.profile === undefined ? undefined : loadRateProfile(f.profile);
  const shard = checkShard(f.shard, brokers !== undefined);
  await ensureBroker(); // after every flag is checked: a usage error is reported as one
  const metrics = f.metricsPort === undefined ? undefined : await serveMetrics(f.metricsPort, 'sat_replay');
  if (metrics) say(false, `sat replay: metrics on ${metrics.url}`);
  let progress: ReturnType<typeof replayProgress> | undefined;
  const acks = new AckWatch();
  const reading = readingProgress(file, f.json || f.progress === false);
  // An interrupt stops the sends at the next batch; the ledger, the end markers and replay.json then
  // describe exactly what went out (Node's default would kill the process with the ledger unwritten).
  const ac = new AbortController();
  let signal = 'SIGINT' as NodeJS.Signals;
  const stop = (sig: NodeJS.Signals) => {
    signal = sig;
    ac.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const s = await replay({
    file, scenario, dir: f.dir, rate: f.rate, seed: f.seed, mix, partitions: f.partitions, format: f.format, header: f.header, quote: f.quote, encoding: f.encoding, ...kafka,
    profile, shard, speedup: f.speedup, maxRecords: f.records, durationMs: f.duration, warmupMs: f.warmup,
    reading: reading.update,
    acks,
    progress: (p) => {
      reading.stop();
      // Shown once a run has lasted a second: short runs stay quiet.
      if (progress === undefined && p.elapsedMs > 1000 && f.progress !== false) progress = replayProgress(Math.min(f.records ?? Infinity, p.total), f.json, { waitingFor: brokers ? 'the broker' : 'the log', watch: acks });
      progress?.update(p);
    },
    metrics,
    signal: ac.signal,
  }).catch((e: unknown) => {
    // Interrupted while still reading: 128 + the signal's number, as for an interrupt while sending.
    if (e instanceof SatError && e.exitCode === 130 && signal === 'SIGTERM') throw new SatError(e.message, 143);
    throw e;
  }).finally(async () => {
    reading.stop();
    progress?.stop();
    await metrics?.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
  if (f.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  const fk = s.faults;
  say(
    f.json,
    `replayed ${s.read} records from ${file} as ${s.sent} sends in ${s.elapsedMs} ms (${s.recordsPerSecond}/s) to ${s.sentTo}; ledger in ${f.dir}\n` +
      `  ${faultCountsLine(fk)}\n` +
      notPlaced(s.notApplicable) +
      `  pace: ${s.schedule}, stopped by ${s.stoppedBy}; achieved ${s.achievedRate}/s${s.targetRate ? ` of ${s.targetRate}/s, worst second ${s.worstSecondErrorPct ?? '-'}% off, up to ${s.behindScheduleMs} ms behind schedule` : ''}\n` +
      `  send-to-ack latency${s.targetRate ? ' (from the intended send time)' : ''}: ${s.latency ? latencyLine(s.latency) : '-'}` +
      (s.latencyByPhase ?? []).map((x) => `\n    phase ${x.phase} (${x.rate}, ${x.fromMs / 1000}-${x.toMs / 1000} s): ${latencyLine(x)}`).join(''),
  );
  if (s.stoppedBy === 'signal') {
    say(false, `sat replay: interrupted by ${signal} after ${s.sent} sends: the ledger holds exactly what was sent and the stream ends there; sat run and sat verify judge this shorter stream`);
    return signal === 'SIGTERM' ? 143 : 130;
  }
  return 0;
}

/**
 * Faults asked for that the stream had no room for, said rather than silently sent as plain records:
 * a late record needs a later one that moves the watermark past its window's close by --late-by (a
 * stream shorter in event time than a window + the watermark + --late-by has none).
 */
function notPlaced(n: { late: number; outOfOrder: number; boundary?: number } | undefined): string {
  if (n === undefined) return '';
  const parts = [n.late > 0 ? `${n.late} late (no later record moves the watermark far enough past their window)` : '', n.outOfOrder > 0 ? `${n.outOfOrder} out-of-order` : '', (n.boundary ?? 0) > 0 ? `${n.boundary} boundary probes` : ''].filter((x) => x !== '');
  return parts.length ? `  not placed, sent as plain records: ${parts.join(', ')}\n` : '';
}

/** The file `sat gen` wrote for this scenario in --dir, when no FILE is given. */
function generatedFile(stem: string | undefined, dir: string, scenario: string): string {
  if (stem === undefined) throw new UsageError(`replay needs a FILE (scenario ${scenario} has no generated data)`);
  // The file sat gen wrote, or the folder of its partitioned dataset (sat gen --shard).
  const found = [...['parquet', 'csv', 'jsonl'].map((ext) => join(dir, `${stem}.${ext}`)), join(dir, stem)].find((p) => existsSync(p));
  if (found === undefined) throw new UsageError(`no ${stem}.parquet/.csv/.jsonl or ${stem}/ in ${dir}: run sat gen --dir ${dir} first, or give a FILE`);
  return found;
}
