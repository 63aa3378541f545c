import { Producer, ProduceAcks } from '@platformatic/kafka';
import { HEADER_END, HEADER_SEND_TIME, type OutRecord, type RecordSink } from '../types.js';
import { clientOptions, describeConnection, type KafkaConnection } from './config.js';
import { ensureTopics, partitionCount } from './topics.js';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4';

/**
 * Kafka as a replay sink: an idempotent producer with acks=all. Batches go out one at a time
 * (platformatic 1.35 breaks idempotent sequence numbers with several in flight). sat sets each
 * record's partition itself with Kafka's murmur2, so Kafka and the embedded log agree (the library's
 * default partitioner differs from the Java client's).
 */
export async function kafkaSink(conn: KafkaConnection, topic: string, partitions: number, compression: Compression, shard?: { index: number; count: number }): Promise<RecordSink> {
  const existing = await partitionCount(conn, topic);
  if (existing === undefined) await ensureTopics(conn, [{ name: topic, partitions }]);
  const count = existing ?? partitions;
  const producer = new Producer({ ...clientOptions(conn, 'sat-replay'), idempotent: true, acks: ProduceAcks.ALL, compression });
  const sendTimeKey = Buffer.from(HEADER_SEND_TIME);
  return {
    partitions: count,
    describe: `kafka ${describeConnection(conn)} topic ${topic}`,
    async send(batch: OutRecord[]) {
      const result = await producer.send({
        messages: batch.map((r) => ({
          topic,
          partition: r.partition,
          key: r.key === null ? undefined : Buffer.from(r.key),
          value: Buffer.from(r.value),
          headers: new Map([[sendTimeKey, Buffer.from(String(r.sendTime))]]),
        })),
      });
      // The broker acknowledges each partition's part of the batch with its base offset.
      const base = new Map<number, bigint>();
      for (const o of result.offsets ?? []) base.set(o.partition, o.offset);
      const next = new Map<number, number>();
      return batch.map((r) => {
        const i = next.get(r.partition) ?? 0;
        next.set(r.partition, i + 1);
        return Number(base.get(r.partition) ?? -1n) + i;
      });
    },
    async finish() {
      // "i/n": a partition has ended once the engine has seen the markers of all n shards.
      const end = Buffer.from(HEADER_END);
      const mark = Buffer.from(shard ? `${shard.index}/${shard.count}` : '1/1');
      await producer.send({
        messages: Array.from({ length: count }, (_, p) => ({ topic, partition: p, value: Buffer.alloc(0), headers: new Map([[end, mark]]) })),
      });
    },
    async close() {
      await producer.close();
    },
  };
}
