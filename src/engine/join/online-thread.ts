import { Worker } from 'node:worker_threads';
import { SatError } from '../../core/errors.js';
import type { OnlineSpec } from '../../scenario/types.js';
import type { FeatureColumns, OnlineClientStats, OnlineFeatures } from './online-client.js';

export interface OnlineThreadData {
  url: string;
  spec: OnlineSpec;
  /** The features the formula reads: the columns each answer holds. */
  names: readonly string[];
}
export interface OnlineRequest {
  id: number;
  minute: number;
  ids: string[];
}
export interface OnlineReply {
  id?: number;
  log?: string;
  values?: Float64Array;
  found?: Uint8Array;
  error?: string;
  stats?: OnlineClientStats;
}

/**
 * The thread's heap: it holds the answers in flight (up to `concurrency` batches of parsed objects)
 * and the columns being filled. Its young generation is capped (satisfaction at a million active
 * customers has a 1.5 GB goal), at 32 MB: at 8 it scavenged 154 times in that run, at 32 eight
 * times (see read-thread.ts, READ_THREAD_HEAP); the old generation's cap leaves room for the largest
 * batches a scenario may ask for (100,000 ids), several at once.
 */
const ONLINE_THREAD_HEAP_MB = 512;
const YOUNG_MB = 32;

/**
 * The online-features client (online-client.ts) on a thread of its own: sending, retrying and
 * parsing a minute's answers (16% of the engine's thread in a satisfaction run) happen there, and
 * the features come back as columns, moved rather than copied. The thread keeps the process alive
 * only while a request is under way.
 */
export class OnlineThread implements OnlineFeatures {
  stats: OnlineClientStats = { requests: 0, failedAttempts: 0, failedBatches: 0, idsRequested: 0, idsMissing: 0 };
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (c: FeatureColumns) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #dead: Error | undefined;

  constructor(url: string, spec: OnlineSpec, readonly names: readonly string[], log: (line: string) => void = () => undefined, heapMb = ONLINE_THREAD_HEAP_MB) {
    const data: OnlineThreadData = { url, spec, names };
    this.#worker = new Worker(new URL('./online-worker.js', import.meta.url), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: YOUNG_MB } });
    this.#worker.unref();
    this.#worker.on('message', (m: OnlineReply) => {
      if (m.log !== undefined) return log(m.log);
      if (m.stats) this.stats = m.stats;
      const w = this.#waiting.get(m.id!);
      if (w === undefined) return;
      this.#settled(m.id!);
      if (m.error !== undefined) w.reject(new Error(`the online-features thread failed: ${m.error}`));
      else w.resolve({ names, values: m.values!, found: m.found! });
    });
    const die = (e: Error) => {
      this.#dead ??= e;
      for (const w of this.#waiting.values()) w.reject(this.#dead);
      this.#waiting.clear();
      this.#worker.unref();
    };
    this.#worker.on('error', (e) =>
      die(
        (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new SatError(`the online-features client ran out of its ${heapMb} MB heap: join.online.batch_size × concurrency asks for more answers at once than it holds (lower them)`, 3)
          : new Error(`the online-features thread failed: ${e.stack ?? e.message}`),
      ),
    );
    this.#worker.on('exit', (code) => die(new Error(`the online-features thread exited (${code})`)));
  }

  features(minute: number, ids: string[]): Promise<FeatureColumns> {
    return new Promise((resolve, reject) => {
      if (this.#dead) return reject(this.#dead);
      const id = this.#nextId++;
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, minute, ids } satisfies OnlineRequest);
    });
  }

  #settled(id: number): void {
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker.unref();
  }

  async close(): Promise<void> {
    this.#dead ??= new Error('the online-features thread is closed');
    await this.#worker.terminate();
  }
}
