import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MemberStream } from '../../src/engine/kafka/member-stream.js';
import { valueOf } from '../../src/transport/kafka/batch-records.js';
import { clientOptions } from '../../src/transport/kafka/client-options.js';
import { kafkaConnection, type KafkaConnection } from '../../src/transport/kafka/config.js';
import { ensureTopics } from '../../src/transport/kafka/topics.js';
import { BROKERS, haveBroker, uniqueTopic } from './broker.js';

type Taken = { offset: number; before: number; value: string };

// The fetched batches decoded on a thread of their own, as sat run has them: compiled code (a worker loads .js).
const built = (await import('../../dist/engine/kafka/member-stream.js' as string)) as typeof import('../../src/engine/kafka/member-stream.js');
const SCAN = { fields: [{ name: 'v', type: 'string' as const, nullable: false }], read: new Set(['v']) };
const members = [
  ['decoded as taken', (conn: KafkaConnection, group: string, topic: string) => new MemberStream(conn, group, topic)],
  ['decoded on a thread of their own', (conn: KafkaConnection, group: string, topic: string) => new built.MemberStream(conn, group, topic, SCAN)],
] as const;

/** Takes fetched records until `n` have come (waiting on the fetches and their decoding, not on a time). */
async function takeN(m: MemberStream, n: number): Promise<Taken[]> {
  const out: Taken[] = [];
  while (out.length < n) {
    if (m.error) throw m.error;
    if (!m.take()) {
      await (m.decoding() ?? sleep(10));
      continue;
    }
    out.push({ offset: m.offset, before: m.before, value: Buffer.from(valueOf(m.record)!).toString() });
  }
  return out;
}

describe.skipIf(!haveBroker)('a sat run member\'s fetched records (MemberStream) on a real broker', () => {
  it.each(members)('%s: says where the fetched offsets run on from across transaction markers and an aborted transaction, and fetches a partition again from a seek', async (_, create) => {
    const conn = kafkaConnection(BROKERS);
    const topic = uniqueTopic('member-stream');
    await ensureTopics(conn, [{ name: topic, partitions: 1 }]);
    const tx = new Producer({ ...clientOptions(conn, 'sat-test'), idempotent: true, acks: ProduceAcks.ALL, transactionalId: `sat-test-${topic}`, producerId: -1n, producerEpoch: -1, serializers: stringSerializers });
    try {
      // Offsets: c0..c4 0-4, commit marker 5, a0 a1 6-7, abort marker 8, c5..c9 9-13, commit marker 14.
      for (const [values, commit] of [[['c0', 'c1', 'c2', 'c3', 'c4'], true], [['a0', 'a1'], false], [['c5', 'c6', 'c7', 'c8', 'c9'], true]] as const) {
        const t = await tx.beginTransaction();
        await t.send({ messages: values.map((value) => ({ topic, partition: 0, value })) });
        await (commit ? t.commit() : t.abort());
      }
    } finally {
      await tx.close(true);
    }
    const committed = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'];

    const m = create(conn, `${topic}-g`, topic);
    try {
      await m.open();
      const first = await takeN(m, 10);
      expect(first.map((x) => x.value)).toEqual(committed);
      expect(first.map((x) => x.offset)).toEqual([0, 1, 2, 3, 4, 9, 10, 11, 12, 13]);
      // Each record says which offset came before it in its fetched part, with no data between: the
      // markers and the aborted records between c4 (4) and c5 (9) hold none, so c5 says 4 or less.
      for (let i = 1; i < first.length; i++) expect(first[i].before, first[i].value).toBeLessThanOrEqual(first[i - 1].offset);
      expect(first[0].before).toBe(-1);

      // Fetched again from offset 2: c2 on, in order, once each.
      m.seek(0, 2);
      const again = await takeN(m, 8);
      expect(again.map((x) => x.value)).toEqual(committed.slice(2));
      expect(again[0]).toMatchObject({ offset: 2, before: 1 });
      expect(m.seeks).toBe(1);
      expect(m.take()).toBe(false);
    } finally {
      await m.close(() => () => undefined);
    }
  });
});
