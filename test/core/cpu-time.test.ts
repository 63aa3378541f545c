import { describe, expect, it } from 'vitest';
import { cpuMark, cpuSince } from '../../src/core/cpu-time.js';

describe('cpu time of a run', () => {
  it('counts the CPU this thread spent, and the process as a whole at least as much', () => {
    const m = cpuMark();
    // Spend ~60 ms of CPU on this thread (measured by CPU, not by the clock: a busy machine only takes longer).
    const start = process.cpuUsage();
    let x = 0;
    while (process.cpuUsage(start).user < 60_000) for (let i = 0; i < 10_000; i++) x += Math.sqrt(i);
    const c = cpuSince(m);
    expect(x).toBeGreaterThan(0);
    expect(c.processMs).toBeGreaterThanOrEqual(60);
    if (process.platform === 'linux') {
      // This thread did most of the spending (a GC thread may have done some): it is counted on its
      // own, in ms (not µs or s), and within the process's figure.
      expect(c.threadMs).toBeGreaterThanOrEqual(30);
      expect(c.threadMs).toBeLessThanOrEqual(c.processMs + 5);
      expect(c.threadWaitMs).toBeGreaterThanOrEqual(0);
    } else expect(c.threadMs).toBeUndefined();
  });

  it('reports nothing spent between two marks taken at once', () => {
    const c = cpuSince(cpuMark());
    expect(c.processMs).toBeLessThan(50);
    if (process.platform === 'linux') expect(c.threadMs).toBeLessThan(50);
  });
});
