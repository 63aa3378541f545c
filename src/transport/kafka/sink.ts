import { Producer, ProduceAcks } from '@platformatic/kafka';
import { asKafkaError, atKafkaEdge } from './errors.js';
import { endMarkValue, HEADER_END, HEADER_SEND_TIME, type OutRecord, type RecordSink } from '../types.js';
import { clientOptions, describeConnection, type KafkaConnection } from './config.js';
import { ensureTopics, partitionCount } from './topics.js';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4';

/** Producers a replay sends through at once, one per group of partitions (see kafkaSink). */
const LANES = Number(process.env.SAT_PRODUCER_LANES ?? 4);

/**
 * Kafka as a replay sink: idempotent producers with acks=all. sat sets each record's partition itself
 * with Kafka's murmur2, so Kafka and the embedded log agree (the library's default partitioner differs
 * from the Java client's).
 *
 * Several requests are in flight, as the Java producer keeps up to 5 per connection, but each through
 * its own producer: partition p goes through lane p mod L, and a lane has one request in flight
 * (platformatic 1.35 breaks idempotent sequence numbers with several in flight on one producer). A
 * partition's records are therefore sent in order, one request after the other, by one idempotent
 * producer, and a retried request cannot reorder or repeat them.
 */
export function kafkaSink(conn: KafkaConnection, topic: string, partitions: number, compression: Compression, shard?: { index: number; count: number }): Promise<RecordSink> {
  return atKafkaEdge(() => openSink(conn, topic, partitions, compression, shard));
}

type Waiting = { batch: OutRecord[]; resolve: (offsets: number[]) => void; reject: (e: unknown) => void };

/** One producer and its queue: batches handed over while its request is in flight go out together in the next. */
class Lane {
  #queue: Waiting[] = [];
  #pumping = false;
  readonly #sendTimeKey = Buffer.from(HEADER_SEND_TIME);

  constructor(
    readonly producer: Producer,
    readonly topic: string,
  ) {}

  send(batch: OutRecord[]): Promise<number[]> {
    return new Promise<number[]>((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject });
      if (!this.#pumping) void this.#pump();
    });
  }

  /** Sends one request for these records; resolves with each record's offset, in order. */
  async #produce(records: OutRecord[]): Promise<number[]> {
    const result = await this.producer.send({
      messages: records.map((r) => ({
        topic: this.topic,
        partition: r.partition,
        key: r.key === null ? undefined : Buffer.from(r.key),
        value: Buffer.from(r.value),
        headers: new Map([[this.#sendTimeKey, Buffer.from(String(r.sendTime))]]),
      })),
    });
    // The broker acknowledges each partition's part of the request with its base offset.
    const base = new Map<number, bigint>();
    for (const o of result.offsets ?? []) base.set(o.partition, o.offset);
    const next = new Map<number, number>();
    return records.map((r) => {
      const i = next.get(r.partition) ?? 0;
      next.set(r.partition, i + 1);
      return Number(base.get(r.partition) ?? -1n) + i;
    });
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    while (this.#queue.length > 0) {
      // Up to ~10k records per request.
      let n = 0;
      let k = 0;
      while (k < this.#queue.length && (k === 0 || n + this.#queue[k].batch.length <= 10_000)) n += this.#queue[k++].batch.length;
      const taken = this.#queue.slice(0, k);
      this.#queue = this.#queue.slice(k);
      try {
        const offsets = await this.#produce(taken.flatMap((w) => w.batch));
        let at = 0;
        for (const w of taken) {
          w.resolve(offsets.slice(at, at + w.batch.length));
          at += w.batch.length;
        }
      } catch (e) {
        for (const w of taken) w.reject(asKafkaError(e));
      }
    }
    this.#pumping = false;
  }
}

async function openSink(conn: KafkaConnection, topic: string, partitions: number, compression: Compression, shard?: { index: number; count: number }): Promise<RecordSink> {
  const existing = await partitionCount(conn, topic);
  if (existing === undefined) await ensureTopics(conn, [{ name: topic, partitions }]);
  const count = existing ?? partitions;
  const lanes = Array.from({ length: Math.max(1, Math.min(count, LANES)) }, () => new Lane(new Producer({ ...clientOptions(conn, 'sat-replay'), idempotent: true, acks: ProduceAcks.ALL, compression }), topic));
  const laneOf = (partition: number) => lanes[partition % lanes.length];

  return {
    partitions: count,
    describe: `kafka ${describeConnection(conn)} topic ${topic}`,
    // A batch is split by lane; its offsets are put back in the batch's order.
    async send(batch: OutRecord[]) {
      if (lanes.length === 1) return lanes[0].send(batch);
      const parts = lanes.map(() => ({ records: [] as OutRecord[], at: [] as number[] }));
      batch.forEach((r, i) => {
        const part = parts[r.partition % lanes.length];
        part.records.push(r);
        part.at.push(i);
      });
      const offsets = new Array<number>(batch.length);
      await Promise.all(
        parts.map(async (part, j) => {
          if (part.records.length === 0) return;
          const got = await lanes[j].send(part.records);
          for (let k = 0; k < got.length; k++) offsets[part.at[k]] = got[k];
        }),
      );
      return offsets;
    },
    async finish() {
      // "i/n": a partition has ended once the engine has seen the markers of all n shards.
      const end = Buffer.from(HEADER_END);
      const mark = Buffer.from(endMarkValue(shard));
      await atKafkaEdge(() =>
        Promise.all(
          lanes.map((lane, j) =>
            lane.producer.send({
              messages: Array.from({ length: count }, (_, p) => p)
                .filter((p) => laneOf(p) === lanes[j])
                .map((p) => ({ topic, partition: p, value: Buffer.alloc(0), headers: new Map([[end, mark]]) })),
            }),
          ),
        ),
      );
    },
    async close() {
      await atKafkaEdge(() => Promise.all(lanes.map((lane) => lane.producer.close())));
    },
  };
}
