import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../src/core/murmur2.js';

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
});
