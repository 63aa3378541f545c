import { grown, insertSorted } from '../../core/arrays.js';
import { SatError } from '../../core/errors.js';
import type { AggregationPlan } from '../aggregations/index.js';
import { decodeStrings, type StringColumn } from '../checkpoint/strings.js';
import { KeyIds, type KeyBytes } from './key-ids.js';
import { Bucket } from './bucket.js';
import { ChainWalk } from './chain-walk.js';

/** Panes as columns: what a snapshot or a changelog of the window state holds (binary in a checkpoint). */
export interface PaneColumns {
  /** Slots and sets per pane: a checkpoint made for other aggregations is refused. */
  width: number;
  setCount: number;
  /** The texts of the keys this file names, by the ids firstKeyId, firstKeyId + 1, ... */
  keys: StringColumn;
  /**
   * Set in a changelog: the id of its first key. A changelog names only the keys no file of its
   * chain has named since the full one (their ids go on from there), and its panes refer to any key
   * named so far. A full checkpoint (and a changelog before 2026-12-05) names its keys from 0, and its
   * panes refer to those only.
   */
  firstKeyId?: number;
  /** Per pane: its bucket's start, its key's id, its slots (width each). */
  bucket: Float64Array;
  key: Uint32Array;
  values: Float64Array;
  /** Per pane, its sets' values (only when an aggregation keeps a set). */
  sets?: number[][][];
}

/** Emitted for each (window, key) that fires: the merged pane at `off` in `v`; `id` is the key's (KeyIds). */
export type FireFn = (key: string, v: Float64Array, off: number, sets: Set<number>[] | undefined, id: number) => void;

/**
 * The operator's window state: one pane per (slide bucket, key), buckets in ascending order, keys
 * mapped once to dense ids, a bucket's panes in typed-array columns. It knows which panes changed
 * since the last snapshot or changelog, so a checkpoint can write only those (as Kafka Streams'
 * changelog topics and Flink's incremental checkpoints do). For emit: active, each pane links to the
 * key's previous pane, so a window merges only the panes of the keys it emits.
 */
export class PaneStore {
  /** Bucket starts holding state, ascending. */
  readonly starts: number[] = [];
  readonly #buckets = new Map<number, Bucket>();
  readonly #keys = new KeyIds();
  readonly #width: number;
  readonly #withSets: boolean;
  /**
   * Per key id, at 2 id the newest bucket holding a pane of it and at 2 id + 1 that pane's row
   * (chained stores only): side by side, one cache miss per record, not two. NaN: the key holds no
   * pane (set when its last is dropped), so the key table's counts need not be read per record.
   */
  #newest = new Float64Array(2048).fill(NaN);
  /**
   * Panes changed since the last snapshot()/changes() are marked with the current epoch, and their
   * buckets listed once: a changelog scans those buckets' marks (no list of rows kept per record).
   */
  #epoch = 1; // new rows start at 0 and loaded ones at -1: neither is "changed in this epoch" until added to
  #dirtyBuckets: Bucket[] = [];
  /** Merging a window: per key id its row in #merged (-1: none yet). */
  #slot = new Int32Array(1024).fill(-1);
  #merged = new Float64Array(64);
  #mergedSets: (Set<number>[] | undefined)[] = [];
  /** #fireActive's working arrays, kept from fire to fire. */
  readonly #walk = new ChainWalk();
  /** The first bucket start sealThrough() has not sealed yet (a lower bound). */
  #nextSeal = Infinity;

  /** chained: link each key's panes (only emit: active windows read the links). */
  constructor(
    readonly plan: AggregationPlan,
    readonly chained: boolean,
  ) {
    this.#width = plan.width;
    this.#withSets = plan.setCount > 0;
  }

  /** Adds a record to the pane of (bucket, key), made if needed and marked as changed. */
  add(bucket: number, key: string | KeyBytes, values: Record<string, unknown>, time: number): void {
    const b = this.#bucketAt(bucket);
    const row = this.#rowFor(b, key);
    if (b.epoch[row] !== this.#epoch) {
      b.epoch[row] = this.#epoch;
      if (b.dirtyIn !== this.#epoch) {
        b.dirtyIn = this.#epoch;
        this.#dirtyBuckets.push(b);
      }
    }
    this.plan.addAt(b.vals, row * this.#width, b.sets?.[row], values, time);
  }

  #bucketAt(start: number): Bucket {
    let b = this.#buckets.get(start);
    if (b === undefined) {
      // A bucket newer than all held starts with room for the keys of the newest one (doubling
      // from 8 rows to a thousand keys was ~1% of a Kafka member's thread).
      const newest = this.starts.length === 0 ? undefined : this.starts[this.starts.length - 1];
      const cap = newest !== undefined && start > newest ? Math.max(8, this.#buckets.get(newest)!.rows) : 8;
      b = new Bucket(start, this.#width, this.chained, this.#withSets, cap);
      this.#buckets.set(start, b);
      insertSorted(this.starts, start);
      if (start < this.#nextSeal) this.#nextSeal = start;
    }
    return b;
  }

  #rowFor(b: Bucket, key: string | KeyBytes): number {
    const id = this.#keys.id(key);
    const found = this.chained ? this.#chainedRow(b, id) : b.rowOf!.get(id);
    if (found >= 0) return found;
    const row = b.append(id);
    this.plan.initAt(b.vals, row * this.#width);
    if (b.sets) b.sets[row] = this.plan.newSets();
    if (this.chained) this.#link(b, row, id);
    this.#keys.hold(id);
    return row;
  }

  /**
   * Key id's pane in b (-1: none), found down the key's chain, newest first: a record in order looks
   * at the key's newest pane only. Chained buckets keep no index by key: its probe and insert, a
   * cache miss each at a million active customers, were per record where nearly every record makes a
   * pane.
   */
  #chainedRow(b: Bucket, id: number): number {
    if (2 * id >= this.#newest.length) return -1;
    let s = this.#newest[2 * id];
    let row = this.#newest[2 * id + 1];
    while (s > b.start) {
      // Buckets are dropped oldest first: one newer than a held bucket is held too.
      const cur = this.#buckets.get(s)!;
      s = cur.prevStart(row);
      row = cur.prevRow(row);
    }
    return s === b.start ? row : -1;
  }

  /** Puts the new pane (b, row) into its key's chain of panes, newest first. */
  #link(b: Bucket, row: number, id: number): void {
    if (2 * id >= this.#newest.length) this.#newest = grown(this.#newest, Math.max(2 * id + 2, this.#newest.length * 2), NaN);
    const newest = this.#newest[2 * id];
    if (!(newest > b.start)) {
      b.setPrev(row, newest, Number.isNaN(newest) ? -1 : this.#newest[2 * id + 1]);
      this.#newest[2 * id] = b.start;
      this.#newest[2 * id + 1] = row;
      return;
    }
    // Out of order: an older bucket than the key's newest. Walk back to where it belongs.
    let cur = this.#buckets.get(newest)!;
    let curRow = this.#newest[2 * id + 1];
    for (;;) {
      const p = cur.prevStart(curRow);
      const pb = p > b.start ? this.#buckets.get(p) : undefined;
      if (pb === undefined) {
        if (p > b.start) b.setPrev(row, NaN, -1);
        else b.setPrev(row, p, cur.prevRow(curRow));
        cur.setPrev(curRow, b.start, row);
        return;
      }
      curRow = cur.prevRow(curRow);
      cur = pb;
    }
  }

  /**
   * Fires the window [start, start + size): every key with a pane in it, or with activeOnly only
   * the keys with a pane in its last slide, each merged over the window in ascending bucket order.
   * Returns how many keys fired.
   */
  fire(start: number, size: number, slide: number, activeOnly: boolean, emit: FireFn): number {
    return activeOnly ? this.#fireActive(start, size, slide, emit) : this.#fireAll(start, size, emit);
  }

  #fireAll(start: number, size: number, emit: FireFn): number {
    const w = this.#width;
    if (this.#slot.length < this.#keys.capacity) this.#slot = new Int32Array(this.#keys.capacity).fill(-1);
    const touched: number[] = [];
    for (const s of this.starts) {
      if (s >= start + size) break;
      const b = this.#buckets.get(s)!;
      for (let r = 0; r < b.rows; r++) {
        const id = b.keyOf[r];
        let m = this.#slot[id];
        if (m < 0) {
          m = touched.length;
          this.#slot[id] = m;
          touched.push(id);
          if ((m + 1) * w > this.#merged.length) this.#merged = grown(this.#merged, Math.max((m + 1) * w, this.#merged.length * 2));
          for (let j = 0, src = r * w, dst = m * w; j < w; j++) this.#merged[dst + j] = b.vals[src + j];
          if (b.sets) this.#mergedSets[m] = b.sets[r]!.map((x) => new Set(x));
        } else this.plan.mergeAt(this.#merged, m * w, this.#mergedSets[m], b.vals, r * w, b.sets?.[r]);
      }
    }
    for (let m = 0; m < touched.length; m++) {
      emit(this.#keys.name(touched[m]), this.#merged, m * w, this.#mergedSets[m], touched[m]);
      this.#slot[touched[m]] = -1;
    }
    this.#mergedSets.length = 0;
    return touched.length;
  }

  /**
   * The keys with a pane in the window's last slide, each merged over the window: its newest pane
   * first, then its older ones oldest first (the order merges have always had, so sums come out to
   * the same bits). Two passes, each across all the keys: the first follows every key's links one
   * step at a time (a level), the second merges the panes found, deepest level first. One key's walk
   * alone is a chain of cache misses, each waiting for the last; across keys the loads do not depend
   * on each other, so the processor overlaps their misses (these misses were ~20% of the engine's
   * time at a million active customers).
   */
  #fireActive(start: number, size: number, slide: number, emit: FireFn): number {
    const w = this.#width;
    const last = this.#buckets.get(start + size - slide);
    if (last === undefined) return 0;
    const n = last.rows;
    if (this.#merged.length < n * w) this.#merged = new Float64Array(Math.max(n * w, this.#merged.length * 2));
    const merged = this.#merged;
    const lastKeyOf = last.keyOf;
    // Pass 1: the panes of each key's chain, level by level (see ChainWalk.walk).
    const f = this.#walk;
    const levelEnds = f.walk(last, start, size, slide, this.starts, this.#buckets);
    const total = levelEnds.length === 0 ? 0 : levelEnds[levelEnds.length - 1];
    // Pass 2: each key's newest pane, then its older ones, the deepest level (the oldest) first.
    merged.set(last.vals.subarray(0, n * w));
    const sets = last.sets ? last.sets.slice(0, n).map((s) => s?.map((x) => new Set(x))) : undefined;
    const lv = f.levels;
    for (let l = levelEnds.length - 1; l >= 0; l--) {
      for (let i = l === 0 ? 0 : levelEnds[l - 1]; i < levelEnds[l]; i++) {
        const b = lv.bucket[i]!;
        const r = lv.key[i];
        const pr = lv.row[i];
        this.plan.mergeAt(merged, r * w, sets?.[r], b.vals, pr * w, b.sets?.[pr]);
      }
    }
    lv.bucket.fill(undefined, 0, total); // holds no bucket past the fire (a dropped one could not be collected)
    for (let r = 0; r < n; r++) emit(this.#keys.name(lastKeyOf[r]), merged, r * w, sets?.[r], lastKeyOf[r]);
    return n;
  }

  /**
   * Seals the buckets starting at or before `through` (the watermark is past them, so only
   * out-of-order records still add panes there): their columns are trimmed to the panes held.
   */
  sealThrough(through: number): void {
    if (through < this.#nextSeal) return;
    this.#nextSeal = Infinity;
    for (const s of this.starts) {
      if (s > through) {
        this.#nextSeal = s;
        break;
      }
      const b = this.#buckets.get(s)!;
      if (!b.sealed) b.seal();
    }
  }

  /** The start of the oldest bucket not sealed (Infinity: none). */
  get nextSeal(): number {
    return this.#nextSeal;
  }

  /** Drops the buckets before `start` (no window still to fire holds them). */
  dropBefore(start: number): void {
    let n = 0;
    while (n < this.starts.length && this.starts[n] < start) {
      const b = this.#buckets.get(this.starts[n++])!;
      for (let r = 0; r < b.rows; r++) {
        const id = b.keyOf[r];
        // A key no pane holds any more has no newest pane (its id may name another key next).
        if (this.#keys.release(id) && this.chained) this.#newest[2 * id] = NaN;
      }
      this.#buckets.delete(b.start);
    }
    if (n > 0) this.starts.splice(0, n);
  }

  get entries(): number {
    let n = 0;
    for (const b of this.#buckets.values()) n += b.rows;
    return n;
  }

  /**
   * Every pane; what changed is forgotten (the next changelog is relative to this). With `base`, the
   * changelogs after it name the keys it names by its ids (a checkpoint chain's full file); without,
   * they name every key they hold, as no file names it.
   */
  snapshot(base = false): PaneColumns {
    const runs: Run[] = [];
    for (const s of this.starts) {
      const b = this.#buckets.get(s)!;
      if (b.rows > 0) runs.push({ b, from: 0, to: b.rows });
    }
    this.#reset();
    this.#keys.forgetCheckpointIds(0);
    const c = this.#columns(runs, false);
    if (!base) this.#keys.forgetCheckpointIds();
    return c;
  }

  /** The panes changed since the last snapshot or changelog that are still held. */
  changes(): PaneColumns {
    const runs: Run[] = [];
    const epoch = this.#epoch;
    for (const b of this.#dirtyBuckets) {
      if (this.#buckets.get(b.start) !== b) continue; // fired and dropped since
      // The rows marked in this epoch, in runs of neighbours (new panes are appended in a run).
      const marks = b.epoch;
      for (let r = 0; r < b.rows; r++) {
        if (marks[r] !== epoch) continue;
        const from = r;
        while (r + 1 < b.rows && marks[r + 1] === epoch) r++;
        runs.push({ b, from, to: r + 1 });
      }
    }
    this.#reset();
    return this.#columns(runs, true);
  }

  #columns(runs: Run[], changelog: boolean): PaneColumns {
    const w = this.#width;
    let n = 0;
    for (const run of runs) n += run.to - run.from;
    const keys = this.#keys;
    // The keys this file names (those no file since the full one has), in the order of their ids.
    const named: number[] = [];
    const firstKeyId = keys.nextCheckpointId;
    const bucket = new Float64Array(n);
    const key = new Uint32Array(n);
    const values = new Float64Array(n * w);
    const sets: number[][][] | undefined = this.#withSets ? [] : undefined;
    let i = 0;
    for (const { b, from, to } of runs) {
      // A run of neighbouring rows of one bucket (a whole bucket in a snapshot) is copied at once.
      const vals = b.vals;
      if (to - from > 4) values.set(vals.subarray(from * w, to * w), i * w);
      else for (let j = from * w, dst = i * w, end = to * w; j < end; j++, dst++) values[dst] = vals[j];
      bucket.fill(b.start, i, i + to - from);
      keys.checkpointIds(b.keyOf, from, to, key, i, named);
      if (sets) for (let r = from; r < to; r++) sets.push(b.sets![r]!.map((x) => [...x]));
      i += to - from;
    }
    return { width: w, setCount: this.plan.setCount, keys: keys.column(named), ...(changelog ? { firstKeyId } : {}), bucket, key, values, ...(sets ? { sets } : {}) };
  }

  /**
   * Puts the panes of a snapshot or changelog in (a changelog's replace what is held). `names`: the
   * keys by id as the files of the chain so far named them, the full one first (kept up here).
   */
  load(c: PaneColumns, names: string[]): void {
    this.plan.check(c.width, c.setCount);
    const w = this.#width;
    const keys = decodeStrings(c.keys);
    if (c.firstKeyId === undefined) names.length = 0;
    for (let j = 0, at = c.firstKeyId ?? 0; j < keys.length; j++) names[at + j] = keys[j];
    for (let i = 0; i < c.bucket.length; i++) {
      const key = names[c.key[i]];
      if (key === undefined) throw new SatError(`a checkpoint's pane refers to key ${c.key[i]}, which no file of its chain names`, 3);
      const b = this.#bucketAt(c.bucket[i]);
      const row = this.#rowFor(b, key);
      b.vals.set(c.values.subarray(i * w, (i + 1) * w), row * w);
      if (b.sets) b.sets[row] = c.sets![i].map((xs) => new Set(xs));
      b.epoch[row] = -1;
    }
  }

  #reset(): void {
    this.#epoch++;
    this.#dirtyBuckets = [];
  }
}

/** Rows [from, to) of one bucket, copied together into a checkpoint's columns. */
interface Run {
  b: Bucket;
  from: number;
  to: number;
}
