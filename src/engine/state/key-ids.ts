import { StringTable } from './string-table.js';

/** A key as bytes of a record (the byte scanner's TextSpan): looked up with no string made. */
export interface KeyBytes {
  readonly bytes: Uint8Array;
  readonly from: number;
  readonly to: number;
  /** Its text, made once the key is new. */
  text(): string;
}

/** Live keys up to which lookups go through a Map as well (see KeyIds). */
const SMALL = 4096;

/**
 * Keys mapped to dense ids while they hold state, so the window state indexes typed arrays by key
 * and keeps each key's text once. An id is counted per pane holding it and reused once none does,
 * so the table stays the size of the live keys, not of every key ever seen. The ids are a
 * StringTable's entries, which hold each key's UTF-8 bytes: a checkpoint copies them from there,
 * reading no string. While few keys are live (a few sensors), lookups go through a Map too: V8
 * hashes a string natively and the map stays in cache; past SMALL keys the table alone answers, in
 * a probe where a Map of 50k keys costs several cache misses (measured: 17% of the operator's time
 * on the reviews shape, and 37% more on IoT's two keys without the Map).
 */
export class KeyIds {
  readonly #table = new StringTable();
  #small: Map<string, number> | undefined = new Map();
  /** The key's text by id, for results (decoded once, not per result). */
  readonly #names: (string | undefined)[] = [];
  #held = new Int32Array(1024);
  /**
   * Per id, the id its key goes by in the checkpoints since the last full one (-1: none has named
   * it yet), and the next such id. A full checkpoint numbers its keys from 0; a changelog names only
   * the keys none before it named, so it does not copy the text of every key it touches.
   */
  #cp = new Int32Array(1024).fill(-1);
  #nextCp = 0;

  /**
   * The key's id, assigned when it holds nothing yet. A key as bytes (a record's, plain ASCII: its
   * UTF-8 is its bytes) is found in the table by them, and its string made only when it is new: a
   * string a record, encoded again for the lookup, was ~8% of the engine's thread on reviews'
   * product ids, most of them held already.
   */
  id(key: string | KeyBytes): number {
    const small = this.#small;
    let id: number;
    let name: string;
    if (typeof key !== 'string') {
      id = this.#table.findBytes(key.bytes, key.from, key.to);
      if (id >= 0) return id;
      // New: added by its bytes (no second lookup), named by its text.
      id = this.#table.addNewBytes(key.bytes, key.from, key.to);
      name = key.text();
      small?.set(name, id);
    } else if (small !== undefined) {
      const found = small.get(key);
      if (found !== undefined) return found;
      id = this.#table.add(key);
      small.set((name = key), id);
    } else {
      id = this.#table.find(key);
      if (id >= 0) return id;
      id = this.#table.add((name = key));
    }
    if (small !== undefined && small.size > SMALL) this.#small = undefined;
    this.#names[id] = name;
    if (id >= this.#held.length) {
      const held = new Int32Array(Math.max(id + 1, this.#held.length * 2));
      held.set(this.#held);
      this.#held = held;
      const cp = new Int32Array(held.length).fill(-1);
      cp.set(this.#cp);
      this.#cp = cp;
    }
    return id;
  }

  name(id: number): string {
    return this.#names[id]!;
  }

  /** Ids assigned so far (the bound of every id). */
  get capacity(): number {
    return this.#table.capacity;
  }

  hold(id: number): void {
    this.#held[id]++;
  }

  /** One pane fewer holds the id; with none left the key is forgotten and its id reused (answers true). */
  release(id: number): boolean {
    if (--this.#held[id] > 0) return false;
    this.#small?.delete(this.#names[id]!);
    this.#table.remove(id);
    this.#names[id] = undefined;
    this.#cp[id] = -1; // the id may name another key next
    return true;
  }

  /** No key is named (by `checkpointIds`) any more; the next named goes by `next`. */
  forgetCheckpointIds(next = this.#nextCp): void {
    this.#cp.fill(-1);
    this.#nextCp = next;
  }

  /** The id the next key named will go by. */
  get nextCheckpointId(): number {
    return this.#nextCp;
  }

  /**
   * The ids a checkpoint names the keys of keyOf[from, to) by, written to out from `at` on; a key not
   * named since the last full checkpoint is given the next and pushed to `named`. One loop for a run
   * of rows, not a call per row: a run's first checkpoints are built before the JIT has warmed up.
   */
  checkpointIds(keyOf: Int32Array, from: number, to: number, out: Uint32Array, at: number, named: number[]): void {
    const cp = this.#cp;
    let next = this.#nextCp;
    for (let r = from; r < to; r++, at++) {
      const id = keyOf[r];
      let c = cp[id];
      if (c < 0) {
        c = cp[id] = next++;
        named.push(id);
      }
      out[at] = c;
    }
    this.#nextCp = next;
  }

  /** The ids' keys as a checkpoint's column (UTF-8 bytes and where each ends). */
  column(ids: ArrayLike<number>): { bytes: Uint8Array; ends: Uint32Array } {
    return this.#table.column(ids);
  }
}
