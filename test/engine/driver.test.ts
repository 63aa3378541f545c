import { describe, expect, it } from 'vitest';
import { Driver, type Committer, type Delivery, type RecordSource } from '../../src/engine/driver.js';
import type { Task } from '../../src/engine/task.js';

/**
 * The engine's one loop against a scripted source and committer (a unit test: the transports' own
 * tests run it on the embedded log and a real broker). Every record is handed to its task once and
 * in order, a commit comes right after the record it is due at, back-pressure is awaited before the
 * next record is taken, and a source's promise (a decoding, a restore) is awaited and asked again.
 */
function script(records: number, o: { commitEvery: number; pressureEvery: number; promiseEvery: number }) {
  const log: string[] = [];
  let pressureOpen = false;
  const task = {
    record: (offset: number) => {
      // A record taken while back-pressure is still pending is the bug this catches.
      if (pressureOpen) log.push(`record ${offset} under pressure`);
      log.push(`record ${offset}`);
    },
    endMark: (m: string) => {
      log.push(`end ${m}`);
      return true;
    },
  } as unknown as Task;
  const bytes = new Uint8Array(0);
  let next = 0;
  let calls = 0;
  let decoding = false;
  const source: RecordSource = {
    next() {
      // Asked again before the promise it returned settled: the loop did not await it.
      if (decoding) log.push('asked while decoding');
      calls++;
      if (next >= records) return undefined;
      if (calls % o.promiseEvery === 0) {
        decoding = true;
        return new Promise<void>((resolve) =>
          setImmediate(() => {
            decoding = false;
            log.push('decoded');
            resolve();
          }),
        );
      }
      const d: Delivery = { task, partition: 0, offset: next, bytes, from: 0, to: 0 };
      if (next === records - 1) d.endMark = 'shard 1/1';
      next++;
      return d;
    },
    advance: (d) => void log.push(`advance ${d.offset}`),
    idle: async () => 'end',
    tasks: () => [task],
  };
  let committed = 0;
  const committer: Committer = {
    due: (n) => n - committed >= o.commitEvery,
    commit: async (n) => {
      committed = n;
      log.push(`commit ${n}`);
    },
    idle: async () => false,
    pressure: (n) => {
      if (n % o.pressureEvery !== 0) return undefined;
      pressureOpen = true;
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          pressureOpen = false;
          log.push(`pressure ${n} released`);
          resolve();
        }),
      );
    },
    counts: { results: 0, deadLettered: 0, alerts: 0 },
    checkpoints: { count: 0, ms: 0 },
  };
  return { log, driver: new Driver(source, committer) };
}

/** What the loop must do, written out record by record. */
function expected(records: number, o: { commitEvery: number; pressureEvery: number }): string[] {
  const out: string[] = [];
  let committed = 0;
  for (let i = 0; i < records; i++) {
    out.push(i === records - 1 ? 'end shard 1/1' : `record ${i}`, `advance ${i}`);
    // The last delivery is an end mark, which counts no record: the counts below are of records taken.
    const n = i === records - 1 ? i : i + 1;
    if (n - committed >= o.commitEvery) {
      committed = n;
      out.push(`commit ${n}`);
    }
    if (n % o.pressureEvery === 0) out.push(`pressure ${n} released`);
  }
  return out;
}

describe('the engine loop (Driver)', () => {
  for (const records of [1, 500, 10_000]) {
    it(`hands ${records} records over in order, commits right after the record due and awaits back-pressure before the next (${records > 4096 ? 'across its yields' : 'no yield'})`, async () => {
      const o = { commitEvery: 97, pressureEvery: 250, promiseEvery: 331 };
      const { log, driver } = script(records, o);
      const d = await driver.run();
      expect(d.stop).toBe('end');
      expect(d.records).toBe(records - 1);
      expect(log.filter((l) => l.includes('under pressure'))).toEqual([]);
      expect(log.filter((l) => l !== 'decoded')).toEqual(expected(records, o));
      // The source's promises were awaited (and the loop asked again after each).
      expect(log.includes('decoded')).toBe(records > o.promiseEvery);
    });
  }

  it('stops at an aborted signal between records, with the records taken so far', async () => {
    const ac = new AbortController();
    const records = 20_000;
    let taken = 0;
    const task = { record: () => void (++taken === 5000 && ac.abort()), endMark: () => true } as unknown as Task;
    const source: RecordSource = {
      next: () => (taken < records ? { task, partition: 0, offset: taken, bytes: new Uint8Array(0), from: 0, to: 0 } : undefined),
      advance: () => undefined,
      idle: async () => 'end',
      tasks: () => [task],
    };
    const committer: Committer = { due: () => false, commit: async () => undefined, idle: async () => false, counts: { results: 0, deadLettered: 0, alerts: 0 }, checkpoints: { count: 0, ms: 0 } };
    const d = await new Driver(source, committer, { signal: ac.signal }).run();
    expect(d.stop).toBe('interrupted');
    // Seen before the next record is taken (a signal's handler aborts between records, where the loop yields).
    expect(d.records).toBe(5000);
    expect(taken).toBe(5000);
  });
});
