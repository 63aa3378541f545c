import { deadline, DeadlineExceeded } from '../../core/deadline.js';
import type { Committer } from '../driver.js';
import type { CheckpointStore } from './checkpoints.js';
import type { MemberSource } from './member-source.js';
import { unknownMember } from './member-stream.js';
import { CoordinatorGone, type KafkaOutputs, type OutputCounters } from './outputs.js';

/** A commit (a transaction of a few requests) that takes longer than this is treated as failed. */
const COMMIT_DEADLINE_MS = 20_000;

/**
 * A member's commits: every commit interval (or when the outputs hold too much), the tasks that moved
 * write a checkpoint named by the offset it covers, then one transaction carries their outputs, a
 * progress record per partition and the consumed offsets (KafkaOutputs). A failed commit drops
 * everything uncommitted and rewinds the stream to the commits.
 */
export class MemberCommits implements Committer {
  readonly checkpoints = { count: 0, ms: 0 };
  #lastCommit = performance.now();

  constructor(
    readonly source: MemberSource,
    readonly outputs: KafkaOutputs,
    readonly store: CheckpointStore,
    readonly counters: OutputCounters,
    readonly o: { exactlyOnce: boolean; commitIntervalMs: number; log: (line: string) => void },
  ) {}

  get counts() {
    return this.counters;
  }

  due(): boolean {
    return performance.now() - this.#lastCommit >= this.o.commitIntervalMs || this.outputs.held > 50_000;
  }

  async idle(): Promise<boolean> {
    if (!this.source.tasks().some((x) => x.dirty)) return false;
    await this.commit();
    return true;
  }

  async commit(): Promise<void> {
    try {
      await this.#commitOrRecover();
    } finally {
      // The interval runs from the end of the last commit: from its start, a commit slower than the
      // interval (a replicated cluster's transaction takes ~0.5 s on a busy machine) made the next
      // one due after a single record, and the member crawled at a record per commit.
      this.#lastCommit = performance.now();
    }
  }

  async #commitOrRecover(): Promise<void> {
    const { source, outputs, o } = this;
    const member = source.member;
    if (member.rebalancePending) return; // offsets of revoked partitions cannot be committed: drop instead
    try {
      source.phase = 'score';
      await outputs.score();
      source.phase = 'commit';
      await deadline(this.#commit(), COMMIT_DEADLINE_MS, 'commit');
      source.phase = 'process';
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as { errors?: { message?: string }[] }).errors?.[0]?.message;
      o.log(`commit failed (${(e as Error).message}${cause ? `: ${cause}` : ''}): dropping uncommitted work and re-reading from the commits`);
      if (e instanceof DeadlineExceeded || o.exactlyOnce) outputs.renewProducer();
      source.dropUncommitted();
      // The group no longer knows this member (its session expired, e.g. while the broker restarted):
      // a new consumer joins. An old generation is only a rebalance, which the heartbeat handles.
      if (unknownMember(e) || e instanceof CoordinatorGone) return void (member.error = e as Error);
      // The stream re-reads committed offsets on a group join; announce one so it rewinds.
      member.rewind();
    }
  }

  async #commit(): Promise<void> {
    const dirty = this.source.tasks().filter((x) => x.dirty);
    if (dirty.length === 0) return;
    const t0 = performance.now();
    for (const x of dirty) this.store.write({ partition: x.partition, nextOffset: x.nextOffset, ...x.state(), reports: this.outputs.reportsState(x.partition) }, x.op);
    this.checkpoints.count += dirty.length;
    this.checkpoints.ms += performance.now() - t0;
    await this.outputs.commit(dirty.map((x) => ({ partition: x.partition, nextOffset: x.nextOffset, ended: x.ended, under: x.under!, leaderEpoch: x.leaderEpoch })), this.source.member.consumer);
    for (const x of dirty) {
      x.dirty = false;
      this.store.prune(x.partition, x.nextOffset);
    }
    this.source.member.replacements = 0;
  }
}
