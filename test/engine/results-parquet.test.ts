import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyRows, type ResultRows } from '../../src/engine/parquet/result-columns.js';
import { ChunkBuilder, type ResultChunk } from '../../src/engine/results/chunk.js';
import { resultsColumns, ResultsParquetFile } from '../../src/engine/parquet/results-file.js';
import { ParquetResults } from '../../src/engine/results/parquet.js';
import { FileSystemError } from '../../src/core/fs-errors.js';

// The results' Parquet encoder, read back by two independent readers (hyparquet, DuckDB): every
// value bit for bit (-0, NaN, NULL, any Unicode), and each row group's statistics as Parquet defines them.

const dir = mkdtempSync(join(tmpdir(), 'sat-results-parquet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const AGGS = [
  { name: 'n', op: 'count' as const },
  { name: 'avg_x', op: 'avg' as const },
];

type Cell = number | string | null;
// hyparquet decodes text with a TextDecoder that drops a leading U+FEFF (a byte order mark); a key
// may begin with one, and the file holds its bytes: read them back as they are.
const keepBom = new TextDecoder('utf-8', { ignoreBOM: true });
const parsers = { stringFromBytes: (b: Uint8Array | undefined) => b && keepBom.decode(b) };
const plain = (v: unknown): unknown => (v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : v);
const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** A column's values: drawn from a pool by index, so small pools repeat (dictionary pages) and large ones do not (plain pages). */
const column = <T extends Cell>(value: fc.Arbitrary<T>, n: number) =>
  fc.tuple(fc.array(value, { minLength: 1, maxLength: 700 }), fc.array(fc.nat(), { minLength: n, maxLength: n })).map(([pool, at]) => at.map((i) => pool[i % pool.length]));

const text = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'grapheme', minLength: 30, maxLength: 40 }));
const double = fc.option(fc.oneof(fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2.5), fc.double()), { nil: null, freq: 4 });
const time = fc.integer({ min: -(2 ** 50), max: 2 ** 50 });

const group = fc.integer({ min: 1, max: 900 }).chain((n) =>
  fc.record({
    start: column(time, n),
    end: column(time, n),
    key: column(text, n),
    emit: column(time, n),
    count: column(fc.integer({ min: 0, max: 2 ** 52 }), n),
    avg: column(double, n),
    score: column(double, n),
    missing: column(fc.constantFrom('', 'online', 'batch', 'batch,online'), n),
    day: column(fc.option(fc.constantFrom('2024-06-01', '2024-06-02'), { nil: null }), n),
  }).map((c): ResultRows => ({ ...emptyRows(2), start: c.start, end: c.end, key: c.key, emit: c.emit, aggs: [c.count, c.avg], score: c.score, missing: c.missing, snapshotDay: c.day })),
);

/** The statistics Parquet defines for a chunk: NULLs counted, NaN left out, a zero DOUBLE minimum -0 and maximum +0, strings by UTF-8 bytes, and none for strings longer than 64 bytes. */
function expectedStats(values: Cell[], kind: string) {
  const nulls = values.filter((v) => v === null).length;
  const present = values.filter((v): v is number | string => v !== null && !(typeof v === 'number' && Number.isNaN(v)));
  if (present.length === 0) return { nulls, min: undefined, max: undefined };
  if (kind === 'string') {
    const sorted = (present as string[]).slice().sort(utf8Order);
    const [min, max] = [sorted[0], sorted[sorted.length - 1]];
    const fits = Buffer.byteLength(min) <= 64 && Buffer.byteLength(max) <= 64;
    return { nulls, min: fits ? min : undefined, max: fits ? max : undefined };
  }
  let min = Math.min(...(present as number[]));
  let max = Math.max(...(present as number[]));
  if (kind === 'double' && min === 0) min = -0;
  if (max === 0) max = 0;
  return { nulls, min, max };
}

function write(path: string, groups: ResultRows[], scored = true): void {
  const f = new ResultsParquetFile(path, AGGS, scored);
  for (const g of groups) f.writeGroup(g);
  f.finish();
}

describe('the results Parquet file', () => {
  it('reads back bit for bit, with each row group statistics, in hyparquet', async () => {
    let file = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(group, { minLength: 1, maxLength: 3 }), async (groups) => {
        const path = join(dir, `p${file++}.parquet`);
        write(path, groups);
        const bytes = new Uint8Array(readFileSync(path)).buffer;
        const rows = await parquetReadObjects({ file: bytes, parsers } as Parameters<typeof parquetReadObjects>[0]);
        const cols = resultsColumns(AGGS, true);
        const all = groups.flatMap((g) => g.key.map((_, i) => cols.map((c) => c.values(g)[i])));
        expect(rows.length).toBe(all.length);
        rows.forEach((r, i) =>
          cols.forEach((c, j) => {
            const want = c.kind === 'int64' ? (all[i][j] ?? 0) : all[i][j];
            if (!Object.is(plain(r[c.name]), want)) expect({ row: i, column: c.name, got: plain(r[c.name]) }).toEqual({ row: i, column: c.name, got: want });
          }),
        );
        const meta = parquetMetadata(bytes, { parsers } as Parameters<typeof parquetMetadata>[1]);
        expect(meta.row_groups.length).toBe(groups.length);
        meta.row_groups.forEach((rg, g) =>
          rg.columns.forEach((chunk, j) => {
            const s = chunk.meta_data!.statistics!;
            const want = expectedStats(cols[j].values(groups[g]) as Cell[], cols[j].kind);
            const got = { nulls: Number(s.null_count), min: plain(s.min_value), max: plain(s.max_value) };
            if (!(got.nulls === want.nulls && Object.is(got.min, want.min) && Object.is(got.max, want.max))) expect({ group: g, column: cols[j].name, ...got }).toEqual({ group: g, column: cols[j].name, ...want });
          }),
        );
      }),
      { numRuns: 60 },
    );
  });

  it('reads back in DuckDB, with its types; a file without results is a file of no rows', async () => {
    const g: ResultRows = {
      ...emptyRows(2),
      start: [0, 0, 60_000],
      end: [60_000, 60_000, 120_000],
      key: ['a', 'é𝄞', ''],
      emit: [1, 2, 3],
      aggs: [
        [1, 2, 3],
        [null, -0, 2.5],
      ],
      score: [NaN, 99.5, null],
      missing: ['', 'online', 'batch,online'],
      snapshotDay: ['2024-06-01', null, '2024-06-02'],
    };
    const path = join(dir, 'duck.parquet');
    write(path, [g, g]);
    const empty = join(dir, 'empty.parquet');
    write(empty, [], false);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const read = await db.runAndReadAll(
      `SELECT epoch_ms(window_start), epoch_ms(window_end), key, n, avg_x, score, missing, snapshot_day, epoch_ms(emit_time), typeof(window_start), typeof(n), typeof(avg_x) FROM '${path}'`,
    );
    const rows = read.getRows().map((r) => r.map(plain));
    const want = [0, 1, 2].map((i) => [g.start[i], g.end[i], g.key[i], g.aggs[0][i], g.aggs[1][i], g.score[i], g.missing[i], g.snapshotDay[i], g.emit[i], 'TIMESTAMP', 'BIGINT', 'DOUBLE']);
    expect(rows.length).toBe(6);
    rows.forEach((r, i) => r.forEach((v, j) => expect(Object.is(v, want[i % 3][j]) || [v, i, j]).toBe(true)));
    const none = await db.runAndReadAll(`DESCRIBE SELECT * FROM '${empty}'`);
    expect(none.getRows().map((r) => r[0]).join(',')).toBe('window_start,window_end,key,n,avg_x,emit_time');
    expect((await db.runAndReadAll(`SELECT count(*) FROM '${empty}'`)).getRows()[0].map(plain)).toEqual([0]);
  });
});

describe('ParquetResults (the results thread writing the file as rows come)', () => {
  const rowsOf = (from: number, n: number): ResultChunk => {
    const r = new ChunkBuilder(AGGS.length, false, n);
    for (let i = from; i < from + n; i++) {
      const at = r.row(i * 1000, i * 1000 + 1000, `k${i % 97}`, i + 7);
      r.agg(0, at, i);
      r.agg(1, at, i % 3 === 0 ? null : i / 2);
    }
    return r.take();
  };

  it('cuts row groups of 20,000 rows, written in order, and the rest at the end', async () => {
    const file = join(dir, 'as-they-come.parquet');
    const p = new ParquetResults(file, AGGS, false);
    // Hand-overs of 1,024 rows, as the engine makes them.
    for (let at = 0; at < 45_000; at += 1024) p.add(rowsOf(at, Math.min(1024, 45_000 - at)));
    p.finish();
    const bytes = new Uint8Array(readFileSync(file)).buffer;
    expect(parquetMetadata(bytes).row_groups.map((g) => Number(g.num_rows))).toEqual([20_000, 20_000, 5_000]);
    // Every column of every row group, the later groups' included (their columns are filled again after each group is written).
    const back = await parquetReadObjects({ file: bytes, columns: ['window_start', 'window_end', 'key', 'n', 'avg_x', 'emit_time'] });
    expect(back.map((r) => [plain(r.window_start), plain(r.window_end), r.key, plain(r.n), r.avg_x, plain(r.emit_time)])).toEqual(
      Array.from({ length: 45_000 }, (_, i) => [i * 1000, i * 1000 + 1000, `k${i % 97}`, i, i % 3 === 0 ? null : i / 2, i + 7]),
    );
  });

  it('scored rows past a row group: the score, missing and snapshot_day of every row, in order', async () => {
    const file = join(dir, 'scored-as-they-come.parquet');
    // A period that does not divide a row group's 20,000 rows: a group holding the one before's values shows.
    const missingOf = (i: number) => ['', 'online', 'batch,online'][i % 3];
    const p = new ParquetResults(file, AGGS, true);
    const N = 45_000;
    for (let from = 0; from < N; from += 1024) {
      const n = Math.min(1024, N - from);
      const r = new ChunkBuilder(AGGS.length, true, n);
      for (let i = from; i < from + n; i++) {
        const at = r.row(i * 1000, i * 1000 + 1000, `k${i % 97}`, i + 7);
        r.agg(0, at, i);
        r.agg(1, at, null);
        r.scoredRow(at, i % 5 === 0 ? null : i / 4, missingOf(i), i % 3 === 0 ? null : `2024-01-${String((i % 28) + 1).padStart(2, '0')}`);
      }
      p.add(r.take());
    }
    p.finish();
    const bytes = new Uint8Array(readFileSync(file)).buffer;
    expect(parquetMetadata(bytes).row_groups.map((g) => Number(g.num_rows))).toEqual([20_000, 20_000, 5_000]);
    const back = await parquetReadObjects({ file: bytes, columns: ['n', 'score', 'missing', 'snapshot_day'] });
    expect(back.map((r) => [plain(r.n), r.score, r.missing, r.snapshot_day])).toEqual(
      Array.from({ length: N }, (_, i) => [i, i % 5 === 0 ? null : i / 4, missingOf(i), i % 3 === 0 ? null : `2024-01-${String((i % 28) + 1).padStart(2, '0')}`]),
    );
  });

  it('keeps a failure for finish(), naming the file and its errno (exit 3), and takes rows meanwhile', () => {
    const file = join(dir, 'no-such-dir', 'results.parquet');
    const p = new ParquetResults(file, AGGS, false);
    p.add(rowsOf(0, 30_000));
    let thrown: unknown;
    try {
      p.finish();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(FileSystemError);
    expect((thrown as FileSystemError).file).toBe(file);
    expect((thrown as FileSystemError).code).toBe('ENOENT');
    expect((thrown as FileSystemError).exitCode).toBe(3);
  });
});
