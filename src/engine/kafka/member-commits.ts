import { deadline, DeadlineExceeded } from '../../core/deadline.js';
import type { Committer } from '../driver.js';
import type { CheckpointStore } from './checkpoints.js';
import type { MemberSource } from './member-source.js';
import { unknownMember } from './member-stream.js';
import { CoordinatorGone, type KafkaOutputs, type OutputCounters } from './outputs.js';

/** A commit (a transaction of a few requests) that takes longer than this is treated as failed. */
const COMMIT_DEADLINE_MS = 20_000;
/** Records between two looks at the clock for the commit interval. */
const CLOCK_EVERY = 16;

/**
 * A member's commits: every commit interval (or when the outputs hold too much), the tasks that moved
 * write a checkpoint named by the offset it covers, then one transaction carries their outputs, a
 * progress record per partition and the consumed offsets (KafkaOutputs). A failed commit drops
 * everything uncommitted and rewinds the stream to the commits.
 *
 * The transaction runs while the member processes the records after it (as Flink's sinks commit a
 * checkpoint's transaction while the next checkpoint's records flow): the checkpoints, the offsets
 * and the outputs it carries are taken when it starts, and the next commit waits for it first, so
 * at most one is under way and they land in order. The member's thread was blocked on its commits a
 * quarter of an `--exactly-once` run before. Whatever fails while one is under way, the work
 * processed meanwhile is uncommitted too, and the recovery drops it with the rest. A task opened
 * (restored) or a consumer replaced waits for the commit under way (settle()), so the offsets it
 * starts from are the ones that commit leaves.
 */
export class MemberCommits implements Committer {
  readonly checkpoints = { count: 0, ms: 0 };
  #lastCommit = performance.now();
  /** The commit under way, if any: it never rejects (a failure is recovered from inside). */
  #underWay: Promise<void> | undefined;

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

  /**
   * An interval after the last commit landed (or when the outputs hold too much: then the member
   * waits for the one under way). A commit under way is never due: one due at once would wait for
   * it and then carry a record or two. The clock is read every CLOCK_EVERY records (a read per
   * record was ~1% of a member's thread); a stream slow enough for that to matter leaves the member
   * idle between fetches, and idle() commits.
   */
  due(records: number): boolean {
    return (this.#underWay === undefined && records % CLOCK_EVERY === 0 && performance.now() - this.#lastCommit >= this.o.commitIntervalMs) || this.outputs.held > 50_000;
  }

  /** No record waiting: the commit under way is waited for, then what moved is committed and waited for. */
  async idle(): Promise<boolean> {
    if (this.#underWay !== undefined) {
      await this.settle();
      return true;
    }
    if (!this.source.tasks().some((x) => x.dirty)) return false;
    await this.flush();
    return true;
  }

  /**
   * Starts a commit of what moved, once the one under way has landed, and returns while it runs. The
   * scoring of what fired is waited for here (its results go in this commit); then the checkpoints
   * are written and the commit's offsets and outputs taken, before anything else runs.
   */
  async commit(): Promise<void> {
    await this.settle();
    // Nothing to start (a rebalance pending, the scoring failed): the next try is an interval away.
    this.#lastCommit = performance.now();
    const { source, outputs } = this;
    if (source.member.rebalancePending) return; // offsets of revoked partitions cannot be committed: drop instead
    try {
      source.phase = 'score';
      await outputs.score();
    } catch (e) {
      this.#recover(e);
      return;
    }
    source.phase = 'commit';
    // #commit() runs up to its first wait here: checkpoints written, offsets and outputs taken.
    const landing = deadline(this.#commit(), COMMIT_DEADLINE_MS, 'commit').then(
      () => undefined,
      (e: unknown) => this.#recover(e),
    );
    const underWay: Promise<void> = landing.finally(() => {
      if (this.#underWay === underWay) this.#underWay = undefined;
      source.phase = 'process';
      // The interval runs from the end of the last commit: a replicated cluster's transaction takes
      // ~0.5 s on a busy machine, and commits back to back would cost the member's thread more.
      this.#lastCommit = performance.now();
    });
    this.#underWay = underWay;
  }

  /** Commits what moved and waits until it has landed (the end of the run). */
  async flush(): Promise<void> {
    await this.commit();
    await this.settle();
  }

  /** Waits for the commit under way, if any (a failed one has been recovered from by then). */
  async settle(): Promise<void> {
    while (this.#underWay !== undefined) await this.#underWay;
  }

  /** A failed commit (or scoring): everything uncommitted is dropped and the stream rewound to the commits. */
  #recover(e: unknown): void {
    const { source, outputs, o } = this;
    const member = source.member;
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

  async #commit(): Promise<void> {
    const dirty = this.source.tasks().filter((x) => x.dirty);
    if (dirty.length === 0) return;
    const t0 = performance.now();
    for (const x of dirty) this.store.write({ partition: x.partition, nextOffset: x.nextOffset, ...x.state(), reports: this.outputs.reportsState(x.partition) }, x.op);
    this.checkpoints.count += dirty.length;
    this.checkpoints.ms += performance.now() - t0;
    // Taken now, before the first wait: the records processed while this commit is under way move
    // their tasks again, for the next one (a failed commit drops the tasks whatever they hold).
    const parts = dirty.map((x) => ({ partition: x.partition, nextOffset: x.nextOffset, ended: x.ended, under: x.under!, leaderEpoch: x.leaderEpoch }));
    for (const x of dirty) x.dirty = false;
    await this.outputs.commit(parts, this.source.member.consumer);
    for (const x of parts) this.store.prune(x.partition, x.nextOffset);
    this.source.member.replacements = 0;
  }
}
