import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoFormatter } from '../../src/core/time.js';

const viaDate = (ms: number) => {
  try {
    return new Date(ms).toISOString();
  } catch (e) {
    return `throws ${(e as Error).name}`;
  }
};
const via = (f: (ms: number) => string) => (ms: number) => {
  try {
    return f(ms);
  } catch (e) {
    return `throws ${(e as Error).name}`;
  }
};

describe('isoFormatter', () => {
  it("is Date's toISOString for any instant: day and year edges, fractions, out of range, in any order", () => {
    const edges = [0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 253_402_300_799_999, 253_402_300_800_000, 8.64e15, 8.64e15 + 1, -1, -86_400_001, 1.5, -0.5, NaN, Infinity, -Infinity];
    const instant = fc.oneof(fc.integer({ min: -1e13, max: 2.6e14 }), fc.double(), fc.constantFrom(...edges));
    fc.assert(
      fc.property(fc.array(instant, { maxLength: 50 }), (xs) => {
        const f = via(isoFormatter());
        for (const x of xs) expect(f(x), String(x)).toBe(viaDate(x));
      }),
      { numRuns: 500 },
    );
  });
});
