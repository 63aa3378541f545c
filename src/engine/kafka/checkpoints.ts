import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readCheckpointFile, writeCheckpointFile } from '../checkpoint/file.js';
import { join } from 'node:path';
import { SatError } from '../../core/errors.js';
import type { OperatorSnapshot } from '../operator.js';

/** What one input partition's task holds: the operator and how far it has read. */
export interface PartitionCheckpoint {
  partition: number;
  /** The next offset to read: the offset the same transaction commits for the group. */
  nextOffset: number;
  /** The end-of-stream marker has been processed. */
  ended: boolean;
  /** Shards whose end-of-stream marker this partition has seen (the partition ends when all have). */
  endMarks?: number[];
  operator: OperatorSnapshot;
}

/**
 * Checkpoints in a directory shared by every `sat run` of the group (a network or object store
 * between machines, as Flink's checkpoint storage is), in the format of checkpoint/file.ts
 * (checksummed, fsynced, renamed over). Each file is named by the offset it covers
 * and written before the transaction that commits that offset, so the committed offset always names
 * a complete checkpoint; files of aborted transactions are simply never read.
 */
export class CheckpointStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  #file(partition: number, nextOffset: number): string {
    return join(this.dir, `p${partition}-${String(nextOffset).padStart(12, '0')}.json`);
  }

  write(c: PartitionCheckpoint): void {
    writeCheckpointFile(this.#file(c.partition, c.nextOffset), c);
  }

  has(partition: number, nextOffset: number): boolean {
    return existsSync(this.#file(partition, nextOffset));
  }

  /** The checkpoint for exactly this committed offset; undefined at offset 0 (nothing processed yet). */
  read(partition: number, nextOffset: number): PartitionCheckpoint | undefined {
    if (nextOffset === 0) return undefined;
    const file = this.#file(partition, nextOffset);
    if (!existsSync(file)) throw new SatError(`checkpoint missing for partition ${partition} at offset ${nextOffset} in ${this.dir}: the group committed that offset, but its window state is gone, so it cannot be restored (a new --group starts from the beginning)`, 3);
    const cp = readCheckpointFile<PartitionCheckpoint>(file) ?? legacy(file);
    if (cp === undefined) throw new SatError(`checkpoint ${file} is corrupt (its checksum does not hold): the group committed offset ${nextOffset} of partition ${partition}, but its window state cannot be read (a new --group starts from the beginning)`, 3);
    return cp;
  }

  /** Drops a partition's checkpoints older than the committed one. */
  prune(partition: number, committed: number): void {
    const prefix = `p${partition}-`;
    for (const f of readdirSync(this.dir)) {
      if (!f.startsWith(prefix) || !f.endsWith('.json')) continue;
      if (Number(f.slice(prefix.length, -5)) < committed) rmSync(join(this.dir, f), { force: true });
    }
  }
}

/** A checkpoint written before checksums (plain JSON of the partition's state): read, not checked. */
function legacy(file: string): PartitionCheckpoint | undefined {
  try {
    const cp = JSON.parse(readFileSync(file, 'utf8')) as Partial<PartitionCheckpoint>;
    return typeof cp.partition === 'number' && typeof cp.nextOffset === 'number' && cp.operator !== undefined ? (cp as PartitionCheckpoint) : undefined;
  } catch {
    return undefined;
  }
}
