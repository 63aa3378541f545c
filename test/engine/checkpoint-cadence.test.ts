import { describe, expect, it } from 'vitest';
import { CheckpointCadence } from '../../src/engine/checkpoint/cadence.js';

/** Records counted one at a time from `from`; the first count at which `due` says yes (or undefined by `to`). */
function firstDue(c: CheckpointCadence, from: number, to: number, scoring: (records: number) => boolean): number | undefined {
  for (let r = from; r <= to; r++) if (c.due(r, scoring(r))) return r;
  return undefined;
}

describe('checkpoint cadence (embedded log)', () => {
  it('falls due every `every` records when nothing is being scored, counted from a resumed run\'s records', () => {
    const c = new CheckpointCadence(1000, 3_600_000, 5000, () => 0);
    expect(firstDue(c, 5001, 9000, () => false)).toBe(6000);
    c.taken(6000);
    expect(firstDue(c, 6001, 9000, () => false)).toBe(7000);
  });

  it('falls due on the interval, looked at every 256 records', () => {
    let now = 0;
    const c = new CheckpointCadence(1_000_000, 2000, 0, () => now);
    expect(firstDue(c, 1, 600, () => false)).toBeUndefined();
    now = 2500;
    expect(firstDue(c, 601, 2000, () => false)).toBe(768);
  });

  it('waits for the windows being scored, and is taken as soon as they are written', () => {
    const c = new CheckpointCadence(1000, 3_600_000, 0, () => 0);
    // Scoring until record 1400: due at 1000, taken at 1400.
    expect(firstDue(c, 1, 5000, (r) => r < 1400)).toBe(1400);
    expect(c.waiting).toBe(true);
    c.taken(1400);
    expect(c.waiting).toBe(false);
    // The next one is due on the cadence (2000), not 1000 records after the one that waited.
    expect(firstDue(c, 1401, 5000, () => false)).toBe(2000);
  });

  it('waits at most one more cadence of records, or of time, for a scoring that never ends', () => {
    const c = new CheckpointCadence(1000, 3_600_000, 0, () => 0);
    expect(firstDue(c, 1, 5000, () => true)).toBe(2000);
    // It waited a whole cadence: the next counts from when it was taken, not from 1000 (due at once).
    c.taken(2000);
    expect(firstDue(c, 2001, 5000, () => false)).toBe(3000);
    let now = 0;
    const t = new CheckpointCadence(1_000_000, 2000, 0, () => now);
    now = 2560; // due by time at record 256
    expect(t.due(256, true)).toBe(false);
    now = 3999;
    expect(t.due(257, true)).toBe(false);
    now = 4000;
    expect(t.due(258, true)).toBe(true);
    t.taken(258);
    // It fell due at 2560 and waited less than an interval: the next is due an interval after 2560.
    now = 4559;
    expect(firstDue(t, 259, 600, () => false)).toBeUndefined();
    now = 4560;
    expect(firstDue(t, 601, 1000, () => false)).toBe(768);
    // Due at 4560, taken after a whole interval of waiting (6560): the next counts from 6560.
    expect(firstDue(t, 769, 1000, () => true)).toBeUndefined();
    now = 6560;
    expect(t.due(1001, true)).toBe(true);
    t.taken(1001);
    now = 8559;
    expect(firstDue(t, 1002, 1500, () => false)).toBeUndefined();
    now = 8560;
    expect(firstDue(t, 1501, 2000, () => false)).toBe(1536);
  });
});
