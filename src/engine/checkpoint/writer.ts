import { Worker } from 'node:worker_threads';
import { SatError } from '../../core/errors.js';
import { encodeCheckpoint, ownedBuffers, writeCheckpointParts } from './file.js';

/**
 * Where a checkpoint's body, taken at the checkpoint, becomes a durable file (encoding, checksum,
 * write, fsync, rename). Writes land in order: `write` hands one over and returns once the one
 * before it is durable (so at most one is under way while the engine runs on); `flush` once every
 * write so far is. A failure is raised by the next call.
 */
export interface CheckpointWriter {
  /**
   * `body` is the writer's from here on: a thread writer takes its typed arrays' buffers. With
   * `ready`, the body is not complete yet: it is put on disk once `ready` resolves (a part filled in
   * by then), still in order; if `ready` fails, so does this write.
   */
  write(file: string, body: unknown, ready?: Promise<unknown>): Promise<void>;
  flush(): Promise<void>;
  /** Waits for a write under way, keeping quiet about its failure (the run is already failing). */
  settle(): Promise<void>;
}

/** Writes on the calling thread, before returning (the Kafka member and unit tests). */
export const inlineWriter: CheckpointWriter = {
  async write(file, body, ready) {
    await ready;
    writeCheckpointParts(file, encodeCheckpoint(body));
  },
  async flush() {},
  async settle() {},
};

interface Answer {
  failed?: { message: string; exitCode?: number };
}

/**
 * Writes on a thread of its own (writer-thread.ts), as Flink's asynchronous snapshot phase: the
 * engine takes the state at the checkpoint (typed-array columns copied from it there, keys and ids
 * as bytes; handed over whole, their buffers moved, so later work cannot change them) and goes on
 * processing while the thread encodes, hashes, writes and fsyncs it, in the order handed over. The outputs a checkpoint
 * names are already flushed, so a crash before it lands resumes from the one before, whose lengths
 * the outputs are truncated to.
 */
export class ThreadWriter implements CheckpointWriter {
  #worker: Worker | undefined;
  /** Writes handed over and not answered yet, by id. */
  readonly #waiting = new Map<number, (a: Answer) => void>();
  #ids = 0;
  #last: Promise<Answer> | undefined;
  /** The last hand-over (they happen in order, each after the `ready` of its write). */
  #handedOver: Promise<void> = Promise.resolve();

  async write(file: string, body: unknown, ready?: Promise<unknown>): Promise<void> {
    const w = (this.#worker ??= this.#start());
    const previous = this.#last;
    const id = ++this.#ids;
    this.#last = new Promise<Answer>((resolve) => this.#waiting.set(id, resolve));
    w.ref(); // a write under way holds the process open
    // The body is the checkpoint's own (chain.take copies the state): its columns move, not copied.
    const fail = (e: unknown) => this.#answer({ id, failed: { message: (e as Error).message, exitCode: (e as SatError).exitCode } });
    const handOver = () => {
      try {
        w.postMessage({ id, file, body }, ownedBuffers(body));
      } catch (e) {
        fail(e);
      }
    };
    ready?.catch(() => {}); // its failure is this write's, answered in order below
    this.#handedOver = this.#handedOver.then(() => ready).then(handOver, fail);
    if (previous !== undefined) raise(await previous);
  }

  async flush(): Promise<void> {
    const last = this.#last;
    if (last === undefined) return;
    const a = await last;
    if (this.#last === last) this.#last = undefined;
    raise(a);
  }

  async settle(): Promise<void> {
    await this.#last;
  }

  #answer(a: Answer & { id: number }): void {
    this.#waiting.get(a.id)?.(a);
    this.#waiting.delete(a.id);
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

function raise(a: Answer): void {
  if (a.failed) throw new SatError(a.failed.message, a.failed.exitCode ?? 1);
}
