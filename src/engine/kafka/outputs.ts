import { ProduceAcks, type Consumer, type Message } from '@platformatic/kafka';
import { FastProducer } from '../../transport/kafka/fast-producer.js';
import { deadline } from '../../core/deadline.js';
import { cachedIso } from '../../core/time.js';
import type { Scenario } from '../../scenario/types.js';
import { clientOptions } from '../../transport/kafka/client-options.js';
import { type KafkaConnection } from '../../transport/kafka/config.js';
import type { topicsOf } from '../../transport/kafka/topics.js';
import type { Latency } from '../../report/latency.js';
import type { openScorer } from '../join/open.js';
import type { scoringTally } from '../join/tally.js';
import type { WindowResult } from '../operator.js';
import type { Outputs } from '../process.js';
import type { FetchedUnder } from './member-stream.js';
import { writeResultLine } from '../results/line.js';
import { alertRow, deadLetterRow, lateRow } from '../side-rows.js';
import { PartitionReports, type PartitionReportsState } from './partition-reports.js';
import { ResultBatches } from './result-batches.js';
import { enc, requests, scoredMessages, type OutMessage } from './requests.js';

/** What a commit carries per input partition that moved: its progress and its last record. */
export interface CommitPart {
  partition: number;
  nextOffset: number;
  ended: boolean;
  /** The group generation its last record was fetched under, and that record batch's leader epoch. */
  under: FetchedUnder;
  leaderEpoch: number;
}

export interface OutputCounters {
  results: number;
  deadLettered: number;
  alerts: number;
  commits: number;
}

/** Window bounds repeat across a fired window's keys: each made into text once. */
const iso = cachedIso();
/** Keys whose bytes KafkaOutputs keeps for their next results (a Buffer.from per result was ~3% of a member's thread). */
const KEY_BYTES_HELD = 65_536;

/**
 * The Kafka output sink of a group member: the tasks' outputs are held until a commit, which writes
 * them with a progress record per partition and the consumed offsets: in one transaction
 * (--exactly-once, read-process-write), else produced and then committed. A failed commit drops
 * what was held; the stream then re-reads from the committed offsets.
 */
export class KafkaOutputs {
  #pending: OutMessage[] = [];
  /** Unscored results, written at the commit straight into record batches (not through the client's send). */
  readonly #results = new ResultBatches();
  /** Fired windows waiting for their score: scored (API calls and all) just before each commit. */
  #unscored: { partition: number; rows: WindowResult[] }[] = [];
  /** When each held result's window fired: its result latency ends when the commit makes it readable. */
  #firedAt: number[] = [];
  #producer: FastProducer;
  readonly #byPartition = new Map<number, Outputs>();
  /** Keys' bytes by their text, so a key's results share one Buffer; emptied past KEY_BYTES_HELD keys. */
  readonly #keyBytes = new Map<string, Buffer>();
  /** Scenarios with batch reports: each held task's reports (restored with the task, in its checkpoint). */
  readonly #reports = new Map<number, PartitionReports>();

  constructor(
    /** `topic`: the input topic, whose offsets the commits carry. */
    readonly o: { scenario: Scenario; conn: KafkaConnection; topic: string; exactlyOnce: boolean; transactionalId?: string },
    readonly t: ReturnType<typeof topicsOf>,
    readonly progressTopic: string,
    readonly counters: OutputCounters,
    readonly resultLatency: Latency,
    readonly scoring?: { scorer: NonNullable<Awaited<ReturnType<typeof openScorer>>>; add: ReturnType<typeof scoringTally>['add'] },
    /** Scenarios with batch reports: the country table their top users are joined with. */
    readonly countries?: Map<string, string>,
  ) {
    this.#producer = this.#newProducer();
  }

  #newProducer(): FastProducer {
    return new FastProducer({
      ...clientOptions(this.o.conn, 'sat-run'),
      idempotent: true,
      acks: ProduceAcks.ALL,
      // Also the transaction timeout: a killed member's open transaction is aborted after this long.
      timeout: 10000,
      // -1/-1: "no previous producer" in InitProducerId. The client's default (0/0) names a producer
      // that never existed, which the broker answers with PRODUCER_FENCED for a reused id.
      ...(this.o.transactionalId ? { transactionalId: this.o.transactionalId, producerId: -1n, producerEpoch: -1 } : {}),
    });
  }

  /** A task opened (restored or new): its reports start from its checkpoint's. */
  openReports(partition: number, state?: PartitionReportsState): void {
    if (this.o.scenario.reports) this.#reports.set(partition, new PartitionReports(this.o.scenario, state));
  }

  /** A task's reports, for its checkpoint. */
  reportsState(partition: number): PartitionReportsState | undefined {
    return this.#reports.get(partition)?.state();
  }

  /** The outputs of one input partition's task (made once per partition). */
  forPartition(partition: number): Outputs {
    let out = this.#byPartition.get(partition);
    if (out !== undefined) return out;
    const t = this.t;
    const aggs = this.o.scenario.aggregations;
    const reports = () => this.#reports.get(partition)!;
    out = {
      deadLetter: (p, offset, rejected, value) => {
        if (this.o.scenario.reports) reports().malformed++;
        this.#pending.push({ topic: t.deadLetters, partition, value: enc(JSON.stringify(deadLetterRow(p, offset, rejected.kind, rejected.reason, value))) });
      },
      late: (p, offset, r, watermark, value) => this.#pending.push({ topic: t.late, partition, value: enc(JSON.stringify(lateRow(p, offset, r.key, r.time, r.id, watermark, value))) }),
      alert: (alert, p, offset, r) => this.#pending.push({ topic: t.alerts, partition, key: enc(r.key), value: enc(JSON.stringify(alertRow(alert, p, offset, r.key, r.id, r.time))) }),
      results: (rows, emitTime) => {
        for (let i = 0; i < rows.length; i++) this.#firedAt.push(emitTime);
        if (this.scoring) return void this.#unscored.push({ partition, rows });
        const emit = iso(emitTime);
        const held = this.#results.partition(partition);
        for (const r of rows) {
          writeResultLine(held.lines, r, aggs, emit, iso);
          this.#results.added(held, this.#keyOf(r.key));
        }
      },
    };
    if (this.o.scenario.reports) {
      out.valid = (r) => reports().add(r);
      out.corrupted = (row) => {
        reports().corrupted++;
        this.#pending.push({ topic: t.corrupted, partition, value: enc(JSON.stringify(row)) });
      };
      // The partition's input has ended: its report rows go out in the commit that records the end.
      out.end = (records) => {
        const r = reports().rows(partition, records, this.countries ?? new Map());
        for (const line of r.pivot) this.#pending.push({ topic: t.pivot, partition, value: enc(line) });
        for (const line of r.topUsers) this.#pending.push({ topic: t.topUsers, partition, value: enc(line) });
        this.#pending.push({ topic: t.reconciliation, partition, key: enc(String(partition)), value: enc(JSON.stringify(r.reconciliation)) });
      };
    }
    this.#byPartition.set(partition, out);
    return out;
  }

  #keyOf(key: string): Buffer {
    let b = this.#keyBytes.get(key);
    if (b === undefined) {
      if (this.#keyBytes.size >= KEY_BYTES_HELD) this.#keyBytes.clear();
      this.#keyBytes.set(key, (b = enc(key)));
    }
    return b;
  }

  /** Messages and fired windows held for the next commit. */
  get held(): number {
    return this.#pending.length + this.#results.count + this.#unscored.length;
  }

  /** Scores what fired since the last commit and holds the scored results and actions with it. */
  async score(): Promise<void> {
    if (!this.scoring || this.#unscored.length === 0) return;
    const batch = this.#unscored;
    this.#unscored = [];
    const scored = await this.scoring.scorer.score(batch.flatMap((b) => b.rows));
    this.scoring.add(scored);
    this.#pending.push(...scoredMessages(scored, batch, this.t, this.o.scenario.aggregations));
  }

  /**
   * Writes what is held, a progress record per part and the parts' offsets, as one unit. What is held
   * is taken at the call, before its first wait: outputs made while the commit is under way go in the
   * next one.
   */
  async commit(parts: CommitPart[], consumer: Consumer): Promise<void> {
    const held = this.#pending;
    const results = this.#results.take();
    const firedAt = this.#firedAt;
    this.#pending = [];
    this.#firedAt = [];
    const progress: OutMessage[] = parts.map((x) => ({
      topic: this.progressTopic,
      partition: x.partition,
      key: enc(String(x.partition)),
      value: enc(JSON.stringify({ nextOffset: x.nextOffset, ended: x.ended })),
    }));
    const messages = [...held, ...progress];
    if (this.o.exactlyOnce) {
      const tx = await this.#producer.beginTransaction();
      try {
        await tx.addConsumer(consumer as Parameters<typeof tx.addConsumer>[0]);
        if (results.count > 0) {
          const metadata = await this.#producer.metadata({ topics: [this.t.results] });
          // The client reads a record's topic and partition alone here.
          await tx.addPartitions(metadata, [...results.parts.keys()].map((partition) => ({ topic: this.t.results, partition })) as Parameters<typeof tx.addPartitions>[1]);
          await this.#results.produce(results, this.#producer, this.t.results, this.o.transactionalId);
        }
        for (const chunk of requests(messages)) await tx.send({ messages: chunk });
        await this.#coordinatorKnown(parts);
        for (const x of parts) await tx.addOffset(this.#consumed(x));
        await tx.commit();
      } catch (e) {
        await tx.abort().catch(() => undefined);
        throw e;
      }
    } else {
      try {
        if (results.count > 0 && this.#producer.producerId === undefined) await this.#producer.initIdempotentProducer({});
        await this.#results.produce(results, this.#producer, this.t.results);
      } catch (e) {
        // Its batches' sequence numbers went on past what the broker may not have taken: a fresh
        // producer (a new id) numbers from 0 again.
        this.renewProducer();
        throw e;
      }
      for (const chunk of requests(messages)) await this.#producer.send({ messages: chunk });
      await consumer.commit({ offsets: parts.map((x) => ({ topic: this.o.topic, partition: x.partition, offset: BigInt(x.nextOffset), leaderEpoch: x.leaderEpoch })) });
    }
    this.counters.results += results.count;
    for (const m of held) {
      if (m.topic === this.t.results) this.counters.results++;
      else if (m.topic === this.t.deadLetters) this.counters.deadLettered++;
      else if (m.topic === this.t.alerts) this.counters.alerts++;
    }
    const now = Date.now();
    for (const t of firedAt) this.resultLatency.record(now - t);
    this.counters.commits++;
  }

  /**
   * The client (platformatic 1.35) looks the group coordinator of a record's consumer up in its
   * cluster metadata when it commits the offset in the transaction, and throws an uncaught TypeError
   * (ending the process) when that broker is not there: the coordinator was SIGKILLed and the
   * cluster dropped it. Checked first, it is a failed commit instead: the member replaces its
   * consumer, which finds the new coordinator, and re-reads from the commits.
   */
  async #coordinatorKnown(parts: CommitPart[]): Promise<void> {
    for (const x of parts) {
      const id = x.under.consumer.coordinatorId;
      if (id === null) continue;
      const brokers = (await this.#producer.metadata({ topics: [this.o.topic] })).brokers;
      if (!brokers.has(id)) throw new CoordinatorGone(id);
    }
  }

  /** The last record a part consumed, as the client's transaction takes it: it commits the offset after it under the group generation it was fetched under. */
  #consumed(x: CommitPart): Message {
    return { topic: this.o.topic, partition: x.partition, offset: BigInt(x.nextOffset - 1), metadata: x.under } as unknown as Message;
  }

  /** Drops everything held: after a rebalance or a failed commit, work restarts from the commits. */
  drop(): void {
    this.#reports.clear();
    this.#pending = [];
    this.#results.drop();
    this.#unscored = [];
    this.#firedAt = [];
  }

  /**
   * A client call that never answered, or a failed transaction (the client keeps it as active),
   * leaves the producer unusable: start a fresh one. With the same transactional id, its
   * InitProducerId fences the old one and aborts any transaction it left open.
   */
  renewProducer(): void {
    const stale = this.#producer;
    this.#producer = this.#newProducer();
    void deadline(stale.close(true) as unknown as Promise<void>, 2000, 'close').catch(() => undefined);
  }

  close(): Promise<void> {
    return this.#producer.close();
  }
}

/** The consumer group's coordinator left the cluster metadata (its broker died): the member needs a new consumer. */
export class CoordinatorGone extends Error {
  constructor(readonly node: number) {
    super(`the consumer group's coordinator, node ${node}, is not in the cluster metadata (its broker left)`);
  }
}
