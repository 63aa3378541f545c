import type { CpuFigures } from '../../core/cpu-time.js';
import { UsageError } from '../../core/errors.js';
import { datasetDir, runEngine, scenarioOfWorkdir, type RunSummary } from '../../engine/run.js';
import { loadScenario } from '../../scenario/load.js';
import { latencyLine } from '../../report/latency.js';
import { serveMetrics } from '../../report/metrics.js';
import { say } from '../options.js';
import { brokersOf, connectionOf, type KafkaFlags } from './kafka-flags.js';

export interface RunFlags extends KafkaFlags {
  dir: string;
  json?: boolean;
  scenario?: string;
  follow?: boolean;
  idleTimeout?: number;
  topic?: string;
  group?: string;
  exactlyOnce?: boolean;
  checkpointDir?: string;
  commitInterval?: number;
  online?: string;
  onlineRetries?: number;
  onlineTimeout?: number;
  snapshots?: string;
  snapshotPoll?: number;
  metricsPort?: number;
  checkpointEvery?: number;
  checkpointInterval?: number;
  fresh?: boolean;
  partitioned?: boolean;
}

/** --metrics-port: the Prometheus endpoint for the run, announced on stderr. */
async function metricsFor(f: RunFlags) {
  if (f.metricsPort === undefined) return undefined;
  const m = await serveMetrics(f.metricsPort, 'sat_run');
  say(false, `sat run: metrics on ${m.url}`);
  return m;
}

const scoringOf = (f: RunFlags) => ({
  onlineUrl: f.online,
  onlineRetries: f.onlineRetries,
  onlineTimeoutMs: f.onlineTimeout,
  snapshotsDir: f.snapshots,
  snapshotPollMs: f.snapshotPoll,
});

/** The CPU a run spent, for the summary: waiting for a core long beside the engine's time means the machine is short of cores. */
function cpuLine(c: CpuFigures): string {
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const engine = c.threadMs === undefined ? '' : `; the engine's thread ${sec(c.threadMs)} on a core and ${sec(c.threadWaitMs ?? 0)} ready but waiting for one`;
  return `${sec(c.processMs)} over all threads${engine}`;
}

/** The scoring part of a summary line: actions and what was missing. */
function scoringText(s: RunSummary['scoring']): string {
  if (s === undefined) return '';
  const api = s.online ? `; online API: ${s.online.requests} requests, ${s.online.failedAttempts} failed attempts, ${s.online.failedBatches} batches given up` : '';
  return `; ${s.actions} actions, ${s.missingOnline} results without online inputs, ${s.missingBatch} without a snapshot row (snapshot ${s.snapshotDays.join(', ') || 'none'})${api}`;
}

export async function runCommand(f: RunFlags): Promise<number> {
  const name = f.scenario ?? scenarioOfWorkdir(f.dir);
  if (name === undefined) throw new UsageError(`--scenario is needed (no replay found in ${f.dir})`);
  const scenario = loadScenario(name);
  if (brokersOf(f) !== undefined || f.topic !== undefined) {
    if (f.partitioned) throw new UsageError('--partitioned writes the embedded run\'s files; on Kafka the outputs are topics: sat sink --brokers B --topic T writes them as the same datasets, exactly once');
    return runOnKafka(f, scenario);
  }
  const ac = new AbortController();
  let signal: NodeJS.Signals | undefined;
  const stop = (sig: NodeJS.Signals) => {
    signal = sig;
    ac.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const metrics = await metricsFor(f);
  const s = await runEngine({
    metrics,
    checkpointEvery: f.checkpointEvery,
    checkpointIntervalMs: f.checkpointInterval,
    fresh: f.fresh,
    partitioned: f.partitioned,
    scenario,
    dir: f.dir,
    follow: f.follow ?? false,
    idleTimeoutMs: f.idleTimeout,
    signal: ac.signal,
    scoring: scoringOf(f),
    log: (line) => say(false, `sat run: ${line}`), // warnings go to stderr even with --json
  }).finally(async () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await metrics?.close();
  });
  if (f.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  say(
    f.json,
    `ran ${scenario.name} over ${s.records} records in ${s.elapsedMs} ms (${s.recordsPerSecond}/s; ${s.processingRecordsPerSecond}/s from the first record to the last): ` +
      `${s.counted} counted, ${s.filtered} filtered, ${s.late} late, ${s.duplicates} duplicates, ${s.deadLettered} dead letters; ` +
      `${s.results} results, ${s.alerts} alerts${scoringText(s.scoring)} in ${f.dir}\n` +
      `  processing latency (from when sat run could first read a record): ${latencyLine(s.latency)}\n` +
      (s.sendLatency ? `  send-to-processed latency (also the wait before sat run started): ${latencyLine(s.sendLatency)}\n` : '') +
      `  window-fired-to-result latency: ${latencyLine(s.resultLatency)}\n` +
      `  cpu: ${cpuLine(s.cpu)}`,
  );
  if (s.writerGone) {
    say(false, `sat run: the replay writing ${f.dir}/log stopped before its end (no end marker, its process is gone): processed all ${s.records} records there are, checkpoint written, no window fired early. Replay again (a new replay starts a new stream), or run sat replay to completion`);
    return 5;
  }
  if (s.interrupted) {
    say(false, `sat run: interrupted by ${signal ?? 'a signal'} after record ${s.records}: checkpoint written, no window fired early; run it again to resume`);
    return signal === 'SIGTERM' ? 143 : 130; // 128 + the signal's number, as shells report it
  }
  return 0;
}

/** sat run as a consumer-group member: summary to stdout and run-<group>-<pid>.json in --dir. */
async function runOnKafka(f: RunFlags, scenario: ReturnType<typeof loadScenario>): Promise<number> {
  const brokers = brokersOf(f);
  if (brokers === undefined || f.topic === undefined) throw new UsageError('--brokers and --topic go together');
  const { runKafka } = await import('../../engine/kafka/run-kafka.js');
  const { claimWorkdir, writeJsonAtomic } = await import('../../core/workdir-guard.js');
  const { join } = await import('node:path');
  // One group per pipeline: a group shared by members of different topics leaves one side unassigned.
  const group = f.group ?? `sat-${scenario.name}-${f.topic}`;
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  claimWorkdir(f.dir);
  const metrics = await metricsFor(f);
  const s = await runKafka({
    metrics,
    scenario,
    conn: connectionOf(f, brokers),
    topic: f.topic,
    group,
    exactlyOnce: f.exactlyOnce ?? false,
    checkpointDir: f.checkpointDir ?? join(f.dir, 'checkpoints', group),
    commitIntervalMs: f.commitInterval ?? 500,
    idleTimeoutMs: f.idleTimeout ?? 0,
    signal: ac.signal,
    log: (line) => say(false, `sat run [${process.pid}]: ${line}`), // progress goes to stderr even with --json
    dataDir: datasetDir(f.dir),
    scoring: { ...scoringOf(f), snapshotsDir: f.snapshots ?? datasetDir(f.dir), log: (line) => say(false, `sat run [${process.pid}]: ${line}`) },
  }).finally(() => metrics?.close());
  writeJsonAtomic(join(f.dir, `run-${group}-${process.pid}.json`), s);
  if (f.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  say(f.json, `ran ${scenario.name} from ${f.topic} as ${group}${s.exactlyOnce ? ' (exactly-once)' : ''}: ${s.records} records from partitions [${s.partitionsProcessed.join(', ')}] in ${s.elapsedMs} ms (${s.recordsPerSecond}/s; ${s.processingRecordsPerSecond}/s from the first record to the last), ${s.commits} commits, ${s.rebalances} rebalances; ${s.results} results, ${s.deadLettered} dead letters${scoringText(s.scoring)}\n  cpu: ${cpuLine(s.cpu)}`);
  return 0;
}
