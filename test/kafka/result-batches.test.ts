import { ProduceAcks } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { ResultBatches } from '../../src/engine/kafka/result-batches.js';
import { clientOptions } from '../../src/transport/kafka/client-options.js';
import { kafkaConnection } from '../../src/transport/kafka/config.js';
import { FastProducer } from '../../src/transport/kafka/fast-producer.js';
import { readTopic } from '../../src/transport/kafka/read-topic.js';
import { ensureTopics } from '../../src/transport/kafka/topics.js';
import { readPartitionTail } from '../../src/transport/kafka/written.js';
import { BROKERS, haveBroker, uniqueTopic } from './broker.js';

const conn = kafkaConnection(BROKERS);
const PARTITIONS = 3;

/** n results' keys and lines for a partition, the lines padded so that a few thousand pass a batch's 512 KB. */
function results(tag: string, partition: number, n: number): { key: string; line: string }[] {
  return Array.from({ length: n }, (_, i) => ({ key: `k${(i * 7) % 50}-ü`, line: JSON.stringify({ tag, partition, i, pad: 'x'.repeat(i % 150) }) }));
}

/** Adds each partition's results, interleaved across partitions as windows fire. */
function hold(rb: ResultBatches, byPartition: Map<number, { key: string; line: string }[]>): void {
  const most = Math.max(...[...byPartition.values()].map((r) => r.length));
  for (let i = 0; i < most; i++)
    for (const [p, rs] of byPartition) {
      if (i >= rs.length) continue;
      const held = rb.partition(p);
      held.lines.utf8(rs[i].line);
      rb.added(held, Buffer.from(rs[i].key));
    }
}

describe.skipIf(!haveBroker)("sat run's results written straight into record batches (engine/kafka/result-batches.ts)", { timeout: 120_000 }, () => {
  it('idempotent: each partition holds its results in the order they fired, keys and lines as given, across commits and batches of 512 KB', async () => {
    const topic = uniqueTopic('results-direct');
    await ensureTopics(conn, [{ name: topic, partitions: PARTITIONS }]);
    const producer = new FastProducer({ ...clientOptions(conn, 'sat-test'), idempotent: true, acks: ProduceAcks.ALL });
    const rb = new ResultBatches();
    try {
      await producer.initIdempotentProducer({});
      // Two commits on one producer: its sequence numbers go on from the first commit's. Partition 0
      // holds ~1.4 MB in the first (three batches), partition 2 nothing until the second.
      const commits = [
        new Map([[0, results('a', 0, 12_000)], [1, results('a', 1, 40)]]),
        new Map([[0, results('b', 0, 300)], [2, results('b', 2, 5_000)], [1, results('b', 1, 1)]]),
      ];
      for (const c of commits) {
        hold(rb, c);
        const held = rb.take();
        expect(rb.count).toBe(0);
        expect(held.count).toBe([...c.values()].reduce((n, r) => n + r.length, 0));
        await rb.produce(held, producer, topic);
      }
      for (let p = 0; p < PARTITIONS; p++) {
        const expected = commits.flatMap((c) => c.get(p) ?? []);
        const tail = await readPartitionTail(conn, topic, p, 0, 'none');
        expect(tail.map((w) => w.offset)).toEqual(expected.map((_, i) => i));
        expect(tail.map((w) => ({ key: w.key?.toString(), line: w.value.toString() }))).toEqual(expected);
      }
    } finally {
      await producer.close();
    }
  });

  it('a request that failed: the producer that takes over (same transactional id, next epoch) numbers its batches from 0, and its results follow the committed ones', async () => {
    const topic = uniqueTopic('results-direct-fail');
    await ensureTopics(conn, [{ name: topic, partitions: PARTITIONS }]);
    const txId = `sat-test-${topic}`;
    const producer = () => new FastProducer({ ...clientOptions(conn, 'sat-test'), idempotent: true, acks: ProduceAcks.ALL, timeout: 10_000, transactionalId: txId, producerId: -1n, producerEpoch: -1 });
    const rb = new ResultBatches();
    const commit = async (p: FastProducer, held: ReturnType<ResultBatches['take']>, end: 'commit' | 'abort') => {
      const tx = await p.beginTransaction();
      try {
        await tx.addPartitions(await p.metadata({ topics: [topic] }), [...held.parts.keys()].map((partition) => ({ topic, partition })) as Parameters<typeof tx.addPartitions>[1]);
        await rb.produce(held, p, topic, txId);
      } catch (e) {
        await tx.abort();
        throw e;
      }
      await (end === 'commit' ? tx.commit() : tx.abort());
    };
    const a = new Map([[0, results('a', 0, 9_000)], [1, results('a', 1, 30)]]);
    const b = new Map([[0, results('b', 0, 500)], [1, results('b', 1, 30)]]);
    const c = new Map([[0, results('c', 0, 200)], [1, results('c', 1, 30)]]);
    const first = producer();
    let second: FastProducer | undefined;
    const produce = FastProducer.prototype.produceBatches;
    try {
      hold(rb, a);
      await commit(first, rb.take(), 'commit');
      const epoch = first.producerEpoch!;
      // B's request is lost before it reaches the broker: its sequence numbers were used up all the same.
      FastProducer.prototype.produceBatches = () => Promise.reject(new Error('connection lost'));
      hold(rb, b);
      await expect(commit(first, rb.take(), 'commit')).rejects.toThrow('connection lost');
      FastProducer.prototype.produceBatches = produce;
      second = producer();
      hold(rb, c);
      await commit(second, rb.take(), 'commit');
      expect(second.producerId).toBe(first.producerId);
      expect(second.producerEpoch).toBeGreaterThan(epoch);
      const read = (await readTopic(conn, topic, { settleMs: 10_000 })).map((v) => v.toString());
      expect(read.sort()).toEqual([...a.values(), ...c.values()].flat().map((r) => r.line).sort());
    } finally {
      FastProducer.prototype.produceBatches = produce;
      await first.close().catch(() => undefined);
      await second?.close();
    }
  });

  it('transactional: an aborted commit\'s results stay unread, and the next transaction goes on from the sequence numbers it reached', async () => {
    const topic = uniqueTopic('results-direct-tx');
    await ensureTopics(conn, [{ name: topic, partitions: PARTITIONS }]);
    const producer = new FastProducer({ ...clientOptions(conn, 'sat-test'), idempotent: true, acks: ProduceAcks.ALL, timeout: 10_000, transactionalId: `sat-test-${topic}`, producerId: -1n, producerEpoch: -1 });
    const rb = new ResultBatches();
    const commits = [
      { commit: true, results: new Map([[0, results('t1', 0, 6_000)], [1, results('t1', 1, 10)]]) },
      { commit: false, results: new Map([[0, results('t2', 0, 100)], [2, results('t2', 2, 20)]]) },
      { commit: true, results: new Map([[0, results('t3', 0, 50)], [2, results('t3', 2, 7_000)]]) },
    ];
    try {
      for (const c of commits) {
        hold(rb, c.results);
        const held = rb.take();
        const tx = await producer.beginTransaction();
        const metadata = await producer.metadata({ topics: [topic] });
        await tx.addPartitions(metadata, [...held.parts.keys()].map((partition) => ({ topic, partition })) as Parameters<typeof tx.addPartitions>[1]);
        await rb.produce(held, producer, topic, `sat-test-${topic}`);
        if (c.commit) await tx.commit();
        else await tx.abort();
      }
      const lines = (c: (typeof commits)[number]) => [...c.results.values()].flat().map((r) => r.line);
      // All three transactions' results are in the partitions; a read_committed reader sees the committed two.
      let written = 0;
      for (let p = 0; p < PARTITIONS; p++) written += (await readPartitionTail(conn, topic, p, 0, 'none')).filter((w) => w.value.length > 0).length;
      expect(written).toBeGreaterThanOrEqual(commits.reduce((n, c) => n + lines(c).length, 0));
      const read = (await readTopic(conn, topic, { settleMs: 10_000 })).map((v) => v.toString());
      expect(read.sort()).toEqual([...lines(commits[0]), ...lines(commits[2])].sort());
    } finally {
      await producer.close();
    }
  });
});
