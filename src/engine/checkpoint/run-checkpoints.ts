import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LogPosition } from '../../transport/log/reader.js';
import type { OperatorChanges, OperatorSnapshot } from '../operator.js';
import type { SinkState } from '../sinks.js';
import { readCheckpointFile, writeCheckpointFile } from './file.js';

/** Everything `sat run` on the embedded log needs to continue exactly where it stood, but the window state. */
export interface RunState {
  records: number;
  validCount: number;
  reader: LogPosition;
  sinks: Record<string, SinkState>;
  deadLetterKinds: Record<string, number>;
  reports?: unknown;
  scoring?: unknown;
}

/** A checkpoint file: the run's state and either all window state (full) or what changed since the previous file (delta). */
export interface RunCheckpoint extends RunState {
  version: 1;
  kind?: 'full' | 'delta';
  operator?: OperatorSnapshot;
  changes?: OperatorChanges;
}

/** What to resume from: the newest file's run state, the full snapshot it builds on, and the changelogs between. */
export interface Resume extends RunState {
  operator: OperatorSnapshot;
  changes: OperatorChanges[];
}

const NAME = /^cp-(\d{12})\.json$/;
/** A full checkpoint is written again once this many changelogs follow the last one, or they outweigh it. */
const MAX_DELTAS = 50;

/**
 * Checkpoint files in a directory, in the format of checkpoint/file.ts (checksummed, fsynced,
 * renamed over), numbered in order. The first checkpoint of a run is full; later ones are
 * changelogs (only the panes and dedup ids that changed, as Kafka Streams' changelogs and Flink's
 * incremental checkpoints), until their bytes outweigh the last full one or MAX_DELTAS of them
 * follow it. Resuming takes the newest full checkpoint whose files, up to the newest, check out:
 * a corrupt or half-written file is reported and the chain stops before it. The previous chain is
 * kept as a fallback.
 */
export class RunCheckpoints {
  #next = 0;
  /** Full checkpoints this run wrote: the one before the last marks what may be deleted. */
  readonly #fulls: number[] = [];
  #fullBytes = 0;
  #deltaBytes = 0;
  #deltas = 0;

  constructor(readonly dir: string) {
    const last = this.#files().pop();
    if (last) this.#next = Number(NAME.exec(last)![1]) + 1;
  }

  #files(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((f) => NAME.test(f)).sort();
  }

  /** Writes the run's state with all window state or only what changed; returns the file. */
  write(state: RunState, op: { snapshot(): OperatorSnapshot; changes(): OperatorChanges }): string {
    mkdirSync(this.dir, { recursive: true });
    const n = this.#next++;
    const file = join(this.dir, `cp-${String(n).padStart(12, '0')}.json`);
    const full = this.#fulls.length === 0 || this.#deltas >= MAX_DELTAS || this.#deltaBytes > this.#fullBytes;
    if (full) writeCheckpointFile(file, { version: 1, kind: 'full', ...state, operator: op.snapshot() } satisfies RunCheckpoint);
    else writeCheckpointFile(file, { version: 1, kind: 'delta', ...state, changes: op.changes() } satisfies RunCheckpoint);
    const bytes = statSync(file).size;
    if (full) {
      this.#fullBytes = bytes;
      this.#deltaBytes = 0;
      this.#deltas = 0;
      this.#fulls.push(n);
      // Keep this chain and the one before it.
      const keepFrom = this.#fulls.length >= 2 ? this.#fulls[this.#fulls.length - 2] : 0;
      for (const old of this.#files()) if (Number(NAME.exec(old)![1]) < keepFrom) rmSync(join(this.dir, old), { force: true });
    } else {
      this.#deltaBytes += bytes;
      this.#deltas++;
    }
    return file;
  }

  /** The newest chain whose files check out, and the names of newer files that did not. */
  latest(): { checkpoint?: Resume; file?: string; corrupt: string[] } {
    const corrupt: string[] = [];
    // Newest first: changelogs collected until their full checkpoint; a bad file breaks the chain
    // (what is newer cannot be applied over a gap).
    let chain: { file: string; cp: RunCheckpoint }[] = [];
    for (const f of this.#files().reverse()) {
      const cp = readCheckpointFile<RunCheckpoint>(join(this.dir, f));
      if (cp === undefined || cp.version !== 1 || (cp.kind === 'delta' ? cp.changes === undefined : cp.operator === undefined)) {
        corrupt.push(f);
        chain = [];
        continue;
      }
      if (cp.kind === 'delta') {
        chain.push({ file: f, cp });
        continue;
      }
      const newest = chain[0] ?? { file: f, cp };
      const { version: _v, kind: _k, operator: _o, changes: _c, ...state } = newest.cp;
      return {
        checkpoint: { ...state, operator: cp.operator!, changes: chain.reverse().map((x) => x.cp.changes!) },
        file: join(this.dir, newest.file),
        corrupt,
      };
    }
    return { corrupt };
  }

  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
