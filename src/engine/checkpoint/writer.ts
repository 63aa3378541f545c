import { Worker } from 'node:worker_threads';
import { SatError } from '../../core/errors.js';
import { encodeCheckpoint, ownedBuffers, writeCheckpointParts } from './file.js';

/**
 * Where a checkpoint's body, taken at the checkpoint, becomes a durable file (encoding, checksum,
 * write, fsync, rename). Writes land in the order handed over: `write` hands one over and returns
 * once no more than a few are under way; `flush` once every write so far is durable. A failure is
 * raised by a later call.
 */
export interface CheckpointWriter {
  /**
   * `body` is the writer's from here on: a thread writer takes its typed arrays' buffers. With
   * `ready`, the body is not complete yet: it is put on disk once `ready` resolves (a part filled in
   * by then), still in order; if `ready` fails, so does this write.
   */
  write(file: string, body: unknown, ready?: Promise<unknown>): Promise<void>;
  flush(): Promise<void>;
  /** Waits for the writes under way, keeping quiet about their failure (the run is already failing). */
  settle(): Promise<void>;
  /** How many of the writes handed over so far have landed (in order: the first this many), durable or failed. */
  readonly landed: number;
  /** The calling thread's time in hand-overs made after write() returned (a thread writer's, once a write's `ready` settles). */
  readonly handOverMs?: number;
}

/** Writes on the calling thread, before returning (the Kafka member and unit tests). */
export function inlineWriter(): CheckpointWriter {
  let landed = 0;
  return {
    async write(file, body, ready) {
      try {
        await ready;
        writeCheckpointParts(file, encodeCheckpoint(body));
      } finally {
        landed++;
      }
    },
    async flush() {},
    async settle() {},
    get landed() {
      return landed;
    },
  };
}

interface Answer {
  failed?: { message: string; exitCode?: number };
  /** Its failure has been raised already (once is enough). */
  raised?: boolean;
}

/**
 * Writes handed over and not yet durable before `write` waits: the engine reads on while the thread
 * catches up after a large (full) checkpoint, or waits for the results' length a checkpoint names.
 * Each is a copy of the state it holds (a changelog: the panes and ids changed since the last).
 */
export const UNDER_WAY = 4;

/**
 * Writes on a thread of its own (writer-thread.ts), as Flink's asynchronous snapshot phase: the
 * engine takes the state at the checkpoint (typed-array columns copied from it there, keys and ids
 * as bytes; handed over whole, their buffers moved, so later work cannot change them) and goes on
 * processing while the thread encodes, hashes, writes and fsyncs it, in the order handed over, up to
 * UNDER_WAY at a time. The outputs a checkpoint names are already flushed, so a crash before it
 * lands resumes from the one before, whose lengths the outputs are truncated to.
 */
export class ThreadWriter implements CheckpointWriter {
  #worker: Worker | undefined;
  /** Writes handed over and not answered yet, by id. */
  readonly #waiting = new Map<number, (a: Answer) => void>();
  #ids = 0;
  /** Answers of the writes not yet waited for, oldest first. */
  #pending: Promise<Answer>[] = [];
  /** Every write up to this id has been answered; the ids answered beyond it (a failed `ready` answers at once). */
  #landed = 0;
  readonly #answeredAhead = new Set<number>();
  /** A write that failed, raised by the next call (not only once its turn to be waited for comes). */
  #failed: Answer | undefined;
  /** The engine's time handing bodies over (copying what is not moved: the JSON part), a part of its checkpointing. */
  handOverMs = 0;
  /** The last hand-over (they happen in order, each after the `ready` of its write). */
  #handedOver: Promise<void> = Promise.resolve();

  get landed(): number {
    return this.#landed;
  }

  async write(file: string, body: unknown, ready?: Promise<unknown>): Promise<void> {
    raise(this.#failed);
    const w = (this.#worker ??= this.#start());
    const id = ++this.#ids;
    this.#pending.push(new Promise<Answer>((resolve) => this.#waiting.set(id, resolve)));
    w.ref(); // a write under way holds the process open
    // The body is the checkpoint's own (chain.take copies the state): its columns move, not copied.
    const fail = (e: unknown) => this.#answer({ id, failed: { message: (e as Error).message, exitCode: (e as SatError).exitCode } });
    const handOver = () => {
      const t0 = performance.now();
      try {
        w.postMessage({ id, file, body }, ownedBuffers(body));
      } catch (e) {
        fail(e);
      }
      this.handOverMs += performance.now() - t0;
    };
    ready?.catch(() => {}); // its failure is this write's, answered in order below
    this.#handedOver = this.#handedOver.then(() => ready).then(handOver, fail);
    while (this.#pending.length > UNDER_WAY) raise(await this.#pending.shift()!);
  }

  async flush(): Promise<void> {
    raise(this.#failed);
    while (this.#pending.length > 0) raise(await this.#pending.shift()!);
  }

  async settle(): Promise<void> {
    await Promise.all(this.#pending);
  }

  #answer(a: Answer & { id: number }): void {
    const resolve = this.#waiting.get(a.id);
    if (resolve === undefined) return;
    this.#waiting.delete(a.id);
    this.#answeredAhead.add(a.id);
    if (a.failed !== undefined) this.#failed = a;
    while (this.#answeredAhead.delete(this.#landed + 1)) this.#landed++;
    resolve(a);
    if (this.#waiting.size === 0) this.#worker?.unref(); // idle: it must not hold the process open
  }

  #start(): Worker {
    const w = new Worker(new URL('./writer-thread.js', import.meta.url));
    w.on('message', (a: Answer & { id: number }) => this.#answer(a));
    // The thread itself failed: every write still waiting fails with it.
    w.on('error', (e) => {
      for (const id of [...this.#waiting.keys()]) this.#answer({ id, failed: { message: `the checkpoint writer thread failed: ${e.message}` } });
    });
    w.unref();
    return w;
  }
}

function raise(a: Answer | undefined): void {
  if (a?.failed === undefined || a.raised) return;
  a.raised = true;
  throw new SatError(a.failed.message, a.failed.exitCode ?? 1);
}
