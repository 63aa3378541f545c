import type { AggregationPlan, Pane, PaneSnapshot } from '../aggregations/index.js';

/** A bucket's panes as plain JSON: [bucket start, [[key, ...pane]]]. */
export type BucketSnapshot = [number, [string, ...PaneSnapshot][]];
/** One pane changed since the last checkpoint: [bucket start, key, ...pane]. */
export type PaneChange = [number, string, ...PaneSnapshot];

/**
 * The operator's window state: one pane per (slide bucket, key), buckets in ascending order. It
 * knows which panes changed since the last snapshot or changelog, so a checkpoint can write only
 * those (as Kafka Streams' changelog topics and Flink's incremental checkpoints do).
 */
export class PaneStore {
  /** Bucket starts holding state, ascending. */
  readonly starts: number[] = [];
  readonly #buckets = new Map<number, Map<string, Pane>>();
  /** Per key, the starts of the buckets holding a pane of it, ascending: a window merges only those. */
  readonly #byKey = new Map<string, number[]>();
  /** Panes changed since the last snapshot()/changes(): marked with the current epoch. */
  #epoch = 0;
  #dirty: { bucket: number; key: string; pane: Pane }[] = [];

  /** indexKeys: keep the per-key bucket lists (only emit: active windows read them). */
  constructor(readonly plan: AggregationPlan, readonly indexKeys: boolean) {}

  bucket(start: number): Map<string, Pane> | undefined {
    return this.#buckets.get(start);
  }

  /** The pane of (bucket, key), made if needed, marked as changed (the caller is about to add to it). */
  paneFor(bucket: number, key: string): Pane {
    let byKey = this.#buckets.get(bucket);
    if (byKey === undefined) {
      byKey = new Map();
      this.#buckets.set(bucket, byKey);
      insertSorted(this.starts, bucket);
    }
    let pane = byKey.get(key);
    if (pane === undefined) {
      pane = this.plan.create();
      byKey.set(key, pane);
      if (this.indexKeys) this.#index(key, bucket);
    }
    if (pane.epoch !== this.#epoch) {
      pane.epoch = this.#epoch;
      this.#dirty.push({ bucket, key, pane });
    }
    return pane;
  }

  /** The starts of the buckets holding a pane of this key, ascending (do not change it). */
  bucketsOf(key: string): readonly number[] {
    return this.#byKey.get(key) ?? [];
  }

  /** Drops the buckets before `start` (no window still to fire holds them). */
  dropBefore(start: number): void {
    let n = 0;
    while (n < this.starts.length && this.starts[n] < start) {
      const b = this.starts[n++];
      if (this.indexKeys) for (const key of this.#buckets.get(b)!.keys()) {
        const list = this.#byKey.get(key)!;
        // Buckets go oldest first, so the dropped one leads the key's list.
        if (list.length === 1) this.#byKey.delete(key);
        else list.shift();
      }
      this.#buckets.delete(b);
    }
    if (n > 0) this.starts.splice(0, n);
  }

  get entries(): number {
    let n = 0;
    for (const byKey of this.#buckets.values()) n += byKey.size;
    return n;
  }

  /** Every pane; what changed is forgotten (the next changelog is relative to this). */
  snapshot(): BucketSnapshot[] {
    this.#reset();
    return this.starts.map((start) => [start, [...this.#buckets.get(start)!].map(([k, pane]) => [k, ...this.plan.snapshot(pane)] as [string, ...PaneSnapshot])]);
  }

  /** The panes changed since the last snapshot or changelog that are still held. */
  changes(): PaneChange[] {
    const out: PaneChange[] = [];
    for (const d of this.#dirty) if (this.#buckets.get(d.bucket)?.get(d.key) === d.pane) out.push([d.bucket, d.key, ...this.plan.snapshot(d.pane)]);
    this.#reset();
    return out;
  }

  load(buckets: BucketSnapshot[]): void {
    for (const [start, byKey] of buckets) for (const [key, ...pane] of byKey) this.#put(start, key, this.plan.restore(pane as PaneSnapshot));
  }

  apply(changes: PaneChange[]): void {
    for (const [start, key, ...pane] of changes) this.#put(start, key, this.plan.restore(pane as PaneSnapshot));
  }

  #put(start: number, key: string, pane: Pane): void {
    let byKey = this.#buckets.get(start);
    if (byKey === undefined) {
      byKey = new Map();
      this.#buckets.set(start, byKey);
      insertSorted(this.starts, start);
    }
    pane.epoch = -1;
    if (this.indexKeys && !byKey.has(key)) this.#index(key, start);
    byKey.set(key, pane);
  }

  #index(key: string, bucket: number): void {
    const list = this.#byKey.get(key);
    if (list === undefined) this.#byKey.set(key, [bucket]);
    else insertSorted(list, bucket);
  }

  #reset(): void {
    this.#epoch++;
    this.#dirty = [];
  }
}

export function insertSorted(a: number[], x: number): void {
  let i = a.length;
  while (i > 0 && a[i - 1] > x) i--;
  a.splice(i, 0, x);
}
