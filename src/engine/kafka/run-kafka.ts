import { setTimeout as sleep } from 'node:timers/promises';
import { atKafkaEdge } from '../../transport/kafka/errors.js';
import { killSwitch } from '../../chaos/kill-switch.js';
import { FetchIsolationLevels, ListOffsetTimestamps, type Message } from '@platformatic/kafka';
import { deadline, DeadlineExceeded } from '../../core/deadline.js';
import { SatError, UsageError } from '../../core/errors.js';
import type { Scenario } from '../../scenario/types.js';
import { ensureReachable, type KafkaConnection } from '../../transport/kafka/config.js';
import { initGroupOffsets } from '../../transport/kafka/group-offsets.js';
import { ensureTopics, partitionCount, topicsOf } from '../../transport/kafka/topics.js';
import { satHeaders } from '../../transport/kafka/headers.js';
import { Latency } from '../../report/latency.js';
import type { MetricsSink } from '../../report/metrics.js';
import { peakRssMb, publishRunMetrics, type RunFigures } from '../run-figures.js';
import { openScorer, type ScoringOptions } from '../join/open.js';
import { policyFromEnv, type OperatorStats } from '../operator.js';
import { scoringTally } from '../join/tally.js';
import { createProcessor } from '../process.js';
import { Task } from '../task.js';
import { CheckpointStore } from './checkpoints.js';
import { GroupView } from './group-view.js';
import { claimSlot } from './member-slot.js';
import { MemberStream, unknownMember } from './member-stream.js';
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
}

export interface KafkaRunSummary extends RunFigures {
  transport: 'kafka';
  group: string;
  exactlyOnce: boolean;
  commits: number;
  rebalances: number;
  restored: number;
  partitionsProcessed: number[];
  /** From the first record taken to the last: the rate once the member is consuming (recordsPerSecond is over the whole run: joining the group, restoring, the last commit and the end check). */
  processingRecordsPerSecond: number;
}

/** An input partition's task on Kafka: where it reads next, and whether it moved since the last commit. */
interface KafkaTask extends Task {
  nextOffset: number;
  dirty: boolean;
  last?: Message;
}

/** A commit (a transaction of a few requests) that takes longer than this is treated as failed. */
const COMMIT_DEADLINE_MS = 20_000;

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
  if (o.scenario.reports) throw new UsageError(`scenario ${o.scenario.name} has batch reports, which sat run makes on the embedded log only (for now)`);
  const began = performance.now();
  await ensureReachable(o.conn);
  const policy = policyFromEnv();
  const t = topicsOf(o.topic);
  const partitions = await partitionCount(o.conn, o.topic);
  if (partitions === undefined) throw new UsageError(`topic ${o.topic} does not exist (sat replay --brokers ... --topic ${o.topic} first)`);
  const progressTopic = t.progress(o.group);
  const written = [progressTopic, t.results, t.deadLetters, t.late, t.alerts, ...(o.scenario.score ? [t.actions] : [])];
  await ensureTopics(o.conn, written.map((name) => ({ name, partitions, compact: name === progressTopic })));
  const store = new CheckpointStore(o.checkpointDir);
  const slot = o.exactlyOnce ? claimSlot(o.checkpointDir, o.group) : undefined;
  const member = new MemberStream(o.conn, o.group, o.topic);

  const scorer = o.scoring && (await openScorer(o.scenario, o.scoring));
  const { tally, add } = scoringTally();
  const latency = new Latency('run send-to-processed');
  const resultLatency = new Latency('run window-fired-to-result');
  const processor = createProcessor(o.scenario);
  const tasks = new Map<number, KafkaTask>();
  const processed = new Set<number>();
  const counters = { records: 0, deadLettered: 0, results: 0, alerts: 0, commits: 0, rebalances: 0, restored: 0, checkpoints: 0 };
  let checkpointMs = 0;
  const stats: OperatorStats = { counted: 0, filtered: 0, late: 0, duplicates: 0, windowsFired: 0 };
  const outputs = new KafkaOutputs({ ...o, transactionalId: slot?.transactionalId }, t, progressTopic, counters, resultLatency, scorer ? { scorer, add } : undefined);
  const group = new GroupView(o, member, store, policy, progressTopic, written, partitions);

  if (o.metrics) publishRunMetrics(o.metrics, { operators: () => [...tasks.values()].map((x) => x.op), counters, latency, resultLatency, scoring: scorer && (() => tally) });

  await initGroupOffsets(o.conn, o.group, o.topic, partitions, async (ps) => member.offsetsOf(o.topic, ps, FetchIsolationLevels.READ_COMMITTED, ListOffsetTimestamps.EARLIEST));
  await member.open();
  const opened = performance.now();

  /** A broker query that fails or hangs (a restart, a leader move) sends the member through recovery rather than ending the run. */
  async function orRecover<T>(call: Promise<T>): Promise<T | undefined> {
    try {
      return await call;
    } catch (e) {
      if (e instanceof SatError) throw e;
      member.error = e as Error;
      return undefined;
    }
  }

  async function restore(partition: number): Promise<KafkaTask> {
    const r = await group.restore(partition);
    store.restart(partition);
    counters.restored++;
    const task = new Task(partition, r.op, outputs.forPartition(partition), processor, r) as KafkaTask;
    task.nextOffset = r.nextOffset;
    task.dirty = false;
    return task;
  }

  /** Drops everything not committed: after a rebalance or a failed commit, work restarts from the commits. */
  function dropUncommitted(): void {
    tasks.clear();
    outputs.drop();
  }

  async function commit(): Promise<void> {
    const dirty = [...tasks.values()].filter((x) => x.dirty);
    if (dirty.length === 0) return;
    const t0 = performance.now();
    for (const x of dirty) store.write({ partition: x.partition, nextOffset: x.nextOffset, ...x.state() }, x.op);
    counters.checkpoints += dirty.length;
    checkpointMs += performance.now() - t0;
    await outputs.commit(dirty.map((x) => ({ partition: x.partition, nextOffset: x.nextOffset, ended: x.ended, last: x.last as Message })), member.consumer);
    for (const x of dirty) {
      x.dirty = false;
      store.prune(x.partition, x.nextOffset);
    }
    member.replacements = 0;
  }

  // SAT_DEBUG=1: a status line every 5 s, to see where a member waits.
  const status = process.env.SAT_DEBUG
    ? setInterval(() => {
        const at = [...tasks.values()].map((x) => `${x.partition}:${x.nextOffset}${x.ended ? 'E' : ''}`).join(' ');
        o.log(`status: ${member.describe()}, tasks ${at}, records ${counters.records}, phase ${phase}`);
      }, 5000)
    : undefined;
  const killPoint = killSwitch(); // sat chaos kill --after-records
  let phase = 'start';
  const start = performance.now();
  let lastCommit = performance.now();
  let lastCheck = 0;
  let lastProgress = performance.now();
  let firstRecordAt: number | undefined;
  let lastRecordAt = 0;
  try {
    for (;;) {
      if (o.signal?.aborted) break;
      if (member.error) {
        o.log(`the consumer failed (${member.error.message}): replacing it, rejoining the group and re-reading from the commits`);
        dropUncommitted();
        await member.replace(member.error);
        continue;
      }
      if (member.takeRebalance()) {
        counters.rebalances++;
        o.log(`rebalance: assigned partitions [${[...member.assigned].sort().join(', ')}]${process.env.SAT_DEBUG ? ` at ${Math.round(performance.now() - began)} ms` : ''}`);
        dropUncommitted();
      }
      const m = member.take();
      if (m === undefined) {
        if (tasks.size > 0 && [...tasks.values()].some((x) => x.dirty)) {
          await commitOrRecover();
          continue;
        }
        // Whether the group has finished is asked every second, and at once when every task here has ended.
        const allEnded = member.assigned.size > 0 && [...member.assigned].every((p) => tasks.get(p)?.ended);
        if (performance.now() - lastCheck > 1000 || (allEnded && performance.now() - lastCheck > 50)) {
          lastCheck = performance.now();
          phase = 'finished?';
          if (await orRecover(group.finished((p) => tasks.get(p)?.ended))) break;
          phase = 'idle';
          if (o.idleTimeoutMs > 0 && performance.now() - lastProgress > o.idleTimeoutMs) {
            o.log(`no progress for ${o.idleTimeoutMs} ms: stopping`);
            break;
          }
        }
        await sleep(20);
        continue;
      }
      // Records of partitions this member no longer owns may still sit in the stream's buffer.
      if (!member.assigned.has(m.partition)) continue;
      let task = tasks.get(m.partition);
      if (task === undefined) {
        phase = `restore ${m.partition}`;
        task = await orRecover(restore(m.partition));
        phase = 'process';
        if (task === undefined || member.rebalancePending) continue; // failed, or the group moved on while we restored: start over
        tasks.set(m.partition, task);
      }
      // Only the next offset is taken: older ones are committed already, newer ones were fetched from
      // a position a rebalance or a failed commit has since rewound (they come again in order).
      const offset = Number(m.offset);
      if (offset !== task.nextOffset || task.ended) continue;
      const { endMark, sendTime } = satHeaders(m.headers);
      if (sendTime !== undefined) latency.record(Date.now() - sendTime);
      if (endMark !== undefined) task.endMark(endMark);
      else {
        task.record(offset, m.value);
        counters.records++;
        killPoint?.();
      }
      processed.add(m.partition);
      task.nextOffset = offset + 1;
      task.dirty = true;
      task.last = m;
      lastProgress = performance.now();
      firstRecordAt ??= lastProgress;
      lastRecordAt = lastProgress;
      if (performance.now() - lastCommit >= o.commitIntervalMs || outputs.held > 50_000) await commitOrRecover();
    }
    if (!member.rebalancePending) await commitOrRecover();
    if (process.env.SAT_DEBUG) o.log(`timing: consumer open ${Math.round(opened - began)} ms, loop from ${Math.round(start - began)} ms, first record at ${Math.round((firstRecordAt ?? 0) - began)} ms, last at ${Math.round(lastRecordAt - began)} ms, done at ${Math.round(performance.now() - began)} ms`);
  } finally {
    clearInterval(status);
    for (const x of tasks.values()) for (const k of Object.keys(stats) as (keyof OperatorStats)[]) stats[k] += x.op.stats[k];
    const closing = (what: string) => (e: Error) => o.log(`closing the ${what} failed: ${e.message}`);
    await member.close(closing);
    await outputs.close().catch(closing('producer'));
    await group.close().catch(closing('admin client'));
    slot?.release();
  }

  async function commitOrRecover(): Promise<void> {
    lastCommit = performance.now();
    if (member.rebalancePending) return; // offsets of revoked partitions cannot be committed: drop instead
    try {
      phase = 'score';
      await outputs.score();
      phase = 'commit';
      await deadline(commit(), COMMIT_DEADLINE_MS, 'commit');
      phase = 'process';
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as { errors?: { message?: string }[] }).errors?.[0]?.message;
      o.log(`commit failed (${(e as Error).message}${cause ? `: ${cause}` : ''}): dropping uncommitted work and re-reading from the commits`);
      if (e instanceof DeadlineExceeded || o.exactlyOnce) outputs.renewProducer();
      dropUncommitted();
      // The group no longer knows this member (its session expired, e.g. while the broker restarted):
      // a new consumer joins. An old generation is only a rebalance, which the heartbeat handles.
      if (unknownMember(e)) return void (member.error = e as Error);
      // The stream re-reads committed offsets on a group join; announce one so it rewinds.
      member.rewind();
    }
  }

  const elapsedMs = performance.now() - start;
  return {
    scenario: o.scenario.name,
    transport: 'kafka',
    group: o.group,
    exactlyOnce: o.exactlyOnce,
    ...stats,
    ...counters,
    partitionsProcessed: [...processed].sort(),
    elapsedMs: Math.round(elapsedMs),
    recordsPerSecond: Math.round(counters.records / Math.max(elapsedMs / 1000, 1e-9)),
    processingRecordsPerSecond: firstRecordAt === undefined ? 0 : Math.round(counters.records / Math.max((lastRecordAt - firstRecordAt) / 1000, 1e-3)),
    peakRssMb: peakRssMb(),
    checkpointMs: Math.round(checkpointMs),
    deadLetterReasons: processor.deadLetterKinds,
    scoring: scorer && { ...tally, online: scorer.online?.stats },
    latency: latency.summary(),
    resultLatency: resultLatency.summary(),
  };
}
