import { partOfKey } from '../../core/partitioned.js';
import type { Shard } from '../../core/workdir.js';
import { customerId } from './customers.js';

/**
 * Which customers belong to a shard, as a bitset (100M customers: 12.5 MB), computed once: the
 * snapshot days and every event of the stream ask it, and hashing an id per event was most of a
 * shard's time (each shard looks at all 432M events of a day to keep its own).
 */
export class ShardMembers {
  readonly #bits: Uint32Array;

  constructor(customers: number, shard: Shard) {
    this.#bits = new Uint32Array(Math.ceil(customers / 32));
    for (let c = 0; c < customers; c++) if (partOfKey(customerId(c), shard.count) === shard.index) this.#bits[c >>> 5] |= 1 << (c & 31);
  }

  has(c: number): boolean {
    return (this.#bits[c >>> 5] & (1 << (c & 31))) !== 0;
  }
}
