import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka';
import { deadline } from '../../core/deadline.js';
import type { Scenario } from '../../scenario/types.js';
import { clientOptions } from '../../transport/kafka/client-options.js';
import { type KafkaConnection } from '../../transport/kafka/config.js';
import { committedOffsets as groupCommittedOffsets } from '../../transport/kafka/group-offsets.js';
import { KafkaError } from '../../transport/kafka/errors.js';
import { openTransactions } from '../../transport/kafka/transactions.js';
import { WindowOperator, type EnginePolicy } from '../operator.js';
import type { TaskState } from '../task.js';
import type { PartitionReportsState } from './partition-reports.js';
import type { CheckpointStore } from './checkpoints.js';
import type { MemberStream } from './member-stream.js';

/** A task as the group's commits left it: where to read on, and its state there. */
export interface RestoredTask extends TaskState {
  op: WindowOperator;
  nextOffset: number;
  reports?: PartitionReportsState;
}

/**
 * What a member reads of the group's committed state: whether transactions are open, the committed
 * offsets, a partition's task restored from them, and whether the whole group has finished.
 */
export class GroupView {
  readonly #admin: Admin;

  constructor(
    readonly o: { scenario: Scenario; conn: KafkaConnection; group: string; topic: string; log: (line: string) => void },
    readonly member: MemberStream,
    readonly store: CheckpointStore,
    readonly policy: EnginePolicy,
    readonly progressTopic: string,
    /** Everything sat run writes: finished means all of it is readable by read_committed consumers. */
    readonly written: string[],
    readonly partitions: number,
  ) {
    this.#admin = new Admin(clientOptions(o.conn, 'sat-run'));
  }

  /** True when no transaction is open on these partitions of these topics. */
  async stable(parts: number[], topics = [this.progressTopic]): Promise<boolean> {
    for (const topic of topics) {
      const { open } = await deadline(openTransactions(this.member.consumer, topic, parts), 15_000, 'listOffsets');
      if (open.length > 0) return false;
    }
    return true;
  }

  /**
   * The group's committed offsets, -1 where none. requireStable: while a transaction's offset commit
   * is pending (its markers not yet written to the offsets topic, though the progress partition is
   * already stable) the broker answers "unstable" and the client retries. Without it, the answer is
   * the offset before that transaction, and a task restored there would process its records twice.
   */
  async committedOffsets(parts: number[]): Promise<bigint[]> {
    const stableCommits = await deadline(groupCommittedOffsets(this.#admin, this.o.group, this.o.topic, parts), 30_000, 'committed offsets');
    return Array.from({ length: Math.max(...parts) + 1 }, (_, p) => stableCommits.get(p) ?? -1n);
  }

  /** A partition's task, once no transaction is open on its progress partition: from the committed offset and its checkpoint. */
  async restore(partition: number): Promise<RestoredTask> {
    const started = performance.now();
    while (!(await this.stable([partition]))) {
      if (performance.now() - started > 60_000) throw new KafkaError(`partition ${partition} of ${this.progressTopic}: a transaction stayed open for 60 s (a member that is not sat's, or a broker that does not finish transactions)`, true);
      await sleep(200);
    }
    const committed = Number((await this.committedOffsets([partition]))[partition] ?? -1n);
    const earliest = Number((await this.member.offsetsOf(this.o.topic, [partition], FetchIsolationLevels.READ_COMMITTED, ListOffsetTimestamps.EARLIEST))[partition] ?? 0n);
    // Nothing processed yet: the commit is the log start (initGroupOffsets) and there is no checkpoint.
    if (committed <= earliest && !this.store.has(partition, committed)) {
      return { op: new WindowOperator(this.o.scenario, this.policy), nextOffset: Math.max(committed, earliest), ended: false, endMarks: [] };
    }
    const cp = this.store.read(partition, committed)!;
    this.o.log(`partition ${partition}: restored at offset ${committed}${cp.ended ? ' (ended)' : ''}`);
    return { op: WindowOperator.restore(this.o.scenario, cp.operator, this.policy, cp.changes), nextOffset: committed, ended: cp.ended, endMarks: cp.endMarks ?? [], records: cp.records, reports: cp.reports };
  }

  /**
   * Finished when the whole group is: no transaction open on anything it writes (a dead member's
   * included, so that what follows reads every result), every partition committed up to its end,
   * and the checkpoint at that offset has processed the end-of-stream marker (so a replay still
   * sending does not look finished just because the group has caught up).
   */
  async finished(endedHere: (partition: number) => boolean | undefined): Promise<boolean> {
    const all = Array.from({ length: this.partitions }, (_, p) => p);
    if (!(await this.stable(all, this.written))) return false;
    const hw = await this.member.offsetsOf(this.o.topic, all, FetchIsolationLevels.READ_UNCOMMITTED, ListOffsetTimestamps.LATEST);
    const committed = await this.committedOffsets(all);
    return all.every((p) => {
      const c = committed[p];
      if (c === undefined || c <= 0n || c !== hw[p]) return false;
      return endedHere(p) ?? this.store.ended(p, Number(c)) ?? false;
    });
  }

  close(): Promise<void> {
    return this.#admin.close();
  }
}
