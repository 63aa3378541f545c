import { describe, expect, it } from 'vitest';
import { allDistinct } from '../../src/core/distinct.js';
import { createRng } from '../../src/core/rng.js';

describe('allDistinct', () => {
  it('answers as a Set does, on lists with and without repeats, of any length and alphabet', () => {
    const rng = createRng(7);
    const alphabets = ['ab', 'C0123456789', 'é€😀x', '\u0000\uffff'];
    let repeated = 0;
    for (let t = 0; t < 3000; t++) {
      const alphabet = [...rng.pick(alphabets)];
      const n = rng.int(0, t % 10 === 0 ? 3000 : 40);
      const len = rng.int(0, 8);
      const xs = Array.from({ length: n }, () => Array.from({ length: rng.int(0, len) }, () => rng.pick(alphabet)).join(''));
      const want = new Set(xs).size === xs.length;
      if (!want) repeated++;
      expect(allDistinct(xs)).toBe(want);
    }
    expect(repeated).toBeGreaterThan(500);
    expect(repeated).toBeLessThan(2900);
  });

  it('finds a repeat anywhere among many distinct ids', () => {
    const ids = Array.from({ length: 56_000 }, (_, i) => `C${String(i).padStart(9, '0')}`);
    expect(allDistinct(ids)).toBe(true);
    for (const [i, j] of [[0, 1], [0, 55_999], [30_000, 12], [55_998, 55_999]]) {
      const copy = [...ids];
      copy[j] = copy[i];
      expect(allDistinct(copy)).toBe(false);
    }
  });
});
