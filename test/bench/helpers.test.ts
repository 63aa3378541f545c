import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sat, tempDir } from '../helpers.js';

// The benchmarks are not run in CI (they measure, and the machines are shared), but the helpers
// they spawn call sat's own modules: one that drifted from them made `npm run bench` die. These
// run them once on small inputs, so such drift fails here.
describe('benchmark helpers still run against the current code', () => {
  it('bench/snapshot-memory.mjs loads a generated snapshot and reports its rows', () => {
    const dir = tempDir();
    expect(sat('gen', '--dir', dir, '--customers', '1000', '--features', '5', '--events', '100', '--days', '1').code).toBe(0);
    const file = join(dir, 'customers-2024-06-01.parquet');
    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', join(ROOT, 'bench', 'snapshot-memory.mjs'), file, 'tenure_months,f0005'], { encoding: 'utf8' }));
    expect(out.rows).toBe(1000);
    expect(out.columns).toBe(2);
  });

  it('bench/floor.mjs decodes and parses the records of a replayed log, and runs the validator over them', async () => {
    const dir = tempDir();
    expect(sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', '--rate', '0', '--dir', dir).code).toBe(0);
    const { loadValues, decodeParseRate, validateRate } = await import(join(ROOT, 'bench', 'floor.mjs'));
    const values = loadValues(join(dir, 'log'));
    expect(values.length).toBeGreaterThan(0);
    expect(decodeParseRate(values)).toBeGreaterThan(0);
    expect(await validateRate(values, 'iot')).toBeGreaterThan(0);
  });

  it("bench/cpu.mjs reads sat run's cpu figures: cores busy, the engine's thread on a core and waiting", async () => {
    const dir = tempDir();
    expect(sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', '--rate', '0', '--dir', dir).code).toBe(0);
    const run = sat('run', '--dir', dir, '--json');
    expect(run.code, run.stderr).toBe(0);
    const { cpuLine } = await import(join(ROOT, 'bench', 'cpu.mjs'));
    expect(run.json.cpu.processMs).toBeGreaterThan(0);
    const line = cpuLine([run.json]) as string;
    expect(line).toMatch(/^cpu +\d+\.\d\d cores busy/);
    if (process.platform === 'linux') expect(line).toMatch(/on a core \d+% of the run, ready but waiting for one \d+%$/);
    // Medians of the runs' own figures: a run that spent 3 s of CPU in 2 s kept 1.5 cores busy.
    const made = { elapsedMs: 2000, cpu: { processMs: 3000, threadMs: 1000, threadWaitMs: 500 } };
    expect(cpuLine([made, made, { ...made, cpu: { processMs: 4000, threadMs: 1200, threadWaitMs: 900 } }])).toBe("cpu     1.50 cores busy (all threads' CPU / wall); the engine's thread on a core 50% of the run, ready but waiting for one 25%");
    expect(cpuLine([{ elapsedMs: 10 }])).toBe('');
  });
});
