import { createRecordsBatch, NumericMap, Reader, readRecordsBatch } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../src/transport/kafka/record-batch.js';
import { produceRequest } from '../../src/transport/kafka/fast-producer.js';
import { createRng } from '../../src/core/rng.js';

/** Messages of random keys (some null), values (some empty or long), headers and timestamps. */
function messages(seed: number, n: number, farApart = false) {
  const rng = createRng(seed);
  const bytes = (len: number) => Buffer.from(Array.from({ length: len }, () => rng.int(0, 255)));
  const t0 = 1_700_000_000_000 + rng.int(0, 1e9);
  return Array.from({ length: n }, () => ({
    topic: 't',
    partition: 0,
    key: rng.next() < 0.2 ? undefined : bytes(rng.int(0, 40)),
    value: bytes(rng.next() < 0.05 ? rng.int(200, 20_000) : rng.int(0, 120)),
    headers: new Map(Array.from({ length: rng.int(0, 2) }, () => [bytes(rng.int(1, 10)), bytes(rng.int(0, 20))] as [Buffer, Buffer])),
    // Out of order by up to a minute; farApart: now and then 35 days (a delta past 2^31 ms) later.
    timestamp: BigInt(t0 + rng.int(-60_000, 60_000) + (farApart && rng.next() < 0.05 ? 3e9 : 0)),
  }));
}

/** The client's own encoding of the same batch (it fills in the records' timestamps: give it copies). */
function clientBatch(ms: ReturnType<typeof messages>, o: { compression: string; producerId: bigint; producerEpoch: number; sequence: number; tx?: string }) {
  const sequences = new NumericMap();
  sequences.set('t:0', o.sequence);
  return createRecordsBatch(ms.map((m) => ({ ...m })) as never, { compression: o.compression as never, producerId: o.producerId, producerEpoch: o.producerEpoch, sequences, transactionalId: o.tx } as never).buffer;
}

describe('encodeRecordBatch: the record batch in one pass', () => {
  for (const compression of ['none', 'lz4', 'snappy', 'gzip']) {
    it(`writes the client's bytes (${compression}), but the leader epoch, which it sends as -1 like Java`, () => {
      for (let seed = 1; seed <= 12; seed++) {
        const ms = messages(seed, seed === 1 ? 1 : seed * 37);
        const o = { compression, producerId: BigInt(seed * 1000 + 7), producerEpoch: seed % 3, sequence: seed * 101, tx: seed % 4 === 0 ? 'tx' : undefined };
        const mine = encodeRecordBatch(ms, { compression, producerId: o.producerId, producerEpoch: o.producerEpoch, baseSequence: o.sequence, transactional: o.tx !== undefined });
        const theirs = clientBatch(ms, o);
        expect(mine.readInt32BE(12)).toBe(-1);
        mine.writeInt32BE(theirs.readInt32BE(12), 12);
        expect(mine.equals(theirs)).toBe(true);
        // The client's reader finds every record as it was given, also 35 days apart in one batch (the
        // client's writer zigzags 64-bit deltas with a 31-bit shift: past 2^31 ms its bytes are wrong).
        const far = messages(seed, seed * 37, true);
        const back = readRecordsBatch(Reader.from(encodeRecordBatch(far, { compression })));
        expect(back.records.map((r) => r.value?.toString('hex'))).toEqual(far.map((m) => m.value.toString('hex')));
        expect(back.records.map((r) => r.key?.toString('hex') ?? null)).toEqual(far.map((m) => m.key?.toString('hex') ?? null));
        expect(back.records.map((r) => back.firstTimestamp + r.timestampDelta)).toEqual(far.map((m) => m.timestamp));
      }
    });
  }

  it('groups a Produce request by topic and partition in order, each with its own base sequence', () => {
    const ms = [
      { topic: 'a', partition: 1, value: Buffer.from('a1-0') },
      { topic: 'b', partition: 0, value: Buffer.from('b0-0') },
      { topic: 'a', partition: 0, value: Buffer.from('a0-0') },
      { topic: 'a', partition: 1, value: Buffer.from('a1-1') },
    ];
    const sequences = new NumericMap([['a:1', 5], ['b:0', 9]]);
    const bytes = produceRequest(-1, 30_000, ms, { producerId: 3n, producerEpoch: 1, sequences }).buffer;
    const r = Reader.from(bytes);
    expect(r.readNullableString()).toBe(null);
    expect(r.readInt16()).toBe(-1);
    expect(r.readInt32()).toBe(30_000);
    const topics = r.readArray((r: Reader) => ({
      name: r.readString(),
      partitions: r.readArray((r: Reader) => {
        const index = r.readInt32();
        r.readUnsignedVarInt();
        const batch = readRecordsBatch(r);
        return { index, sequence: batch.firstSequence, values: batch.records.map((x) => x.value?.toString()) };
      }),
    }));
    expect(topics).toEqual([
      { name: 'a', partitions: [{ index: 1, sequence: 5, values: ['a1-0', 'a1-1'] }, { index: 0, sequence: 0, values: ['a0-0'] }] },
      { name: 'b', partitions: [{ index: 0, sequence: 9, values: ['b0-0'] }] },
    ]);
  });
});
