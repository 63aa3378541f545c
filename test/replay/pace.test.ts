import { describe, expect, it } from 'vitest';
import { Latency } from '../../src/report/latency.js';
import { pace, type Clock } from '../../src/replay/pace/pacer.js';
import { parseRateProfile } from '../../src/replay/pace/profile-file.js';
import { constantRate, eventTimeSchedule, profileSchedule } from '../../src/replay/pace/schedule.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, sat, tempDir } from '../helpers.js';

/** A clock that only moves when told: sleep jumps to the wake-up time, work takes what send() says. */
function fakeClock(start = 1_000_000): Clock & { advance(ms: number): void; sleeps: number } {
  let t = start;
  const c = {
    sleeps: 0,
    now: () => t,
    sleep: async (ms: number) => {
      c.sleeps++;
      t += Math.max(ms, 0.001);
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
  return c;
}

describe('the pacer (open model, fake clock)', () => {
  it('holds a constant rate exactly, second by second, sleeping between sends instead of spinning', async () => {
    const clock = fakeClock();
    const r = await pace({ schedule: constantRate(1000), total: 5000, clock, send: async () => undefined });
    expect(r.sent).toBe(5000);
    expect(r.perSecond.slice(0, 5)).toEqual([1000, 1000, 1000, 1000, 1000]);
    expect(r.worstSecondErrorPct).toBe(0);
    expect(r.behindScheduleMs).toBeLessThan(0.3);
    expect(r.achievedRate).toBe(1000);
    expect(clock.sleeps).toBeGreaterThan(4000); // one wait per record at 1 ms apart: no busy loop
  });

  it('after a stall, sends everything due at once, so the offered load is kept and the lag is reported', async () => {
    const clock = fakeClock();
    let stalled = false;
    const r = await pace({
      schedule: constantRate(1000),
      total: 6000,
      clock,
      send: async (from) => {
        if (!stalled && from >= 2000) {
          stalled = true;
          clock.advance(500); // the transport hangs for half a second
        }
      },
    });
    expect(r.sent).toBe(6000);
    expect(r.behindScheduleMs).toBeGreaterThanOrEqual(499);
    expect(r.behindScheduleMs).toBeLessThan(502);
    // The second with the stall still gets its 1000: the 500 overdue records go out in one batch.
    expect(r.perSecond[2]).toBe(1000);
    expect(r.perSecond.reduce((a, b) => a + b, 0)).toBe(6000);
    expect(r.elapsedMs).toBeLessThan(6000 + 1);
  });

  it('a known stall shows up in latency measured from the intended send time, not from the actual one', async () => {
    const clock = fakeClock();
    const corrected = new Latency('test');
    const naive = new Latency('test');
    let stalled = false;
    await pace({
      schedule: constantRate(1000),
      total: 10_000,
      clock,
      send: async (from, to, intended, sendTime) => {
        if (!stalled && from >= 5000) {
          stalled = true;
          clock.advance(2000);
        }
        clock.advance(0.1); // every acknowledgement takes 0.1 ms
        for (let j = 0; j < to - from; j++) {
          corrected.record(clock.now() - intended[j]);
          naive.record(clock.now() - sendTime);
        }
      },
    });
    // 2,000 of 10,000 records waited behind the stall: 20% of them, up to 2 s.
    expect(corrected.summary().max).toBeGreaterThan(1999);
    expect(corrected.summary().p90).toBeGreaterThan(150);
    expect(corrected.summary().p50).toBeLessThan(1);
    // Measured from when they were actually sent, the stall all but vanishes.
    expect(naive.summary().p99).toBeLessThan(2100);
    expect(naive.summary().p90).toBeLessThan(1);
  });

  it('stops at --records and at --duration, and says why', async () => {
    const clock = fakeClock();
    const byRecords = await pace({ schedule: constantRate(100), total: 1000, maxRecords: 250, clock, send: async () => undefined });
    expect([byRecords.sent, byRecords.stoppedBy]).toEqual([250, 'records']);
    const byDuration = await pace({ schedule: constantRate(100), total: 1000, durationMs: 3000, clock, send: async () => undefined });
    expect([byDuration.sent, byDuration.stoppedBy]).toEqual([300, 'duration']);
    const all = await pace({ schedule: constantRate(100), total: 120, clock, send: async () => undefined });
    expect(all.stoppedBy).toBe('end-of-data');
  });

  it('leaves the warm-up out of the per-second figures', async () => {
    const clock = fakeClock();
    let slow = true;
    const r = await pace({
      schedule: constantRate(100),
      total: 500,
      warmupMs: 2000,
      clock,
      send: async (from) => {
        if (slow && from === 50) {
          slow = false;
          clock.advance(900); // a slow first connection
        }
      },
    });
    expect(r.perSecond[0]).not.toBe(100);
    expect(r.worstSecondErrorPct).toBe(0);
  });
});

describe('rate profiles', () => {
  it('a ramp sends the integral of its rate, and each record is due when the count reaches it', () => {
    const s = profileSchedule([{ kind: 'ramp', from: 0, to: 1000, ms: 10_000 }]);
    expect(s.countUntil(10_000)).toBe(5000);
    expect(s.countUntil(5_000)).toBe(1250);
    for (const i of [0, 1, 100, 1249, 1250, 4999]) {
      const t = s.timeOf(i);
      expect(s.countUntil(t)).toBeLessThanOrEqual(i);
      expect(s.countUntil(t + 0.01)).toBeGreaterThan(i);
    }
    expect(s.timeOf(5000)).toBe(Infinity);
  });

  it('the pacer follows a profile second by second: steps, a pause and a spike', async () => {
    const schedule = profileSchedule([
      { kind: 'constant', rate: 100, ms: 2000 },
      { kind: 'constant', rate: 0, ms: 1000 },
      { kind: 'constant', rate: 400, ms: 1000 },
      { kind: 'constant', rate: 100, ms: 1000 },
    ]);
    const r = await pace({ schedule, total: 10_000, clock: fakeClock(), send: async () => undefined });
    expect(r.perSecond).toEqual([100, 100, 0, 400, 100]);
    expect(r.stoppedBy).toBe('schedule');
    expect(r.worstSecondErrorPct).toBe(0);
  });

  it('a sine follows its mean and amplitude', () => {
    const s = profileSchedule([{ kind: 'sine', mean: 1000, amplitude: 500, periodMs: 4000, ms: 4000 }]);
    expect(s.countUntil(4000)).toBe(4000); // one whole period: the mean
    expect(s.countUntil(1000) - s.countUntil(0)).toBeGreaterThan(1200); // rising quarter
    expect(s.countUntil(3000) - s.countUntil(2000)).toBeLessThan(800); // falling quarter
    expect(s.countUntil(s.timeOf(2500))).toBeLessThanOrEqual(2500);
  });

  it('profile files are validated, naming the phase at fault', () => {
    const err = (raw: unknown) => {
      try {
        parseRateProfile(raw, 'p.yaml');
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(err({ name: 'x', phases: [{ constant: 10, for: '5s' }, { spike: { base: 1, peak: 9, at: '4s', width: '1s' }, for: '5s' }] })).toBe('');
    expect(err({ name: 'x', phases: [{ sine: { mean: 10, amplitude: 20, period: '1m' }, for: '1m' }] })).toMatch(/phases.0.sine: amplitude 20 exceeds mean 10/);
    expect(err({ name: 'x', phases: [{ spike: { base: 1, peak: 9, at: '4s', width: '2s' }, for: '5s' }] })).toMatch(/phases.0.spike: at \+ width .* past the phase's end/);
    expect(err({ name: 'x', phases: [{ wobble: 3, for: '1s' }] })).toMatch(/phases.0: a phase is one of/);
    expect(err({ name: 'x', phases: [{ constant: 10, for: 'soon' }] })).toMatch(/phases.0.for/);
    expect(err({ name: 'x', phases: [] })).toMatch(/phases/);
  });

  it('event-time replay divides the gaps of the event times, and sends late records at once', () => {
    const s = eventTimeSchedule([0, 1000, 3000, 2000, undefined, 7000].map((x) => (x === undefined ? undefined : 1_700_000_000_000 + x)), 10);
    expect([0, 1, 2, 3, 4, 5].map((i) => s.timeOf(i))).toEqual([0, 100, 300, 300, 300, 700]);
    expect(s.countUntil(300)).toBe(2);
  });
});

describe('sat replay pacing flags', () => {
  it('--rate with --profile is a usage error (exit 2, one line)', () => {
    const r = sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', '--dir', tempDir(), '--rate', '100', '--profile', 'steps');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--rate and --profile cannot be combined/);
  });

  it('with a profile, latency is reported per phase as well as overall', () => {
    const dir = tempDir();
    const profile = join(tempDir(), 'two.yaml'); // not in --dir: sat writes only into a directory of its own
    writeFileSync(profile, 'name: two\nphases:\n  - { constant: 400, for: 1s }\n  - { ramp: [400, 1200], for: 1s }\n');
    const r = sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', '--dir', dir, '--profile', profile, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.sent).toBe(1200); // 400 + the ramp's integral, 800: then the profile ends
    expect(r.json.stoppedBy).toBe('schedule');
    const phases = r.json.latencyByPhase;
    expect(phases.map((x: { rate: string }) => x.rate)).toEqual(['400/s', '400..1200/s']);
    expect(phases[0].count + phases[1].count).toBe(r.json.latency.count);
    expect(phases[0].count).toBe(400);
  });

  it('--shard needs Kafka and the form i/n (exit 2)', () => {
    const file = join(ROOT, 'datasets', 'iot-sample.csv');
    const noKafka = sat('replay', file, '--scenario', 'iot', '--dir', tempDir(), '--shard', '1/2');
    expect([noKafka.code, /--shard needs Kafka/.test(noKafka.stderr)]).toEqual([2, true]);
    const bad = sat('replay', file, '--scenario', 'iot', '--dir', tempDir(), '--shard', '3/2', '--brokers', '127.0.0.1:1', '--topic', 't');
    expect([bad.code, /--shard <i\/n>.*3\/2.*expected i\/n/.test(bad.stderr)]).toEqual([2, true]);
  });

  it('a profile that does not exist, or a bad one, is exit 2 naming it', () => {
    const dir = tempDir();
    const r = sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', '--dir', dir, '--profile', 'nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rate profile "nope" not found/);
  });

  it('the --json summary carries the rate and latency figures, and the run can still be verified', () => {
    const dir = tempDir();
    const r = sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', '--dir', dir, '--rate', '1000', '--records', '2500', '--duplicates', '0.05', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = r.json;
    expect(s.sent).toBe(2500);
    expect(s.stoppedBy).toBe('records');
    expect(s.targetRate).toBe(1000);
    // No wall-clock limit here (shared machines are noisy): only that the figures are there and sane.
    expect(s.achievedRate).toBeGreaterThan(0);
    expect(s.worstSecondErrorPct).not.toBeNull();
    expect(s.behindScheduleMs).toBeGreaterThanOrEqual(0);
    expect(Object.keys(s.latency).sort()).toEqual(['count', 'max', 'p50', 'p90', 'p99', 'p999', 'p9999'].sort());
    expect(s.latency.count).toBe(2500);
    expect(s.faults.duplicate).toBeGreaterThan(0);
    const run = sat('run', '--dir', dir, '--json');
    expect(run.json.latency.count).toBe(2500);
    expect(sat('verify', '--dir', dir).code).toBe(0);
  });

  it('faults the stream has no room for are said, not silently sent as plain records', () => {
    // 30 minutes of events under 1-hour windows: no later record can move the watermark past a close.
    const dir = tempDir();
    expect(sat('gen', '--dir', dir, '--customers', '50', '--events', '1000', '--span', '30m').code).toBe(0);
    const r = sat('replay', '--scenario', 'satisfaction', '--dir', dir, '--rate', '0', '--late', '0.05');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/faults: .*late 0,/);
    expect(r.stderr).toMatch(/not placed, sent as plain records: [1-9]\d* late/);
  });
});
