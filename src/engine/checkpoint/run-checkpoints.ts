import { rmSync } from 'node:fs';
import type { LogPosition } from '../../transport/log/reader.js';
import type { InFlightColumns } from '../join/in-flight.js';
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
  inFlightColumns?: InFlightColumns;
  /** The same, as files before 2026-12-05 hold them (read, no longer written). */
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
  /** Writes handed to the writer by this run. */
  #handed = 0;
  /** Full checkpoints this run wrote, with their place among the writes: what may be deleted follows from the landed ones. */
  readonly #fulls: { n: number; write: number }[] = [];
  #prunedBelow: number | undefined;

  constructor(
    readonly dir: string,
    readonly writer: CheckpointWriter = inlineWriter(),
  ) {
    this.#chain = new CheckpointChain<RunState>(dir, 'cp-');
    const last = this.#chain.numbers().pop();
    if (last !== undefined) this.#next = last + 1;
  }

  /**
   * Takes the run's state with all window state or only what changed, now, and hands it to the
   * writer; resolves once no more than a few writes are under way (the writer's bound). Returns the
   * file. With `ready`, a part of `state` is filled in when it resolves (the results' length, answered
   * by their thread): the file is written after that, while the engine reads on.
   */
  async write(state: RunState, op: Checkpointable, ready?: Promise<unknown>): Promise<string> {
    const n = this.#next++;
    const { file, body } = this.#chain.take(n, state, op);
    if (this.#chain.fullAt === n) this.#fulls.push({ n, write: this.#handed });
    this.#handed++;
    await this.writer.write(file, body, ready);
    this.#prune();
    return file;
  }

  /** Every checkpoint so far durable (a write that failed is raised here). */
  async flush(): Promise<void> {
    await this.writer.flush();
    this.#prune();
  }

  /** Waits for the writes under way, whatever their outcome: nothing half-written is left when the run fails. */
  settle(): Promise<void> {
    return this.writer.settle();
  }

  /**
   * Keeps the chains of the last two full checkpoints that have landed (durable: one that failed is
   * raised before the run goes on) and what follows; deletes the files before them. A chain still
   * under way is not counted on: a crash now resumes from a landed one.
   */
  #prune(): void {
    const landed = this.writer.landed;
    let last = -1;
    for (let i = 0; i < this.#fulls.length && this.#fulls[i].write < landed; i++) last = i;
    const below = last >= 1 ? this.#fulls[last - 1].n : undefined;
    if (below === undefined || below === this.#prunedBelow) return;
    this.#chain.pruneBelow(below);
    this.#prunedBelow = below;
    // Fulls before the one kept as the fallback are gone from disk: they need no tracking.
    this.#fulls.splice(0, last - 1);
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
