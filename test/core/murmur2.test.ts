import { describe, expect, it } from 'vitest';
import { murmur2, partitionForBytes, partitionForKey } from '../../src/core/murmur2.js';

const enc = new TextEncoder();

describe('murmur2 (Kafka default partitioner)', () => {
  // Vectors from Kafka's own UtilsTest.testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %s as Kafka does', (key, expected) => {
    expect(murmur2(enc.encode(key))).toBe(expected);
  });

  it('maps keys to partitions in range and stably', () => {
    for (const k of ['B004LLIL5A', 'C2:9A:9F:E5:58:27', '']) {
      const p = partitionForKey(k, 6);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(6);
      expect(partitionForKey(k, 6)).toBe(p);
    }
  });

  it('partitions a key as the hash of its UTF-8 bytes, for ASCII, non-ASCII and long keys alike', () => {
    const keys = ['21', 'foobar', 'C000000042', 'Zürich', '東京-1', 'é', 'x'.repeat(500), `${'a'.repeat(70)}ü`, ''];
    for (const k of keys) {
      for (const n of [1, 3, 7, 100]) {
        expect(partitionForKey(k, n), `${k} ${n}`).toBe((murmur2(enc.encode(k)) & 0x7fffffff) % n);
        // The bytes as replay's spill keeps them (Buffer's UTF-8) land where the text does.
        expect(partitionForBytes(Buffer.from(k, 'utf8'), n), `${k} ${n}`).toBe(partitionForKey(k, n));
      }
    }
    // Kafka's own vectors, through the partitioner.
    expect(partitionForKey('foobar', 1_000_000_007)).toBe((-790332482 & 0x7fffffff) % 1_000_000_007);
  });
});
