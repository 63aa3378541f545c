import { describe, expect, it } from 'vitest';
import { matchWritten, type WrittenRecord } from '../../src/transport/kafka/written.js';

/** After a producer is replaced, the replay sends again only what the failed request did not write. */
describe('matchWritten: which records of a failed request are in the partition', () => {
  const sent = [1, 2, 3, 4].map((i) => ({ value: Buffer.from(`r${i}`), sendTime: String(1000 + i) }));
  const at = (offset: number, i: number, sendTime = String(1000 + i)): WrittenRecord => ({ offset, key: null, value: Buffer.from(`r${i}`), sendTime });

  it('finds a whole batch, past another writer\'s records in between', () => {
    expect(matchWritten(sent, [at(10, 9, '1'), at(11, 1), at(12, 2), at(13, 8, '2'), at(14, 3), at(15, 4)])).toEqual([11, 12, 14, 15]);
  });
  it('finds nothing when the request never landed', () => {
    expect(matchWritten(sent, [at(10, 9, '1')])).toEqual([-1, -1, -1, -1]);
    expect(matchWritten(sent, [])).toEqual([-1, -1, -1, -1]);
  });
  it('needs value and send time both: the same value sent at another time is another send', () => {
    expect(matchWritten(sent, [at(10, 1, '999'), at(11, 2)])).toEqual([-1, -1, -1, -1]);
  });
  it('stops at the first missing record: a batch lands whole or not at all', () => {
    expect(matchWritten(sent, [at(10, 1), at(11, 2), at(12, 4)])).toEqual([10, 11, -1, -1]);
  });
});
