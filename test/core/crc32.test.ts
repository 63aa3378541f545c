import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/core/crc32.js';
import { createRng } from '../../src/core/rng.js';

describe('crc32: zlib CRC-32 of a range', () => {
  it("equals zlib's on random ranges of random bytes, short (JS) and long (zlib)", () => {
    const rng = createRng(5);
    const b = new Uint8Array(4096);
    for (let i = 0; i < b.length; i++) b[i] = rng.int(0, 255);
    for (let k = 0; k < 5_000; k++) {
      const from = rng.int(0, 2000);
      const to = from + pick(rng.next(), [0, 1, 2, 3, 4, 5, 7, 8, 255, 256, 257, rng.int(0, 300), rng.int(0, 2000)]);
      expect(crc32(b, from, to), `[${from}, ${to})`).toBe(zlibCrc32(b.subarray(from, to)));
    }
    expect(crc32(new TextEncoder().encode('123456789'), 0, 9)).toBe(0xcbf43926);
  });
});

const pick = <T>(u: number, xs: T[]): T => xs[Math.floor(u * xs.length)];
