import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

/**
 * Zero false alarms: whole correct loops of every scenario, each with fresh data seeds and a random
 * fault mix (scripts/correct-runs.mjs; the long version is --runs 100). A new meta seed every CI run,
 * printed, so a failure can be replayed with --seed.
 */
describe('correct runs pass verify', () => {
  it('3 rounds of reviews, iot, messages and satisfaction with random seeds and fault mixes: 0 false alarms', { timeout: 900_000 }, () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'correct-runs.mjs'), '--runs', '3', '--json'], { encoding: 'utf8', cwd: ROOT });
    const summary = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    console.log(`correct runs: meta seed ${summary.metaSeed}, ${JSON.stringify(summary.tally)}, ${summary.seconds} s`);
    expect(summary.failures, `replay with --seed ${summary.metaSeed}`).toEqual([]);
    expect(r.status).toBe(0);
    for (const t of Object.values(summary.tally) as { runs: number; passed: number }[]) expect(t.passed).toBe(3);
  });
});
