import { Producer, ProduceAcks } from '@platformatic/kafka';
import { asKafkaError, atKafkaEdge } from './errors.js';
import { endMarkValue, HEADER_END, HEADER_SEND_TIME, type OutRecord, type RecordSink } from '../types.js';
import { clientOptions, describeConnection, type KafkaConnection } from './config.js';
import { ensureTopics, partitionCount } from './topics.js';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4';

/**
 * Kafka as a replay sink: an idempotent producer with acks=all. One request is in flight at a time
 * (platformatic 1.35 breaks idempotent sequence numbers with several in flight). sat sets each
 * record's partition itself with Kafka's murmur2, so Kafka and the embedded log agree (the library's
 * default partitioner differs from the Java client's).
 */
export function kafkaSink(conn: KafkaConnection, topic: string, partitions: number, compression: Compression, shard?: { index: number; count: number }): Promise<RecordSink> {
  return atKafkaEdge(() => openSink(conn, topic, partitions, compression, shard));
}

async function openSink(conn: KafkaConnection, topic: string, partitions: number, compression: Compression, shard?: { index: number; count: number }): Promise<RecordSink> {
  const existing = await partitionCount(conn, topic);
  if (existing === undefined) await ensureTopics(conn, [{ name: topic, partitions }]);
  const count = existing ?? partitions;
  const producer = new Producer({ ...clientOptions(conn, 'sat-replay'), idempotent: true, acks: ProduceAcks.ALL, compression });
  const sendTimeKey = Buffer.from(HEADER_SEND_TIME);
  type Waiting = { batch: OutRecord[]; resolve: (offsets: number[]) => void; reject: (e: unknown) => void };
  let queue: Waiting[] = [];
  let pumping = false;

  /** Sends one request for these records; resolves with each record's offset, in order. */
  async function produce(records: OutRecord[]): Promise<number[]> {
    const result = await producer.send({
      messages: records.map((r) => ({
        topic,
        partition: r.partition,
        key: r.key === null ? undefined : Buffer.from(r.key),
        value: Buffer.from(r.value),
        headers: new Map([[sendTimeKey, Buffer.from(String(r.sendTime))]]),
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

  async function pump(): Promise<void> {
    pumping = true;
    while (queue.length > 0) {
      // Up to ~10k records per request.
      let n = 0;
      let k = 0;
      while (k < queue.length && (k === 0 || n + queue[k].batch.length <= 10_000)) n += queue[k++].batch.length;
      const taken = queue.slice(0, k);
      queue = queue.slice(k);
      try {
        const offsets = await produce(taken.flatMap((w) => w.batch));
        let at = 0;
        for (const w of taken) {
          w.resolve(offsets.slice(at, at + w.batch.length));
          at += w.batch.length;
        }
      } catch (e) {
        for (const w of taken) w.reject(asKafkaError(e));
      }
    }
    pumping = false;
  }

  return {
    partitions: count,
    describe: `kafka ${describeConnection(conn)} topic ${topic}`,
    // Batches handed over while a request is in flight wait in `queue`; the next request takes them
    // all at once (one request in flight: see above), so slow acknowledgements grow the requests
    // instead of holding the sender back.
    send(batch: OutRecord[]) {
      return new Promise<number[]>((resolve, reject) => {
        queue.push({ batch, resolve, reject });
        if (!pumping) void pump();
      });
    },
    async finish() {
      // "i/n": a partition has ended once the engine has seen the markers of all n shards.
      const end = Buffer.from(HEADER_END);
      const mark = Buffer.from(endMarkValue(shard));
      await atKafkaEdge(() =>
        producer.send({
          messages: Array.from({ length: count }, (_, p) => ({ topic, partition: p, value: Buffer.alloc(0), headers: new Map([[end, mark]]) })),
        }),
      );
    },
    async close() {
      await atKafkaEdge(() => producer.close());
    },
  };
}
