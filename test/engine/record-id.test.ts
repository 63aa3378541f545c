import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordId } from '../../src/engine/record-id.js';
import { TextSpan } from '../../src/engine/scan-record.js';
import { DedupStore } from '../../src/engine/state/dedup.js';
import { StringTable } from '../../src/engine/state/string-table.js';

/** Id field values as records hold them: strings (any UTF-16, lone surrogates too), numbers of every kind, null. */
const value = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', '|', 'é', '€', '𝄞', '\ud800', '"'), maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -0, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1e21, 1523232022509, 1.5, -2.25e-7, Number.MAX_VALUE),
  fc.double({ noNaN: true }),
  fc.constant(null),
);
const names = ['a', 'b', 'c'];
const recordArb = fc.tuple(value, value, value).map(([a, b, c]) => ({ a, b, c }) as Record<string, unknown>);
const oldText = (fields: string[], values: Record<string, unknown>) => fields.map((f) => String(values[f])).join('|');

/** The id's bytes as write() gives them into a scratch of `size`, grown to bound() when write() says it may not fit. */
function writeId(id: RecordId, values: Record<string, unknown>, size: number): Buffer {
  let out = new Uint8Array(size);
  let written = id.write(values, out);
  if (written < 0) {
    expect(id.bound(values)).toBeGreaterThan(size);
    out = new Uint8Array(id.bound(values));
    written = id.write(values, out);
  }
  return Buffer.from(out.subarray(0, written));
}

describe('RecordId', () => {
  it("its text is the id fields' String(v) joined by '|', and write() gives that text's UTF-8 bytes, whatever the scratch's size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), recordArb, fc.integer({ min: 0, max: 40 }), (n, values, size) => {
        const fields = names.slice(0, n);
        const id = new RecordId(fields);
        const text = id.text(values);
        expect(text).toBe(oldText(fields, values));
        expect(writeId(id, values, size).equals(Buffer.from(text, 'utf8'))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('the dedup table finds an id written from values as it finds its text, either way round, through adds and removes', () => {
    fc.assert(
      // A few records, each met many times (a lookup of one after another's is where a stale scratch would show).
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.boolean(), fc.boolean(), fc.nat()), { maxLength: 60 }), (pool, steps) => {
        const id = new RecordId(names);
        const t = new StringTable();
        const held = new Map<string, number>();
        for (const [byValues, remove, pick] of steps) {
          const values = pool[pick % pool.length];
          const text = id.text(values);
          const found = byValues ? t.findId(id, values) : t.find(text);
          expect(found, text).toBe(held.get(text) ?? -1);
          if (remove && found >= 0) {
            t.remove(found);
            held.delete(text);
          } else {
            const e = byValues ? t.addId(id, values) : t.add(text);
            if (found >= 0) expect(e).toBe(found);
            held.set(text, e);
            expect(t.text(e)).toBe(Buffer.from(text, 'utf8').toString('utf8'));
          }
        }
        expect(t.size).toBe(held.size);
      }),
      { numRuns: 300 },
    );
  });

  it("a field handed as a span of the record's bytes (TextSpan) is written and shown as the string it spans", () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 });
    // Each field a string, a number or null, and each string either as it is or as a span of it inside other bytes.
    const field = fc.oneof(fc.tuple(printable, fc.boolean(), fc.nat({ max: 5 }), fc.nat({ max: 5 })), fc.integer(), fc.constant(null));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.tuple(field, field, field), fc.integer({ min: 0, max: 40 }), (n, parts, size) => {
        const fields = names.slice(0, n);
        const plain: Record<string, unknown> = {};
        const spanned: Record<string, unknown> = {};
        parts.forEach((p, i) => {
          if (!Array.isArray(p)) return void (plain[names[i]] = spanned[names[i]] = p);
          const [text, asSpan, before, after] = p;
          plain[names[i]] = text;
          const bytes = Buffer.from(`${'{'.repeat(before)}${text}${'"'.repeat(after)}`, 'latin1');
          spanned[names[i]] = asSpan ? new TextSpan(bytes, before, before + text.length) : text;
        });
        const id = new RecordId(fields);
        expect(id.text(spanned)).toBe(id.text(plain));
        expect(writeId(id, spanned, size).equals(writeId(id, plain, size))).toBe(true);
        const t = new StringTable();
        expect(t.findId(id, spanned)).toBe(-1);
        const e = t.addId(id, spanned);
        expect(t.find(id.text(plain))).toBe(e);
        expect(t.findId(id, { ...plain })).toBe(e);
      }),
      { numRuns: 2000 },
    );
  });

  it("a record the validator made and a plain one with the same id text are one id to the dedup store", () => {
    const id = new RecordId(['k', 't']);
    const d = new DedupStore();
    const values = { k: 'D1:0B', t: 1523232022509 };
    d.holdRecord({ key: 'D1:0B', time: 0, values, get id() { return id.text(values); }, ids: id }, 100);
    expect(d.has('D1:0B|1523232022509')).toBe(true);
    expect(d.hasRecord({ key: 'x', time: 0, id: 'D1:0B|1523232022509', values: {} })).toBe(true);
    expect(d.hasRecord({ key: 'x', time: 0, values: { k: 'D1:0B', t: 1523232022508 }, id: '', ids: id })).toBe(false);
    d.drain(100);
    expect(d.hasRecord({ key: 'x', time: 0, values, id: '', ids: id })).toBe(false);
  });
});
