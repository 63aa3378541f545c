import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sat, tempDir } from '../helpers.js';

describe("sat demo: the README's main job", () => {
  it('runs the satisfaction scenario end to end (generated data, online API with errors, faults) and verifies', () => {
    const dir = tempDir('sat-demo-');
    const r = sat('demo', '--dir', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.pass).toBe(true);
    expect(r.json.scenario).toBe('satisfaction');
    expect(r.json.counts.scores_checked).toBeGreaterThan(10_000);
    expect(r.json.counts.actions).toBeGreaterThan(0);
    expect(r.json.counts.malformed_sent).toBeGreaterThan(0);
    for (const f of ['customers-2024-06-02.parquet', 'events.parquet', 'results.jsonl', 'results.parquet', 'actions.jsonl']) expect(existsSync(join(dir, f)), f).toBe(true);
  });

  it('runs a bundled file too (--scenario iot)', () => {
    const r = sat('demo', '--dir', tempDir('sat-demo-'), '--scenario', 'iot', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.pass).toBe(true);
    expect(r.json.counts.alerts_expected).toBeGreaterThan(0);
  });
});
