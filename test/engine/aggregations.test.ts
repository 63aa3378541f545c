import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AggregationPlan, ENGINE_AGGREGATIONS } from '../../src/engine/aggregations/index.js';
import { parseScenario } from '../../src/scenario/load.js';
import { AGGREGATION_OPS, type Aggregation } from '../../src/scenario/types.js';
import { ORACLE_AGGREGATIONS } from '../../src/verify/aggregations/index.js';

describe('aggregation registries', () => {
  it('the engine and the oracle each know exactly the aggregations a scenario may name', () => {
    expect(Object.keys(ENGINE_AGGREGATIONS).sort()).toEqual([...AGGREGATION_OPS].sort());
    expect(Object.keys(ORACLE_AGGREGATIONS).sort()).toEqual([...AGGREGATION_OPS].sort());
    for (const op of AGGREGATION_OPS) {
      expect(ENGINE_AGGREGATIONS[op].op).toBe(op);
      expect(ORACLE_AGGREGATIONS[op].op).toBe(op);
    }
  });

  it('a scenario names any of them; another name is refused with the list', () => {
    const base = { name: 'a', key: 'k', event_time: 't', id: ['k', 't'], fields: { k: 'string', t: 'timestamp', v: 'float?' }, window: { tumbling: '1m' }, watermark: '0s' };
    const s = parseScenario({ ...base, aggregations: { n: 'count()', d: 'count_distinct(v)', f: 'first(v)', sd: 'stddev( v )' } }, 'test');
    expect(s.aggregations.map((a) => a.op)).toEqual(['count', 'count_distinct', 'first', 'stddev']);
    expect(() => parseScenario({ ...base, aggregations: { n: 'count()', m: 'median(v)' } }, 'test')).toThrow(/"median\(v\)" is not an aggregation \(count\(\), sum\(f\).*count_distinct\(f\), first\(f\), last\(f\)\)/);
  });
});

/** Values with nulls and repeats, each at an event time (ties on purpose). */
const recordsArb = fc.array(fc.record({ x: fc.option(fc.integer({ min: -20, max: 20 }).map((n) => n / 4), { freq: 5, nil: null }), t: fc.integer({ min: 0, max: 5 }) }), { maxLength: 30 });

describe('panes', () => {
  const aggs: Aggregation[] = AGGREGATION_OPS.map((op) => ({ name: op, op, field: op === 'count' ? undefined : 'v' }));
  const plan = new AggregationPlan(aggs);
  const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));

  it('split into panes in any way and merged, they hold what one pane of every record holds', () => {
    fc.assert(
      fc.property(recordsArb, fc.array(fc.nat(3), { maxLength: 30 }), (records, cut) => {
        const whole = plan.create();
        const panes = [plan.create(), plan.create(), plan.create(), plan.create()];
        records.forEach((r, i) => {
          plan.add(whole, { v: r.x }, r.t);
          plan.add(panes[cut[i] ?? 0], { v: r.x }, r.t);
        });
        const merged = plan.copy(panes[0]);
        for (const p of panes.slice(1)) plan.merge(merged, p);
        const [a, b] = [plan.results(merged), plan.results(whole)];
        for (const op of AGGREGATION_OPS) expect(close(a[op], b[op]), `${op}: ${a[op]} vs ${b[op]}`).toBe(true);
        // ...and survive a checkpoint.
        const back = plan.results(plan.restore(JSON.parse(JSON.stringify(plan.snapshot(merged)))));
        for (const op of AGGREGATION_OPS) expect(back[op]).toBe(a[op]);
      }),
    );
  });

  it("refuses a checkpoint's pane made for other aggregations (one line naming --fresh), never crashes later", () => {
    const without = new AggregationPlan([{ name: 'n', op: 'count' }]);
    const pane = without.snapshot(without.create());
    const withSet = new AggregationPlan([{ name: 'n', op: 'count' }, { name: 'd', op: 'count_distinct', field: 'v' }]);
    expect(() => withSet.restore(pane)).toThrow(/0 sets, the scenario's aggregations 2 and 1.*sat run --fresh/);
  });

  it('computes each function as its definition says', () => {
    const p = plan.create();
    for (const [x, t] of [[2, 5], [4, 1], [null, 0], [4, 9], [-1, 1], [7, 9]] as const) plan.add(p, { v: x }, t);
    const r = plan.results(p);
    const xs = [2, 4, 4, -1, 7];
    const mean = xs.reduce((a, b) => a + b) / xs.length;
    const s2 = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
    expect(r).toMatchObject({ count: 6, sum: 16, avg: mean, min: -1, max: 7, count_distinct: 4, first: -1, last: 7 });
    expect(r.variance).toBeCloseTo(s2, 12);
    expect(r.stddev).toBeCloseTo(Math.sqrt(s2), 12);
    const empty = plan.results(plan.create());
    expect(empty).toMatchObject({ count: 0, sum: null, stddev: null, variance: null, count_distinct: 0, first: null, last: null });
  });
});

describe('compiled add and merge', () => {
  // The aggregations with inline steps, over several fields (a value of another type counts as null).
  const inlined = AGGREGATION_OPS.filter((op) => ENGINE_AGGREGATIONS[op].inline !== undefined);
  const aggs: Aggregation[] = inlined.flatMap((op) => ['a', 'b'].map((f) => ({ name: `${op}_${f}`, op, field: op === 'count' ? undefined : f })));
  const compiled = new AggregationPlan(aggs);
  const called = new AggregationPlan(aggs, false);
  const valueArb = fc.oneof(fc.double(), fc.constant(-0), fc.constant(null), fc.constant('7'), fc.constant(undefined));
  const rowsArb = fc.array(fc.record({ a: valueArb, b: valueArb, pane: fc.nat(2) }), { maxLength: 40 });
  const bits = (v: Float64Array) => [...new Uint8Array(v.buffer)];

  it('count, sum, avg, min and max are among them', () => {
    expect(inlined.sort()).toEqual(['avg', 'count', 'max', 'min', 'sum']);
  });

  it('leave the same bits in the slots as the calls per aggregation, at any offset', () => {
    fc.assert(
      fc.property(rowsArb, fc.nat(3), (rows, at) => {
        const w = compiled.width;
        const [x, y] = [new Float64Array((at + 3) * w), new Float64Array((at + 3) * w)];
        for (const p of [0, 1, 2]) {
          compiled.initAt(x, (at + p) * w);
          called.initAt(y, (at + p) * w);
        }
        for (const r of rows) {
          compiled.addAt(x, (at + r.pane) * w, undefined, r, 0);
          called.addAt(y, (at + r.pane) * w, undefined, r, 0);
        }
        compiled.mergeAt(x, at * w, undefined, x, (at + 1) * w, undefined);
        called.mergeAt(y, at * w, undefined, y, (at + 1) * w, undefined);
        compiled.mergeAt(x, (at + 2) * w, undefined, x, at * w, undefined);
        called.mergeAt(y, (at + 2) * w, undefined, y, at * w, undefined);
        expect(bits(x)).toEqual(bits(y));
      }),
    );
  });

  it('a field name that is not an identifier is read as it is', () => {
    const odd: Aggregation[] = [{ name: 's', op: 'sum', field: 'a"b\\c d' }, { name: 'm', op: 'max', field: '1x' }];
    const p = new AggregationPlan(odd);
    const pane = p.create();
    p.add(pane, { 'a"b\\c d': 2, '1x': 5 }, 0);
    p.add(pane, { 'a"b\\c d': 3, '1x': 'no' }, 0);
    expect(p.results(pane)).toEqual({ s: 5, m: 5 });
  });
});
