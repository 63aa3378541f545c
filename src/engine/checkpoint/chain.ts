import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { OperatorChanges, OperatorSnapshot } from '../operator.js';
import { bodyBytes, encodeCheckpoint, readCheckpointFile, writeCheckpointParts } from './file.js';

/** What a checkpoint file holds beside the caller's state: all window state, or what changed since its base. */
export interface ChainFields {
  version: 1;
  kind?: 'full' | 'delta';
  /** A delta's base: the number of the file it changes. */
  base?: number;
  operator?: OperatorSnapshot;
  changes?: OperatorChanges;
}

/** A checkpoint to resume from: the newest file's state, the full snapshot under it, and the changelogs between, oldest first. */
export type Resumed<S> = S & { operator: OperatorSnapshot; changes: OperatorChanges[] };

/** The operator as a checkpoint sees it. */
export interface Checkpointable {
  /** `base`: the changelogs taken after it stand on it (they may name its keys by its ids). */
  snapshot(base: boolean): OperatorSnapshot;
  changes(): OperatorChanges;
}

/**
 * A full checkpoint is written again once the changelogs after the last one outweigh it twice (so a
 * restore reads at most three times the state, and state that keeps growing is written in full at
 * tripling sizes: about 1.5 times its final size in all), or, as a bound on files, once this many
 * follow. Twice rather than once: a state of steady size was otherwise written in full every few
 * checkpoints, half of what checkpoints cost the engine's thread (Kafka Streams' compacted
 * changelog topics hold up to twice their live data by default; Flink's incremental checkpoints set
 * no bound).
 */
const FULL_AFTER = 2;
const MAX_DELTAS = 1000;

/**
 * One chain of checkpoint files, `<prefix><n>.json` in the format of checkpoint/file.ts (checksummed,
 * fsynced, renamed over), for both transports: the embedded log numbers its files in order, a Kafka
 * partition by the offset each covers. The first file a chain writes is full; later ones are
 * changelogs of their base (only the panes and dedup ids that changed, as Kafka Streams' changelogs
 * and Flink's incremental checkpoints), until their bytes outweigh the last full one FULL_AFTER
 * times (or MAX_DELTAS of them follow it). Reading file n composes n with its bases back to a full
 * one; a corrupt or missing link makes n unreadable.
 */
export class CheckpointChain<S extends object> {
  /** The last file this chain wrote, and the full one under it. */
  #last: number | undefined;
  #full: number | undefined;
  #fullBytes = 0;
  #deltaBytes = 0;
  #deltas = 0;

  constructor(
    readonly dir: string,
    readonly prefix: string,
  ) {}

  file(n: number): string {
    return join(this.dir, `${this.prefix}${String(n).padStart(12, '0')}.json`);
  }

  /** The numbers of this chain's files, ascending. */
  numbers(): number[] {
    if (!existsSync(this.dir)) return [];
    const out: number[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.startsWith(this.prefix) || !f.endsWith('.json')) continue;
      const n = f.slice(this.prefix.length, -5);
      if (/^\d{12}$/.test(n)) out.push(Number(n));
    }
    return out.sort((a, b) => a - b);
  }

  has(n: number): boolean {
    return existsSync(this.file(n));
  }

  /** The full checkpoint the last write stands on (undefined before the first). */
  get fullAt(): number | undefined {
    return this.#full;
  }

  /** The next write is full (a task restored or started afresh: what it wrote before is not its base). */
  restart(): void {
    this.#last = undefined;
    this.#full = undefined;
  }

  /** Writes file n: the state with all window state, or only what changed since the last write. */
  write(n: number, state: S, op: Checkpointable): string {
    const { file, body } = this.take(n, state, op);
    writeCheckpointParts(file, encodeCheckpoint(body));
    return file;
  }

  /**
   * File n's body as of now (all window state, or what changed since the last one), for a writer to
   * put on disk (checkpoint/writer.ts); the chain counts it as written. Its columns are copies of the
   * state (snapshot() and changes() build them), so the writer may take them.
   */
  take(n: number, state: S, op: Checkpointable): { file: string; body: S & ChainFields } {
    mkdirSync(this.dir, { recursive: true });
    const file = this.file(n);
    const full = this.#last === undefined || this.#deltas >= MAX_DELTAS || this.#deltaBytes > FULL_AFTER * this.#fullBytes;
    const body: S & ChainFields = full
      ? { ...state, version: 1, kind: 'full', operator: op.snapshot(true) }
      : { ...state, version: 1, kind: 'delta', base: this.#last, changes: op.changes() };
    // Window state only: what a full file writes again (the rest, fired windows in flight, is in every file).
    const bytes = bodyBytes(full ? body.operator : body.changes);
    if (full) {
      this.#full = n;
      this.#fullBytes = bytes;
      this.#deltaBytes = 0;
      this.#deltas = 0;
    } else {
      this.#deltaBytes += bytes;
      this.#deltas++;
    }
    this.#last = n;
    return { file, body };
  }

  /** The newest file's body alone (its state; no chain composed), or undefined when missing or corrupt. */
  head(n: number): (S & ChainFields) | undefined {
    return readCheckpointFile<S & ChainFields>(this.file(n));
  }

  /**
   * File n composed with its bases: what to resume from. When it cannot be read, `bad` names the
   * file that is missing, corrupt or written by an older sat (window state in another layout).
   */
  read(n: number): { resumed?: Resumed<S>; bad?: number; why?: 'missing' | 'corrupt' | 'older' } {
    const links: OperatorChanges[] = [];
    let newest: (S & ChainFields) | undefined;
    let at = n;
    for (;;) {
      if (!this.has(at)) return { bad: at, why: 'missing' };
      const body = readCheckpointFile<S & ChainFields>(this.file(at));
      if (body === undefined) return { bad: at, why: 'corrupt' };
      // Format 2 and before held panes as JSON arrays (`buckets`): this engine cannot load them.
      if ((body.kind === 'delta' ? body.changes?.panes : body.operator?.panes) === undefined) return { bad: at, why: 'older' };
      newest ??= body;
      if (body.kind !== 'delta') {
        const { version: _v, kind: _k, base: _b, operator: _o, changes: _c, ...state } = newest;
        return { resumed: { ...(state as unknown as S), operator: body.operator!, changes: links.reverse() } };
      }
      if (body.base === undefined) return { bad: at, why: 'corrupt' };
      links.push(body.changes!);
      at = body.base;
    }
  }

  /** The newest file whose chain checks out, and the files found corrupt or missing on the way. */
  latest(): { resumed?: Resumed<S>; n?: number; corrupt: string[] } {
    const corrupt = new Set<number>();
    const names = () => [...corrupt].map((c) => basename(this.file(c)));
    for (const n of this.numbers().reverse()) {
      if (corrupt.has(n)) continue;
      const r = this.read(n);
      if (r.resumed) return { resumed: r.resumed, n, corrupt: names() };
      corrupt.add(r.bad!);
    }
    return { corrupt: names() };
  }

  /** Deletes this chain's files numbered below `n`. */
  pruneBelow(n: number): void {
    for (const m of this.numbers()) if (m < n) rmSync(this.file(m), { force: true });
  }
}
