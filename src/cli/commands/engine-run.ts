import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SatError, UsageError } from '../../core/errors.js';
import { claimWorkdir } from '../../core/workdir-guard.js';
import { replayParts } from '../../core/workdir.js';
import { loadScenario } from '../../scenario/load.js';
import type { Scenario } from '../../scenario/types.js';
import { HEADER_END } from '../../transport/types.js';
import type { VerifyFlags } from './verify.js';
import { say } from '../options.js';
import { replayCommand } from './replay.js';
import { verifyCommand } from './verify.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SAMPLES: Record<string, string> = { reviews: 'reviews-sample.tsv', iot: 'iot-sample.csv' };
const CACHE = () => process.env.SAT_CACHE ?? join(homedir(), '.cache', 'sat');

export interface EngineRunFlags {
  dir: string;
  scenario: string;
  file?: string;
  brokers: string;
  topic?: string;
  rate: number;
  partitions: number;
  seed: number;
  bug?: string;
  /** Spark: ms without a batch, once the stream has ended, before the job stops. */
  idle: number;
  /** Generated scenarios (satisfaction): events to generate when --dir has none. */
  events: number;
  json?: boolean;
}

/** What differs between the reference pipelines: how to start one, stop it, and judge its output. */
interface EngineJob {
  /** The command and its arguments. */
  command: string[];
  /** Once the replay has ended: make the job finish (Spark stops by itself once idle). */
  finish?: () => Promise<void>;
  /** verify's flags for the job's outputs. */
  verify: Partial<VerifyFlags>;
}

interface JobPlace {
  work: string;
  spec: string;
  topic: string;
  results: string;
  deadLetters: string;
}

/**
 * sat engine run spark|flink: a reference pipeline (engines/) live against a paced replay, then
 * verify, exactly (Spark by its checkpoint's micro-batches, Flink by its watermark audit). The job
 * starts first and the replay only once its query runs, so the job reads the stream as it arrives
 * (the only way lateness gets tested: a job started after the replay reads it all at once).
 */
export async function engineRunCommand(engine: string, f: EngineRunFlags): Promise<number> {
  if (engine !== 'spark' && engine !== 'flink') throw new UsageError(`sat engine run ${engine}: the reference pipelines are spark and flink`);
  const installed = engine === 'spark' ? join(CACHE(), 'spark-venv', 'bin', 'spark-submit') : join(CACHE(), 'flink-venv', 'bin', 'python');
  if (!existsSync(installed)) throw new UsageError(`${engine === 'spark' ? 'PySpark' : 'PyFlink'} is not installed (${installed}): run scripts/${engine}.sh install first`);
  const scenario = loadScenario(f.scenario);
  const unsupported = referenceLimits(scenario);
  if (unsupported !== undefined) throw new UsageError(`scenario ${scenario.name}: the reference pipelines ${unsupported}; sat run has it, and verify judges any pipeline that does`);
  if (scenario.score && engine !== 'spark') throw new UsageError(`scenario ${scenario.name}: only the Spark pipeline joins and scores so far (Flink: reviews, iot, messages)`);
  const generated = scenario.source.generated !== undefined && f.file === undefined;
  const file = f.file ?? (SAMPLES[scenario.name] ? join(ROOT, 'datasets', SAMPLES[scenario.name]) : undefined);
  if (file === undefined && !generated) throw new UsageError(`scenario ${scenario.name}: give the file to replay`);
  const topic = f.topic ?? `sat-${scenario.name}-${Date.now()}`;

  claimWorkdir(f.dir, file ? [file] : []);
  if (generated && !readdirSync(f.dir).some((n) => n.startsWith(`${scenario.source.generated}.`))) {
    // The satisfaction stream: two hours of event time, so that records can arrive after their
    // hour-long windows closed (a shorter span leaves no room for late records). Messages: two days.
    const { genCommand } = await import('./gen.js');
    const messages = scenario.reports !== undefined;
    await genCommand({ dir: f.dir, json: true, rows: 0, seed: f.seed, customers: 300, features: 20, events: f.events, days: 2, span: 2 * 3_600_000, eventVars: 8, format: 'parquet', scenario: messages ? 'messages' : 'satisfaction' } as Parameters<typeof genCommand>[0]);
  }
  const work = join(f.dir, engine);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const place: JobPlace = { work, spec: join(work, 'spec.json'), topic, results: join(work, 'results'), deadLetters: join(work, 'dead-letters') };
  writeFileSync(place.spec, JSON.stringify({ ...scenario, path: undefined, endOfStreamHeader: HEADER_END }));
  // The topic exists before the job subscribes (else the job retries with warnings until it appears).
  const { ensureTopics } = await import('../../transport/kafka/topics.js');
  const { kafkaConnection } = await import('../../transport/kafka/config.js');
  await ensureTopics(kafkaConnection(f.brokers), [{ name: topic, partitions: f.partitions }]);

  // A scored scenario's online features: the API, on 127.0.0.1, for as long as the job runs.
  const online = scenario.score?.online ? await startOnline(f.seed) : undefined;
  const actions = join(work, 'actions');
  // The messages scenario: corrupted rows as a side output, and the batch reports once the stream ends.
  const reports = scenario.reports ? { corrupted: join(work, 'corrupted'), pivot: join(work, 'pivot.jsonl'), topUsers: join(work, 'top-users.jsonl'), countries: join(f.dir, scenario.reports.countries?.file ?? 'countries.csv') } : undefined;
  const job = engine === 'spark' ? sparkJob(place, f, online ? { snapshots: resolve(f.dir), online: online.url, actions } : undefined, reports) : flinkJob(place, f, reports);
  const log = join(work, `${engine}.log`);
  say(f.json, `sat engine run ${engine}: ${scenario.name} from ${file ?? `${f.dir} (generated)`} through topic ${topic}; the job's log in ${log}`);
  const child = spawn(job.command[0], job.command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.pipe(createWriteStream(log));
  const exited = once(child, 'close') as Promise<[number | null]>;
  const died = exited.then(([code]) => {
    throw new SatError(`the ${engine} job exited with ${code} before it was done (see ${log})`, 3);
  });
  died.catch(() => undefined);
  const started = new Promise<void>((res) => createInterface({ input: child.stdout }).on('line', (l) => l.includes('"started"') && res()));
  await Promise.race([started, died]);
  say(f.json, `the ${engine} job runs: replaying at ${f.rate}/s`);
  try {
    await replayCommand(file, { dir: f.dir, json: false, scenario: scenario.name, rate: f.rate, seed: f.seed, partitions: f.partitions, brokers: f.brokers, topic, malformed: 0.02, late: 0.05, duplicates: 0.03, outOfOrder: 0.05, progress: false });
    if (job.finish) await Promise.race([job.finish(), died]);
  } catch (e) {
    child.kill('SIGKILL');
    online?.close();
    throw e;
  }
  const [code] = await exited;
  online?.close();
  if (code !== 0) throw new SatError(`the ${engine} job exited with ${code} (see ${log})`, 3);
  const code2 = await verifyCommand({ dir: f.dir, json: f.json, scenario: scenario.name, actual: place.results, deadLetters: place.deadLetters, engine: engine as 'spark', tolerance: 1e-9, ...(online ? { actions } : {}),
    ...(reports ? { corrupted: reports.corrupted, pivot: reports.pivot, topUsers: reports.topUsers } : {}), ...job.verify });
  // End to end, as for every engine: the last on-time record of a window sent -> its result readable.
  const { formatResultLatency, resultLatency } = await import('../../verify/result-latency.js');
  // A figure beside the verdict, never a reason to fail: results it cannot read are verify's to judge.
  try {
    const latency = await resultLatency(scenario, place.results, replayParts(f.dir).map((x) => x.ledger));
    if (latency) {
      writeFileSync(join(work, 'latency.json'), `${JSON.stringify(latency)}\n`);
      say(f.json, formatResultLatency(latency));
    }
  } catch (e) {
    say(f.json, `result latency: not measured (${String((e as Error).message).split('\n')[0]})`);
  }
  return code2;
}

function sparkJob(p: JobPlace, f: EngineRunFlags, scored?: { snapshots: string; online: string; actions: string }, reports?: { corrupted: string; pivot: string; topUsers: string; countries: string }): EngineJob {
  const checkpoint = join(p.work, 'checkpoint');
  return {
    command: [join(ROOT, 'scripts', 'spark.sh'), 'submit', join(ROOT, 'engines', 'spark', 'pipeline.py'), '--spec', p.spec, '--brokers', f.brokers, '--topic', p.topic, '--out', p.results, '--checkpoint', checkpoint, '--dead-letters', p.deadLetters, '--trigger', 'continuous-until-idle', '--idle-seconds', String(f.idle / 1000),
      // About a second of the stream per batch, however long the first batch takes to start: the
      // batches follow the replay instead of one batch swallowing what was sent during start-up.
      '--max-offsets-per-trigger', String(Math.max(50, Math.round(f.rate))), ...(f.bug ? ['--bug', f.bug] : []),
      ...(scored ? ['--snapshots', scored.snapshots, '--online', scored.online, '--actions', scored.actions] : []),
      ...(reports ? ['--corrupted', reports.corrupted, '--pivot', reports.pivot, '--top-users', reports.topUsers, '--countries', reports.countries] : [])],
    verify: { sparkCheckpoint: checkpoint },
  };
}

function flinkJob(p: JobPlace, f: EngineRunFlags, reports?: { corrupted: string; pivot: string; topUsers: string; countries: string }): EngineJob {
  const watermarks = join(p.work, 'watermarks');
  const stopFile = join(p.work, 'STOP');
  const group = `sat-flink-${p.topic}`;
  return {
    command: [join(ROOT, 'scripts', 'flink.sh'), 'run', join(ROOT, 'engines', 'flink', 'pipeline.py'), '--spec', p.spec, '--brokers', f.brokers, '--topic', p.topic, '--out', p.results, '--watermarks', watermarks, '--dead-letters', p.deadLetters, '--work', join(p.work, 'job'), '--stop-file', stopFile, ...(f.bug ? ['--bug', f.bug] : []),
      ...(reports ? ['--corrupted', reports.corrupted, '--pivot', reports.pivot, '--top-users', reports.topUsers, '--countries', reports.countries] : [])],
    // Flink's Kafka source commits its group's offsets with each checkpoint: once they reach the
    // end of every partition the job has read (and checkpointed) everything, and a stop with
    // --drain fires the windows that are still open and commits the files.
    finish: async () => {
      await waitForGroupAtEnd(f.brokers, group, p.topic, f.partitions);
      writeFileSync(stopFile, '');
    },
    verify: { flinkWatermarks: watermarks },
  };
}

/**
 * sat serve online's API in this process, on a free port of 127.0.0.1. One answer in ten is a 503,
 * so the job's retries are exercised (a batch still fails all three attempts now and then: its
 * results must then say `missing: online`).
 */
async function startOnline(seed: number): Promise<{ url: string; close: () => void }> {
  const { createOnlineServer } = await import('../../serve/online.js');
  const { server } = createOnlineServer({ errorRate: 0.1, timeoutRate: 0, truncateRate: 0, latency: [0, 5], seed, maxIds: 1000 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, close: () => { server.closeAllConnections(); server.close(); } };
}

/** Polls until the group's committed offsets reach the end of every partition of the topic. */
async function waitForGroupAtEnd(brokers: string, group: string, topic: string, partitions: number): Promise<void> {
  const { Admin, Consumer, ListOffsetTimestamps } = await import('@platformatic/kafka');
  const { kafkaConnection } = await import('../../transport/kafka/config.js');
  const { clientOptions } = await import('../../transport/kafka/client-options.js');
  const { committedOffsets } = await import('../../transport/kafka/group-offsets.js');
  const conn = kafkaConnection(brokers);
  const admin = new Admin(clientOptions(conn, 'sat-engine-run'));
  const consumer = new Consumer({ ...clientOptions(conn, 'sat-engine-run'), groupId: `${group}-observer` });
  const all = Array.from({ length: partitions }, (_, i) => i);
  try {
    const end = (await consumer.listOffsets({ topics: [topic], partitions: { [topic]: all }, timestamp: ListOffsetTimestamps.LATEST })).get(topic) ?? [];
    for (;;) {
      const committed = await committedOffsets(admin, group, topic, all);
      if (all.every((i) => (committed.get(i) ?? -1n) >= (end[i] ?? 0n))) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await Promise.allSettled([admin.close(), consumer.close()]);
  }
}


/** What the Spark and Flink reference pipelines (engines/) do not implement, named; undefined when they can run it. */
function referenceLimits(s: Scenario): string | undefined {
  if (s.time.format !== 'iso' || (s.time.zone !== 'UTC' && s.time.zone !== 'Etc/UTC')) return `read ISO event times in UTC only (this one: format ${s.time.format}, zone ${s.time.zone})`;
  const set = [...s.filter, ...s.alerts.flatMap((a) => a.when)].find((c) => c.set !== undefined);
  if (set !== undefined) return `test numbers with <, <=, >, >=, ==, != and between only (not "${set.text}")`;
  return undefined;
}
