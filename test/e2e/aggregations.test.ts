import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sat, tempDir } from '../helpers.js';

/** The iot scenario with every aggregation sat knows. */
function allAggregationsScenario(dir: string): string {
  const yaml = readFileSync(join(ROOT, 'profiles', 'iot.yaml'), 'utf8').replace(
    /aggregations:\n(  .*\n)+/,
    `aggregations:
  total_records: count()
  sum_temperature: sum(temperature)
  avg_temperature: avg(temperature)
  min_humidity: min(humidity)
  max_humidity: max(humidity)
  sd_temperature: stddev(temperature)
  var_pressure: variance(pressure)
  batteries: count_distinct(battery)
  first_temperature: first(temperature)
  last_temperature: last(temperature)
`,
  );
  const file = join(dir, 'iot-all.yaml');
  // Without the batch layer: its rollups name aggregations this variant replaces.
  writeFileSync(file, yaml.replace('name: iot', 'name: iot-all').replace(/\n# The batch layer[\s\S]*$/, '\n'));
  return file;
}

describe('every aggregation through replay, run and verify', () => {
  it('passes on a faulty stream, exactly and within bounds; a changed value of a new aggregation fails', () => {
    const scenario = allAggregationsScenario(tempDir('sat-aggs-scenario-'));
    const dir = tempDir('sat-aggs-');
    const replay = sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', scenario, '--rate', '0', '--malformed', '0.02', '--late', '0.05', '--duplicates', '0.05', '--out-of-order', '0.05', '--seed', '11', '--dir', dir, '--json');
    expect(replay.code, replay.stderr).toBe(0);
    const run = sat('run', '--dir', dir, '--json');
    expect(run.code, run.stderr).toBe(0);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, JSON.stringify(v.json?.checks?.filter((c: { pass: boolean }) => !c.pass))).toBe(0);
    expect(v.json.counts.expected_results).toBeGreaterThan(10);
    // Within bounds too (Spark's model with 1 ms batches: sat run's watermark is inside it), some windows ambiguous.
    const b = sat('verify', '--dir', dir, '--watermark-model', 'global-max', '--batch-span', '1ms', '--json');
    expect(b.code, JSON.stringify(b.json?.failed)).toBe(0);
    expect(b.json.counts.ambiguous_windows).toBeGreaterThan(0);

    // The results hold real values for the new ones (not all null), and a tampered one is caught.
    const lines = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const withSd = lines.findIndex((r) => r.sd_temperature !== null && r.sd_temperature > 0);
    expect(withSd).toBeGreaterThanOrEqual(0);
    expect(lines.some((r) => r.batteries > 0 && r.first_temperature !== null && r.var_pressure !== null)).toBe(true);
    for (const [field, change] of [['sd_temperature', 1.5], ['batteries', 1], ['last_temperature', 0.25]] as const) {
      const out = tempDir('sat-aggs-tampered-');
      const tampered = lines.map((r, i) => (i === withSd ? { ...r, [field]: r[field] + change } : r));
      writeFileSync(join(out, 'results.jsonl'), tampered.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const bad = sat('verify', '--dir', dir, '--actual', join(out, 'results.jsonl'), '--engine', 'sat', '--json');
      expect(bad.code, field).toBe(1);
      expect(bad.json.failed, field).toContain('no wrong values');
    }
  });
});
