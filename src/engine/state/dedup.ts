import { insertSorted } from './panes.js';

/** [close, ids]: ids held until the watermark reaches close (infinities as ±1e308 in JSON). */
export type DedupEntry = [number, string[]];

const toJson = (x: number) => (Number.isFinite(x) ? x : x > 0 ? 1e308 : -1e308);
const fromJson = (x: number) => (x >= 1e308 ? Infinity : x <= -1e308 ? -Infinity : x);

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

  snapshot(): DedupEntry[] {
    const out: DedupEntry[] = [];
    for (const close of this.#order) {
      const ids = this.#byClose.get(close)!;
      out.push([toJson(close), [...ids]]);
      this.#saved.set(close, ids.length);
    }
    return out;
  }

  /** The ids held since the last snapshot or changelog, by close time. */
  changes(): DedupEntry[] {
    const out: DedupEntry[] = [];
    for (const close of this.#order) {
      const ids = this.#byClose.get(close)!;
      const saved = this.#saved.get(close) ?? 0;
      if (ids.length > saved) out.push([toJson(close), ids.slice(saved)]);
      this.#saved.set(close, ids.length);
    }
    return out;
  }

  /** Adds entries (a snapshot's, then each changelog's in order). */
  load(entries: DedupEntry[]): void {
    for (const [close, ids] of entries) for (const id of ids) this.hold(id, fromJson(close));
    for (const [close] of entries) this.#saved.set(fromJson(close), this.#byClose.get(fromJson(close))!.length);
  }
}
