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

describe('flink-watermarks: each record judged by the watermark a Flink job audited for it', () => {
  // No Flink here (test/engines/flink.test.ts runs the real one): sat run's results on the embedded
  // log, and audits made from its ledger. sat's rule (late when end <= W) is Flink's (late when the
  // window's last millisecond, end - 1, <= W) with W one millisecond lower; probes sit at the edge.
  let dir: string;
  let results: string;
  const audit = async (shift: number, drop = 0) => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const file = join(tempDir(), `audit${shift}.jsonl`);
    await db.run(`COPY (SELECT partition, "offset",
        max(CASE WHEN fault NOT IN ('malformed', 'source') THEN event_time END) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) - 60000 + ${shift} AS watermark
      FROM read_csv('${join(dir, 'ledger.csv')}', header=true) ORDER BY seq OFFSET ${drop}) TO '${file}' (FORMAT json)`);
    db.closeSync();
    return file;
  };
  beforeAll(() => {
    dir = tempDir('sat-flink-model-');
    const r = sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', ...FAULTS, '--boundary', '0.05', '--rate', '0', '--dir', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(sat('run', '--dir', dir, '--scenario', 'iot').code).toBe(0);
    results = join(tempDir(), 'results.jsonl');
    writeFileSync(results, readFileSync(join(dir, 'results.jsonl')));
  });

  it("the audit that matches the engine passes; 1 ms off either way fails at the probed edges", async () => {
    const v = (file: string) => sat('verify', '--dir', dir, '--scenario', 'iot', '--json', '--actual', results, '--engine', 'flink', '--flink-watermarks', file);
    const right = v(await audit(-1));
    expect(right.code, JSON.stringify(right.json?.failed)).toBe(0);
    expect(right.json.watermark).toBe('flink-watermarks');
    expect(right.json.evidence.late_at_close).toBeGreaterThan(0);
    expect(right.json.evidence.on_time_one_step_before_close).toBeGreaterThan(0);
    // One ms higher: records one step before a close are late for Flink, yet the results count them.
    const high = v(await audit(0));
    expect(high.code).toBe(1);
    expect(high.json.failed).toContain('no records double-counted');
    // One ms lower: records exactly at a close still count for Flink, yet the results lack them.
    const low = v(await audit(-2));
    expect(low.code).toBe(1);
    expect(low.json.failed).toContain('no records lost');
    // An audit without the first records: they were never read.
    const cut = v(await audit(-1, 10));
    expect(cut.json.failed).toContain('every record in the watermark audit');
  });
});
