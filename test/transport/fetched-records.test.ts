import { Reader, readRecordsBatch } from '@platformatic/kafka';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRecordScanner } from '../../src/engine/scan-record.js';
import { fieldsRead, timeFromBytes } from '../../src/engine/validate.js';
import { loadScenario } from '../../src/scenario/load.js';
import { ROOT } from '../helpers.js';
import { createRng } from '../../src/core/rng.js';
import { batchRecords, emptyRecordOut, ParsedRecords, valueOf, type RecordCursor, type RecordOut } from '../../src/transport/kafka/batch-records.js';
import { readBatches } from '../../src/transport/kafka/fetched-records.js';
import { KafkaError } from '../../src/transport/kafka/errors.js';
import { decimalOf } from '../../src/transport/kafka/headers.js';
import { encodeRecordBatch } from '../../src/transport/kafka/record-batch.js';
import { HEADER_END, HEADER_SEND_TIME } from '../../src/transport/types.js';

/** Messages with random values (some null or long), sat's headers (some), other headers and keys. */
function messages(seed: number, n: number) {
  const rng = createRng(seed);
  const bytes = (len: number) => Buffer.from(Array.from({ length: len }, () => rng.int(0, 255)));
  const t0 = 1_700_000_000_000 + rng.int(0, 1e9);
  return Array.from({ length: n }, () => {
    const headers = new Map<Buffer, Buffer>();
    if (rng.next() < 0.3) headers.set(bytes(rng.int(1, 14)), bytes(rng.int(0, 20)));
    if (rng.next() < 0.7) headers.set(Buffer.from(HEADER_SEND_TIME), Buffer.from(String(rng.next() < 0.5 ? t0 + rng.next() * 1e6 : rng.int(0, 1e9))));
    if (rng.next() < 0.05) headers.set(Buffer.from(HEADER_END), Buffer.from(`end:${rng.int(0, 99)}`));
    return {
      topic: 't',
      partition: 0,
      key: rng.next() < 0.2 ? undefined : bytes(rng.int(0, 40)),
      value: rng.next() < 0.03 ? (null as unknown as Buffer) : bytes(rng.next() < 0.05 ? rng.int(200, 20_000) : rng.int(0, 120)),
      headers,
      timestamp: BigInt(t0 + rng.int(-60_000, 60_000)),
    };
  });
}

/** A cursor's records, each with its value copied out (where the cursor left it is its own business). */
function readAll(c: RecordCursor): (Omit<RecordOut, 'bytes' | 'from' | 'to'> & { value: Buffer | undefined })[] {
  const out: (Omit<RecordOut, 'bytes' | 'from' | 'to'> & { value: Buffer | undefined })[] = [];
  const r = emptyRecordOut();
  while (c.next(r)) {
    const { bytes: _b, from: _f, to: _t, ...rest } = r;
    const v = valueOf(r);
    out.push({ ...rest, value: v && Buffer.from(v) });
  }
  return out;
}

describe('fetched records read from their bytes', () => {
  for (const compression of ['none', 'lz4', 'gzip', 'snappy']) {
    it(`give each record's offset, value and sat headers as the client's parse does (${compression})`, () => {
      for (let seed = 1; seed <= 10; seed++) {
        // Three batches back to back at offsets 1000, 1000+n1, ..., the last cut short as a fetch's byte limit cuts it.
        const sets = [messages(seed, seed * 23), messages(seed + 100, 1 + seed), messages(seed + 200, 40)];
        const encoded = sets.map((ms, i) => {
          const b = encodeRecordBatch(ms, { compression, producerId: BigInt(seed), producerEpoch: 0, baseSequence: 0, transactional: i === 1 });
          b.writeBigInt64BE(BigInt(1000 + i * 500), 0);
          b.writeInt32BE(7 + i, 12);
          return b;
        });
        const whole = Buffer.concat([encoded[0], encoded[1], encoded[2].subarray(0, encoded[2].length - 5)]);
        const batches = readBatches(whole);
        expect(batches.length).toBe(2);
        for (let i = 0; i < 2; i++) {
          const theirs = readRecordsBatch(Reader.from(encoded[i]));
          const mine = batches[i];
          expect([mine.firstOffset, mine.lastOffsetDelta, mine.partitionLeaderEpoch, mine.producerId, mine.attributes]).toEqual([theirs.firstOffset, theirs.lastOffsetDelta, theirs.partitionLeaderEpoch, theirs.producerId, theirs.attributes]);
          expect(mine.records).toEqual([]);
          const want = readAll(new ParsedRecords(theirs.records as never));
          expect(want.length).toBe(sets[i].length);
          // The client's records read through ParsedRecords are what was sent.
          expect(want.map((r) => (r.value ? Buffer.from(r.value).toString('hex') : null))).toEqual(sets[i].map((m) => m.value?.toString('hex') ?? null));
          expect(want.map((r) => r.sendTime)).toEqual(sets[i].map((m) => { const t = m.headers.get([...m.headers.keys()].find((k) => k.toString() === HEADER_SEND_TIME)!); return t === undefined ? undefined : Number(t.toString()); }));
          expect(readAll(batchRecords(mine.raw!))).toEqual(want);
        }
      }
    });
  }

  it('steps back over the record just read, also across a batch start', () => {
    const b = encodeRecordBatch(messages(5, 4), { compression: 'none' });
    const c = batchRecords(readBatches(b)[0].raw!);
    const r = emptyRecordOut();
    expect(c.next(r)).toBe(true);
    c.back();
    const seen: number[] = [];
    while (c.next(r)) {
      seen.push(r.offsetDelta);
      if (seen.length === 2) {
        c.back();
        c.next(r);
        seen.push(r.offsetDelta);
      }
    }
    expect(seen).toEqual([0, 1, 1, 2, 3]);
  });

  it('a record whose bytes do not match its length is one Kafka error (exit 3) naming it, not a crash', () => {
    const ms = ['abc', 'de', 'f'].map((v) => ({ topic: 't', partition: 0, value: Buffer.from(v), headers: new Map<Buffer, Buffer>() }));
    for (const delta of [-2, 2, 40]) {
      const b = encodeRecordBatch(ms, { compression: 'none' });
      // The first record's length: a one-byte zigzag varint right after the 61-byte batch header.
      const length = b[61] >> 1;
      expect(length).toBeLessThan(20);
      b[61] = (length + delta) << 1;
      const c = batchRecords(readBatches(b)[0].raw!);
      let thrown: unknown;
      try {
        c.next(emptyRecordOut());
      } catch (e) {
        thrown = e;
      }
      expect(thrown, `length ${length} + ${delta}`).toBeInstanceOf(KafkaError);
      expect((thrown as KafkaError).exitCode).toBe(3);
      expect((thrown as Error).message).toMatch(/malformed at record 1 of 3/);
    }
  });
});

describe('decimalOf', () => {
  it('reads a send time as Number() reads its text, fractions and odd forms included', () => {
    const rng = createRng(14);
    const texts = ['0', '7', '1764899683123', '1764899683123.456', '9007199254740993', '123456789012345.67', '1.', '.5', '1e3', '-4', '12.3.4', ' 5', 'abc', ''];
    for (let i = 0; i < 20_000; i++) texts.push(String(1.7e12 + rng.next() * 1e10), String(rng.next() * 10 ** rng.int(0, 17)), String(rng.int(0, 1e9)));
    for (const t of texts) {
      const b = Buffer.from(`xx${t}yy`);
      const n = decimalOf(b, 2, b.length - 2);
      expect(Object.is(n, Number(t)), `${JSON.stringify(t)} read as ${n}, Number() gives ${Number(t)}`).toBe(true);
    }
  });
});

// The decoding thread runs compiled code (a worker loads .js): the tests use the build, as sat does.
const built = '../../dist/engine/kafka/fetch-decoder.js';
const { FetchDecoder } = (await import(built)) as typeof import('../../src/engine/kafka/fetch-decoder.js');
const { KafkaError: BuiltKafkaError } = (await import('../../dist/transport/kafka/errors.js' as string)) as typeof import('../../src/transport/kafka/errors.js');

/** Waits until every cursor's answer has come (on the decoder's arrivals, not on a time). */
async function ready(d: InstanceType<typeof FetchDecoder>, cursors: RecordCursor[]): Promise<void> {
  while (cursors.some((c) => !c.ready)) await d.arrival();
}

/** A record as read, its value as hex (quick to compare), without where the walk's columns are (the thread's cursor sets them). */
const plain = ({ cols: _c, at: _a, ...r }: ReturnType<typeof readAll>[number]) => ({ ...r, value: r.value && r.value.toString('hex') });

describe('fetched records decoded on a thread of their own (FetchDecoder)', () => {
  const scenario = loadScenario(join(ROOT, 'bench', 'passthrough.yaml'));
  const read = fieldsRead(scenario);
  const time = timeFromBytes(scenario);
  /** Runs `use` with a decoder for the pass-through scenario's fields, closed after. */
  const withDecoder = async (use: (d: InstanceType<typeof FetchDecoder>) => Promise<void>): Promise<void> => {
    const d = new FetchDecoder({ fields: scenario.fields, read, time });
    try {
      await use(d);
    } finally {
      d.close();
    }
  };

  it('give what the batches read here give, over every compression and more records than one answer holds', () =>
    withDecoder(async (d) => {
      for (const compression of ['none', 'lz4', 'gzip', 'snappy']) {
        // Batches of a fetch response: one large (several answers), small ones, random bytes and headers.
        const sets = [messages(7, 5000), messages(8, 3), messages(9, 500), messages(10, 1)];
        const raws = sets.map((ms, i) => {
          const b = encodeRecordBatch(ms, { compression, producerId: 1n, producerEpoch: 0, baseSequence: 0 });
          b.writeBigInt64BE(BigInt(i * 10_000), 0);
          return readBatches(b)[0].raw!;
        });
        const cursors = raws.map((raw) => d.add(raw));
        expect(cursors.map((c) => c.count)).toEqual(sets.map((s) => s.length));
        await ready(d, cursors);
        for (let i = 0; i < raws.length; i++) expect(readAll(cursors[i]).map(plain), `${compression} batch ${i}`).toEqual(readAll(batchRecords(raws[i])).map(plain));
      }
    }));

  it('run the byte scanner\'s walk there: the values are the ones the scanner finds here, null where it leaves the record to the full path', () =>
    withDecoder(async (d) => {
      const good = (i: number) => JSON.stringify({ id: `r${i}`, key: `k${i % 7} "q" ä`, ts: new Date(1_700_000_000_000 + i * 1000).toISOString(), pad: 'x'.repeat(i % 30) });
      const values = Array.from({ length: 5000 }, (_, i) => (i % 10 === 3 ? '{"id": "r1", "oops"' : i % 10 === 7 ? good(i).replace('"ts":"', '"ts":"not a time ') : i % 97 === 0 ? good(i).replace('"pad"', '"extra": 1, "pad"') : good(i)));
      const ms = values.map((v, i) => ({ topic: 't', partition: 0, value: Buffer.from(v) as Buffer | null, headers: new Map<Buffer, Buffer>(), key: i % 5 === 0 ? undefined : Buffer.from('k') }));
      // A null value too: left to the full path.
      ms.push({ ...ms[0], value: null });
      const raw = readBatches(encodeRecordBatch(ms as Parameters<typeof encodeRecordBatch>[0], { compression: 'lz4' }))[0].raw!;
      const c = d.add(raw);
      await ready(d, [c]);
      const scan = createRecordScanner(scenario.fields, read, time);
      const got: (unknown[] | null | undefined)[] = [];
      const out = emptyRecordOut();
      while (c.next(out)) got.push(((v) => (v == null ? v : [...v]))(d.values(out)));
      const names = scenario.fields.map((f) => f.name);
      const wanted = (v: unknown[] | null | undefined) => (v == null ? v : names.map((name, f) => (read.has(name) ? v[f] : '-')));
      expect(got.map(wanted)).toEqual([...values.map((v) => wanted(scan(Buffer.from(v)) ?? null)), null]);
      expect(got.filter((g) => g === null).length).toBeGreaterThan(500);
      expect(got.filter((g) => typeof g?.[time!.field] === 'number').length).toBeGreaterThan(3000);
    }));

  it('a batch whose header counts more records than its bytes can hold gives the records there are', () =>
    withDecoder(async (d) => {
      const ms = ['abc', 'de', 'f'].map((v) => ({ topic: 't', partition: 0, value: Buffer.from(v), headers: new Map<Buffer, Buffer>() }));
      const b = encodeRecordBatch(ms, { compression: 'lz4' });
      b.writeInt32BE(0x7fffffff, 57); // the records count
      const raw = readBatches(b)[0].raw!;
      const c = d.add(raw);
      await ready(d, [c]);
      expect(readAll(c).map((r) => Buffer.from(r.value!).toString())).toEqual(['abc', 'de', 'f']);
      expect(readAll(batchRecords(raw)).map((r) => Buffer.from(r.value!).toString())).toEqual(['abc', 'de', 'f']);
    }));

  it('a malformed record is one Kafka error naming it, once the records before it are taken', () =>
    withDecoder(async (d) => {
      const ms = ['abc', 'de', 'f'].map((v) => ({ topic: 't', partition: 0, value: Buffer.from(v), headers: new Map<Buffer, Buffer>() }));
      const b = encodeRecordBatch(ms, { compression: 'none' });
      // The second record's length (the first is 10 bytes: length varint, then 9): one more than it is.
      const second = 61 + 1 + (b[61] >> 1);
      b[second] = ((b[second] >> 1) + 1) << 1;
      const c = d.add(readBatches(b)[0].raw!);
      await ready(d, [c]);
      const out = emptyRecordOut();
      expect(c.next(out)).toBe(true);
      expect(Buffer.from(valueOf(out)!).toString()).toBe('abc');
      let thrown: unknown;
      try {
        c.next(out);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(BuiltKafkaError);
      expect((thrown as KafkaError).exitCode).toBe(3);
      expect((thrown as Error).message).toMatch(/malformed at record 2 of 3/);
    }));
});
