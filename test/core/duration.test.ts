import { describe, expect, it } from 'vitest';
import { parseDuration, parseDurationRange } from '../../src/core/duration.js';
import { parseIsoDate, parseIsoTime } from '../../src/core/time.js';

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
