import fc from 'fast-check';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScoredResult } from '../../src/engine/join/scorer.js';
import type { WindowResult } from '../../src/engine/operator.js';
import { ChunkBuilder } from '../../src/engine/results/chunk.js';
import { quotedNames, resultLine, writeResultLine, writeRowLine } from '../../src/engine/results/line.js';
import { Bytes } from '../../src/core/byte-buffer.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/types.js';
import { tempDir } from '../helpers.js';

const scenario = (): Scenario =>
  parseScenario(
    {
      name: 'r',
      key: 'k',
      event_time: 't',
      id: ['k', 't'],
      fields: { k: 'string', t: 'timestamp', v: 'float?' },
      window: { tumbling: '1m' },
      watermark: '0s',
      aggregations: { n: 'count()', total: 'sum(v)', mean: 'avg(v)' },
    },
    'test',
  );

const iso = (ms: number) => new Date(ms).toISOString();
const resultArb = fc.record({
  windowStart: fc.integer({ min: 0, max: 4e12 }),
  key: fc.oneof(fc.string({ maxLength: 12 }), fc.string({ maxLength: 6, unit: 'binary' })),
  n: fc.nat(1e6),
  total: fc.option(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -(2 ** 31) - 3, max: 2 ** 31 + 3 }), fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 2 ** 31, -0, 1e21, 10)), { nil: null }),
  mean: fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null }),
  score: fc.option(fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.integer({ min: 0, max: 100 })), { nil: null }),
  missing: fc.subarray(['batch', 'online']),
  snapshotDay: fc.option(fc.constantFrom('2024-06-01', '2024-06-02', '2024-06-03'), { nil: null }),
});
const asResult = (x: { windowStart: number; key: string; n: number; total: number | null; mean: number | null }): WindowResult => ({
  windowStart: x.windowStart,
  windowEnd: x.windowStart + 60_000,
  key: x.key,
  values: { n: x.n, total: x.total, mean: x.mean },
});

/** The columns a ResultSink hands its thread, for these results (as its write() fills them). */
function columns(rs: (WindowResult | ScoredResult)[], emit: number, s: Scenario) {
  // A small capacity, so that growing a chunk is exercised too.
  const c = new ChunkBuilder(s.aggregations.length, rs.some((r) => 'score' in r), 4);
  for (const r of rs) {
    const i = c.row(r.windowStart, r.windowEnd, r.key, emit);
    s.aggregations.forEach((a, j) => c.agg(j, i, r.values[a.name] ?? null));
    if ('score' in r) c.scoredRow(i, r.score, r.missing.join(','), r.snapshotDay);
  }
  return c.take();
}

describe('a result as a JSON line', () => {
  it('is the same text from a result object (Kafka) and from a row of result columns (the results thread), scored or not', () => {
    const s = scenario();
    const names = quotedNames(s.aggregations);
    fc.assert(
      fc.property(fc.array(resultArb, { minLength: 1, maxLength: 20 }), fc.boolean(), fc.integer({ min: 0, max: 4e12 }), (xs, scored, emit) => {
        const rs = xs.map((x) => (scored ? { ...asResult(x), score: x.score, missing: x.missing, snapshotDay: x.snapshotDay } : asResult(x)));
        const c = columns(rs, emit, s);
        rs.forEach((r, i) => {
          const line = resultLine(r, s.aggregations, iso(emit));
          // The bytes written from the columns (the results thread) and from the object (Kafka's record batches).
          const out = new Bytes(8); // small: growing it is exercised too
          writeRowLine(out, c, i, names, scored, iso(emit), iso);
          expect(out.view().toString('utf8')).toBe(line);
          out.reset();
          writeResultLine(out, r, s.aggregations, iso(emit), iso);
          expect(out.view().toString('utf8')).toBe(line);
          // and it is JSON whose fields are the result's
          const o = JSON.parse(line);
          expect(o.key).toBe(r.key);
          expect(o.total === r.values.total).toBe(true); // -0 is written as 0
          if (scored) expect(o.missing).toEqual((r as ScoredResult).missing);
        });
      }),
    );
  });
});

describe('the results sink (its thread writes the JSONL and feeds the Parquet encoder)', () => {
  // The thread runs compiled code: the build's (npm test builds first).
  const built = '../../dist/engine/results/sink.js';
  const load = async () => (await import(built)) as typeof import('../../src/engine/results/sink.js');
  const s = scenario();
  const many = (from: number, n: number): WindowResult[] =>
    Array.from({ length: n }, (_, i) => ({ windowStart: (from + i) * 60_000, windowEnd: (from + i + 1) * 60_000, key: `k"${(from + i) % 97}é`, values: { n: from + i, total: i % 5 === 0 ? null : (from + i) / 8, mean: 1.5 } }));
  const expected = (rs: WindowResult[], emit: number) => rs.map((r) => `${resultLine(r, s.aggregations, iso(emit))}\n`).join('');

  it('writes what resultLine makes, in order; a checkpoint length is the file through every result written before it; Parquet holds the same rows', async () => {
    const { ResultSink } = await load();
    const dir = tempDir('sat-results-');
    const sink = new ResultSink(join(dir, 'results.jsonl'), join(dir, 'results.parquet'), s);
    const a = many(0, 2500);
    const b = many(2500, 3);
    sink.write(a.slice(0, 1500), 1000);
    sink.write(a.slice(1500), 2000);
    const at = await sink.state();
    const first = expected(a.slice(0, 1500), 1000) + expected(a.slice(1500), 2000);
    expect(at).toEqual({ bytes: Buffer.byteLength(first), count: 2500 });
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(first);
    sink.write(b, 3000);
    expect(sink.count).toBe(2503);
    const end = await sink.close();
    const text = first + expected(b, 3000);
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(text);
    expect(end).toEqual({ bytes: Buffer.byteLength(text), count: 2503 });
    const rows = await parquetReadObjects({ file: new Uint8Array(readFileSync(join(dir, 'results.parquet'))).buffer });
    expect(rows).toHaveLength(2503);
    expect(rows[2502]).toMatchObject({ key: b[2].key, n: BigInt(2502), total: b[2].values.total, mean: 1.5 });
    expect(Number((rows[0].window_start as Date).getTime())).toBe(0);
  });

  it('past a row group (50k results), every result is in the Parquet file once, in order, in row groups of 10k to 50k but the last', async () => {
    const { ResultSink } = await load();
    const dir = tempDir('sat-results-');
    const sink = new ResultSink(join(dir, 'results.jsonl'), join(dir, 'results.parquet'), s);
    const N = 123_457;
    for (let from = 0; from < N; from += 3_000) sink.write(many(from, Math.min(3_000, N - from)), from);
    await sink.close();
    const file = new Uint8Array(readFileSync(join(dir, 'results.parquet'))).buffer;
    const rows = await parquetReadObjects({ file, columns: ['n'] });
    expect(rows.map((r) => Number(r.n))).toEqual(Array.from({ length: N }, (_, i) => i));
    const groups = parquetMetadata(file).row_groups.map((g) => Number(g.num_rows));
    expect(groups.length).toBeGreaterThanOrEqual(3);
    for (const g of groups.slice(0, -1)) expect(g >= 10_000 && g <= 50_000, `${groups}`).toBe(true);
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8').split('\n')).toHaveLength(N + 1);
  });

  it('resumed from a checkpoint, cuts the file back to its length, appends after it, and rebuilds Parquet from the whole JSONL', async () => {
    const { ResultSink } = await load();
    const dir = tempDir('sat-results-');
    const jsonl = join(dir, 'results.jsonl');
    const parquet = join(dir, 'results.parquet');
    const one = new ResultSink(jsonl, parquet, s);
    one.write(many(0, 10), 1000);
    const cp = await one.state();
    one.write(many(10, 5), 2000); // after the checkpoint: written again on resume
    await one.close();
    const two = new ResultSink(jsonl, parquet, s, cp);
    two.write(many(10, 7), 3000);
    expect(two.count).toBe(17);
    await two.close();
    expect(readFileSync(jsonl, 'utf8')).toBe(expected(many(0, 10), 1000) + expected(many(10, 7), 3000));
    const rows = await parquetReadObjects({ file: new Uint8Array(readFileSync(parquet)).buffer });
    expect(rows.map((r) => Number(r.n))).toEqual(Array.from({ length: 17 }, (_, i) => i));
  });

  it("scored results: the lines resultLine makes, and the Parquet file's score, missing and snapshot_day, fresh and rebuilt from the JSONL after a resume", async () => {
    const { ResultSink } = await load();
    const scored = { ...s, score: { expr: '1', range: [0, 100], actions: [] } } as unknown as Scenario;
    const days = ['2024-06-01', null, '2024-06-02', '2024-06-01'];
    const lists = [[], ['batch'], ['online'], ['batch', 'online']];
    const rs: ScoredResult[] = many(0, 3000).map((r, i) => ({ ...r, score: i % 7 === 0 ? null : i / 3, missing: lists[i % 4], snapshotDay: days[i % 4] }));
    const line = (r: ScoredResult, emit: number) => `${resultLine(r, s.aggregations, iso(emit))}\n`;
    for (const resume of [false, true]) {
      const dir = tempDir('sat-results-');
      const jsonl = join(dir, 'results.jsonl');
      const parquet = join(dir, 'results.parquet');
      const one = new ResultSink(jsonl, parquet, scored);
      one.write(rs.slice(0, 1700), 1000);
      if (resume) {
        const cp = await one.state();
        one.write(rs.slice(1700, 1800), 1500); // after the checkpoint: written again on resume
        await one.close();
        const two = new ResultSink(jsonl, parquet, scored, cp);
        two.write(rs.slice(1700), 2000);
        await two.close();
      } else {
        one.write(rs.slice(1700), 2000);
        await one.close();
      }
      expect(readFileSync(jsonl, 'utf8')).toBe(rs.map((r, i) => line(r, i < 1700 ? 1000 : 2000)).join(''));
      const rows = await parquetReadObjects({ file: new Uint8Array(readFileSync(parquet)).buffer, columns: ['key', 'score', 'missing', 'snapshot_day'] });
      expect(rows).toEqual(rs.map((r) => ({ key: r.key, score: r.score, missing: r.missing.join(','), snapshot_day: r.snapshotDay })));
    }
  });

  it('a write that fails stops the next checkpoint (and the next write) with the file and errno, exit 3', async () => {
    const { ResultSink } = await load();
    const dir = tempDir('sat-results-');
    const jsonl = join(dir, 'results.jsonl');
    symlinkSync('/dev/full', jsonl);
    const sink = new ResultSink(jsonl, join(dir, 'results.parquet'), s);
    sink.write(many(0, 3), 1000);
    await expect(sink.state()).rejects.toMatchObject({ exitCode: 3, message: `writing ${jsonl}: the disk is full (ENOSPC)` });
    expect(() => sink.write(many(3, 1), 1000)).toThrow(`writing ${jsonl}: the disk is full (ENOSPC)`);
    await expect(sink.close()).rejects.toMatchObject({ exitCode: 3 });
  });

  it('a Parquet file that cannot be written fails the close with its file and errno, exit 3 (the JSONL stays whole)', async () => {
    const { ResultSink } = await load();
    const dir = tempDir('sat-results-');
    const parquet = join(dir, 'results.parquet');
    symlinkSync('/dev/full', parquet);
    const sink = new ResultSink(join(dir, 'results.jsonl'), parquet, s);
    sink.write(many(0, 3), 1000);
    await expect(sink.close()).rejects.toMatchObject({ exitCode: 3, message: `writing ${parquet}: the disk is full (ENOSPC)` });
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8').split('\n')).toHaveLength(4);
  });
});
