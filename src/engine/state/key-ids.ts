/**
 * Keys mapped to dense ids while they hold state, so the window state indexes typed arrays by key
 * and keeps each key's text once. An id is counted per pane holding it and reused once none does,
 * so the map stays the size of the live keys, not of every key ever seen.
 */
export class KeyIds {
  readonly #ids = new Map<string, number>();
  readonly #names: string[] = [];
  #held = new Int32Array(1024);
  readonly #free: number[] = [];

  /** The key's id, assigned when it holds nothing yet. */
  id(key: string): number {
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.#free.pop() ?? this.#names.length;
      if (id === this.#names.length) this.#names.push(key);
      else this.#names[id] = key;
      this.#ids.set(key, id);
      if (id >= this.#held.length) {
        const held = new Int32Array(this.#held.length * 2);
        held.set(this.#held);
        this.#held = held;
      }
    }
    return id;
  }

  name(id: number): string {
    return this.#names[id];
  }

  /** Panes holding the id. */
  held(id: number): number {
    return this.#held[id];
  }

  /** Ids assigned so far (the bound of every id). */
  get capacity(): number {
    return this.#names.length;
  }

  hold(id: number): void {
    this.#held[id]++;
  }

  /** One pane fewer holds the id; with none left the key is forgotten and its id reused. */
  release(id: number): void {
    if (--this.#held[id] > 0) return;
    this.#ids.delete(this.#names[id]);
    this.#free.push(id);
  }
}
