import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MUTANTS } from '../../src/engine/operator.js';
import { ROOT, sat, satWith, tempDir } from '../helpers.js';

/**
 * Known-wrong engines, built inside sat run on purpose (SAT_ENGINE_MUTANT), must each fail verify
 * with the check that names what they got wrong. The stream has every fault kind and boundary probes:
 * without the probes, an engine whose late check is `<` instead of `<=` gives the same output as a
 * correct one, because no record ever arrives exactly at a window's close.
 */
const FAULTS = ['--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--out-of-order', '0.05', '--seed', '5'];
const file = join(ROOT, 'datasets', 'reviews-sample.tsv');

/** What each mutant must at least be caught by. */
const caughtBy: Record<(typeof MUTANTS)[number], string[]> = {
  'end-inclusive': ['no results missing', 'no results extra', 'no records lost'],
  'late-strict': ['no records double-counted', 'every late record in the late output, no other'],
  'no-delay': ['every late record in the late output, no other', 'no records lost'],
  'dedup-forever': ['no records lost', 'duplicates suppressed'],
  'dedup-early': ['no records double-counted', 'duplicates suppressed'],
  'count-late': ['no records double-counted', 'every late record in the late output, no other'],
  'no-final-flush': ['no results missing', 'no records lost'],
};

function runAndVerify(dir: string, mutant?: string) {
  const run = satWith(mutant ? { SAT_ENGINE_MUTANT: mutant } : {}, 'run', '--dir', dir, '--fresh');
  expect(run.code, run.stderr).toBe(0);
  if (mutant) expect(run.stderr).toContain(`SAT_ENGINE_MUTANT=${mutant}`);
  return sat('verify', '--dir', dir, '--json');
}

describe('verify catches each engine mutant', () => {
  let probed: string;
  let plain: string;
  let probes: Record<string, number>;
  beforeAll(() => {
    probed = tempDir('sat-mutants-');
    const r = sat('replay', file, '--scenario', 'reviews', ...FAULTS, '--boundary', '0.05', '--dir', probed, '--json');
    expect(r.code, r.stderr).toBe(0);
    probes = r.json.boundaryProbes;
    for (const p of ['late-at-close', 'before-close', 'dup-at-expiry', 'dup-before-expiry']) expect(probes[p], p).toBeGreaterThan(5);
    plain = tempDir('sat-mutants-plain-');
    expect(sat('replay', file, '--scenario', 'reviews', ...FAULTS, '--dir', plain).code).toBe(0);
  });

  it('the correct engine passes the probed stream, and the oracle sees each probe land exactly on its boundary', () => {
    const v = runAndVerify(probed);
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
    const e = v.json.evidence;
    expect(e.late_at_close).toBeGreaterThanOrEqual(probes['late-at-close']);
    expect(e.on_time_one_step_before_close).toBeGreaterThanOrEqual(probes['before-close']);
    expect(e.dedup_at_expiry).toBeGreaterThanOrEqual(probes['dup-at-expiry']);
    expect(e.dedup_one_step_before_expiry).toBeGreaterThanOrEqual(probes['dup-before-expiry']);
  });

  for (const m of MUTANTS) {
    it(`${m}: verify fails and names it`, () => {
      const v = runAndVerify(probed, m);
      expect(v.code).toBe(1);
      expect(v.json.failed).toEqual(expect.arrayContaining(caughtBy[m]));
    });
  }

  it('without boundary probes, a late check of < instead of <= goes unseen (why --boundary exists)', () => {
    expect(runAndVerify(plain, 'late-strict').code).toBe(0);
  });

  it('an unknown mutant is a usage error', () => {
    const r = satWith({ SAT_ENGINE_MUTANT: 'nonsense' }, 'run', '--dir', probed);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SAT_ENGINE_MUTANT=nonsense: not a mutant/);
  });
});
