import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { PROFILES_DIR } from '../../scenario/load.js';
import { profileSchedule, type Phase, type Schedule } from './schedule.js';

const rate = z.number().min(0);
const duration = z.string().min(1);

/** One phase: exactly one of constant, ramp, steps, spike, sine; `for` says how long (steps carry their own). */
const RawPhase = z.union([
  z.strictObject({ constant: rate, for: duration }),
  z.strictObject({ ramp: z.tuple([rate, rate]), for: duration }),
  z.strictObject({ steps: z.array(z.strictObject({ rate, for: duration })).min(1) }),
  z.strictObject({ spike: z.strictObject({ base: rate, peak: rate, at: duration, width: duration }), for: duration }),
  z.strictObject({ sine: z.strictObject({ mean: rate, amplitude: rate, period: duration }), for: duration }),
]);

const RawProfile = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  phases: z.array(RawPhase).min(1),
  repeat: z.number().int().min(1).default(1),
});

/** Finds a rate profile by name (profiles/rates/NAME.yaml) or path and turns it into a schedule. */
export function loadRateProfile(nameOrPath: string): Schedule {
  const candidates = [nameOrPath, join(PROFILES_DIR, 'rates', `${nameOrPath}.yaml`)];
  const path = candidates.find((p) => existsSync(p) && /\.ya?ml$/.test(p));
  if (path === undefined) throw new UsageError(`rate profile "${nameOrPath}" not found (looked for a file and in ${join(PROFILES_DIR, 'rates')})`);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`rate profile ${path}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return parseRateProfile(raw, path);
}

export function parseRateProfile(raw: unknown, path: string): Schedule {
  const parsed = RawProfile.safeParse(raw);
  const fail = (msg: string): never => {
    throw new UsageError(`rate profile ${path}: ${msg}`);
  };
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.join('.') || '(top)';
    // A union failure says little; name the kinds instead.
    return fail(issue.code === 'invalid_union' ? `${where}: a phase is one of {constant, for}, {ramp: [from, to], for}, {steps: [{rate, for}]}, {spike: {base, peak, at, width}, for}, {sine: {mean, amplitude, period}, for}` : `${where}: ${issue.message}`);
  }
  const r = parsed.data;
  const ms = (text: string, what: string): number => {
    let v: number;
    try {
      v = parseDuration(text, what);
    } catch (e) {
      return fail((e as Error).message);
    }
    if (v <= 0) fail(`${what}: must be longer than 0`);
    return v;
  };
  const phases: Phase[] = r.phases.flatMap((p, i): Phase[] => {
    const what = `phases.${i}`;
    if ('steps' in p) return p.steps.map((s, j) => ({ kind: 'constant', rate: s.rate, ms: ms(s.for, `${what}.steps.${j}.for`) }));
    const len = ms(p.for, `${what}.for`);
    if ('constant' in p) return [{ kind: 'constant', rate: p.constant, ms: len }];
    if ('ramp' in p) return [{ kind: 'ramp', from: p.ramp[0], to: p.ramp[1], ms: len }];
    if ('spike' in p) {
      const at = ms(p.spike.at, `${what}.spike.at`);
      const width = ms(p.spike.width, `${what}.spike.width`);
      if (at + width > len) fail(`${what}.spike: at + width (${at + width} ms) is past the phase's end (${len} ms)`);
      return [
        { kind: 'constant', rate: p.spike.base, ms: at },
        { kind: 'constant', rate: p.spike.peak, ms: width },
        { kind: 'constant', rate: p.spike.base, ms: len - at - width },
      ].filter((x) => x.ms > 0) as Phase[];
    }
    if (p.sine.amplitude > p.sine.mean) fail(`${what}.sine: amplitude ${p.sine.amplitude} exceeds mean ${p.sine.mean} (the rate would go below 0)`);
    return [{ kind: 'sine', mean: p.sine.mean, amplitude: p.sine.amplitude, periodMs: ms(p.sine.period, `${what}.sine.period`), ms: len }];
  });
  // A ramp from 0 is fine; a phase whose rate is 0 throughout is a pause.
  return profileSchedule(phases, r.repeat, r.name);
}
