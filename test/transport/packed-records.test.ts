import { describe, expect, it } from 'vitest';
import { packRecords, viewPacked } from '../../src/transport/packed-records.js';
import type { OutRecord } from '../../src/transport/types.js';

describe('packRecords: a batch in one buffer for the producer thread', () => {
  it('comes back record for record: partitions, send times, keys (none, empty, bytes) and values (empty, long)', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    const batch: OutRecord[] = [
      { partition: 3, key: bytes('k1'), value: bytes('{"a":1}'), seq: 10, sendTime: 1_733_000_000_123.5 },
      { partition: 0, key: null, value: bytes(''), seq: 11, sendTime: 1_733_000_000_124 },
      { partition: 7, key: new Uint8Array(0), value: bytes('é'.repeat(5000)), seq: 12, sendTime: 0 },
      // A view into a larger buffer, as replay's records are.
      { partition: 1, key: bytes('xxkeyxx').subarray(2, 5), value: bytes('[value]').subarray(1, 6), seq: 13, sendTime: 2 },
    ];
    const v = viewPacked(packRecords(batch), batch.length);
    const text = (from: number, n: number) => Buffer.from(v.data.subarray(from, from + n)).toString();
    const back = Array.from({ length: v.n }, (_, i) => {
      const keyLength = v.keyLengths[i];
      return [v.partitions[i], v.times[i], keyLength < 0 ? null : text(v.starts[i], keyLength), text(v.starts[i] + Math.max(keyLength, 0), v.valueLengths[i])];
    });
    expect(back).toEqual(
      batch.map((r) => [r.partition, r.sendTime, r.key && Buffer.from(r.key).toString(), Buffer.from(r.value).toString()]),
    );
    expect(viewPacked(packRecords([]), 0).n).toBe(0);
  });
});
