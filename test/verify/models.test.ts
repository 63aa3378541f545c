import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sat, tempDir } from '../helpers.js';

const FAULTS = ['--malformed', '0.02', '--late', '0.08', '--duplicates', '0.03', '--out-of-order', '0.05', '--seed', '11'];
const verify = (dir: string, ...flags: string[]) => sat('verify', '--dir', dir, '--scenario', 'reviews', '--json', ...flags);

describe('watermark models: the same input, results right under one model and wrong under another', () => {
  let dir: string;
  let strict: string;
  let lenient: string;
  beforeAll(() => {
    dir = tempDir('sat-models-');
    expect(sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', ...FAULTS, '--rate', '4000', '--dir', dir).code).toBe(0);
    // sat run with the scenario's 2-day watermark: late records dropped (global max - delay).
    expect(sat('run', '--dir', dir, '--scenario', 'reviews').code).toBe(0);
    strict = join(tempDir(), 'strict.jsonl');
    writeFileSync(strict, readFileSync(join(dir, 'results.jsonl')));
    // The same engine with a watermark delay no record can exceed: nothing is late, everything counts.
    const noLate = join(tempDir(), 'reviews-no-late.yaml');
    writeFileSync(noLate, readFileSync(join(ROOT, 'profiles', 'reviews.yaml'), 'utf8').replace(/^watermark: .*$/m, 'watermark: 100000d'));
    expect(sat('run', '--dir', dir, '--scenario', noLate).code).toBe(0);
    lenient = join(tempDir(), 'lenient.jsonl');
    writeFileSync(lenient, readFileSync(join(dir, 'results.jsonl')));
  });

  it('global (exact): the strict engine passes, the lenient one counts late records and fails', () => {
    expect(verify(dir, '--actual', strict, '--watermark-model', 'global').code).toBe(0);
    const v = verify(dir, '--actual', lenient, '--watermark-model', 'global');
    expect(v.code).toBe(1);
    expect(v.json.counts.records_double_counted).toBeGreaterThan(0);
  });

  it('none: the lenient engine passes, the strict one lost the late records', () => {
    expect(verify(dir, '--actual', lenient, '--watermark-model', 'none').code).toBe(0);
    const v = verify(dir, '--actual', strict, '--watermark-model', 'none');
    expect(v.code).toBe(1);
    expect(v.json.failed).toContain('no records lost');
    expect(v.json.counts.ambiguous_windows).toBe(0); // nothing is undecided without a watermark
  });

  it('global-max (Spark) with micro-batches up to 10 s: both may be right; windows are exact or ambiguous, reported apart', () => {
    // The whole replay took under 10 s, so no late record is decided: a run that tested nothing about
    // lateness fails unless accepted knowingly.
    const vacuous = verify(dir, '--actual', strict, '--watermark-model', 'global-max', '--batch-span', '10s');
    expect(vacuous.json.failed).toEqual(['the run tested something']);
    expect(vacuous.json.evidence.late_judged).toBe(0);
    expect(vacuous.json.evidence.late_sent).toBeGreaterThan(0);
    const a = verify(dir, '--actual', strict, '--watermark-model', 'global-max', '--batch-span', '10s', '--allow-vacuous');
    const b = verify(dir, '--actual', lenient, '--watermark-model', 'global-max', '--batch-span', '10s', '--allow-vacuous');
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.json.counts.ambiguous_windows).toBeGreaterThan(0);
    expect(a.json.counts.exact_windows).toBeGreaterThan(0);
    expect(a.json.checks.find((c: { name: string }) => c.name === 'ambiguous windows within bounds').pass).toBe(true);
    // The pass says what it did not decide.
    expect(a.json.notes[0]).toMatch(/^\d+ of \d+ windows \(\d+%\) were only checked within bounds: under global-max with --batch-span 10000 ms .*--spark-checkpoint judges every window exactly/);
  });

  it('global-max with instant micro-batches decides every record: the strict engine passes, the lenient one fails', () => {
    const a = verify(dir, '--actual', strict, '--watermark-model', 'global-max', '--batch-span', '0ms');
    expect(a.code, JSON.stringify(a.json?.failed)).toBe(0);
    const b = verify(dir, '--actual', lenient, '--watermark-model', 'global-max', '--batch-span', '0ms');
    expect(b.code).toBe(1);
    expect(b.json.counts.records_double_counted).toBeGreaterThan(0);
  });

  it('per-partition-min (Flink) bounds hold for the strict engine when partitions interleave within the span', () => {
    const v = verify(dir, '--actual', strict, '--watermark-model', 'per-partition-min', '--batch-span', '10s', '--allow-vacuous');
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
    expect(v.json.watermark).toBe('per-partition-min');
  });
});
