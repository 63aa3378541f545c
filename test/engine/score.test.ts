import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SnapshotStore, latestSnapshotDay } from '../../src/engine/join/snapshot.js';
import { actionFor, clampScore, Scorer } from '../../src/engine/join/scorer.js';
import { FiredResult } from '../../src/engine/operator.js';
import { compile, parseExpression, references, type Expr, type Inputs } from '../../src/scenario/expression.js';
import { createRng } from '../../src/core/rng.js';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import { _test as oracle } from '../../src/verify/score-oracle.js';
import { tempDir } from '../helpers.js';

const inputs = (w: Record<string, number | null>, b: Record<string, number | null> = {}, o: Record<string, number | null> = {}): Inputs => ({
  window: (n) => w[n] ?? null,
  batch: (n) => b[n] ?? null,
  online: (n) => o[n] ?? null,
});
const evaluate = (text: string, x: Inputs) => compile(parseExpression(text))(x);

describe('the score formula language', () => {
  it('follows arithmetic precedence and SQL NULL rules', () => {
    expect(evaluate('1 + 2 * 3 - 4 / 2', inputs({}))).toBe(5);
    expect(evaluate('-2 * -(3 + 1)', inputs({}))).toBe(8);
    expect(evaluate('10 - 2 - 3', inputs({}))).toBe(5); // left-associative
    expect(evaluate('a + batch.t * online.d', inputs({ a: 1 }, { t: 2 }, { d: 3 }))).toBe(7);
    expect(evaluate('a + 1', inputs({ a: null }))).toBeNull();
    expect(evaluate('coalesce(a, b, 4)', inputs({ a: null, b: 2 }))).toBe(2);
    expect(evaluate('least(a, 3, b)', inputs({ a: null, b: 5 }))).toBe(3); // NULLs ignored, as in SQL
    expect(evaluate('greatest(a, b)', inputs({ a: null, b: null }))).toBeNull();
    expect(evaluate('abs(0 - 2.5e1)', inputs({}))).toBe(25);
    expect(evaluate('1 / 0', inputs({}))).toBe(Infinity);
  });

  it('evaluates random formulas as a plain walk of the tree does, NULLs, -0, NaN and Infinity included', () => {
    // The reference: the SQL rules of expression.ts's header, one recursive function.
    const walk = (e: Expr, x: Inputs): number | null => {
      switch (e.kind) {
        case 'num':
          return e.value;
        case 'ref':
          return x[e.source](e.name);
        case 'neg': {
          const a = walk(e.arg, x);
          return a === null ? null : -a;
        }
        case 'bin': {
          const a = walk(e.left, x);
          const b = walk(e.right, x);
          if (a === null || b === null) return null;
          return e.op === '+' ? a + b : e.op === '-' ? a - b : e.op === '*' ? a * b : a / b;
        }
        case 'call': {
          const vs = e.args.map((a) => walk(a, x));
          if (e.fn === 'abs') return vs[0] === null ? null : Math.abs(vs[0]);
          if (e.fn === 'coalesce') return vs.find((v) => v !== null) ?? null;
          const present = vs.filter((v): v is number => v !== null);
          return present.length === 0 ? null : e.fn === 'least' ? Math.min(...present) : Math.max(...present);
        }
      }
    };
    const rng = createRng(20261207);
    const pick = <T,>(xs: readonly T[]): T => rng.pick(xs);
    const leaf = (): string => pick(['0', '2', '0.5', '3e1', 'a', 'b', 'batch.t', 'online.d', 'online.e']);
    const gen = (depth: number): string => {
      if (depth === 0 || rng.next() < 0.25) return leaf();
      const k = Math.floor(rng.next() * 4);
      if (k === 0) return `(${gen(depth - 1)} ${pick(['+', '-', '*', '/'])} ${gen(depth - 1)})`;
      if (k === 1) return `-${gen(depth - 1)}`;
      if (k === 2) return `abs(${gen(depth - 1)})`;
      const n = 1 + Math.floor(rng.next() * 3);
      return `${pick(['coalesce', 'least', 'greatest'])}(${Array.from({ length: n }, () => gen(depth - 1)).join(', ')})`;
    };
    const value = (): number | null => pick([null, 0, -0, 1, -2.5, 7, Infinity, NaN]);
    let nulls = 0;
    for (let i = 0; i < 400; i++) {
      const text = gen(5);
      const e = parseExpression(text);
      const f = compile(e);
      for (let j = 0; j < 8; j++) {
        const x = inputs({ a: value(), b: value() }, { t: value() }, { d: value(), e: value() });
        const want = walk(e, x);
        if (want === null) nulls++;
        const got = f(x);
        if (!Object.is(got, want)) expect({ text, got }).toEqual({ text, got: want });
      }
    }
    expect(nulls).toBeGreaterThan(100); // the NULL paths were taken, not only the arithmetic
  });

  it('lists the names it reads, by source', () => {
    expect(references(parseExpression('a + coalesce(batch.x, online.y) * batch.x'))).toEqual({ window: ['a'], batch: ['x'], online: ['y'] });
  });

  it('rejects anything outside the grammar, naming the problem', () => {
    expect(() => parseExpression('1 +')).toThrow(/end of the formula/);
    expect(() => parseExpression('process.exit(1)')).toThrow(/unknown source "process"/);
    expect(() => parseExpression('eval(1)')).toThrow(/unknown function "eval"/);
    expect(() => parseExpression('a; b')).toThrow(/unexpected ";" at position 2/);
    expect(() => parseExpression('(a + 1')).toThrow(/expected "\)"/);
    expect(() => parseExpression('a b')).toThrow(/unexpected "b" at position 3/);
    expect(() => parseExpression('abs(1, 2)')).toThrow(/one argument/);
  });

  it('clamps to the range and picks the most urgent action', () => {
    expect(clampScore(120, [0, 100])).toBe(100);
    expect(clampScore(-Infinity, [0, 100])).toBe(0);
    expect(clampScore(NaN, [0, 100])).toBeNull();
    const actions = [
      { name: 'call', below: 30 },
      { name: 'mail', below: 45 },
    ];
    expect(actionFor(10, actions)).toBe('call');
    expect(actionFor(30, actions)).toBe('mail');
    expect(actionFor(45, actions)).toBeUndefined();
    expect(actionFor(null, actions)).toBeUndefined();
  });

  it("the oracle's rewrite quotes names and leaves numbers and functions alone", () => {
    expect(oracle.sqlFormula('least(events, 1e3) + batch.f0005 * online.dropped_calls')).toBe('least(e."events", 1e3) + b."f0005" * o."dropped_calls"');
  });
});

describe('scenario score section', () => {
  const base = { name: 't', key: 'k', event_time: 't', id: ['k'], fields: { k: 'string', t: 'timestamp', x: 'float' }, window: { tumbling: '1m' }, watermark: '0s', aggregations: { n: 'count()' } };
  const err = (extra: object) => {
    try {
      parseScenario({ ...base, ...extra }, 't.yaml');
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('validates the formula against the aggregates and the joins', () => {
    expect(err({ score: { formula: 'n * 2' } })).toBe('');
    expect(err({ score: { formula: 'm * 2' } })).toMatch(/score.formula: "m" is not an aggregation/);
    expect(err({ score: { formula: 'batch.f1' } })).toMatch(/join.batch is not set/);
    expect(err({ score: { formula: 'n +' } })).toMatch(/score.formula: unexpected end/);
    expect(err({ score: { formula: 'n' }, actions: { call: 'score > 3' } })).toMatch(/actions.call: "score > 3" is not "score < N"/);
    expect(err({ actions: { call: 'score < 3' } })).toMatch(/actions: need a score section/);
  });

  it('the satisfaction profile loads with a batch and an online join', () => {
    const s = loadScenario('satisfaction');
    expect(s.window.emit).toBe('active');
    expect(s.score?.actions.map((a) => a.name)).toEqual(['retention_call', 'care_followup']);
    expect(oracle.formulaRefs(s.score!.formula)).toEqual(references(s.score!.expr));
  });
});

describe('the snapshot store', () => {
  it('loads the latest day, then a newer one when it appears; a broken newer file keeps the old one', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'customers-2024-06-01.csv'), 'customer_id,score_in,flag\nA,1.5,true\nB,,false\n');
    writeFileSync(join(dir, 'customers-2024-05-31.csv'), 'customer_id,score_in,flag\nA,9,true\n');
    writeFileSync(join(dir, 'other-2024-07-01.csv'), 'customer_id,score_in,flag\nA,9,true\n');
    const logs: string[] = [];
    const store = new SnapshotStore(dir, 'customers', 'customer_id', ['score_in', 'flag'], 0, (l) => logs.push(l));
    const s1 = await store.refresh();
    expect(s1?.day).toBe('2024-06-01');
    expect(s1?.rows).toBe(2);
    expect(s1?.columns.get('score_in')?.[s1.index.get('A')!]).toBe(1.5);
    expect(Number.isNaN(s1?.columns.get('score_in')?.[s1.index.get('B')!])).toBe(true); // empty cell: NULL
    expect(s1?.columns.get('flag')?.[s1.index.get('A')!]).toBe(1);

    writeFileSync(join(dir, 'customers-2024-06-02.jsonl'), '{"customer_id":"A","score_in":2,"flag":false}\n{"customer_id":"A"');
    expect((await store.refresh())?.day).toBe('2024-06-01');
    expect(logs.at(-1)).toMatch(/2024-06-02 not loaded yet/);

    writeFileSync(join(dir, 'customers-2024-06-02.jsonl'), '{"customer_id":"A","score_in":2,"flag":false}\n{"customer_id":"C","score_in":3,"flag":true}\n');
    const s2 = await store.refresh();
    expect(s2?.day).toBe('2024-06-02');
    expect(s2?.index.has('B')).toBe(false);
    expect(latestSnapshotDay(dir, 'customers')?.files[0]).toMatch(/customers-2024-06-02\.jsonl$/);
  });

  it('a column the formula needs but the snapshot lacks is a usage error', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'customers-2024-06-01.csv'), 'customer_id,a\nA,1\n');
    await expect(new SnapshotStore(dir, 'customers', 'customer_id', ['b']).refresh()).rejects.toThrow(/no column "b"/);
  });

  it('reads Parquet snapshots written by sat gen, only the columns asked for', async () => {
    const dir = tempDir();
    const { writeSnapshots } = await import('../../src/gen/satisfaction/customers.js');
    const { files: [file] } = await writeSnapshots({ dir, customers: 500, features: 30, days: 1, seed: 2, format: 'parquet' });
    copyFileSync(file, join(dir, 'customers-2024-06-05.parquet'));
    const s = await new SnapshotStore(dir, 'customers', 'customer_id', ['tenure_months', 'f0005', 'f0030'], 0).refresh();
    expect(s?.day).toBe('2024-06-05');
    expect(s?.rows).toBe(500);
    expect([...s!.columns.keys()]).toEqual(['tenure_months', 'f0005', 'f0030']);
    expect(s!.columns.get('f0005')!.every((v) => v === 0 || v === 1)).toBe(true);
  });
});

describe('the scorer', () => {
  it("joins each result of a group with its own snapshot row (none for a key the snapshot lacks), over windows of several ends", async () => {
    const dir = tempDir();
    const keys = Array.from({ length: 40 }, (_, i) => `c${i}`);
    // Every other key is in the snapshot, in another order than the results come in.
    const present = keys.filter((_, i) => i % 2 === 0).reverse();
    writeFileSync(join(dir, 'customers-2024-06-01.csv'), `customer_id,a,b\n${present.map((k) => `${k},${Number(k.slice(1)) * 10},${k === 'c4' ? '' : Number(k.slice(1)) + 0.5}`).join('\n')}\n`);
    const scenario = parseScenario(
      { name: 't', key: 'k', event_time: 't', id: ['k'], fields: { k: 'string', t: 'timestamp', x: 'float' }, window: { tumbling: '1m' }, watermark: '0s', aggregations: { n: 'count()' }, join: { batch: { files: 'customers', key: 'customer_id' } }, score: { formula: 'n + batch.a - 2 * coalesce(batch.b, 1000)', range: [-1e9, 1e9] } },
      't.yaml',
    );
    const scorer = new Scorer(scenario, new SnapshotStore(dir, 'customers', 'customer_id', Scorer.batchColumns(scenario.score!)), undefined);
    await scorer.start();
    const rows = keys.map((key, i) => ({ windowStart: 0, windowEnd: 60_000 * (1 + (i % 3)), key, values: { n: i } }));
    const { results } = await scorer.score(rows);
    expect(results).toHaveLength(keys.length);
    for (const r of results) {
      const i = Number(r.key.slice(1));
      const inSnapshot = i % 2 === 0;
      const b = !inSnapshot ? 1000 : i === 4 ? 1000 : i + 0.5;
      expect(r.score, r.key).toBe(inSnapshot ? i + i * 10 - 2 * b : null);
      expect(r.missing, r.key).toEqual(inSnapshot ? [] : ['batch']);
    }
  });

  it("keeps a key's snapshot row by its id in the window state, and looks again when the id names another key or a newer snapshot comes", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'customers-2024-06-01.csv'), 'customer_id,a\nc0,10\nc2,30\n');
    const scenario = parseScenario(
      { name: 't', key: 'k', event_time: 't', id: ['k'], fields: { k: 'string', t: 'timestamp', x: 'float' }, window: { tumbling: '1m' }, watermark: '0s', aggregations: { n: 'count()' }, join: { batch: { files: 'customers', key: 'customer_id' } }, score: { formula: 'batch.a', range: [-1e9, 1e9] } },
      't.yaml',
    );
    const scorer = new Scorer(scenario, new SnapshotStore(dir, 'customers', 'customer_id', Scorer.batchColumns(scenario.score!), 0), undefined);
    await scorer.start();
    const fired = (key: string, id: number) => new FiredResult(0, 60_000, key, { n: 1 }, id);
    const scores = async (...rs: FiredResult[]) => (await scorer.score(rs)).results.map((r) => [r.key, r.score]);
    expect(await scores(fired('c0', 0), fired('c1', 1))).toEqual([['c0', 10], ['c1', null]]);
    // Id 1 now names c2 (c1 held no state any more): c2's row, not c1's none.
    expect(await scores(fired('c2', 1), fired('c0', 0))).toEqual([['c2', 30], ['c0', 10]]);
    expect(await scores(fired('c0', 1), fired('c2', 0))).toEqual([['c0', 10], ['c2', 30]]);
    // A newer day, its rows in another order: each key's row there.
    writeFileSync(join(dir, 'customers-2024-06-02.csv'), 'customer_id,a\nc2,31\nc9,0\nc0,11\n');
    expect(await scores(fired('c0', 1), fired('c2', 0), fired('c1', 2))).toEqual([['c0', 11], ['c2', 31], ['c1', null]]);
  });
});
