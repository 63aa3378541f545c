import { ProduceAcks } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { ResultBatches } from '../../src/engine/kafka/result-batches.js';
import { clientOptions } from '../../src/transport/kafka/client-options.js';
import { kafkaConnection } from '../../src/transport/kafka/config.js';
import { FastProducer } from '../../src/transport/kafka/fast-producer.js';
import { ensureTopics } from '../../src/transport/kafka/topics.js';
import { readPartitionTail } from '../../src/transport/kafka/written.js';
import { BROKERS, haveBroker, uniqueTopic } from './broker.js';

const conn = kafkaConnection(BROKERS);

describe.skipIf(!haveBroker)('ensureTopics (transport/kafka/topics.ts)', { timeout: 120_000 }, () => {
  // A commit's Produce has no retry (result-batches.ts): a topic published in the broker's metadata
  // but not led yet refuses it (NOT_LEADER_OR_FOLLOWER). Without the wait, this failed 3 runs of 3.
  it('returns once new topics take a Produce at every partition at once, with no retry', async () => {
    const PARTITIONS = 4;
    const producer = new FastProducer({ ...clientOptions(conn, 'sat-test'), idempotent: true, acks: ProduceAcks.ALL });
    try {
      await producer.initIdempotentProducer({});
      for (let i = 0; i < 6; i++) {
        const topic = uniqueTopic(`ensure-${i}`);
        await ensureTopics(conn, [{ name: topic, partitions: PARTITIONS }]);
        const rb = new ResultBatches();
        for (let p = 0; p < PARTITIONS; p++) {
          const held = rb.partition(p);
          held.lines.utf8(`${topic}/${p}`);
          rb.added(held, Buffer.from(`k${p}`));
        }
        await rb.produce(rb.take(), producer, topic);
        for (let p = 0; p < PARTITIONS; p++) expect((await readPartitionTail(conn, topic, p, 0, 'none')).map((w) => w.value.toString())).toEqual([`${topic}/${p}`]);
      }
    } finally {
      await producer.close();
    }
  });
});
