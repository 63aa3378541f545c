import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { exactDecimal } from '../../src/core/decimal.js';

// exactDecimal must give what Number() (and so JSON.parse) gives, bit for bit, or NaN (undecided):
// never a neighbouring double. And it must decide nearly always, or it saves nothing.
const read = (text: string) => exactDecimal(Buffer.from(text, 'latin1'), 0, text.length);

function expectExact(text: string): boolean {
  const v = read(text);
  if (Number.isNaN(v)) return false;
  expect(Object.is(v, Number(text)), `${text}: ${v} against ${Number(text)}`).toBe(true);
  return true;
}

/** A decimal's text from its digits and where its point goes (0: no point). */
const decimalText = (negative: boolean, digits: string, after: number) => {
  const text = after === 0 ? digits : `${digits.slice(0, -after) || '0'}.${digits.slice(-after)}`;
  return negative ? `-${text}` : text;
};

describe('exactDecimal (a JSON decimal of up to 19 digits, without its text)', () => {
  it('reads doubles printed shortest, at every magnitude a 22-digit fraction reaches', () => {
    let decided = 0;
    let tried = 0;
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e18, noNaN: true }), fc.boolean(), (x, negative) => {
        const text = (negative ? -x : x).toString();
        // Past 22 digits after the point 10^k is no longer exact: those are left to Number().
        if (text.includes('e') || (text.split('.')[1]?.length ?? 0) > 22) return;
        tried++;
        if (expectExact(text)) decided++;
      }),
      { numRuns: 50_000 },
    );
    expect(tried).toBeGreaterThan(40_000);
    expect(decided).toBe(tried);
  });

  it('reads any string of 1 to 19 significant digits with the point anywhere, leading zeros and all', () => {
    let decided = 0;
    let tried = 0;
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.stringMatching(/^[1-9][0-9]{0,18}$/), fc.integer({ min: 0, max: 22 }), (negative, zeros, digits, after) => {
        const all = '0'.repeat(zeros) + digits;
        const text = decimalText(negative, all, Math.min(after, all.length + 2));
        if (text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').length > 19 || (text.split('.')[1]?.length ?? 0) > 22) return;
        tried++;
        if (expectExact(text)) decided++;
      }),
      { numRuns: 50_000 },
    );
    expect(decided).toBeGreaterThan(tried * 0.999);
  });

  it('leaves exact ties and near-ties to Number(), and zeros keep their sign', () => {
    // 2^52 + 0.5 and 2^53 + 3 are halfway between two doubles (round half to even decides them):
    // divided by 10^k, too near to call.
    expect(read('4503599627370496.5')).toBeNaN();
    expect(read('9007199254740995.0')).toBeNaN();
    // A whole number is summed exactly, so its tie rounds as Number() rounds it: to even.
    expect(expectExact('9007199254740993')).toBe(true);
    expect(read('-9007199254740995')).toBe(-9007199254740996);
    expect(expectExact('25606100190368550')).toBe(true);
    // One digit past the tie: decided, and the right way.
    expect(expectExact('9007199254740993.1')).toBe(true);
    expect(expectExact('9007199254740992.9')).toBe(true);
    expect(expectExact('9007199254740994')).toBe(true);
    expect(Object.is(read('-0.000000000000000000'), -0)).toBe(true);
    expect(Object.is(read('0.0'), 0)).toBe(true);
    // Beyond what it reads exactly: NaN, never a guess.
    expect(read('12345678901234567890')).toBeNaN();
    expect(read('0.00000000000000000000001')).toBeNaN();
  });

  it('decides near every halfway point between consecutive doubles when one digit moves it off', () => {
    // 2^53 + 2j + 1 are ties; each ± 0.1 (18–19 digits) lies 0.1 from one.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 20 }), fc.constantFrom('.1', '.9', '.5', '.4999', '.5001'), (j, frac) => {
        const base = 2n ** 53n + 2n * BigInt(j);
        expectExact(`${base}${frac}`);
      }),
      { numRuns: 5_000 },
    );
  });
});
