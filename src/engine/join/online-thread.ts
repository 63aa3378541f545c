import { Worker } from 'node:worker_threads';
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
 * The thread's heap: it holds the answers in flight (a few batches of parsed objects) and the
 * columns being filled; small limits make V8 collect early (satisfaction at a million active
 * customers has a 1.5 GB goal, which the results thread's limits helped it meet).
 */
const ONLINE_THREAD_HEAP = { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 8 };

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

  constructor(url: string, spec: OnlineSpec, readonly names: readonly string[], log: (line: string) => void = () => undefined) {
    const data: OnlineThreadData = { url, spec, names };
    this.#worker = new Worker(new URL('./online-worker.js', import.meta.url), { workerData: data, resourceLimits: ONLINE_THREAD_HEAP });
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
    this.#worker.on('error', (e) => die(new Error(`the online-features thread failed: ${e.stack ?? e.message}`)));
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
