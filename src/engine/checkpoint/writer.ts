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
  /** `body` is the writer's from here on: a thread writer takes its typed arrays' buffers. */
  write(file: string, body: unknown): Promise<void>;
  flush(): Promise<void>;
  /** Waits for a write under way, keeping quiet about its failure (the run is already failing). */
  settle(): Promise<void>;
}

/** Writes on the calling thread, before returning (the Kafka member and unit tests). */
export const inlineWriter: CheckpointWriter = {
  async write(file, body) {
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
  /** Answers still to come, in the order the writes were handed over. */
  readonly #waiting: ((a: Answer) => void)[] = [];
  #last: Promise<Answer> | undefined;

  async write(file: string, body: unknown): Promise<void> {
    const w = (this.#worker ??= this.#start());
    const previous = this.#last;
    this.#last = new Promise<Answer>((resolve) => this.#waiting.push(resolve));
    w.ref(); // a write under way holds the process open
    // The body is the checkpoint's own (chain.take copies the state): its columns move, not copied.
    w.postMessage({ file, body }, ownedBuffers(body));
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

  #start(): Worker {
    const w = new Worker(new URL('./writer-thread.js', import.meta.url));
    const answer = (a: Answer) => {
      this.#waiting.shift()?.(a);
      if (this.#waiting.length === 0) w.unref(); // idle: it must not hold the process open
    };
    w.on('message', answer);
    // The thread itself failed: every write still waiting fails with it.
    w.on('error', (e) => {
      while (this.#waiting.length > 0) answer({ failed: { message: `the checkpoint writer thread failed: ${e.message}` } });
    });
    w.unref();
    return w;
  }
}

function raise(a: Answer): void {
  if (a.failed) throw new SatError(a.failed.message, a.failed.exitCode ?? 1);
}
