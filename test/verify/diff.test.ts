import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sat, tempDir } from '../helpers.js';

let dir: string;
let lines: string[];

beforeAll(() => {
  dir = tempDir('sat-diff-');
  expect(sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', '--rate', '0', '--late', '0.05', '--duplicates', '0.03', '--seed', '4', '--dir', dir).code).toBe(0);
  expect(sat('run', '--dir', dir).code).toBe(0);
  lines = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n');
});

const write = (name: string, rows: string[]) => {
  const f = join(dir, name);
  writeFileSync(f, `${rows.join('\n')}\n`);
  return f;
};

describe('sat diff', () => {
  it('the same results in two layouts (JSONL and Parquet): SAME, exit 0', () => {
    const r = sat('diff', join(dir, 'results.jsonl'), join(dir, 'results.parquet'), '--scenario', 'reviews', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ same: true, onlyA: 0, onlyB: 0, differ: 0 });
  });

  it('a dropped row and a changed value: counted and shown; with --dir, the side verify fails is named', () => {
    const changed = lines.slice(1).map((l, i) => (i === 0 ? l.replace(/"number_of_reviews":(\d+)/, (_, n) => `"number_of_reviews":${Number(n) + 1}`) : l));
    const b = write('b.jsonl', changed);
    const r = sat('diff', join(dir, 'results.jsonl'), b, '--scenario', 'reviews', '--json');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ same: false, onlyA: 1, onlyB: 0, differ: 1 });
    expect(r.json.examples.map((e: { difference: string }) => e.difference).sort()).toEqual(['only in A', 'values differ']);
    const judged = sat('diff', join(dir, 'results.jsonl'), b, '--dir', dir, '--engine-a', 'sat', '--engine-b', 'sat', '--json');
    expect(judged.code).toBe(1);
    expect(judged.json.verdicts.map((v: { pass: boolean }) => v.pass)).toEqual([true, false]);
    expect(judged.json.conclusion).toMatch(/^the differences point at B \(sat: /);
    // diff leaves --dir as it was: no verify.json written.
    expect(existsSync(join(dir, 'verify.json'))).toBe(false);
  });

  it('update mode collapses to the last row per window and key before comparing', () => {
    const first = JSON.parse(lines[0]);
    const earlier = JSON.stringify({ ...first, number_of_reviews: 99, emit_time: '2000-01-01T00:00:00.000Z' });
    const r = sat('diff', join(dir, 'results.jsonl'), write('upd.jsonl', [earlier, ...lines]), '--scenario', 'reviews', '--mode-b', 'update', '--json');
    expect(r.code, r.stdout).toBe(0);
  });

  it('usage: --engine-a without --dir, or --dir without both engines, is exit 2', () => {
    expect(sat('diff', join(dir, 'results.jsonl'), join(dir, 'results.jsonl'), '--scenario', 'reviews', '--engine-a', 'sat').code).toBe(2);
    expect(sat('diff', join(dir, 'results.jsonl'), join(dir, 'results.jsonl'), '--dir', dir).code).toBe(2);
  });
});
