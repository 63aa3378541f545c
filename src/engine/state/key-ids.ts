import { StringTable } from './string-table.js';

/**
 * Keys mapped to dense ids while they hold state, so the window state indexes typed arrays by key
 * and keeps each key's text once. An id is counted per pane holding it and reused once none does,
 * so the map stays the size of the live keys, not of every key ever seen. The ids are a
 * StringTable's entries, which hold each key's UTF-8 bytes: a checkpoint copies them from there,
 * reading no string. Lookups go through a Map (V8 hashes a string once, natively, and keeps the
 * hash; re-hashing every record's key in JS costs more on a small set of hot keys).
 */
export class KeyIds {
  readonly #ids = new Map<string, number>();
  readonly #table = new StringTable();
  /** The key's text by id, for results (decoded once, not per result). */
  readonly #names: (string | undefined)[] = [];
  #held = new Int32Array(1024);

  /** The key's id, assigned when it holds nothing yet. */
  id(key: string): number {
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.#table.add(key);
      this.#ids.set(key, id);
      this.#names[id] = key;
      if (id >= this.#held.length) {
        const held = new Int32Array(Math.max(id + 1, this.#held.length * 2));
        held.set(this.#held);
        this.#held = held;
      }
    }
    return id;
  }

  name(id: number): string {
    return this.#names[id]!;
  }

  /** Panes holding the id. */
  held(id: number): number {
    return this.#held[id];
  }

  /** Ids assigned so far (the bound of every id). */
  get capacity(): number {
    return this.#table.capacity;
  }

  hold(id: number): void {
    this.#held[id]++;
  }

  /** One pane fewer holds the id; with none left the key is forgotten and its id reused. */
  release(id: number): void {
    if (--this.#held[id] > 0) return;
    this.#ids.delete(this.#names[id]!);
    this.#table.remove(id);
    this.#names[id] = undefined;
  }

  /** The ids' keys as a checkpoint's column (UTF-8 bytes and where each ends). */
  column(ids: ArrayLike<number>): { bytes: Uint8Array; ends: Uint32Array } {
    return this.#table.column(ids);
  }
}
