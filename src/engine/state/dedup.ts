import { decodeStrings, stringList, type StringColumn, type StringList } from '../checkpoint/strings.js';
import { insertSorted } from './panes.js';

/** Ids held until the watermark reaches their close, as columns: count[i] ids (in order) close at close[i]. */
export interface DedupColumns {
  close: Float64Array;
  count: Uint32Array;
  /** A list when taken, the encoded column when read back from a file. */
  ids: StringColumn | StringList;
}

/**
 * Dedup state: the natural ids held, each until the watermark reaches the close of the window that
 * kept it. Close times are kept in ascending order and drained from the front as the watermark
 * moves (no scan of every entry per record). Ids only ever join a close time's list, so a changelog
 * is the ids appended since the last one.
 */
export class DedupStore {
  readonly #seen = new Set<string>();
  readonly #byClose = new Map<number, string[]>();
  /** The keys of #byClose, ascending (they arrive almost in order, so inserting is cheap). */
  readonly #order: number[] = [];
  /** How many ids of each close time the last snapshot or changelog already holds. */
  readonly #saved = new Map<number, number>();

  has(id: string): boolean {
    return this.#seen.has(id);
  }

  hold(id: string, close: number): void {
    this.#seen.add(id);
    const ids = this.#byClose.get(close);
    if (ids) ids.push(id);
    else {
      this.#byClose.set(close, [id]);
      insertSorted(this.#order, close);
    }
  }

  /** Forgets the ids whose close the watermark has reached. */
  drain(watermark: number): void {
    const order = this.#order;
    let n = 0;
    while (n < order.length && order[n] <= watermark) {
      for (const id of this.#byClose.get(order[n])!) this.#seen.delete(id);
      this.#byClose.delete(order[n]);
      this.#saved.delete(order[n]);
      n++;
    }
    if (n > 0) order.splice(0, n);
  }

  snapshot(): DedupColumns {
    return this.#columns(() => 0);
  }

  /** The ids held since the last snapshot or changelog, by close time. */
  changes(): DedupColumns {
    return this.#columns((close) => this.#saved.get(close) ?? 0);
  }

  /** Each close time's ids from `savedOf(close)` on; what is saved is then all of them. */
  #columns(savedOf: (close: number) => number): DedupColumns {
    const closes: number[] = [];
    const counts: number[] = [];
    const ids: string[] = [];
    for (const close of this.#order) {
      const held = this.#byClose.get(close)!;
      const saved = savedOf(close);
      if (held.length > saved) {
        closes.push(close);
        counts.push(held.length - saved);
        for (let i = saved; i < held.length; i++) ids.push(held[i]);
      }
      this.#saved.set(close, held.length);
    }
    return { close: Float64Array.from(closes), count: Uint32Array.from(counts), ids: stringList(ids) };
  }

  /** Adds entries (a snapshot's, then each changelog's in order). */
  load(c: DedupColumns): void {
    const ids = decodeStrings(c.ids);
    let at = 0;
    for (let i = 0; i < c.close.length; i++) {
      for (let j = 0; j < c.count[i]; j++) this.hold(ids[at++], c.close[i]);
      this.#saved.set(c.close[i], this.#byClose.get(c.close[i])!.length);
    }
  }
}
