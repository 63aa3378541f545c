import { describe, expect, it } from 'vitest';
import { parseDuration, parseDurationRange } from '../../src/core/duration.js';
import { parseIsoDate, parseIsoTime, parseIsoTimeByPattern } from '../../src/core/time.js';

describe('durations', () => {
  it('parses units and compounds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250')).toBe(250);
  });
  it('rejects junk with a message naming it', () => {
    expect(() => parseDuration('2 days')).toThrow(/"2 days" is not a duration/);
    expect(() => parseDurationRange('2d..1d')).toThrow(/maximum below its minimum/);
  });
  it('parses ranges', () => {
    expect(parseDurationRange('1h..2h')).toEqual([3_600_000, 7_200_000]);
    expect(parseDurationRange('1m-5m')).toEqual([60_000, 300_000]);
  });
});

describe('event-time parsing', () => {
  it('reads the IoT readable_time with microseconds and without a fraction', () => {
    expect(parseIsoTime('2018-04-09T00:00:18.503000Z')).toBe(Date.UTC(2018, 3, 9, 0, 0, 18, 503));
    expect(parseIsoTime('2018-04-09T16:11:44Z')).toBe(Date.UTC(2018, 3, 9, 16, 11, 44));
    expect(parseIsoTime('2018-04-09T02:00:00+02:00')).toBe(Date.UTC(2018, 3, 9, 0, 0, 0));
  });
  it('rejects impossible or foreign dates', () => {
    expect(parseIsoDate('2015-02-30')).toBeUndefined();
    expect(parseIsoDate('31/08/2015')).toBeUndefined();
    expect(parseIsoTime('2015-13-45')).toBeUndefined();
    expect(parseIsoTime('not-a-date')).toBeUndefined();
    expect(parseIsoDate('2015-08-31')).toBe(Date.UTC(2015, 7, 31));
  });
});

describe('the fast timestamp path', () => {
  it('agrees with the full grammar on random near-ISO texts', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pieces = ['2018', '1999', '0000', '-', '04', '02', '13', '00', '29', '30', '31', 'T', ' ', '23', '24', ':', '59', '60', '.', '5', '503', '503000', '1234567891', 'Z', '+02:00', 'x'];
    let agreed = 0;
    for (let i = 0; i < 50_000; i++) {
      // Mostly well-formed shapes with one piece swapped, so both valid and invalid cases are common.
      const parts = ['2018', '-', ['02', '04', '13', '00'][rnd(4)], '-', ['29', '30', '09', '31'][rnd(4)], rnd(2) ? 'T' : ' ', ['23', '24', '00'][rnd(3)], ':', '59', ':', ['59', '60'][rnd(2)], ...(rnd(2) ? ['.', ['5', '503', '503000', '1234567891', ''][rnd(5)]] : []), ...(rnd(3) ? ['Z'] : rnd(2) ? ['+02:00'] : [])];
      if (rnd(4) === 0) parts[rnd(parts.length)] = pieces[rnd(pieces.length)];
      const t = rnd(5) === 0 ? parts.slice(0, 5).join('') : parts.join(''); // dates alone too
      expect(parseIsoTime(t), t).toBe(parseIsoTimeByPattern(t));
      if (parseIsoTime(t) !== undefined) agreed++;
    }
    expect(agreed).toBeGreaterThan(1500); // the valid cases were really exercised
  });
});
