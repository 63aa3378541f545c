import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, FetchIsolationLevels, IS_CONTROL, type MessagesStream } from '@platformatic/kafka';
import { deadline } from '../../core/deadline.js';
import { readCommittedCorrectly } from '../../transport/kafka/aborted-filter.js';
import { batchRecords, emptyRecordOut, ParsedRecords, type RecordCursor, type RecordOut } from '../../transport/kafka/batch-records.js';
import type { RawBatch } from '../../transport/kafka/fetched-records.js';
import { clientOptions } from '../../transport/kafka/client-options.js';
import { type KafkaConnection } from '../../transport/kafka/config.js';
import type { ScanSpec } from '../scan-spec.js';
import { FetchDecoder } from './fetch-decoder.js';

/** The member's place in its group when a fetch came back: a transaction commits its offsets under it (fencing a member the group has moved past). */
export interface FetchedUnder {
  consumer: { groupId: string; memberId: string | null; generationId: number; coordinatorId: number | null };
}

/**
 * One partition's part of a fetch response. It holds every data record from the offset the fetch
 * asked for on (transaction markers and dropped aborted records between hold none), so no data lies
 * between that offset and its first record, nor between one of its records and the next.
 */
export interface FetchedPart {
  /** The offset of the part's record last handed out; before the first, the offset asked for less one. */
  last: number;
}

/** Records of one fetched batch, as the member takes them. */
interface Fetched {
  partition: number;
  /** The batch's first offset. */
  base: number;
  part: FetchedPart;
  leaderEpoch: number;
  records: RecordCursor;
  under: FetchedUnder;
}

/** How many fetched records the member holds before it pauses the fetches, and how few when it resumes them: the next fetch (and its decoding) is under way before the last records are taken. */
const HELD_MAX = 20_000;
const HELD_RESUME = 10_000;

/**
 * The consuming side of a `sat run` member: its consumer in the group, the records it has fetched,
 * and what the group assigned it. When the consumer breaks (fetches fail after the client's retries,
 * as after a broker restart; the group forgot the member), `replace` starts a new one that joins the
 * group again and fetches from the committed offsets.
 *
 * The client's stream fetches (positions, leaders, rejoins, pauses), but the records are taken from
 * each fetch response before the stream sees them, batch by batch: the stream would make a message
 * object, a header map, a bound commit function and a stream push of each record, which cost more
 * than the engine's work on it. The stream still moves its positions by the batches' offsets.
 */
export class MemberStream {
  consumer: Consumer;
  #stream!: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
  /** The input partitions the group gave this member at its last join. */
  assigned = new Set<number>();
  #rebalanced = false;
  /** Set when the stream fails: the member replaces the consumer at its next step. */
  error: Error | undefined;
  // Fetched batches, a queue with a moving head (Array.shift() would copy the array each time).
  #queue: Fetched[] = [];
  #head = 0;
  #held = 0;
  replacements = 0;
  /** How many times a partition was fetched again from its task's offset (seek). */
  seeks = 0;
  /** Partitions seeked to an offset whose fetch from there has not come back yet: fetches from elsewhere (under way at the seek) are dropped. */
  #seekedTo = new Map<number, number>();
  /** The record take() moved to (value, send time, end mark), its partition, offset, batch leader epoch and the group generation it was fetched under. */
  readonly record: RecordOut = emptyRecordOut();
  partition = 0;
  offset = 0;
  leaderEpoch = -1;
  /** The offset of the record handed out before this one from its fetched part (the offset its fetch asked for less one, for the first): no data lies between. */
  before = 0;
  under!: FetchedUnder;
  /** Decodes the fetched batches on a thread of its own, where given the scenario's fields (else they are decoded as taken). */
  readonly #decoder: FetchDecoder | undefined;

  constructor(
    private readonly conn: KafkaConnection,
    private readonly group: string,
    private readonly topic: string,
    scan?: ScanSpec,
  ) {
    this.consumer = this.#newConsumer();
    // SAT_KAFKA_DECODE=here: on the member's own thread (to compare).
    if (scan !== undefined && process.env.SAT_KAFKA_DECODE !== 'here') this.#decoder = new FetchDecoder(scan);
  }

  #newConsumer(): Consumer {
    // Input topics written by a transactional producer must lose their aborted transactions (the client alone lets some through).
    const c: Consumer = readCommittedCorrectly(new Consumer({
      ...clientOptions(this.conn, 'sat-run'),
      groupId: this.group,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      rebalanceTimeout: 20000,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      autocommit: false,
    }), (p, requested) => {
      if (c === this.consumer) this.#take(p.partitionIndex, p.records, requested, c);
    });
    c.on('consumer:group:join', (p) => {
      // A replaced consumer whose own rejoin (begun while the broker was away) went through after
      // all would hold partitions as a ghost member that fetches nothing: make it leave.
      if (c !== this.consumer) {
        void retire(c);
        return;
      }
      this.assigned = new Set((p.assignments ?? []).filter((a) => a.topic === this.topic).flatMap((a) => a.partitions));
      this.#rebalanced = true;
      // The stream fetches from the commits now, and the tasks restore there. What was fetched under
      // the generation before is dropped: a transaction would commit its offsets under that
      // generation, which the group refuses once it has moved on.
      this.#seekedTo.clear();
      this.#drop();
    });
    // The client reports a failed rejoin (its heartbeat found the member forgotten while the broker
    // was away) as an 'error' event: without a listener Node would end the process with it.
    c.on('error', (e: Error) => {
      if (c === this.consumer) this.error = e;
    });
    return c;
  }

  /** Joins the group and starts fetching from the committed offsets (the log start where none). */
  async open(): Promise<void> {
    const s = await this.consumer.consume({
      topics: [this.topic],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: 200,
    });
    this.#stream = s;
    // The records never reach the stream (#take has them), but a stream without a reader does not fetch.
    s.on('data', () => undefined);
    s.on('error', (e: Error) => {
      if (s === this.#stream) this.error = e;
    });
  }

  /** Takes the data batches' records out of a fetched partition; the stream is left the batches' offsets. */
  #take(partition: number, batches: RawBatch[] | null | undefined, requested: bigint | undefined, c: Consumer): void {
    if (!batches || batches.length === 0) return;
    let under: FetchedUnder | undefined;
    const seekedTo = this.#seekedTo.get(partition);
    if (seekedTo !== undefined) {
      if (requested !== undefined && Number(requested) !== seekedTo) {
        // Fetched before the seek: dropped, and the client is not to move its position by it either.
        batches.length = 0;
        this.#stream.offsetsToFetch.set(`${this.topic}:${partition}`, BigInt(seekedTo));
        return;
      }
      this.#seekedTo.delete(partition);
    }
    const part: FetchedPart = { last: Number(requested ?? batches[0].firstOffset) - 1 };
    for (const b of batches) {
      if (b.attributes & IS_CONTROL) continue;
      const records = b.raw === undefined ? new ParsedRecords(b.records) : this.#decoder === undefined ? batchRecords(b.raw) : this.#decoder.add(b.raw);
      if (records.count === 0) continue;
      under ??= { consumer: { groupId: c.groupId, memberId: c.memberId, generationId: c.generationId, coordinatorId: c.coordinatorId } };
      this.#queue.push({ partition, base: Number(b.firstOffset), part, leaderEpoch: b.partitionLeaderEpoch, records, under });
      this.#held += records.count;
      b.records = [];
    }
    if (this.#held > HELD_MAX && this.#stream !== undefined && !this.#stream.isPaused()) this.#stream.pause();
  }

  /**
   * Moves to the next fetched record (`record`, `partition`, `offset`...), or returns false when none
   * is waiting (the stream is resumed then) or the next is still being decoded (see decoding()).
   */
  take(): boolean {
    let f = this.#queue[this.#head];
    for (;;) {
      if (f !== undefined && !f.records.ready) return false;
      if (f === undefined) {
        if (this.#head > 0) {
          this.#queue = [];
          this.#head = 0;
        }
        this.#held = 0;
        if (this.#stream.isPaused()) this.#stream.resume();
        return false;
      }
      if (!f.records.next(this.record)) {
        this.#queue[this.#head++] = undefined as unknown as Fetched;
        f = this.#queue[this.#head];
        continue;
      }
      if (--this.#held === HELD_RESUME && this.#stream.isPaused()) this.#stream.resume();
      // The broker answers from the start of the batch holding the offset asked for: records before it are not this fetch's.
      if (f.base + this.record.offsetDelta > f.part.last) break;
    }
    if (this.#head > 1024) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.partition = f.partition;
    this.offset = f.base + this.record.offsetDelta;
    this.before = f.part.last;
    f.part.last = this.offset;
    this.leaderEpoch = f.leaderEpoch;
    this.under = f.under;
    return true;
  }

  /** When the next fetched batch is still being decoded: settles once an answer comes. */
  decoding(): Promise<void> | undefined {
    const f = this.#queue[this.#head];
    return f !== undefined && !f.records.ready ? this.#decoder?.arrival() : undefined;
  }

  /** The byte scanner's values of the record taken, where the decoding thread walked it (null: the full path decides). */
  scanned(): unknown[] | null | undefined {
    return this.#decoder?.values(this.record);
  }

  /**
   * Makes a partition's records come again from `offset`: what is held of it is dropped, and the
   * stream fetches it from there next. For records fetched from past where the partition's task
   * reads on: a fetch under way when a rebalance or a failed commit rewound the stream to the
   * commits came back after the rewind, and moved the stream's position past them.
   */
  seek(partition: number, offset: number): void {
    this.#queue = this.#queue.slice(this.#head).filter((f) => f.partition !== partition);
    this.#head = 0;
    this.#held = this.#queue.reduce((n, f) => n + f.records.count, 0);
    this.#stream.offsetsToFetch.set(`${this.topic}:${partition}`, BigInt(offset));
    this.#seekedTo.set(partition, offset);
    this.seeks++;
  }

  /** Drops every fetched record held. */
  #drop(): void {
    this.#queue = [];
    this.#head = 0;
    this.#held = 0;
  }

  /** Puts back the record take() just returned: it is taken again next. */
  unread(): void {
    const f = this.#queue[this.#head];
    f.records.back();
    f.part.last = this.before;
    this.#held++;
  }

  /** True once after each group join. */
  takeRebalance(): boolean {
    const r = this.#rebalanced;
    this.#rebalanced = false;
    return r;
  }

  get rebalancePending(): boolean {
    return this.#rebalanced;
  }

  /** Makes the stream fetch again from the committed offsets, as it does on a group join. */
  rewind(): void {
    this.consumer.emit('consumer:group:join', { groupId: this.group, memberId: this.consumer.memberId ?? '', generationId: this.consumer.generationId, assignments: [{ topic: this.topic, partitions: [...this.assigned] }] });
  }

  /** Drops the consumer (closed in the background: it may hang) and joins with a new one. */
  async replace(cause: Error): Promise<void> {
    if (++this.replacements > 30) throw cause; // thirty in a row without a commit between: give up
    const [oldConsumer, oldStream] = [this.consumer, this.#stream];
    this.consumer = this.#newConsumer();
    void deadline(oldStream.close(), 5000, 'close').catch(() => undefined);
    void retire(oldConsumer);
    this.error = undefined;
    this.#drop();
    this.#seekedTo.clear();
    try {
      await this.open();
    } catch (e) {
      // The broker is still away (the join gave up): try again at the member's next step.
      this.error = e as Error;
      await sleep(1000);
    }
  }

  /** Last offsets (by isolation level) or log starts of a topic's partitions, through this consumer. */
  async offsetsOf(topic: string, parts: number[], isolationLevel: number, timestamp: bigint): Promise<bigint[]> {
    return (await deadline(this.consumer.listOffsets({ topics: [topic], partitions: { [topic]: parts }, isolationLevel, timestamp }), 15_000, 'listOffsets')).get(topic) ?? [];
  }

  /** For SAT_DEBUG status lines. */
  describe(): string {
    const fetchAt = [...this.#stream.offsetsToFetch].map(([k, v]) => `${k.split(':').pop()}@${v}`).join(' ');
    return `held ${this.#held}, seeks ${this.seeks}, paused ${this.#stream.isPaused()}, assigned [${[...this.assigned]}], fetching ${fetchAt}`;
  }

  async close(onError: (what: string) => (e: Error) => void): Promise<void> {
    this.#decoder?.close();
    await this.#stream.close().catch(onError('stream'));
    await (this.consumer.close(true) as unknown as Promise<void>).catch(onError('consumer'));
  }
}

/**
 * Closes a replaced consumer (leaving the group) in the background, trying again while the broker
 * is away: a close that fails leaves the client a member, heartbeating, with partitions nobody reads.
 */
async function retire(c: Consumer): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    try {
      await deadline(c.close(true) as unknown as Promise<void>, 5000, 'close');
      return;
    } catch {
      await sleep(1000);
    }
  }
}

/** The group coordinator no longer knows this member (UNKNOWN_MEMBER_ID). */
export function unknownMember(e: unknown): boolean {
  if ((e as { findBy?: (k: string, v: unknown) => unknown }).findBy?.('unknownMemberId', true)) return true;
  const text = [(e as Error)?.message, ...((e as { errors?: Error[] }).errors ?? []).map((x) => x?.message)].join(' ');
  return /not aware of this member|UNKNOWN_MEMBER/i.test(text);
}
