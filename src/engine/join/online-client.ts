import { setTimeout as sleep } from 'node:timers/promises';
import type { OnlineSpec } from '../../scenario/types.js';
import { type FeatureTarget, readFeatures, writeParsed } from './features-body.js';
import { JsonPoster, PostError } from './http-post.js';
import { allDistinct } from '../../core/distinct.js';

export type Features = Record<string, number | null>;

export interface OnlineClientStats {
  requests: number;
  /** Attempts that failed (5xx, timeout, cut-off or invalid body, refused connection). */
  failedAttempts: number;
  /** Batches given up on after every retry failed: their customers' online inputs are missing. */
  failedBatches: number;
  idsRequested: number;
  idsMissing: number;
}

/**
 * A minute's features for a list of ids, as columns: values[i * names.length + j] is ids[i]'s
 * feature names[j] (NaN where it is not a number: JSON has no NaN), found[i] is 1 when the API
 * answered for ids[i]. Typed arrays, so that they cross from the client's thread without a copy.
 */
export interface FeatureColumns {
  names: readonly string[];
  values: Float64Array;
  found: Uint8Array;
}

/** Where the scorer gets online features: the client on a thread of its own (online-thread.ts). */
export interface OnlineFeatures {
  readonly stats: OnlineClientStats;
  features(minute: number, ids: string[]): Promise<FeatureColumns>;
  close(): Promise<void>;
}

/** An answer read straight into the columns (features-body.ts). */
const READ = Symbol('read');
const utf8 = new TextDecoder();

/** Why one attempt failed, for the log: the first of each kind is reported. */
type Failure = 'timeout' | 'status' | 'body' | 'connection';

/**
 * Bulk client of the online-features API (POST <url>/online {minute, customers}). A minute's ids go
 * out in batches of batchSize, `concurrency` requests at a time, each with a timeout and up to
 * `retries` further attempts (exponential backoff from 50 ms). A batch that still fails leaves its
 * customers out of the answer: the caller marks their online inputs missing, never invents them.
 */
export class OnlineClient {
  readonly stats: OnlineClientStats = { requests: 0, failedAttempts: 0, failedBatches: 0, idsRequested: 0, idsMissing: 0 };
  readonly #poster: JsonPoster;
  readonly #reported = new Set<Failure>();

  constructor(
    url: string,
    readonly spec: OnlineSpec,
    readonly log: (line: string) => void = () => undefined,
  ) {
    this.#poster = new JsonPoster(url.replace(/\/+$/, '').replace(/\/online$/, '') + '/online', spec.concurrency);
  }

  /**
   * The features `names` of `ids` for one minute, as columns (see FeatureColumns): ids asked in
   * batches, `concurrency` at a time, each batch written in as it is answered (only the batches in
   * flight are held as parsed objects). Ids whose batch failed, or that the answer lacks, are not found.
   */
  async columns(minute: number, ids: string[], names: readonly string[]): Promise<FeatureColumns> {
    const values = new Float64Array(ids.length * names.length).fill(NaN);
    const found = new Uint8Array(ids.length);
    const size = this.spec.batchSize;
    const batches = Math.ceil(ids.length / size);
    let next = 0;
    // Ids asked twice (one customer's results of one minute in two fires) take the parsed path: an
    // answer names each once, and every row asking for it gets its features.
    const distinct = allDistinct(ids);
    const worker = async () => {
      while (next < batches) {
        const from = next++ * size;
        const batch = ids.slice(from, from + size);
        const got = await this.#batch(minute, batch, distinct ? { ids: batch, from, names, values, found } : undefined);
        if (got === undefined) {
          this.stats.failedBatches++;
          this.stats.idsMissing += batch.length;
          continue;
        }
        if (got !== READ) writeParsed(got, { ids: batch, from, names, values, found });
        for (let k = 0; k < batch.length; k++) if (found[from + k] === 0) this.stats.idsMissing++;
      }
    };
    this.stats.idsRequested += ids.length;
    await Promise.all(Array.from({ length: Math.min(this.spec.concurrency, batches) }, worker));
    return { names, values, found };
  }

  /** The batch's answer: READ when it went straight into `into`'s columns, else parsed. */
  async #batch(minute: number, ids: string[], into: FeatureTarget | undefined): Promise<Record<string, Features> | typeof READ | undefined> {
    for (let attempt = 0; attempt <= this.spec.retries; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 50 * 2 ** (attempt - 1)));
      this.stats.requests++;
      const got = await this.#attempt(minute, ids, into);
      if (typeof got !== 'string') return got;
      this.stats.failedAttempts++;
      if (!this.#reported.has(got)) {
        this.#reported.add(got);
        this.log(`online API: a request failed (${got}); retrying up to ${this.spec.retries} times, then marking those customers' online inputs missing`);
      }
    }
    return undefined;
  }

  async #attempt(minute: number, ids: string[], into: FeatureTarget | undefined): Promise<Record<string, Features> | typeof READ | Failure> {
    const signal = AbortSignal.timeout(this.spec.timeoutMs);
    let answer: { status: number; bytes: Uint8Array };
    try {
      answer = await this.#poster.post(JSON.stringify({ minute, customers: ids }), signal);
    } catch (e) {
      return (e as Error).name === 'TimeoutError' ? 'timeout' : e instanceof PostError && e.stage === 'body' ? 'body' : 'connection';
    }
    if (answer.status < 200 || answer.status > 299) return 'status';
    const bytes = answer.bytes;
    if (into !== undefined && readFeatures(bytes, into) === 'read') return READ;
    try {
      // As res.json() reads a body: UTF-8 with replacement, a byte order mark dropped.
      const body = JSON.parse(utf8.decode(bytes)) as { features?: unknown };
      if (body === null || typeof body.features !== 'object' || body.features === null) return 'body';
      return body.features as Record<string, Features>;
    } catch {
      return 'body';
    }
  }
}
