import { grown } from '../../core/arrays.js';
import type { Bucket } from './bucket.js';

/**
 * The working arrays of a fire's walk down the keys' chains: the keys at the current level and the
 * next (their row in the last bucket, and the start and row of their pane there), and every level's
 * entries one after another. Grown as needed and kept, so a fire allocates nothing per key.
 */
export class ChainWalk {
  curKey = new Int32Array(1024);
  curStart = new Float64Array(1024);
  curRow = new Int32Array(1024);
  nextKey = new Int32Array(1024);
  nextStart = new Float64Array(1024);
  nextRow = new Int32Array(1024);
  readonly levels = { key: new Int32Array(1024), bucket: [] as (Bucket | undefined)[], row: new Int32Array(1024) };

  /** Room for n keys per level. */
  ensureKeys(n: number): this {
    if (this.curKey.length < n) {
      const len = Math.max(n, this.curKey.length * 2);
      this.curKey = new Int32Array(len);
      this.curStart = new Float64Array(len);
      this.curRow = new Int32Array(len);
      this.nextKey = new Int32Array(len);
      this.nextStart = new Float64Array(len);
      this.nextRow = new Int32Array(len);
    }
    return this;
  }

  /** Room for n level entries in all (those written so far kept). */
  ensureLevels(n: number): ChainWalk['levels'] {
    const lv = this.levels;
    if (lv.key.length < n) {
      const len = Math.max(n, lv.key.length * 2);
      lv.key = grown(lv.key, len);
      lv.row = grown(lv.row, len);
    }
    return lv;
  }

  /** The next level becomes the current one. */
  swap(): void {
    [this.curKey, this.nextKey] = [this.nextKey, this.curKey];
    [this.curStart, this.nextStart] = [this.nextStart, this.curStart];
    [this.curRow, this.nextRow] = [this.nextRow, this.curRow];
  }
}
