import type { StringColumn } from '../checkpoint/strings.js';
import { StringTable } from './string-table.js';
import { insertSorted } from '../../core/arrays.js';
import type { ValidRecord } from '../validate.js';

/** Ids held until the watermark reaches their close, as columns: count[i] ids (in order) close at close[i]. */
export interface DedupColumns {
  close: Float64Array;
  count: Uint32Array;
  ids: StringColumn;
}

/**
 * Dedup state: the natural ids held, each until the watermark reaches the close of the window that
 * kept it. The ids live as UTF-8 bytes in a StringTable (some 45–60 bytes an id instead of a
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
  /** The list #list() answered last, for its close time (forgotten when drained). */
  #lastClose = NaN;
  #lastList: number[] | undefined;
  /** How many ids of each close time the last snapshot or changelog already holds. */
  readonly #saved = new Map<number, number>();

  has(id: string): boolean {
    return this.#ids.find(id) >= 0;
  }

  /** has() of a record's id: from its values' bytes where the validator made it (no id text). */
  hasRecord(r: ValidRecord): boolean {
    return r.ids === undefined ? this.has(r.id) : this.#ids.findId(r.ids, r.values) >= 0;
  }

  /** hold() of a record's id, likewise, right after hasRecord(r) answered false (its lookup is reused). */
  holdRecord(r: ValidRecord, close: number): void {
    if (r.ids === undefined) return this.hold(r.id, close);
    const size = this.#ids.size;
    this.#listed(size, this.#ids.addId(r.ids, r.values, true), close);
  }

  /** Holds an id until the watermark reaches `close` (an id already held stays as it is: has() is asked first). */
  hold(id: string, close: number): void {
    const size = this.#ids.size;
    this.#listed(size, this.#ids.add(id), close);
  }

  /** Entry e under its close time, if adding it grew the table from `size` (an id held already stays where it is). */
  #listed(size: number, e: number, close: number): void {
    if (this.#ids.size > size) this.#list(close).push(e);
  }

  get size(): number {
    return this.#ids.size;
  }

  /** The earliest close time an id is held to (Infinity: none held). */
  get firstClose(): number {
    return this.#order.length > 0 ? this.#order[0] : Infinity;
  }

  #list(close: number): number[] {
    // Records come mostly in time order: the last close time's list again, without a lookup.
    if (close === this.#lastClose && this.#lastList !== undefined) return this.#lastList;
    this.#lastClose = close;
    let list = this.#byClose.get(close);
    if (list === undefined) {
      this.#byClose.set(close, (list = []));
      insertSorted(this.#order, close);
    }
    return (this.#lastList = list);
  }

  /** Forgets the ids whose close the watermark has reached. */
  drain(watermark: number): void {
    const order = this.#order;
    let n = 0;
    while (n < order.length && order[n] <= watermark) {
      for (const e of this.#byClose.get(order[n])!) this.#ids.remove(e);
      this.#byClose.delete(order[n]);
      if (order[n] === this.#lastClose) this.#lastList = undefined;
      this.#saved.delete(order[n]);
      n++;
    }
    if (n > 0) order.splice(0, n);
  }

  snapshot(): DedupColumns {
    return this.#columns(false);
  }

  /** The ids held since the last snapshot or changelog, by close time. */
  changes(): DedupColumns {
    return this.#columns(true);
  }

  /**
   * Each close time's ids (only those after what is saved, for a changelog); what is saved is then
   * all of them. Counted first, then copied into typed arrays: tens of thousands of ids a checkpoint.
   */
  #columns(changelog: boolean): DedupColumns {
    const order = this.#order;
    const lists: number[][] = new Array(order.length);
    const from = new Uint32Array(order.length);
    let total = 0;
    let closes = 0;
    for (let c = 0; c < order.length; c++) {
      const held = (lists[c] = this.#byClose.get(order[c])!);
      const saved = changelog ? (this.#saved.get(order[c]) ?? 0) : 0;
      from[c] = saved;
      if (held.length > saved) closes++;
      total += held.length - saved;
      this.#saved.set(order[c], held.length);
    }
    const close = new Float64Array(closes);
    const count = new Uint32Array(closes);
    const entries = new Uint32Array(total);
    for (let c = 0, k = 0, at = 0; c < order.length; c++) {
      const held = lists[c];
      if (held.length === from[c]) continue;
      close[k] = order[c];
      count[k++] = held.length - from[c];
      for (let i = from[c]; i < held.length; i++) entries[at++] = held[i];
    }
    return { close, count, ids: this.#ids.column(entries) };
  }

  /**
   * Adds entries (a snapshot's, then each changelog's in order, each after draining to the watermark
   * it was taken at, as WindowOperator.restore does: an id then appears once). An id already held is
   * left where it is, so no entry is ever in two lists.
   */
  load(c: DedupColumns): void {
    const ids = c.ids;
    let at = 0;
    for (let i = 0; i < c.close.length; i++) {
      const close = c.close[i];
      const list = this.#list(close);
      for (let j = 0; j < c.count[i]; j++, at++) {
        const size = this.#ids.size;
        const e = this.#ids.addBytes(ids.bytes, at === 0 ? 0 : ids.ends[at - 1], ids.ends[at]);
        if (this.#ids.size > size) list.push(e);
      }
      this.#saved.set(close, list.length);
    }
  }
}
