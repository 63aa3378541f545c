import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../src/engine/join/key-index.js';
import { createRng } from '../../src/core/rng.js';
import { murmur2 } from '../../src/core/murmur2.js';

describe('KeyIndex: string key → row, off the heap', () => {
  it('agrees with a Map on adds, duplicates, hits and misses (ASCII, non-ASCII, empty and long keys)', () => {
    const r = createRng(7);
    const rng = () => r.next();
    const alphabet = ['a', 'b', 'C', '0', '9', '-', 'é', '€', '😀', 'ß'];
    const randomKey = () => {
      const n = Math.floor(rng() * (rng() < 0.01 ? 400 : 12));
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng() * (rng() < 0.8 ? 5 : alphabet.length))];
      return s;
    };
    const index = new KeyIndex();
    const map = new Map<string, number>();
    for (let i = 0; i < 60_000; i++) {
      const k = rng() < 0.5 ? `C${String(i).padStart(9, '0')}` : randomKey();
      const added = index.add(k);
      expect(added).toBe(!map.has(k));
      if (added) map.set(k, map.size);
    }
    expect(index.size).toBe(map.size);
    for (const [k, r] of map) expect(index.get(k)).toBe(r);
    for (let i = 0; i < 20_000; i++) {
      const k = randomKey() + 'x';
      expect(index.get(k)).toBe(map.get(k));
      expect(index.has(k)).toBe(map.has(k));
    }
    expect([...index.keys()]).toEqual([...map.keys()]);
  });

  it('tells keys apart that share a hash bucket or a prefix', () => {
    const index = new KeyIndex();
    const keys = ['', 'a', 'aa', 'a\u0000', 'ab', 'ba', 'é', 'e\u0301', '\uD83D\uDE00'];
    keys.forEach((k) => expect(index.add(k)).toBe(true));
    keys.forEach((k, r) => expect(index.get(k)).toBe(r));
    expect(index.get('b')).toBeUndefined();
    // Two keys of one length and one murmur2 hash (found by a search): only their bytes tell them apart.
    const enc = new TextEncoder();
    expect(murmur2(enc.encode('K0002r9z'))).toBe(murmur2(enc.encode('K00100ia')));
    expect(index.add('K0002r9z')).toBe(true);
    expect(index.get('K00100ia')).toBeUndefined();
    expect(index.add('K00100ia')).toBe(true);
    expect([index.get('K0002r9z'), index.get('K00100ia')]).toEqual([keys.length, keys.length + 1]);
    expect(index.add('aa')).toBe(false);
    expect(index.size).toBe(keys.length + 2);
  });

  it('rowsOf answers as get() does, key by key, for batches of hits, misses, same-hash keys and long keys', () => {
    const r = createRng(11);
    const index = new KeyIndex();
    const present: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const k = r.next() < 0.02 ? `long-${'x'.repeat(300)}-${i}` : `c${i.toString(36)}${r.next() < 0.1 ? 'é' : ''}`;
      if (index.add(k)) present.push(k);
    }
    // Two keys of one murmur2 hash: the second probes past the first's slot.
    index.add('K0002r9z');
    present.push('K0002r9z', 'K00100ia');
    index.add('K00100ia');
    for (let round = 0; round < 50; round++) {
      const n = Math.floor(r.next() * 3000);
      const keys = Array.from({ length: n }, () => (r.next() < 0.7 ? present[Math.floor(r.next() * present.length)] : `missing-${Math.floor(r.next() * 1e6)}`));
      keys.push('K00100ia', 'K0002r9z');
      const out = new Int32Array(keys.length + 3).fill(-7);
      index.rowsOf(keys, out);
      keys.forEach((k, i) => expect(out[i]).toBe(index.get(k) ?? -1));
      expect([...out.subarray(keys.length)]).toEqual([-7, -7, -7]);
    }
  });
});
