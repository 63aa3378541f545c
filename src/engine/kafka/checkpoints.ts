import { mkdirSync } from 'node:fs';
import { SatError } from '../../core/errors.js';
import type { PartitionReportsState } from './partition-reports.js';
import { CheckpointChain, type Checkpointable, type Resumed } from '../checkpoint/chain.js';

/** What one input partition's task holds beside its window state: how far it has read. */
export interface PartitionState {
  partition: number;
  /** The next offset to read: the offset the same transaction commits for the group. */
  nextOffset: number;
  /** The end-of-stream marker has been processed. */
  ended: boolean;
  /** Shards whose end-of-stream marker this partition has seen (the partition ends when all have). */
  endMarks?: number[];
  /** Records taken (end markers aside). */
  records?: number;
  /** Scenarios with batch reports: the partition's reports so far. */
  reports?: PartitionReportsState;
}

export type PartitionCheckpoint = Resumed<PartitionState>;

/**
 * Checkpoints in a directory shared by every `sat run` of the group (a network or object store
 * between machines, as Flink's checkpoint storage is): a chain per partition (checkpoint/chain.ts:
 * checksummed, fsynced, a full snapshot then changelogs), each file named by the offset it covers
 * and written before the transaction that commits that offset, so the committed offset always names
 * a complete checkpoint; files of aborted transactions are simply never read. A task's first file
 * after it was restored is full, so a chain never stands on a file an aborted transaction wrote.
 */
export class CheckpointStore {
  readonly #chains = new Map<number, CheckpointChain<PartitionState>>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  #chain(partition: number): CheckpointChain<PartitionState> {
    let c = this.#chains.get(partition);
    if (c === undefined) {
      c = new CheckpointChain<PartitionState>(this.dir, `p${partition}-`);
      this.#chains.set(partition, c);
    }
    return c;
  }

  /** The partition's task starts a new life (restored or fresh): its next file is full. */
  restart(partition: number): void {
    this.#chain(partition).restart();
  }

  write(c: PartitionState, op: Checkpointable): void {
    this.#chain(c.partition).write(c.nextOffset, c, op);
  }

  has(partition: number, nextOffset: number): boolean {
    return this.#chain(partition).has(nextOffset);
  }

  /** Whether the checkpoint at this committed offset has processed the end marker (undefined: none readable). */
  ended(partition: number, nextOffset: number): boolean | undefined {
    return this.#chain(partition).head(nextOffset)?.ended;
  }

  /** The checkpoint for exactly this committed offset; undefined at offset 0 (nothing processed yet). */
  read(partition: number, nextOffset: number): PartitionCheckpoint | undefined {
    if (nextOffset === 0) return undefined;
    const chain = this.#chain(partition);
    if (!chain.has(nextOffset)) throw new SatError(`checkpoint missing for partition ${partition} at offset ${nextOffset} in ${this.dir}: the group committed that offset, but its window state is gone, so it cannot be restored (a new --group starts from the beginning)`, 3);
    const r = chain.read(nextOffset);
    const why = { missing: 'missing', corrupt: 'corrupt (its checksum does not hold)', older: 'written by an older sat, in a layout this one cannot load' }[r.why ?? 'corrupt'];
    if (r.resumed === undefined) throw new SatError(`checkpoint ${chain.file(r.bad!)} is ${why}: the group committed offset ${nextOffset} of partition ${partition}, which stands on it, so its window state cannot be read (a new --group starts from the beginning)`, 3);
    return r.resumed;
  }

  /** Drops a partition's checkpoints that the committed one does not stand on. */
  prune(partition: number, committed: number): void {
    const chain = this.#chain(partition);
    chain.pruneBelow(chain.fullAt ?? committed);
  }
}
