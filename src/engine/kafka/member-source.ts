import { setTimeout as sleep } from 'node:timers/promises';
import { SatError } from '../../core/errors.js';
import type { Delivery, RecordSource } from '../driver.js';
import type { createProcessor } from '../process.js';
import { Task } from '../task.js';
import type { CheckpointStore } from './checkpoints.js';
import type { GroupView } from './group-view.js';
import type { FetchedUnder, MemberStream } from './member-stream.js';
import type { KafkaOutputs } from './outputs.js';

const EMPTY = new Uint8Array(0);

/** An input partition's task on Kafka: where it reads next, and whether it moved since the last commit. */
export interface KafkaTask extends Task {
  nextOffset: number;
  dirty: boolean;
  /** The group generation (and the batch's leader epoch) the last record taken was fetched under: its offset commits under them. */
  under?: FetchedUnder;
  leaderEpoch: number;
}

/**
 * A consumer-group member as a record source. Each assigned input partition is a task, restored
 * when its first record arrives from the group's commits (GroupView: the committed offset and the
 * checkpoint for exactly that offset). A rebalance or a replaced consumer drops every task and what
 * the outputs hold; the stream then re-reads from the committed offsets, and a partition's records
 * are only taken in offset order. The input has ended when the whole group has finished.
 */
export class MemberSource implements RecordSource {
  readonly tasks$ = new Map<number, KafkaTask>();
  /** Partitions this member processed records of. */
  readonly processed = new Set<number>();
  phase = 'start';
  #lastCheck = 0;
  #lastProgress = performance.now();
  /** A record was taken since idle() last looked: the clock is read there, not per record (1.4% of the member's thread). */
  #took = false;
  #d: Delivery & { under?: FetchedUnder; leaderEpoch: number };

  constructor(
    readonly member: MemberStream,
    readonly group: GroupView,
    readonly store: CheckpointStore,
    readonly outputs: KafkaOutputs,
    readonly processor: ReturnType<typeof createProcessor>,
    readonly counters: { rebalances: number; restored: number },
    readonly o: {
      idleTimeoutMs: number;
      log: (line: string) => void;
      /** Before a task opens: what the assigned partitions need loaded (the scorer's customers). */
      prepare?: (assigned: ReadonlySet<number>) => Promise<void>;
      /** Waits for the commit under way: a task restores from, and a new consumer re-reads from, the offsets it leaves. */
      settle?: () => Promise<void>;
    },
  ) {
    this.#d = { task: undefined as unknown as Task, partition: 0, offset: 0, bytes: EMPTY, from: 0, to: 0, leaderEpoch: -1 };
  }

  next(): Delivery | Promise<void> | undefined {
    const member = this.member;
    if (member.error) return this.#replace(member.error);
    if (member.takeRebalance()) {
      this.counters.rebalances++;
      this.o.log(`rebalance: assigned partitions [${[...member.assigned].sort().join(', ')}]`);
      this.dropUncommitted();
    }
    while (member.take()) {
      const partition = member.partition;
      // Records of partitions this member no longer owns may still sit among the fetched ones.
      if (!member.assigned.has(partition)) continue;
      const task = this.tasks$.get(partition);
      if (task === undefined) {
        member.unread();
        return this.#open(partition);
      }
      // Older offsets are committed already. A newer one is taken where no data lies between: its
      // fetched part's record before it (or the offset the fetch asked for) is older than the task's
      // offset (transaction markers, aborted records between). Otherwise it was fetched from a
      // position the stream has since been rewound from (a fetch under way at a rebalance or a failed
      // commit), or the records between went to a task since dropped: the partition is fetched again
      // from the task's offset.
      const offset = member.offset;
      if (task.ended || offset < task.nextOffset) continue;
      if (offset > task.nextOffset && member.before >= task.nextOffset) {
        if (process.env.SAT_DEBUG) this.o.log(`partition ${partition}: offset ${offset}, fetched after ${member.before}, is past the task's ${task.nextOffset}: fetching again from there`);
        member.seek(partition, task.nextOffset);
        continue;
      }
      const r = member.record;
      const d = this.#d;
      d.sendTime = r.sendTime;
      d.endMark = r.endMark;
      d.task = task;
      d.partition = partition;
      d.offset = offset;
      d.bytes = r.bytes ?? EMPTY;
      d.from = r.bytes === undefined ? 0 : r.from;
      d.to = r.bytes === undefined ? 0 : r.to;
      d.scanned = r.endMark === undefined ? member.scanned() : undefined;
      d.under = member.under;
      d.leaderEpoch = member.leaderEpoch;
      return d;
    }
    // The next batch is on the decoding thread: wait for it (no commit for a gap of microseconds).
    return member.decoding();
  }

  advance(d: Delivery): void {
    const task = d.task as KafkaTask;
    this.processed.add(d.partition);
    task.nextOffset = d.offset + 1;
    task.dirty = true;
    task.under = this.#d.under;
    task.leaderEpoch = this.#d.leaderEpoch;
    this.#took = true;
  }

  async #open(partition: number): Promise<void> {
    this.phase = `restore ${partition}`;
    try {
      await this.o.settle?.();
      await this.o.prepare?.(this.member.assigned);
      if (this.member.rebalancePending) return;
      const r = await this.group.restore(partition);
      this.store.restart(partition);
      this.counters.restored++;
      // The group moved on while we restored: start over.
      if (this.member.rebalancePending) return;
      this.outputs.openReports(partition, r.reports);
      const task = new Task(partition, r.op, this.outputs.forPartition(partition), this.processor, r) as KafkaTask;
      task.nextOffset = r.nextOffset;
      task.dirty = false;
      task.leaderEpoch = -1;
      this.tasks$.set(partition, task);
    } catch (e) {
      this.recover(e);
    } finally {
      this.phase = 'process';
    }
  }

  async #replace(error: Error): Promise<void> {
    this.o.log(`the consumer failed (${error.message}): replacing it, rejoining the group and re-reading from the commits`);
    await this.o.settle?.();
    this.dropUncommitted();
    await this.member.replace(error);
  }

  /** A broker query that failed or hung (a restart, a leader move) sends the member through recovery rather than ending the run. */
  recover(e: unknown): void {
    if (e instanceof SatError) throw e;
    this.member.error = e as Error;
  }

  /** Drops everything not committed: after a rebalance or a failed commit, work restarts from the commits. */
  dropUncommitted(): void {
    this.tasks$.clear();
    this.outputs.drop();
  }

  /** Whether the group has finished is asked every second, and at once when every task here has ended. */
  async idle(): Promise<'wait' | 'end' | 'stop'> {
    const member = this.member;
    if (this.#took) {
      this.#took = false;
      this.#lastProgress = performance.now();
    }
    const allEnded = member.assigned.size > 0 && [...member.assigned].every((p) => this.tasks$.get(p)?.ended);
    if (performance.now() - this.#lastCheck > 1000 || (allEnded && performance.now() - this.#lastCheck > 50)) {
      this.#lastCheck = performance.now();
      this.phase = 'finished?';
      try {
        if (await this.group.finished((p) => this.tasks$.get(p)?.ended)) return 'end';
      } catch (e) {
        this.recover(e);
      }
      this.phase = 'idle';
      if (this.o.idleTimeoutMs > 0 && performance.now() - this.#lastProgress > this.o.idleTimeoutMs) {
        this.o.log(`no progress for ${this.o.idleTimeoutMs} ms: stopping`);
        return 'stop';
      }
    }
    await sleep(20);
    return 'wait';
  }

  tasks(): KafkaTask[] {
    return [...this.tasks$.values()];
  }

  /** For SAT_DEBUG status lines. */
  describe(): string {
    const at = this.tasks().map((x) => `${x.partition}:${x.nextOffset}${x.ended ? 'E' : ''}`).join(' ');
    return `${this.member.describe()}, tasks ${at}, phase ${this.phase}`;
  }
}
