import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../../src/engine/kafka/checkpoints.js';
import { MemberCommits } from '../../src/engine/kafka/member-commits.js';
import type { MemberSource } from '../../src/engine/kafka/member-source.js';
import type { KafkaOutputs } from '../../src/engine/kafka/outputs.js';

// The commit cadence of a Kafka member, with test doubles for the member, its outputs and its store:
// the rule under test is MemberCommits' (a commit runs while the next records are processed). The
// transactions themselves are tested on a broker (test/kafka/loop.test.ts, failover.test.ts).

/** A transaction that lands (or fails) when the test says. */
function gate() {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

function member() {
  const task = { partition: 0, nextOffset: 0, dirty: false, ended: false, under: {}, leaderEpoch: 0, op: {}, state: () => ({}) };
  const log: string[] = [];
  const commits: { parts: { partition: number; nextOffset: number }[]; held: number; tx: ReturnType<typeof gate> }[] = [];
  const dropped: number[] = [];
  let held = 0;
  const outputs = {
    get held() {
      return held;
    },
    score: async () => {},
    reportsState: () => undefined,
    renewProducer: () => log.push('renew'),
    // As KafkaOutputs.commit: what is held is taken at the call, before its first wait.
    commit(parts: { partition: number; nextOffset: number }[]) {
      const tx = gate();
      commits.push({ parts, held, tx });
      held = 0;
      return tx.promise;
    },
  };
  const source = {
    phase: '',
    member: { rebalancePending: false, replacements: 0, consumer: {}, error: undefined, rewind: () => log.push('rewind') },
    tasks: () => [task],
    dropUncommitted: () => {
      dropped.push(task.nextOffset);
      held = 0;
    },
  };
  const store = { write: () => {}, prune: (p: number, at: number) => log.push(`prune ${p}@${at}`) };
  const counters = { deadLettered: 0, results: 0, alerts: 0, commits: 0 };
  const c = new MemberCommits(source as unknown as MemberSource, outputs as unknown as KafkaOutputs, store as unknown as CheckpointStore, counters, { exactlyOnce: true, commitIntervalMs: 0, log: (l) => log.push(l) });
  /** n records processed: the task moves and each makes an output. */
  const process = (n: number) => {
    task.nextOffset += n;
    task.dirty = true;
    held += n;
  };
  return { c, task, commits, dropped, log, process };
}

describe('a Kafka member commits while it processes the next records', () => {
  it('returns while its transaction is under way; what is processed meanwhile goes in the next, which waits for it', async () => {
    const m = member();
    m.process(10);
    await m.c.commit();
    expect(m.commits).toHaveLength(1);
    expect(m.commits[0].parts).toEqual([{ partition: 0, nextOffset: 10, ended: false, under: {}, leaderEpoch: 0 }]);
    expect(m.commits[0].held).toBe(10);
    // Under way: not due again (interval 0) until it lands, and the member goes on.
    expect(m.c.due(0)).toBe(false);
    m.process(5);
    expect(m.task.dirty).toBe(true);
    // A commit asked for now waits for the one under way before it takes anything.
    const second = m.c.commit();
    await Promise.resolve();
    expect(m.commits).toHaveLength(1);
    m.commits[0].tx.open();
    await second;
    expect(m.commits).toHaveLength(2);
    expect(m.commits[1].parts[0].nextOffset).toBe(15);
    expect(m.commits[1].held).toBe(5);
    expect(m.log).toContain('prune 0@10');
    m.commits[1].tx.open();
    await m.c.settle();
    expect(m.c.due(32)).toBe(true);
    // The clock is looked at every 16 records: in between, only outputs held past the bound make a commit due.
    expect(m.c.due(33)).toBe(false);
    expect(m.dropped).toEqual([]);
  });

  it('a transaction that fails drops what was processed while it was under way too, and rewinds to the commits', async () => {
    const m = member();
    m.process(10);
    await m.c.commit();
    m.process(7);
    m.commits[0].tx.fail(new Error('fenced'));
    await m.c.settle();
    // Dropped at offset 17: the work after the failed commit went with it, nothing was pruned.
    expect(m.dropped).toEqual([17]);
    expect(m.log.filter((l) => l === 'rewind' || l === 'renew')).toEqual(['renew', 'rewind']);
    expect(m.log.some((l) => l.startsWith('prune'))).toBe(false);
    expect(m.log.find((l) => l.startsWith('commit failed'))).toMatch(/commit failed \(fenced\): dropping uncommitted work/);
  });

  it('idle and flush wait for the commit under way; a run ends with everything landed', async () => {
    const m = member();
    m.process(3);
    await m.c.commit();
    let idled = false;
    const idle = m.c.idle().then((r) => (idled = r));
    await Promise.resolve();
    expect(idled).toBe(false);
    m.commits[0].tx.open();
    expect(await idle).toBe(true);
    m.process(4);
    const flushed = m.c.flush();
    await new Promise(setImmediate);
    expect(m.commits).toHaveLength(2);
    let done = false;
    void flushed.then(() => (done = true));
    await new Promise(setImmediate);
    expect(done).toBe(false);
    m.commits[1].tx.open();
    await flushed;
    expect(m.commits[1].parts[0].nextOffset).toBe(7);
  });
});
