import { describe, expect, it } from 'vitest';
import { AckWatch, Eta } from '../../src/cli/progress.js';

describe('replay progress', () => {
  it('paced: the ETA is what the schedule has left, and falls as records go out', () => {
    const eta = new Eta();
    expect(eta.update(0, 0, 10_000, 1000, 0)).toBe(10);
    expect(eta.update(5000, 5000, 10_000, 1000, 0)).toBe(5);
    // Behind schedule: the lag is added, not hidden.
    expect(eta.update(6000, 5000, 10_000, 1000, 2000)).toBe(7);
  });

  it('unpaced: while the rate holds the ETA never grows, even with updates in bursts', () => {
    const eta = new Eta();
    let previous = Infinity;
    const seen: number[] = [];
    // 500 records/s on average, sent as a burst of 1,000 every 2 s with a few updates in between.
    for (let t = 0, sent = 0; t <= 60_000; t += 250) {
      if (t % 2000 === 0 && t > 0) sent += 1000;
      const left = eta.update(t, sent, 40_000, 0, 0);
      if (left === undefined) continue;
      seen.push(left);
      expect(left).toBeLessThanOrEqual(previous + 1e-9);
      previous = left;
    }
    expect(seen.length).toBeGreaterThan(100);
    expect(seen[seen.length - 1]).toBeLessThan(seen[0]);
  });

  it('an unacknowledged batch is reported by how long the oldest has waited', () => {
    const w = new AckWatch();
    expect(w.waitingMs(100)).toBe(0);
    const a = w.sending(100);
    const b = w.sending(200);
    expect(w.waitingMs(3100)).toBe(3000);
    w.acked(a);
    expect(w.waitingMs(3100)).toBe(2900);
    w.acked(b);
    expect(w.waitingMs(3100)).toBe(0);
  });
});
