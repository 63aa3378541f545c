import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStrings, encodeStrings } from '../../src/engine/checkpoint/strings.js';
import { DedupStore } from '../../src/engine/state/dedup.js';
import { KeyIds } from '../../src/engine/state/key-ids.js';
import { RecordId } from '../../src/engine/record-id.js';
import { RowIndex } from '../../src/engine/state/row-index.js';
import { StringTable } from '../../src/engine/state/string-table.js';
import { createRng } from '../../src/core/rng.js';

// Few distinct characters and short strings, so the same strings come back often; some not ASCII.
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é', '€', '𝄞', '|'), maxLength: 6 });
const op = fc.oneof(
  fc.record({ add: text }),
  fc.record({ find: text }),
  fc.record({ remove: fc.nat() }),
  fc.record({ addBytes: text }),
);

describe('StringTable: a set of strings as UTF-8 bytes behind an open-addressing table', () => {
  it('answers as a Map<string, entry> does, through adds, removals (backward shifts), reuse of entries and compaction', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const t = new StringTable();
        const model = new Map<string, number>();
        for (const o of ops) {
          if ('add' in o) {
            const e = t.add(o.add);
            if (model.has(o.add)) expect(e).toBe(model.get(o.add));
            else {
              expect([...model.values()]).not.toContain(e);
              model.set(o.add, e);
            }
          } else if ('addBytes' in o) {
            const bytes = Buffer.concat([Buffer.from('xx'), Buffer.from(o.addBytes), Buffer.from('y')]);
            const e = t.addBytes(bytes, 2, bytes.length - 1);
            if (model.has(o.addBytes)) expect(e).toBe(model.get(o.addBytes));
            else model.set(o.addBytes, e);
          } else if ('find' in o) {
            expect(t.find(o.find)).toBe(model.get(o.find) ?? -1);
          } else if (model.size > 0) {
            const [s, e] = [...model][o.remove % model.size];
            t.remove(e);
            model.delete(s);
          }
          expect(t.size).toBe(model.size);
        }
        for (const [s, e] of model) {
          expect(t.find(s)).toBe(e);
          expect(t.text(e)).toBe(s);
        }
        const entries = [...model.values()];
        const col = t.column(entries);
        expect(decodeStrings(col)).toEqual([...model.keys()]);
        expect(Buffer.from(col.bytes)).toEqual(Buffer.from(encodeStrings([...model.keys()]).bytes));
        // Out of pool order too (runs of neighbouring entries are copied at once, the rest one by one).
        const reversed = entries.slice().reverse();
        expect(decodeStrings(t.column(reversed))).toEqual(reversed.map((e) => t.text(e)));
        const someTwice = entries.filter((_, i) => i % 3 !== 1).concat(entries.slice(0, 2));
        expect(decodeStrings(t.column(someTwice))).toEqual(someTwice.map((e) => t.text(e)));
      }),
      { numRuns: 300 },
    );
  });

  it('finds every string it holds after the pool is compacted (the removed strings\' bytes dropped, the rest moved)', () => {
    const t = new StringTable();
    const held = new Map<string, number>();
    const name = (i: number) => `customer-${i}-${'x'.repeat(i % 13)}`;
    for (let i = 0; i < 10_000; i++) held.set(name(i), t.add(name(i)));
    for (let i = 0; i < 10_000; i += 2) {
      t.remove(held.get(name(i))!);
      held.delete(name(i));
    }
    // New strings until the pool is full and compacted, fewer than would make the table grow.
    for (let i = 10_000; i < 15_000; i++) held.set(name(i), t.add(name(i)));
    for (const [s, e] of held) expect(t.find(s), s).toBe(e);
    for (let i = 0; i < 10_000; i += 2) expect(t.find(name(i))).toBe(-1);
  });

  it('finds and adds record ids from one values object written over record after record (the validator reuses one), as a Set of the ids does', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ a: text, b: fc.integer({ min: -3, max: 3 }), find: fc.boolean(), add: fc.boolean() }), { maxLength: 300 }), (records) => {
        const t = new StringTable();
        const ids = new RecordId(['a', 'b']);
        const values: Record<string, unknown> = { a: '', b: 0 };
        const model = new Map<string, number>();
        for (const r of records) {
          values.a = r.a;
          values.b = r.b;
          const text = ids.text(values);
          // The engine finds a record's id and then holds it, saying so (a duplicate only finds it);
          // an add without the find, or a find after a find, must not take the last record's answer.
          const found = r.find || !r.add;
          if (found) expect(t.findId(ids, values)).toBe(model.get(text) ?? -1);
          if (!r.add) continue;
          const e = t.addId(ids, values, found);
          if (model.has(text)) expect(e).toBe(model.get(text));
          else {
            expect([...model.values()]).not.toContain(e);
            model.set(text, e);
          }
        }
      }),
    );
  });

  it('holds a million ids, with many removed and added again (compaction and growth), and finds each', () => {
    const t = new StringTable();
    const entry = new Map<string, number>();
    for (let i = 0; i < 1_000_000; i++) entry.set(`R${i.toString(36).padStart(12, '0')}`, t.add(`R${i.toString(36).padStart(12, '0')}`));
    for (let i = 0; i < 1_000_000; i += 2) t.remove(entry.get(`R${i.toString(36).padStart(12, '0')}`)!);
    for (let i = 0; i < 1_000_000; i += 4) entry.set(`R${i.toString(36).padStart(12, '0')}`, t.add(`R${i.toString(36).padStart(12, '0')}`));
    expect(t.size).toBe(750_000);
    const held = [...entry.entries()].filter(([s, e]) => t.find(s) === e);
    expect(decodeStrings(t.column(held.map(([, e]) => e)))).toEqual(held.map(([s]) => s));
    for (let i = 0; i < 1_000_000; i++) {
      const s = `R${i.toString(36).padStart(12, '0')}`;
      expect(t.find(s)).toBe(i % 2 === 1 || i % 4 === 0 ? entry.get(s) : -1);
    }
  });
});

describe('DedupStore on the table', () => {
  it('holds ids until the watermark passes their close, as a Set with close times does; snapshot + changelogs load back to the same', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.integer({ min: 0, max: 40 }), close: fc.integer({ min: 0, max: 20 }), wm: fc.integer({ min: -1, max: 20 }), cut: fc.boolean() }), { maxLength: 300 }),
        (steps) => {
          const d = new DedupStore();
          const held = new Map<string, number>();
          let restored = new DedupStore();
          restored.load(d.snapshot());
          let watermark = -1;
          for (const s of steps) {
            const id = `id${s.id}é`;
            expect(d.has(id)).toBe(held.has(id));
            // As the operator does: an id is held (once) when has() says it is not, at a close after the watermark.
            if (!held.has(id) && s.close > watermark) {
              d.hold(id, s.close);
              held.set(id, s.close);
            }
            if (s.wm > watermark) {
              watermark = s.wm;
              d.drain(watermark);
              for (const [k, c] of held) if (c <= watermark) held.delete(k);
            }
            if (s.cut) {
              // Every few steps a changelog onto the restored copy, sometimes a whole new snapshot.
              // As WindowOperator.restore does: drained to the watermark a changelog was taken at, then loaded.
              if (s.id % 5 === 0) {
                restored = new DedupStore();
                restored.load(d.snapshot());
              } else {
                restored.drain(watermark);
                restored.load(d.changes());
              }
              for (let i = 0; i <= 40; i++) expect(restored.has(`id${i}é`)).toBe(held.has(`id${i}é`));
            }
          }
          expect(d.size).toBe(held.size);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('RowIndex: key id to row within a bucket', () => {
  it('answers as a Map<number, number> does, through growth and trimming', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.record({ id: fc.integer({ min: 0, max: 5000 }) }), fc.constant('trim' as const)), { maxLength: 400 }), (ops) => {
        const idx = new RowIndex();
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o === 'trim') idx.trim();
          else if (!model.has(o.id)) {
            expect(idx.get(o.id)).toBe(-1);
            idx.set(o.id, model.size);
            model.set(o.id, model.size);
          }
        }
        for (let id = 0; id <= 5000; id++) expect(idx.get(id)).toBe(model.get(id) ?? -1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('KeyIds: a few keys through a Map, many through the table alone', () => {
  it('gives each live key one id, its name back and its bytes, across the switch at 4,096 keys, releases and reuse', () => {
    const ids = new KeyIds();
    const live = new Map<string, number>();
    const key = (i: number) => `k${i}${i % 7 === 0 ? 'é' : ''}`;
    const check = () => {
      for (const [k, id] of live) {
        expect(ids.id(k)).toBe(id);
        expect(ids.name(id)).toBe(k);
      }
      expect(new Set(live.values()).size).toBe(live.size);
      const some = [...live.entries()].slice(0, 50);
      expect(decodeStrings(ids.column(some.map(([, id]) => id)))).toEqual(some.map(([k]) => k));
    };
    for (let i = 0; i < 3000; i++) {
      live.set(key(i), ids.id(key(i)));
      ids.hold(live.get(key(i))!);
    }
    check();
    // Release a third, then add past the switch: freed ids are handed out again.
    for (let i = 0; i < 3000; i += 3) {
      ids.release(live.get(key(i))!);
      live.delete(key(i));
    }
    for (let i = 3000; i < 9000; i++) {
      live.set(key(i), ids.id(key(i)));
      ids.hold(live.get(key(i))!);
    }
    check();
    expect(ids.capacity).toBeLessThan(9000);
    for (let i = 1; i < 3000; i += 3) {
      ids.release(live.get(key(i))!);
      live.delete(key(i));
    }
    for (let i = 0; i < 3000; i += 3) live.set(key(i), ids.id(key(i)));
    check();
  });

  it('finds a key given as a record\'s bytes as its string would, making its text only when it is new', () => {
    // One table fed strings, one fed the same keys as spans of a record's bytes or as strings at
    // random: the same ids either way, before and after the switch, with releases and reuse.
    const byText = new KeyIds();
    const mixed = new KeyIds();
    const rng = createRng(7);
    const rand = () => rng.next();
    let texts = 0;
    const span = (k: string) => {
      const bytes = new Uint8Array(Buffer.from(`{"k":"${k}","x":1}`));
      return { bytes, from: 6, to: 6 + k.length, text: () => (texts++, k) };
    };
    const held = new Map<string, number>();
    let added = 0;
    for (let i = 0; i < 30_000; i++) {
      const k = `B0${Math.floor(rand() * 9000).toString(36)}`;
      const want = byText.id(k);
      const isNew = !held.has(k);
      const before = texts;
      const viaBytes = rand() < 0.7;
      const got = viaBytes ? mixed.id(span(k)) : mixed.id(k);
      expect(got, k).toBe(want);
      expect(texts - before, `${k}: its text made only when new`).toBe(viaBytes && isNew ? 1 : 0);
      if (isNew) {
        byText.hold(want);
        mixed.hold(want);
        held.set(k, want);
        added++;
      }
      expect(mixed.name(got)).toBe(k);
      // Now and then a key is released in both: its id may go to another key next.
      if (rand() < 0.2) {
        const [old, id] = held.entries().next().value as [string, number];
        byText.release(id);
        mixed.release(id);
        held.delete(old);
      }
    }
    expect(added).toBeGreaterThan(5000); // past the switch at 4,096
    expect(texts).toBeGreaterThan(1000);
  });
});
