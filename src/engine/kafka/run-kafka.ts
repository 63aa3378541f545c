import { FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka';
import { atKafkaEdge } from '../../transport/kafka/errors.js';
import { UsageError } from '../../core/errors.js';
import type { Scenario } from '../../scenario/types.js';
import { ensureReachable, type KafkaConnection } from '../../transport/kafka/config.js';
import { initGroupOffsets } from '../../transport/kafka/group-offsets.js';
import { ensureTopics, partitionCount, topicsOf } from '../../transport/kafka/topics.js';
import { Latency } from '../../report/latency.js';
import type { MetricsSink } from '../../report/metrics.js';
import type { RunFigures } from '../run-figures.js';
import { Driver, sumStats, type Driven } from '../driver.js';
import { openScorer, type ScoringOptions } from '../join/open.js';
import { policyFromEnv, type OperatorStats } from '../operator.js';
import { scoringTally } from '../join/tally.js';
import { createProcessor } from '../process.js';
import { scanSpecOf } from '../scan-spec.js';
import { loadCountries, ReportBuilder } from '../reports.js';
import { CheckpointStore } from './checkpoints.js';
import { GroupView } from './group-view.js';
import { claimSlot } from './member-slot.js';
import { MemberStream } from './member-stream.js';
import { MemberSource } from './member-source.js';
import { MemberCommits } from './member-commits.js';
import { KafkaOutputs } from './outputs.js';

export interface KafkaRunOptions {
  scenario: Scenario;
  conn: KafkaConnection;
  topic: string;
  group: string;
  /** Results, side outputs, offsets and progress in one Kafka transaction per commit. */
  exactlyOnce: boolean;
  checkpointDir: string;
  commitIntervalMs: number;
  /** Give up waiting for the rest of the group after this long without progress (0: never). */
  idleTimeoutMs: number;
  signal?: AbortSignal;
  log: (line: string) => void;
  /** Joins and scoring, for a scenario with a score. */
  scoring?: ScoringOptions;
  /** Publishes live figures (sat run --metrics-port). */
  metrics?: MetricsSink;
  /** Where the replayed data lives: batch reports join the country table found there. */
  dataDir?: string;
}

export interface KafkaRunSummary extends RunFigures {
  transport: 'kafka';
  group: string;
  exactlyOnce: boolean;
  commits: number;
  rebalances: number;
  restored: number;
  /** Partitions fetched again from their task's offset: records came from a position a rewind had left (MemberStream.seek). */
  refetches: number;
  partitionsProcessed: number[];
}

/**
 * `sat run` as a member of a Kafka consumer group. Each input partition is a task with its own
 * operator. Every commit interval, the tasks that moved write a checkpoint (named by the offset it
 * covers), then one transaction carries their results, dead letters, late rows, alerts, a progress
 * record per partition and the consumed offsets (read-process-write: KafkaOutputs). A task a member
 * takes over is restored once no transaction is open on its progress partition: from the committed
 * offset and the checkpoint for exactly that offset (GroupView). A rebalance drops all uncommitted
 * work; the stream then re-reads from the committed offsets, and a partition's records are only
 * taken in offset order.
 */
export function runKafka(o: KafkaRunOptions): Promise<KafkaRunSummary> {
  // Inside, recovery reads the client's own errors (unknown member, fenced); outside, they are typed.
  return atKafkaEdge(() => runMember(o));
}

async function runMember(o: KafkaRunOptions): Promise<KafkaRunSummary> {
  const s = o.scenario;
  // A partition's reports are final only if every copy of an id is in it: replay places records by key.
  if (s.reports && !s.id.includes(s.key)) throw new UsageError(`scenario ${s.name} has batch reports deduplicated on id (${s.id.join(', ')}), which leaves out its key ${s.key}: on Kafka, copies of one id could sit in different partitions. Add ${s.key} to id, or run it on the embedded log`);
  const countries = s.reports ? loadCountries(s, o.dataDir ?? '.') : undefined;
  const began = performance.now();
  await ensureReachable(o.conn);
  const policy = policyFromEnv();
  const t = topicsOf(o.topic);
  const partitions = await partitionCount(o.conn, o.topic);
  if (partitions === undefined) throw new UsageError(`topic ${o.topic} does not exist (sat replay --brokers ... --topic ${o.topic} first)`);
  const progressTopic = t.progress(o.group);
  const written = [progressTopic, t.results, t.deadLetters, t.late, t.alerts, ...(s.score ? [t.actions] : []), ...(s.reports ? [t.corrupted, t.pivot, t.topUsers, t.reconciliation] : [])];
  await ensureTopics(o.conn, written.map((name) => ({ name, partitions, compact: name === progressTopic })));
  const store = new CheckpointStore(o.checkpointDir);
  const slot = o.exactlyOnce ? claimSlot(o.checkpointDir, o.group) : undefined;
  const member = new MemberStream(o.conn, o.group, o.topic, scanSpecOf(s));

  const scorer = o.scoring && (await openScorer(o.scenario, { ...o.scoring, scoped: true }));
  const snapshots = scorer?.snapshots;
  const prepare = snapshots && ((assigned: ReadonlySet<number>) => snapshots.setScope({ partitions, assigned }));
  const { tally, add } = scoringTally();
  const resultLatency = new Latency('run window-fired-to-result');
  // The processor splits corrupted rows off by the reports' rule; each partition's reports are its outputs'.
  const processor = createProcessor(s, s.reports && new ReportBuilder(s.reports));
  const counters = { deadLettered: 0, results: 0, alerts: 0, commits: 0, rebalances: 0, restored: 0 };
  const outputs = new KafkaOutputs({ ...o, transactionalId: slot?.transactionalId }, t, progressTopic, counters, resultLatency, scorer ? { scorer, add } : undefined, countries);
  const group = new GroupView(o, member, store, policy, progressTopic, written, partitions);
  const source = new MemberSource(member, group, store, outputs, processor, counters, { ...o, prepare, settle: (): Promise<void> => commits.settle() });
  const commits = new MemberCommits(source, outputs, store, counters, o);
  const driver = new Driver(source, commits, { signal: o.signal, metrics: o.metrics, counters, resultLatency, scoring: scorer && (() => tally) });

  await initGroupOffsets(o.conn, o.group, o.topic, partitions, async (ps) => member.offsetsOf(o.topic, ps, FetchIsolationLevels.READ_COMMITTED, ListOffsetTimestamps.EARLIEST));
  await member.open();
  const opened = performance.now();

  // SAT_DEBUG=1: a status line every 5 s, to see where a member waits.
  const status = process.env.SAT_DEBUG ? setInterval(() => o.log(`status: ${source.describe()}, records ${driver.records}`), 5000) : undefined;
  const stats: OperatorStats = { counted: 0, filtered: 0, late: 0, duplicates: 0, windowsFired: 0 };
  let d: Driven;
  try {
    d = await driver.run();
    await commits.flush();
    if (process.env.SAT_DEBUG) o.log(`timing: consumer open ${Math.round(opened - began)} ms, loop from ${Math.round(d.start - began)} ms, first record at ${Math.round((d.firstRecordAt ?? 0) - began)} ms, last at ${Math.round(d.lastRecordAt - began)} ms, done at ${Math.round(performance.now() - began)} ms`);
  } finally {
    clearInterval(status);
    // A run that failed may leave a commit under way: it lands (or fails) before the clients close.
    await commits.settle();
    sumStats(source.tasks().map((x) => x.op), stats);
    const closing = (what: string) => (e: Error) => o.log(`closing the ${what} failed: ${e.message}`);
    await member.close(closing);
    await outputs.close().catch(closing('producer'));
    await group.close().catch(closing('admin client'));
    await scorer?.online?.close().catch(closing('online-features thread'));
    slot?.release();
  }
  return {
    ...driver.figures(o.scenario.name, d, stats, processor.deadLetterKinds, scorer && { ...tally, online: scorer.online?.stats }),
    transport: 'kafka',
    group: o.group,
    exactlyOnce: o.exactlyOnce,
    commits: counters.commits,
    rebalances: counters.rebalances,
    restored: counters.restored,
    refetches: member.seeks,
    partitionsProcessed: [...source.processed].sort(),
  };
}
