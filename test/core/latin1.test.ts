import { describe, expect, it } from 'vitest';
import { latin1, SHORT_TEXT } from '../../src/core/latin1.js';
import { createRng } from '../../src/core/rng.js';

describe('latin1', () => {
  it('makes the text Buffer makes of any bytes, at any length and place in the array', () => {
    const rng = createRng(11);
    const b = new Uint8Array(256);
    for (let t = 0; t < 5000; t++) {
      for (let i = 0; i < b.length; i++) b[i] = t % 3 === 0 ? rng.int(0, 255) : rng.int(0x20, 0x7e);
      const from = rng.int(0, 100);
      const to = from + rng.int(0, t % 2 === 0 ? SHORT_TEXT + 2 : 150);
      expect(latin1(b, from, to)).toBe(Buffer.from(b.buffer, from, to - from).toString('latin1'));
    }
  });

  it('reads each length up to the short texts\' bound and beyond from the offset given, in order', () => {
    const b = Uint8Array.from({ length: 64 }, (_, i) => 0x41 + (i % 26));
    for (let n = 0; n <= SHORT_TEXT + 3; n++) {
      for (const from of [0, 5, 30]) {
        const want = Array.from(b.subarray(from, from + n), (c) => String.fromCharCode(c)).join('');
        expect(latin1(b, from, from + n)).toBe(want);
      }
    }
  });
});
