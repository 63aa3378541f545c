import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { diagnose } from '../../src/verify/diagnose.js';
import { loadScenario } from '../../src/scenario/load.js';
import { ROOT, sat, tempDir } from '../helpers.js';

/** verify names the cause of a failure from the pattern of the differences. */
let dir: string;
let lines: string[];
const FAULTS = ['--rate', '0', '--late', '0.05', '--duplicates', '0.03', '--malformed', '0.02', '--seed', '11'];

beforeAll(() => {
  dir = tempDir('sat-diag-');
  expect(sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', ...FAULTS, '--dir', dir).code).toBe(0);
  expect(sat('run', '--dir', dir).code).toBe(0);
  lines = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n');
});

function judge(rows: string[]) {
  const path = join(dir, `actual-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, `${rows.join('\n')}\n`);
  const r = sat('verify', '--dir', dir, '--actual', path, '--engine', 'sat', '--json');
  return { code: r.code, diagnosis: (r.json?.diagnosis ?? []) as { cause: string; detail: string; positions?: unknown[] }[], stderr: r.stderr };
}

const shifted = (ms: number) => lines.map((l) => {
  const row = JSON.parse(l);
  row.window_start = new Date(Date.parse(row.window_start) + ms).toISOString();
  row.window_end = new Date(Date.parse(row.window_end) + ms).toISOString();
  return JSON.stringify(row);
});

describe('verify names the likely cause', () => {
  it('a correct run has no diagnosis', () => {
    const r = judge(lines);
    expect(r.code).toBe(0);
    expect(r.diagnosis).toEqual([]);
  });

  it('every window 3 hours late: a time shift (a time zone), and the windows are off the grid', () => {
    const r = judge(shifted(3 * 3600_000));
    expect(r.code).toBe(1);
    const shift = r.diagnosis.find((d) => d.cause === 'time shift');
    expect(shift?.detail).toMatch(/appear \+3h away with the same key and count: event times read in a local time zone/);
    expect(r.diagnosis.map((d) => d.cause)).toContain('window alignment');
  });

  it('a whole day early: a time shift of -1d', () => {
    const r = judge(shifted(-86_400_000));
    expect(r.diagnosis.find((d) => d.cause === 'time shift')?.detail).toMatch(/-1d away/);
  });

  it('windows twice the size: named with both lengths', () => {
    const r = judge(lines.map((l) => {
      const row = JSON.parse(l);
      row.window_end = new Date(Date.parse(row.window_start) + 2 * 86_400_000).toISOString();
      return JSON.stringify(row);
    }));
    expect(r.code).toBe(1);
    expect(r.diagnosis.find((d) => d.cause === 'window size')?.detail).toMatch(/windows are 2d long .*the scenario's are 1d/);
  });

  it('a result dropped: records lost, naming the positions of its records', () => {
    const i = lines.findIndex((l) => JSON.parse(l).number_of_reviews >= 2);
    const r = judge(lines.filter((_, j) => j !== i));
    const d = r.diagnosis.find((x) => x.cause === 'records lost');
    expect(d?.detail).toMatch(/records short in 1 results \(1 missing whole\)/);
    expect(d?.positions?.length).toBe(JSON.parse(lines[i]).number_of_reviews);
  });

  it('windows over by exactly their late deliveries: late records counted (the tables as the oracle leaves them)', async () => {
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const day = 86_400_000;
    await db.run(`CREATE TABLE cls AS SELECT * FROM (VALUES
      (1, 0, 10, 'a', 0, 0, 'counted'), (2, 0, 11, 'a', 0, 0, 'counted'), (3, 0, 12, 'a', 0, 0, 'late'),
      (4, 1, 20, 'b', ${day}, ${day}, 'counted'), (5, 1, 21, 'b', ${day}, ${day}, 'late'),
      (6, 1, 22, 'c', ${day}, ${day}, 'duplicate')) t(seq, partition, "offset", k, et, last_start, class)`);
    await db.run(`CREATE TABLE expected AS SELECT * FROM (VALUES (0, 'a', 2), (${day}, 'b', 1), (${day}, 'c', 1)) t(ws, k, number_of_reviews)`);
    await db.run(`CREATE TABLE act AS SELECT * FROM (VALUES (0, 'a', ${day}, 3), (${day}, 'b', ${2 * day}, 2), (${day}, 'c', ${2 * day}, 1)) t(ws, k, we, number_of_reviews)`);
    const d = await diagnose(db, loadScenario('reviews'));
    expect(d.map((x) => x.cause)).toEqual(['late records counted']);
    expect(d[0].detail).toMatch(/^2 of 2 over-counted windows \(2 records too many\) are over by exactly their late deliveries/);
    expect(d[0].positions).toEqual([{ partition: 0, offset: 12 }, { partition: 1, offset: 21 }]);
    db.closeSync();
  });
});
