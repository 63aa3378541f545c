import { describe, expect, it } from 'vitest';
import { kafkaConnection } from '../../src/transport/kafka/config.js';
import { FastProducer } from '../../src/transport/kafka/fast-producer.js';
import { packRecords } from '../../src/transport/packed-records.js';
import { kafkaSinkInThread } from '../../src/transport/kafka/sink.js';
import { readPartitionTail } from '../../src/transport/kafka/written.js';
import { HEADER_SEND_TIME, type OutRecord } from '../../src/transport/types.js';
import { createRng } from '../../src/core/rng.js';
import { BROKERS, haveBroker, uniqueTopic } from './broker.js';

describe.skipIf(!haveBroker)('replay\'s Kafka sink: several requests in flight, each partition in send order', { timeout: 120_000 }, () => {
  it('keeps up to five requests in flight, and every partition holds its records in the order they were handed over, at the offsets it reported', async () => {
    const conn = kafkaConnection(BROKERS);
    const topic = uniqueTopic('inflight');
    const partitions = 4;
    // Count the Produce requests the broker has not answered yet, at their highest.
    const produce = FastProducer.prototype.produceBatches;
    let open = 0;
    let most = 0;
    FastProducer.prototype.produceBatches = function (...args) {
      most = Math.max(most, ++open);
      return produce.apply(this, args).finally(() => open--);
    };
    try {
      const sink = await kafkaSinkInThread(conn, topic, partitions, 'lz4');
      const rng = createRng(5);
      const sent: OutRecord[][] = [];
      const units: Promise<Float64Array>[] = [];
      // 40 batches handed over at once: more than five requests' worth of 10,000 records at most.
      for (let b = 0; b < 40; b++) {
        const batch: OutRecord[] = Array.from({ length: 2_000 }, (_, i) => {
          const keyless = rng.next() < 0.05;
          return {
            partition: keyless ? 0 : rng.int(0, partitions - 1),
            key: keyless ? null : Buffer.from(`k${rng.int(0, 999)}`),
            value: Buffer.from(JSON.stringify({ b, i, pad: 'x'.repeat(rng.int(0, 200)) })),
            seq: b * 2_000 + i,
            sendTime: 1_700_000_000_000 + b,
          };
        });
        sent.push(batch);
        units.push(sink.send(packRecords(batch), batch.length));
      }
      const offsets = await Promise.all(units);
      await sink.finish();
      await sink.close();
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(5);

      for (let p = 0; p < partitions; p++) {
        const expected: { offset: number; value: string; sendTime: number }[] = [];
        sent.forEach((batch, b) => batch.forEach((r, i) => r.partition === p && expected.push({ offset: offsets[b][i], value: Buffer.from(r.value).toString(), sendTime: r.sendTime })));
        const tail = await readPartitionTail(conn, topic, p, 0, HEADER_SEND_TIME);
        // The records in send order at offsets 0, 1, 2, ..., then the end marker.
        expect(expected.map((e) => e.offset)).toEqual(expected.map((_, k) => k));
        // The send time as its header carries it: milliseconds to the microsecond (README, the `sat-send-time` header).
        expect(tail[0].sendTime).toMatch(/^\d+\.\d{3}$/);
        expect(tail.slice(0, -1).map((w) => ({ offset: w.offset, value: w.value.toString(), sendTime: Number(w.sendTime) }))).toEqual(expected);
        expect(tail.at(-1)!.value.length).toBe(0);
        expect(tail.at(-1)!.sendTime).toBeUndefined();
      }
    } finally {
      FastProducer.prototype.produceBatches = produce;
    }
  });
});
