import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AggregationPlan } from '../../src/engine/aggregations/index.js';
import { PaneStore } from '../../src/engine/state/panes.js';

// Buckets 0..7 (slide 1, windows of 3), five keys, records in any order: out-of-order ones land in
// buckets older than their key's newest pane, where a chained store finds the pane down the chain.
const record = fc.record({ b: fc.integer({ min: 0, max: 7 }), k: fc.constantFrom('a', 'b', 'c', 'd', 'e'), v: fc.integer({ min: -50, max: 50 }) });
const SIZE = 3;
const aggs = [
  { name: 'n', op: 'count' as const },
  { name: 's', op: 'sum' as const, field: 'v' },
];

type Fired = Map<string, Record<string, number | null>>;

function fireAt(store: PaneStore, plan: AggregationPlan, start: number, active: boolean): Fired {
  const out: Fired = new Map();
  store.fire(start, SIZE, 1, active, (key, v, off, sets) => {
    expect(out.has(key), `key ${key} fired twice by the window at ${start}`).toBe(false);
    out.set(key, plan.resultsAt(v, off, sets));
  });
  return out;
}

/** What a window must emit: per key, the count and sum of its records in the window's buckets. */
function expected(records: { b: number; k: string; v: number }[], start: number, active: boolean): Fired {
  const keys = new Set(records.filter((r) => (active ? r.b === start + SIZE - 1 : r.b >= start && r.b < start + SIZE)).map((r) => r.k));
  const out: Fired = new Map();
  for (const k of keys) {
    const inWindow = records.filter((r) => r.k === k && r.b >= start && r.b < start + SIZE);
    out.set(k, { n: inWindow.length, s: inWindow.reduce((a, r) => a + r.v, 0) });
  }
  return out;
}

describe('PaneStore: one pane per (bucket, key), whatever order records come in', () => {
  it('keeps one pane per (bucket, key) and fires each window as the records say, chained (emit: active) or not, and after a snapshot is loaded back', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 80 }), (records) => {
        const plan = new AggregationPlan(aggs);
        for (const chained of [true, false]) {
          const store = new PaneStore(plan, chained);
          const panes = new Set<string>();
          for (const r of records) {
            store.add(r.b, r.k, { v: r.v }, r.b);
            panes.add(`${r.b}|${r.k}`);
            expect(store.entries).toBe(panes.size);
          }
          const loaded = new PaneStore(plan, chained);
          loaded.load(store.snapshot(), []);
          expect(loaded.entries).toBe(panes.size);
          // Windows fire in order, each dropping the bucket no later window holds (as the operator does).
          for (const s of [store, loaded]) {
            for (let start = 0; start + SIZE <= 8; start++) {
              expect(fireAt(s, plan, start, chained)).toEqual(expected(records, start, chained));
              s.dropBefore(start + 1);
            }
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('finds a key\'s panes down its chain after older buckets are dropped and the key\'s id is reused by another key', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), fc.array(record, { maxLength: 60 }), (first, second) => {
        const plan = new AggregationPlan(aggs);
        const store = new PaneStore(plan, true);
        for (const r of first) store.add(r.b, r.k, { v: r.v }, r.b);
        store.dropBefore(8); // every key released: ids free for reuse
        expect(store.entries).toBe(0);
        const later = second.map((r) => ({ ...r, b: r.b + 8, k: r.k.toUpperCase() }));
        for (const r of later) store.add(r.b, r.k, { v: r.v }, r.b);
        expect(store.entries).toBe(new Set(later.map((r) => `${r.b}|${r.k}`)).size);
        for (let start = 8; start + SIZE <= 16; start++) {
          expect(fireAt(store, plan, start, true)).toEqual(expected(later, start, true));
          store.dropBefore(start + 1);
        }
      }),
      { numRuns: 300 },
    );
  });
});
