import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { clientOptions } from '../../src/transport/kafka/client-options.js';
import { kafkaConnection } from '../../src/transport/kafka/config.js';
import { readTopic } from '../../src/transport/kafka/read-topic.js';
import { ensureTopics } from '../../src/transport/kafka/topics.js';
import { BROKERS, haveBroker, uniqueTopic } from './broker.js';

describe.skipIf(!haveBroker)('reading a topic with read_committed, as verify does', () => {
  it('an open transaction hides what follows it: the reader waits for it, and says so when it gives up', async () => {
    const conn = kafkaConnection(BROKERS);
    const topic = uniqueTopic('open-tx');
    await ensureTopics(conn, [{ name: topic, partitions: 1 }]);
    const tx = new Producer({ ...clientOptions(conn, 'sat-test'), idempotent: true, acks: ProduceAcks.ALL, transactionalId: `sat-test-${topic}`, producerId: -1n, producerEpoch: -1, serializers: stringSerializers });
    const plain = new Producer({ ...clientOptions(conn, 'sat-test'), idempotent: true, acks: ProduceAcks.ALL, serializers: stringSerializers });
    try {
      await plain.send({ messages: [{ topic, partition: 0, value: 'before' }] });
      const t = await tx.beginTransaction();
      await t.send({ messages: [{ topic, partition: 0, value: 'in the transaction' }] });
      await plain.send({ messages: [{ topic, partition: 0, value: 'after' }] });

      const lines: string[] = [];
      const held = await readTopic(conn, topic, { settleMs: 600, log: (l) => lines.push(l) });
      expect(held.map(String)).toEqual(['before']);
      expect(lines.join('\n')).toMatch(/waiting for an open transaction on partitions \[0\]/);
      expect(lines.join('\n')).toMatch(/still open on partitions \[0\].*records after them are not seen/);

      // Committed while the reader waits: it then reads everything.
      const reading = readTopic(conn, topic, { settleMs: 30_000 });
      setTimeout(() => void t.commit(), 500);
      expect((await reading).map(String)).toEqual(['before', 'in the transaction', 'after']);
    } finally {
      await tx.close(true);
      await plain.close(true);
    }
  });

  it('several aborted transactions of one producer, between committed ones: none of their records is read', async () => {
    const conn = kafkaConnection(BROKERS);
    const topic = uniqueTopic('aborts');
    await ensureTopics(conn, [{ name: topic, partitions: 1 }]);
    const tx = new Producer({ ...clientOptions(conn, 'sat-test'), idempotent: true, acks: ProduceAcks.ALL, transactionalId: `sat-test-${topic}`, producerId: -1n, producerEpoch: -1, serializers: stringSerializers });
    try {
      // What sat run leaves after commits that failed (a rebalance mid-commit): aborted results, then the same results committed.
      for (const [values, commit] of [[['a1', 'a2'], false], [['c1'], true], [['a3'], false], [['c2', 'c3'], true], [['a4'], false]] as const) {
        const t = await tx.beginTransaction();
        await t.send({ messages: values.map((value) => ({ topic, partition: 0, value })) });
        await (commit ? t.commit() : t.abort());
      }
    } finally {
      await tx.close(true);
    }
    // The client's own filter kept one aborted range per producer: a1 and a2 (and a3) came through.
    expect((await readTopic(conn, topic)).map(String)).toEqual(['c1', 'c2', 'c3']);
  });
});
