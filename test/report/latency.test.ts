import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as hdr from 'hdr-histogram-js';
import { Latency } from '../../src/report/latency.js';

describe('Latency (runs of equal values recorded as one count)', () => {
  it('summarises exactly as a histogram that took every value one at a time', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -5, max: 40 }), fc.double({ min: 0, max: 5000, noNaN: true })), { maxLength: 300 }), fc.nat({ max: 300 }), (ms, midway) => {
        const l = new Latency('test');
        const h = hdr.build({ numberOfSignificantValueDigits: 3, useWebAssembly: false, autoResize: true, lowestDiscernibleValue: 1 });
        ms.forEach((x, i) => {
          l.record(x);
          h.recordValue(Math.max(0, Math.round(x * 1000)));
          // Reading the count midway settles a pending run; recording goes on after it.
          if (i === midway) expect(l.count).toBe(i + 1);
        });
        const at = (p: number) => (h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000);
        expect(l.summary()).toEqual({ count: h.totalCount, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), p9999: at(99.99), max: h.totalCount === 0 ? 0 : h.maxValue / 1000 });
      }),
      { numRuns: 300 },
    );
  });
});
