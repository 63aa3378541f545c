import { rmSync } from 'node:fs';
import type { LogPosition } from '../../transport/log/reader.js';
import type { InFlight } from '../join/scorer.js';
import type { SinkState } from '../sinks.js';
import { inlineWriter, type CheckpointWriter } from './writer.js';
import { CheckpointChain, type ChainFields, type Checkpointable, type Resumed } from './chain.js';

/** Everything `sat run` on the embedded log needs to continue exactly where it stood, but the window state. */
export interface RunState {
  records: number;
  validCount: number;
  reader: LogPosition;
  sinks: Record<string, SinkState>;
  deadLetterKinds: Record<string, number>;
  reports?: unknown;
  scoring?: unknown;
  /** Fired windows still being scored when the checkpoint was taken: submitted again on resume. */
  inFlight?: InFlight[];
}

/** A checkpoint file: the run's state and either all window state (full) or what changed since its base (delta). */
export type RunCheckpoint = RunState & ChainFields;

/** What to resume from: the newest file's run state, the full snapshot it builds on, and the changelogs between. */
export type Resume = Resumed<RunState>;

/**
 * The embedded log's checkpoints: one chain (checkpoint/chain.ts) of files numbered in order,
 * cp-<n>.json. Resuming takes the newest file whose chain checks out: a corrupt or half-written file
 * is reported and what stands on it is skipped. The chain before the newest full checkpoint is kept
 * as a fallback.
 */
export class RunCheckpoints {
  readonly #chain: CheckpointChain<RunState>;
  #next = 0;
  /** Full checkpoints this run wrote: the one before the last marks what may be deleted. */
  readonly #fulls: number[] = [];
  #prunedBelow: number | undefined;

  constructor(
    readonly dir: string,
    readonly writer: CheckpointWriter = inlineWriter,
  ) {
    this.#chain = new CheckpointChain<RunState>(dir, 'cp-');
    const last = this.#chain.numbers().pop();
    if (last !== undefined) this.#next = last + 1;
  }

  /**
   * Takes the run's state with all window state or only what changed, now, and hands it to the
   * writer; resolves once the previous checkpoint is durable and this one is under way. Returns the
   * file. With `ready`, a part of `state` is filled in when it resolves (the results' length, answered
   * by their thread): the file is written after that, while the engine reads on.
   */
  async write(state: RunState, op: Checkpointable, ready?: Promise<unknown>): Promise<string> {
    const n = this.#next++;
    const { file, body } = this.#chain.take(n, state, op);
    await this.writer.write(file, body, ready);
    // The previous write is durable now: a chain it made obsolete can go.
    this.#prune();
    if (this.#chain.fullAt === n) this.#fulls.push(n);
    return file;
  }

  /** Every checkpoint so far durable (a write that failed is raised here). */
  async flush(): Promise<void> {
    await this.writer.flush();
    this.#prune();
  }

  /** Waits for a write under way, whatever its outcome: nothing half-written is left when the run fails. */
  settle(): Promise<void> {
    return this.writer.settle();
  }

  /**
   * Keeps the chains of the last two full checkpoints handed over before the write in flight (all
   * durable, called once the writes before it are) and what follows; deletes the files before them.
   */
  #prune(): void {
    const fulls = this.#fulls;
    const below = fulls.length >= 2 ? fulls[fulls.length - 2] : undefined;
    if (below === undefined || below === this.#prunedBelow) return;
    this.#chain.pruneBelow(below);
    this.#prunedBelow = below;
  }

  /** The newest chain whose files check out, and the names of the files that did not. */
  latest(): { checkpoint?: Resume; file?: string; corrupt: string[] } {
    const r = this.#chain.latest();
    return { checkpoint: r.resumed, file: r.n === undefined ? undefined : this.#chain.file(r.n), corrupt: r.corrupt };
  }

  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
