import type { StringColumn } from '../checkpoint/strings.js';
import { StringTable } from './string-table.js';
import { insertSorted } from './panes.js';

/** Ids held until the watermark reaches their close, as columns: count[i] ids (in order) close at close[i]. */
export interface DedupColumns {
  close: Float64Array;
  count: Uint32Array;
  ids: StringColumn;
}

/**
 * Dedup state: the natural ids held, each until the watermark reaches the close of the window that
 * kept it. The ids live as UTF-8 bytes in a StringTable (about 40 bytes an id instead of a
 * Set<string>'s ~70, and a lookup of one probe). Close times are kept in ascending order and drained
 * from the front as the watermark moves (no scan of every entry per record). Ids only ever join a
 * close time's list, so a changelog is the ids appended since the last one, copied as bytes.
 */
export class DedupStore {
  readonly #ids = new StringTable();
  /** Per close time, the table entries of its ids in the order they came. */
  readonly #byClose = new Map<number, number[]>();
  /** The keys of #byClose, ascending (they arrive almost in order, so inserting is cheap). */
  readonly #order: number[] = [];
  /** How many ids of each close time the last snapshot or changelog already holds. */
  readonly #saved = new Map<number, number>();
  /**
   * Per entry, the close it is held until. A restore can meet an id twice (in a snapshot under a
   * close since drained, then in a changelog held again under a later one): the later wins, and the
   * earlier list's reference is skipped when it drains.
   */
  #closeOf = new Float64Array(256);

  has(id: string): boolean {
    return this.#ids.find(id) >= 0;
  }

  /** Holds an id (not held yet: has() said so) until the watermark reaches `close`. */
  hold(id: string, close: number): void {
    this.#keep(this.#ids.add(id), close);
  }

  #keep(e: number, close: number): void {
    if (e >= this.#closeOf.length) {
      const grown = new Float64Array(Math.max(e + 1, this.#closeOf.length * 2));
      grown.set(this.#closeOf);
      this.#closeOf = grown;
    }
    this.#closeOf[e] = close;
    this.#list(close).push(e);
  }

  get size(): number {
    return this.#ids.size;
  }

  #list(close: number): number[] {
    let list = this.#byClose.get(close);
    if (list === undefined) {
      this.#byClose.set(close, (list = []));
      insertSorted(this.#order, close);
    }
    return list;
  }

  /** Forgets the ids whose close the watermark has reached. */
  drain(watermark: number): void {
    const order = this.#order;
    let n = 0;
    while (n < order.length && order[n] <= watermark) {
      const close = order[n];
      for (const e of this.#byClose.get(close)!) {
        if (this.#closeOf[e] !== close) continue; // held again under a later close (a restore's)
        this.#closeOf[e] = NaN;
        this.#ids.remove(e);
      }
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
    const entries: number[] = [];
    for (const close of this.#order) {
      const held = this.#byClose.get(close)!;
      const saved = savedOf(close);
      const before = entries.length;
      for (let i = saved; i < held.length; i++) if (this.#closeOf[held[i]] === close) entries.push(held[i]);
      if (entries.length > before) {
        closes.push(close);
        counts.push(entries.length - before);
      }
      this.#saved.set(close, held.length);
    }
    return { close: Float64Array.from(closes), count: Uint32Array.from(counts), ids: this.#ids.column(entries) };
  }

  /** Adds entries (a snapshot's, then each changelog's in order). */
  load(c: DedupColumns): void {
    let at = 0;
    const ids = c.ids;
    for (let i = 0; i < c.close.length; i++) {
      const close = c.close[i];
      for (let j = 0; j < c.count[i]; j++, at++) {
        this.#keep(this.#ids.addBytes(ids.bytes, at === 0 ? 0 : ids.ends[at - 1], ids.ends[at]), close);
      }
      this.#saved.set(close, this.#list(close).length);
    }
  }
}
