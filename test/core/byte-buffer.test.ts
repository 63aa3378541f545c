import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bytes } from '../../src/core/byte-buffer.js';

/** What a write left in a small buffer (growing is exercised too), after a prefix already there. */
function written(write: (b: Bytes) => void): string {
  const b = new Bytes(4);
  b.text('>');
  write(b);
  return b.view().toString('utf8').slice(1);
}

/** The text as its UTF-8 bytes read back (a lone surrogate becomes U+FFFD both ways). */
const roundTrip = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

describe('Bytes, the text writers', () => {
  it('text() writes any text as UTF-8', () => {
    for (const s of ['', 'plain', 'é', 'a€b', '😀', 'x'.repeat(300) + 'ü']) expect(written((b) => b.text(s))).toBe(s);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(written((b) => b.text(s))).toBe(roundTrip(s));
      }),
    );
  });

  it("jsonString() writes JSON.stringify's text", () => {
    for (const s of ['', 'k', 'a"b', 'a\\b', 'tab\t', '\u007f', 'é', '\ud800']) expect(written((b) => b.jsonString(s))).toBe(roundTrip(JSON.stringify(s)));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(written((b) => b.jsonString(s))).toBe(roundTrip(JSON.stringify(s)));
      }),
    );
  });

  it('numberText() writes what `${v}` makes', () => {
    for (const v of [0, -0, 1, -1, 9, 10, 99, 100, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1e21, 0.1, -2.5e-7, 123456789.125]) expect(written((b) => b.numberText(v))).toBe(`${v}`);
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double({ noNaN: true })), (v) => {
        expect(written((b) => b.numberText(v))).toBe(`${v}`);
      }),
    );
  });
});
