import { setTimeout as sleep } from 'node:timers/promises';
import { atKafkaEdge, KafkaError } from '../../transport/kafka/errors.js';
import { killSwitch } from '../../chaos/kill-switch.js';
import { Admin, FetchIsolationLevels, ListOffsetTimestamps, ProduceAcks, Producer, type Message } from '@platformatic/kafka';
import { deadline, DeadlineExceeded } from '../../core/deadline.js';
import { SatError, UsageError } from '../../core/errors.js';
import type { Scenario } from '../../scenario/types.js';
import { clientOptions, ensureReachable, type KafkaConnection } from '../../transport/kafka/config.js';
import { committedOffsets as groupCommittedOffsets, initGroupOffsets } from '../../transport/kafka/group-offsets.js';
import { ensureTopics, partitionCount, topicsOf } from '../../transport/kafka/topics.js';
import { satHeaders } from '../../transport/kafka/headers.js';
import { openTransactions } from '../../transport/kafka/transactions.js';
import { parseEndMark } from '../../transport/types.js';
import { Latency, type LatencySummary } from '../../report/latency.js';
import type { MetricsSink } from '../../report/metrics.js';
import { openScorer, type ScoringOptions } from '../join/open.js';
import { policyFromEnv, WindowOperator, type OperatorStats, type WindowResult } from '../operator.js';
import { scoringTally, type ScoringSummary } from '../join/tally.js';
import { createProcessor, emitFired, type Outputs } from '../process.js';
import { resultLine } from '../sinks.js';
import { publishMemberMetrics } from './metrics.js';
import { enc, requests, scoredMessages, type OutMessage } from './requests.js';
import { CheckpointStore, type PartitionCheckpoint } from './checkpoints.js';
import { claimSlot } from './member-slot.js';
import { MemberStream, unknownMember } from './member-stream.js';

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

export interface KafkaRunSummary extends OperatorStats {
  scenario: string;
  transport: 'kafka';
  group: string;
  exactlyOnce: boolean;
  records: number;
  deadLettered: number;
  results: number;
  alerts: number;
  commits: number;
  rebalances: number;
  restored: number;
  partitionsProcessed: number[];
  elapsedMs: number;
  recordsPerSecond: number;
  deadLetterReasons: Partial<Record<string, number>>;
  scoring?: ScoringSummary;
  /** Send (by replay) to processed (by this member), ms. */
  latency: LatencySummary;
}

/** One input partition's task: its own operator (stream time per partition, as Kafka Streams keeps it). */
interface Task {
  partition: number;
  op: WindowOperator;
  nextOffset: number;
  ended: boolean;
  /** Shards (of replay --shard) whose end marker has arrived on this partition. */
  endMarks: number[];
  dirty: boolean;
  last?: Message;
}

/** A commit (a transaction of a few requests) that takes longer than this is treated as failed. */
const COMMIT_DEADLINE_MS = 20_000;



/**
 * `sat run` as a member of a Kafka consumer group. Each input partition is a task with its own
 * operator. Every commit interval, the tasks that moved write a checkpoint (named by the offset it
 * covers), then one transaction carries their results, dead letters, late rows, alerts, a progress
 * record per partition and the consumed offsets (read-process-write). A task a member takes over is
 * restored once no transaction is open on its progress partition: from the committed offset and the
 * checkpoint for exactly that offset. A rebalance drops all uncommitted work; the stream then
 * re-reads from the committed offsets, and a partition's records are only taken in offset order.
 */
export function runKafka(o: KafkaRunOptions): Promise<KafkaRunSummary> {
  // Inside, recovery reads the client's own errors (unknown member, fenced); outside, they are typed.
  return atKafkaEdge(() => runMember(o));
}

async function runMember(o: KafkaRunOptions): Promise<KafkaRunSummary> {
  if (o.scenario.reports) throw new UsageError(`scenario ${o.scenario.name} has batch reports, which sat run makes on the embedded log only (for now)`);
  await ensureReachable(o.conn);
  const policy = policyFromEnv();
  const t = topicsOf(o.topic);
  const partitions = await partitionCount(o.conn, o.topic);
  if (partitions === undefined) throw new UsageError(`topic ${o.topic} does not exist (sat replay --brokers ... --topic ${o.topic} first)`);
  const progressTopic = t.progress(o.group);
  await ensureTopics(o.conn, [
    { name: t.results, partitions },
    { name: t.deadLetters, partitions },
    { name: t.late, partitions },
    { name: t.alerts, partitions },
    ...(o.scenario.score ? [{ name: t.actions, partitions }] : []),
    { name: progressTopic, partitions, compact: true },
  ]);
  const store = new CheckpointStore(o.checkpointDir);
  const slot = o.exactlyOnce ? claimSlot(o.checkpointDir, o.group) : undefined;
  const member = new MemberStream(o.conn, o.group, o.topic);
  const newProducer = () =>
    new Producer({
      ...clientOptions(o.conn, 'sat-run'),
      idempotent: true,
      acks: ProduceAcks.ALL,
      // Also the transaction timeout: a killed member's open transaction is aborted after this long.
      timeout: 10000,
      // -1/-1: "no previous producer" in InitProducerId. The client's default (0/0) names a producer
      // that never existed, which the broker answers with PRODUCER_FENCED for a reused id.
      ...(slot ? { transactionalId: slot.transactionalId, producerId: -1n, producerEpoch: -1 } : {}),
    });
  let producer = newProducer();

  const scorer = o.scoring && (await openScorer(o.scenario, o.scoring));
  const { tally, add } = scoringTally();
  const latency = new Latency('run send-to-processed');
  /** Fired windows waiting for their score: scored (API calls and all) just before each commit. */
  let unscored: { partition: number; rows: WindowResult[] }[] = [];
  const processor = createProcessor(o.scenario);
  const aggs = o.scenario.aggregations;
  const tasks = new Map<number, Task>();
  const processed = new Set<number>();
  let pending: OutMessage[] = [];
  const counters = { records: 0, deadLettered: 0, results: 0, alerts: 0, commits: 0, rebalances: 0, restored: 0 };
  const stats: OperatorStats = { counted: 0, filtered: 0, late: 0, duplicates: 0, windowsFired: 0 };

  const outputs = (partition: number): Outputs => ({
    deadLetter: (row) => pending.push({ topic: t.deadLetters, partition, value: enc(JSON.stringify(row)) }),
    late: (row) => pending.push({ topic: t.late, partition, value: enc(JSON.stringify(row)) }),
    alert: (row) => pending.push({ topic: t.alerts, partition, key: enc(row.key), value: enc(JSON.stringify(row)) }),
    results: (rows, emitTime) => {
      if (scorer) return void unscored.push({ partition, rows });
      const emit = new Date(emitTime).toISOString();
      for (const r of rows) pending.push({ topic: t.results, partition, key: enc(r.key), value: enc(resultLine(r, aggs, emit)) });
    },
  });

  if (o.metrics) publishMemberMetrics(o.metrics, () => [...tasks.values()].map((x) => x.op), counters, latency);

  const offsetsOf = member.offsetsOf.bind(member);
  await initGroupOffsets(o.conn, o.group, o.topic, partitions, async (ps) =>
    offsetsOf(o.topic, ps, FetchIsolationLevels.READ_COMMITTED, ListOffsetTimestamps.EARLIEST),
  );
  await member.open();

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

  /** True when no transaction is open on these partitions of these topics. */
  const stable = async (parts: number[], topics = [progressTopic]) => {
    for (const topic of topics) {
      const { open } = await deadline(openTransactions(member.consumer, topic, parts), 15_000, 'listOffsets');
      if (open.length > 0) return false;
    }
    return true;
  };
  /** Everything sat run writes: finished means all of it is readable by read_committed consumers. */
  const written = [progressTopic, t.results, t.deadLetters, t.late, t.alerts, ...(o.scenario.score ? [t.actions] : [])];

  // requireStable: while a transaction's offset commit is pending (its markers not yet written to
  // the offsets topic, though the progress partition is already stable) the broker answers "unstable"
  // and the client retries. Without it, the answer is the offset before that transaction, and a task
  // restored there would process its records a second time.
  const admin = new Admin(clientOptions(o.conn, 'sat-run'));
  const committedOffsets = async (parts: number[]) => {
    const stableCommits = await deadline(groupCommittedOffsets(admin, o.group, o.topic, parts), 30_000, 'committed offsets');
    return Array.from({ length: Math.max(...parts) + 1 }, (_, p) => stableCommits.get(p) ?? -1n);
  };

  async function restore(partition: number): Promise<Task> {
    const started = performance.now();
    while (!(await stable([partition]))) {
      if (performance.now() - started > 60_000) throw new KafkaError(`partition ${partition} of ${progressTopic}: a transaction stayed open for 60 s (a member that is not sat's, or a broker that does not finish transactions)`, true);
      await sleep(200);
    }
    const committed = Number((await committedOffsets([partition]))[partition] ?? -1n);
    counters.restored++;
    const earliest = Number((await offsetsOf(o.topic, [partition], FetchIsolationLevels.READ_COMMITTED, ListOffsetTimestamps.EARLIEST))[partition] ?? 0n);
    // Nothing processed yet: the commit is the log start (initGroupOffsets) and there is no checkpoint.
    if (committed <= earliest && !store.has(partition, committed)) {
      return { partition, op: new WindowOperator(o.scenario, policy), nextOffset: Math.max(committed, earliest), ended: false, endMarks: [], dirty: false };
    }
    const cp = store.read(partition, committed) as PartitionCheckpoint;
    o.log(`partition ${partition}: restored at offset ${committed}${cp.ended ? ' (ended)' : ''}`);
    return { partition, op: WindowOperator.restore(o.scenario, cp.operator, policy), nextOffset: committed, ended: cp.ended, endMarks: cp.endMarks ?? [], dirty: false };
  }

  /** Drops everything not committed: after a rebalance or a failed commit, work restarts from the commits. */
  function dropUncommitted(): void {
    tasks.clear();
    pending = [];
    unscored = [];
  }

  /** Scores what fired since the last commit and queues the scored results and actions with it. */
  async function scorePending(): Promise<void> {
    if (!scorer || unscored.length === 0) return;
    const batch = unscored;
    unscored = [];
    const scored = await scorer.score(batch.flatMap((b) => b.rows));
    add(scored);
    pending.push(...scoredMessages(scored, batch, t, aggs));
  }

  async function commit(): Promise<void> {
    const dirty = [...tasks.values()].filter((x) => x.dirty);
    if (dirty.length === 0) return;
    for (const x of dirty) store.write({ partition: x.partition, nextOffset: x.nextOffset, ended: x.ended, endMarks: x.endMarks, operator: x.op.snapshot() });
    const progress: OutMessage[] = dirty.map((x) => ({
      topic: progressTopic,
      partition: x.partition,
      key: enc(String(x.partition)),
      value: enc(JSON.stringify({ nextOffset: x.nextOffset, ended: x.ended })),
    }));
    const messages = [...pending, ...progress];
    if (o.exactlyOnce) {
      const tx = await producer.beginTransaction();
      try {
        await tx.addConsumer(member.consumer);
        for (const chunk of requests(messages)) await tx.send({ messages: chunk });
        for (const x of dirty) await tx.addOffset(x.last as Message);
        await tx.commit();
      } catch (e) {
        await tx.abort().catch(() => undefined);
        throw e;
      }
    } else {
      for (const chunk of requests(messages)) await producer.send({ messages: chunk });
      for (const x of dirty) await (x.last as Message).commit();
    }
    for (const m of pending) {
      if (m.topic === t.results) counters.results++;
      else if (m.topic === t.deadLetters) counters.deadLettered++;
      else if (m.topic === t.alerts) counters.alerts++;
    }
    pending = [];
    for (const x of dirty) {
      x.dirty = false;
      store.prune(x.partition, x.nextOffset);
    }
    counters.commits++;
    member.replacements = 0;
  }

  /**
   * Finished when the whole group is: no transaction open on anything it writes (a dead member's
   * included, so that what follows reads every result), every partition committed up to its end,
   * and the checkpoint at that offset has processed the end-of-stream marker (so a replay still
   * sending does not look finished just because the group has caught up).
   */
  async function finished(): Promise<boolean> {
    const all = Array.from({ length: partitions as number }, (_, p) => p);
    if (!(await stable(all, written))) return false;
    const hw = await offsetsOf(o.topic, all, FetchIsolationLevels.READ_UNCOMMITTED, ListOffsetTimestamps.LATEST);
    const committed = await committedOffsets(all);
    return all.every((p) => {
      const c = committed[p];
      if (c === undefined || c <= 0n || c !== hw[p]) return false;
      return tasks.get(p)?.ended ?? store.read(p, Number(c))?.ended ?? false;
    });
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
        o.log(`rebalance: assigned partitions [${[...member.assigned].sort().join(', ')}]`);
        dropUncommitted();
      }
      const m = member.take();
      if (m === undefined) {
        if (tasks.size > 0 && [...tasks.values()].some((x) => x.dirty)) {
          await commitOrRecover();
          continue;
        }
        if (performance.now() - lastCheck > 1000) {
          lastCheck = performance.now();
          phase = 'finished?';
          if (await orRecover(finished())) break;
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
      if (m.offset !== BigInt(task.nextOffset) || task.ended) continue;
      const { endMark, sendTime } = satHeaders(m.headers);
      if (sendTime !== undefined) latency.record(Date.now() - sendTime);
      let isEnd = false;
      if (endMark !== undefined) {
        // Shard i of n replays each end every partition: it ends with the last shard's marker.
        const shard = parseEndMark(endMark);
        if (!task.endMarks.includes(shard.index)) task.endMarks.push(shard.index);
        isEnd = task.endMarks.length >= shard.count;
      }
      if (isEnd) {
        task.op.flush();
        emitFired(task.op, outputs(m.partition));
        task.ended = true;
      } else if (endMark === undefined) {
        processor.handle(task.op, { partition: m.partition, offset: Number(m.offset), value: m.value }, outputs(m.partition));
        counters.records++;
        killPoint?.();
      }
      processed.add(m.partition);
      task.nextOffset = Number(m.offset) + 1;
      task.dirty = true;
      task.last = m;
      lastProgress = performance.now();
      if (performance.now() - lastCommit >= o.commitIntervalMs || pending.length + unscored.length > 50_000) await commitOrRecover();
    }
    if (!member.rebalancePending) await commitOrRecover();
  } finally {
    clearInterval(status);
    for (const x of tasks.values()) for (const k of Object.keys(stats) as (keyof OperatorStats)[]) stats[k] += x.op.stats[k];
    const closing = (what: string) => (e: Error) => o.log(`closing the ${what} failed: ${e.message}`);
    await member.close(closing);
    await producer.close().catch(closing('producer'));
    await admin.close().catch(closing('admin client'));
    slot?.release();
  }

  async function commitOrRecover(): Promise<void> {
    lastCommit = performance.now();
    if (member.rebalancePending) return; // offsets of revoked partitions cannot be committed: drop instead
    try {
      phase = 'score';
      await scorePending();
      phase = 'commit';
      await deadline(commit(), COMMIT_DEADLINE_MS, 'commit');
      phase = 'process';
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as { errors?: { message?: string }[] }).errors?.[0]?.message;
      o.log(`commit failed (${(e as Error).message}${cause ? `: ${cause}` : ''}): dropping uncommitted work and re-reading from the commits`);
      if (e instanceof DeadlineExceeded || o.exactlyOnce) {
        // A client call that never answers, or a failed transaction (the client keeps it as active),
        // leaves the producer unusable: start a fresh one. With the same transactional id, its
        // InitProducerId fences the old one and aborts any transaction it left open.
        const stale = producer;
        producer = newProducer();
        void deadline(stale.close(true) as unknown as Promise<void>, 2000, "close").catch(() => undefined);
      }
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
    deadLetterReasons: processor.deadLetterKinds,
    scoring: scorer && { ...tally, online: scorer.online?.stats },
    latency: latency.summary(),
  };
}
