import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SideCollector, sideLines, sideText, SIDE_NAMES, type SideName } from '../../src/engine/results/side.js';
import { alertRow, deadLetterRow, lateRow } from '../../src/engine/side-rows.js';
import { Rejected, type ValidRecord } from '../../src/engine/validate.js';
import { parseScenario } from '../../src/scenario/load.js';
import { tempDir } from '../helpers.js';

const text = fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '€', '𝄞', '\u2028'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 40 });
/** A record's bytes: mostly UTF-8 text (as every valid record is), sometimes any bytes at all. */
const recordBytes = fc.oneof({ weight: 4, arbitrary: text.map((s) => new Uint8Array(Buffer.from(s))) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) });
const rowArb = fc.record({
  kind: fc.constantFrom('late', 'dead', 'alert'),
  partition: fc.nat(63),
  offset: fc.nat(1e12),
  key: text,
  id: text,
  time: fc.integer({ min: 0, max: 4e12 }),
  watermark: fc.integer({ min: 0, max: 4e12 }),
  value: recordBytes,
});
type Row = typeof rowArb extends fc.Arbitrary<infer T> ? T : never;

const valid = (x: Row): ValidRecord => ({ key: x.key, id: x.id, time: x.time, values: {} });
const add = (c: SideCollector, x: Row) => {
  if (x.kind === 'late') c.late(x.partition, x.offset, valid(x), x.watermark, x.value);
  else if (x.kind === 'dead') c.deadLetter(x.partition, x.offset, new Rejected('not-json', `not JSON: ${x.key}`), x.value);
  else c.alert(`a${x.key}`, x.partition, x.offset, valid(x));
};
/** The lines as the rows' JSON.stringify makes them (what sat wrote before the results thread did). */
const expected = (rows: Row[], name: SideName) =>
  rows
    .filter((x) => (name === 'late' ? x.kind === 'late' : name === 'deadLetters' ? x.kind === 'dead' : x.kind === 'alert'))
    .map((x) => {
      if (x.kind === 'late') return lateRow(x.partition, x.offset, x.key, x.time, x.id, x.watermark, x.value);
      if (x.kind === 'dead') return deadLetterRow(x.partition, x.offset, 'not-json', `not JSON: ${x.key}`, x.value);
      return alertRow(`a${x.key}`, x.partition, x.offset, x.key, x.id, x.time);
    })
    .map((r) => `${JSON.stringify(r)}\n`)
    .join('');

describe('side outputs (late records, dead letters, alerts) as the results thread writes them', () => {
  it('the lines are byte for byte the rows JSON.stringify makes, escapes, non-ASCII and bytes that are not UTF-8 included', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 30 }), (rows) => {
        const c = new SideCollector();
        rows.forEach((x) => add(c, x));
        const b = c.take();
        if (rows.length === 0) {
          expect(b).toBeUndefined();
          return;
        }
        for (const name of SIDE_NAMES) {
          const want = expected(rows, name);
          expect(Buffer.from(sideLines(b!, name).data).toString('utf8')).toBe(want);
          expect(Buffer.from(sideLines(b!, name).data).equals(Buffer.from(want))).toBe(true);
          expect(sideText(b!, name).text).toBe(want);
        }
        expect(c.counts).toEqual({ late: rows.filter((x) => x.kind === 'late').length, deadLetters: rows.filter((x) => x.kind === 'dead').length, alerts: rows.filter((x) => x.kind === 'alert').length });
      }),
      { numRuns: 300 },
    );
  });

  it("a record's bytes are copied when collected: the buffer it came in may be reused at once", () => {
    const c = new SideCollector();
    const buf = new Uint8Array(Buffer.from('{"a":"x"}'));
    c.late(0, 1, { key: 'k', id: 'i', time: 0, values: {} }, 0, buf);
    buf.fill(0x41);
    expect(Buffer.from(sideLines(c.take()!, 'late').data).toString()).toContain('"value":"{\\"a\\":\\"x\\"}"');
  });

  it('the results sink writes them on its thread: lengths at a checkpoint, and a resume cuts each file back and appends', async () => {
    // The thread runs compiled code: the build's (npm test builds first).
    const built = '../../dist/engine/results/sink.js';
    const { ResultSink } = (await import(built)) as typeof import('../../src/engine/results/sink.js');
    const s = parseScenario({ name: 'r', key: 'k', event_time: 't', id: ['k'], fields: { k: 'string', t: 'timestamp' }, window: { tumbling: '1m' }, watermark: '0s', aggregations: { n: 'count()' } }, 'test');
    const dir = tempDir('sat-side-');
    const paths = { late: join(dir, 'late.jsonl'), deadLetters: join(dir, 'dead-letters.jsonl'), alerts: join(dir, 'alerts.jsonl') };
    const rows = fc.sample(rowArb, { numRuns: 3000, seed: 7 });
    const one = new ResultSink(join(dir, 'results.jsonl'), join(dir, 'results.parquet'), s, undefined, { paths });
    // Past the hand-over size, so several batches go to the thread before the checkpoint.
    for (const x of rows.slice(0, 2500)) {
      add(one.side!, x);
      one.sideAdded();
    }
    const at = await one.states();
    for (const name of SIDE_NAMES) {
      const want = expected(rows.slice(0, 2500), name);
      expect(readFileSync(paths[name], 'utf8')).toBe(want);
      expect(at.side![name]).toEqual({ bytes: Buffer.byteLength(want), count: want.split('\n').length - 1 });
    }
    for (const x of rows.slice(2500, 2800)) add(one.side!, x); // after the checkpoint: written again on resume
    await one.closeAll();
    const two = new ResultSink(join(dir, 'results.jsonl'), join(dir, 'results.parquet'), s, at.results, { paths, resume: at.side });
    for (const x of rows.slice(2500)) add(two.side!, x);
    const end = await two.closeAll();
    for (const name of SIDE_NAMES) {
      const want = expected(rows, name);
      expect(readFileSync(paths[name], 'utf8')).toBe(want);
      expect(end.side![name].count).toBe(want.split('\n').length - 1);
      expect(two.side!.counts[name]).toBe(want.split('\n').length - 1);
    }
  });
});
