import { describe, expect, it, vi } from 'vitest';
import type { Delivery } from '../../src/engine/driver.js';
import { MemberSource, type KafkaTask } from '../../src/engine/kafka/member-source.js';
import type { FetchedPart, MemberStream } from '../../src/engine/kafka/member-stream.js';

/** Fetched records as the member hands them out: partition, offset, and the fetched part they came in. */
type Fetched = { partition: number; offset: number; part: FetchedPart };

/** A partition's part of a fetch response asked from `from`, with records at these offsets. */
const part = (partition: number, from: number, offsets: number[]): Fetched[] => {
  const p: FetchedPart = { last: from - 1 };
  return offsets.map((offset) => ({ partition, offset, part: p }));
};

/** A test double of MemberStream: the rule under test is MemberSource's, not the fetching (test/kafka/member-stream.test.ts has that on a broker). */
function memberOf(records: Fetched[]) {
  const seeks: [number, number][] = [];
  const m = {
    assigned: new Set([0, 1]),
    error: undefined,
    record: { offsetDelta: 0, bytes: new Uint8Array(0), from: 0, to: 0 },
    partition: 0,
    offset: 0,
    before: 0,
    leaderEpoch: 0,
    under: undefined,
    takeRebalance: () => false,
    // Nothing decoded elsewhere: every record is ready when taken, and the scanner has not run on it.
    decoding: () => undefined,
    scanned: () => undefined,
    take(): boolean {
      const r = records.shift();
      if (r === undefined) return false;
      // As MemberStream.take: the offset handed out before this one from the same part.
      Object.assign(m, { partition: r.partition, offset: r.offset, before: r.part.last });
      r.part.last = r.offset;
      return true;
    },
    seek(partition: number, offset: number) {
      seeks.push([partition, offset]);
      // A seek drops what is held of the partition: it comes again from the offset.
      for (let i = records.length - 1; i >= 0; i--) if (records[i].partition === partition) records.splice(i, 1);
    },
  };
  return { member: m as unknown as MemberStream, seeks, records };
}

function sourceOf(member: MemberStream, nextOffsets: Record<number, number>, idleTimeoutMs = 0) {
  // The group never finishes here: idle() asks it, and the timeout is what ends the run.
  const group = { finished: async () => false };
  const s = new MemberSource(member, group as never, {} as never, { drop: () => undefined } as never, {} as never, { rebalances: 0, restored: 0 }, { idleTimeoutMs, log: () => undefined });
  for (const [p, next] of Object.entries(nextOffsets)) s.tasks$.set(Number(p), { partition: Number(p), nextOffset: next, ended: false, dirty: false, leaderEpoch: -1 } as unknown as KafkaTask);
  return s;
}

/** Takes what the source delivers until it has nothing, advancing each task past what it took. */
function drain(s: MemberSource): [number, number][] {
  const taken: [number, number][] = [];
  for (let d = s.next(); d !== undefined; d = s.next()) {
    expect(d).not.toBeInstanceOf(Promise);
    const x = d as Delivery;
    taken.push([x.partition, x.offset]);
    s.advance(x);
  }
  return taken;
}

describe('MemberSource: which fetched records a task takes', () => {
  it('takes its next offset, skips committed ones, and takes a newer one only where no data can lie between (transaction markers)', () => {
    const { member, seeks } = memberOf([
      ...part(0, 3, [3, 5, 6, 8]), // 3 is committed already; 4 and 7 were markers: the part ran on over them
      ...part(1, 9, [10]), // first in a part asked from 9, before the task's 10
      ...part(0, 9, [11]), // first in a part asked from 9 (a marker at 9, 10): the task is at 9
    ]);
    const s = sourceOf(member, { 0: 4, 1: 10 });
    expect(drain(s)).toEqual([[0, 5], [0, 6], [0, 8], [1, 10], [0, 11]]);
    expect(seeks).toEqual([]);
    expect(s.tasks$.get(0)!.nextOffset).toBe(12);
  });

  it('records fetched from past the task\'s offset (a fetch that came back after a rewind) make the partition be fetched again from the task\'s offset', () => {
    const { member, seeks, records } = memberOf([
      ...part(0, 40, [40, 41]), // the stream was at 40 before the rebalance; the task restored at 25
      ...part(1, 10, [10]),
    ]);
    const s = sourceOf(member, { 0: 25, 1: 10 });
    expect(drain(s)).toEqual([[1, 10]]);
    expect(seeks).toEqual([[0, 25]]);
    // Fetched again from 25: taken in order, on to what was dropped.
    records.push(...part(0, 25, [25, 26, 27]), ...part(0, 30, [40, 41]));
    expect(drain(s)).toEqual([[0, 25], [0, 26], [0, 27]]);
    expect(seeks).toEqual([[0, 25], [0, 28]]); // 40 was fetched from 30: nothing says 28 and 29 hold no data
  });

  it('a part another task read the start of (dropped at a failed commit) does not let the new task skip what the old one took', () => {
    const fetched = part(0, 0, [0, 1, 2, 3, 4, 5]);
    const { member, seeks, records } = memberOf(fetched.slice(0, 3));
    const s = sourceOf(member, { 0: 0 });
    expect(drain(s)).toEqual([[0, 0], [0, 1], [0, 2]]);
    // The commit failed: the tasks are dropped, and the new one restores at the commit (0); the rest of the part comes.
    s.dropUncommitted();
    s.tasks$.set(0, { partition: 0, nextOffset: 0, ended: false, dirty: false, leaderEpoch: -1 } as unknown as KafkaTask);
    records.push(...fetched.slice(3));
    expect(drain(s)).toEqual([]);
    expect(seeks).toEqual([[0, 0]]);
  });

  it('an ended task takes nothing and seeks nothing', () => {
    const { member, seeks } = memberOf(part(0, 99, [99]));
    const s = sourceOf(member, { 0: 7 });
    s.tasks$.get(0)!.ended = true;
    expect(drain(s)).toEqual([]);
    expect(seeks).toEqual([]);
  });

  it('stops once no record has been taken for --idle-timeout, counted from the last one taken (the group is asked once a second)', async () => {
    // performance.now() alone is faked: idle()'s own 20 ms wait runs on the real clock.
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const { member, records } = memberOf(part(0, 0, [0, 1]));
      const s = sourceOf(member, { 0: 0 }, 5000);
      expect(drain(s)).toEqual([[0, 0], [0, 1]]);
      expect(await s.idle()).toBe('wait');
      vi.advanceTimersByTime(1500);
      expect(await s.idle()).toBe('wait');
      // A record taken at 1.5 s: the timeout counts from there.
      records.push(...part(0, 2, [2]));
      expect(drain(s)).toEqual([[0, 2]]);
      expect(await s.idle()).toBe('wait');
      vi.advanceTimersByTime(4000);
      expect(await s.idle()).toBe('wait'); // 5.5 s since the start, 4 s since the last record
      vi.advanceTimersByTime(1001);
      expect(await s.idle()).toBe('stop');
    } finally {
      vi.useRealTimers();
    }
  });
});
