import { grown } from '../../core/arrays.js';
import type { Bucket } from './bucket.js';

/**
 * A fire's walk down the keys' chains (emit: active), and its working arrays: the keys at the
 * current level and the next (their row in the last bucket, and the start and row of their pane
 * there), and every level's entries one after another. Grown as needed and kept, so a fire
 * allocates nothing per key.
 */
export class ChainWalk {
  #curKey = new Int32Array(1024);
  #curStart = new Float64Array(1024);
  #curRow = new Int32Array(1024);
  #nextKey = new Int32Array(1024);
  #nextStart = new Float64Array(1024);
  #nextRow = new Int32Array(1024);
  readonly levels = { key: new Int32Array(1024), bucket: [] as (Bucket | undefined)[], row: new Int32Array(1024) };
  /** The fired window's buckets by their index in it (emptied after each walk: it holds no bucket past a fire). */
  readonly #inWindow: (Bucket | undefined)[] = [];

  /**
   * Walks the chains of the keys with a pane in `last` (the window [start, start + size)'s last
   * slide) down to the window's start. Each level lists, per key whose chain reaches that deep, the
   * key's row in `last` and the pane's bucket and row; the levels lie one after another in
   * `levels` (kept from fire to fire: fresh arrays per level were a third of the engine's
   * allocations at a million active customers). Returns where each level ends.
   */
  walk(last: Bucket, start: number, size: number, slide: number, starts: readonly number[], buckets: ReadonlyMap<number, Bucket>): number[] {
    const n = last.rows;
    this.#ensureKeys(n);
    const lastKeyOf = last.keyOf;
    let m = 0;
    for (let r = 0; r < n; r++) {
      const p = last.prevStart(r);
      if (p >= start) {
        this.#curKey[m] = r;
        this.#curStart[m] = p;
        this.#curRow[m] = last.prevRow(r);
        m++;
      }
    }
    // A step finds its bucket in an array by its index in the window, not in the Map.
    const inWindow = this.#inWindow;
    for (const s of starts) {
      if (s >= start + size) break;
      if (s >= start) inWindow[(s - start) / slide] = buckets.get(s);
    }
    const levelEnds: number[] = [];
    let total = 0;
    while (m > 0) {
      const lv = this.#ensureLevels(total + m);
      const curKey = this.#curKey;
      const curStart = this.#curStart;
      const curRow = this.#curRow;
      const nextKey = this.#nextKey;
      const nextStart = this.#nextStart;
      const nextRow = this.#nextRow;
      let next = 0;
      for (let i = 0; i < m; i++) {
        const s = curStart[i];
        let b = inWindow[(s - start) / slide];
        if (b === undefined || b.start !== s) b = buckets.get(s);
        if (b === undefined) continue;
        const r = curKey[i];
        const id = lastKeyOf[r];
        const pr = curRow[i];
        // The links are the only way to a chained bucket's panes by key: one astray is a bug, not a pane to skip.
        if (b.chainKey(pr) !== id) throw new Error(`window state: the chain of key id ${id} links to row ${pr} of bucket ${s}, another key's`);
        lv.key[total] = r;
        lv.bucket[total] = b;
        lv.row[total] = pr;
        total++;
        const p = b.prevStart(pr);
        if (p >= start) {
          nextKey[next] = r;
          nextStart[next] = p;
          nextRow[next] = b.prevRow(pr);
          next++;
        }
      }
      levelEnds.push(total);
      this.#swap();
      m = next;
    }
    inWindow.length = 0;
    return levelEnds;
  }

  /** Room for n keys per level. */
  #ensureKeys(n: number): void {
    if (this.#curKey.length < n) {
      const len = Math.max(n, this.#curKey.length * 2);
      this.#curKey = new Int32Array(len);
      this.#curStart = new Float64Array(len);
      this.#curRow = new Int32Array(len);
      this.#nextKey = new Int32Array(len);
      this.#nextStart = new Float64Array(len);
      this.#nextRow = new Int32Array(len);
    }
  }

  /** Room for n level entries in all (those written so far kept). */
  #ensureLevels(n: number): ChainWalk['levels'] {
    const lv = this.levels;
    if (lv.key.length < n) {
      const len = Math.max(n, lv.key.length * 2);
      lv.key = grown(lv.key, len);
      lv.row = grown(lv.row, len);
    }
    return lv;
  }

  /** The next level becomes the current one. */
  #swap(): void {
    [this.#curKey, this.#nextKey] = [this.#nextKey, this.#curKey];
    [this.#curStart, this.#nextStart] = [this.#nextStart, this.#curStart];
    [this.#curRow, this.#nextRow] = [this.#nextRow, this.#curRow];
  }
}
