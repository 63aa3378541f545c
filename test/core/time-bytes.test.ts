import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIsoBytes, parseIsoTime } from '../../src/core/time.js';

const pad = (n: number, w: number) => String(n).padStart(w, '0');
/** ISO texts of the common shape, well-formed or a character off. */
const isoText = fc
  .record({
    y: fc.integer({ min: 0, max: 9999 }),
    mo: fc.integer({ min: 0, max: 13 }),
    d: fc.integer({ min: 0, max: 32 }),
    h: fc.integer({ min: 0, max: 24 }),
    mi: fc.integer({ min: 0, max: 60 }),
    s: fc.integer({ min: 0, max: 60 }),
    sep: fc.constantFrom('T', ' ', 't', '_'),
    fraction: fc.option(fc.stringMatching(/^[0-9]{0,10}$/), { nil: undefined }),
    zone: fc.constantFrom('', 'Z', '+02:00', 'z'),
    dateOnly: fc.boolean(),
    flip: fc.option(fc.tuple(fc.nat(), fc.constantFrom('a', '-', ':', '.', '9', ' ')), { nil: undefined }),
  })
  .map((r) => {
    let t = `${pad(r.y, 4)}-${pad(r.mo, 2)}-${pad(r.d, 2)}`;
    if (!r.dateOnly) t += `${r.sep}${pad(r.h, 2)}:${pad(r.mi, 2)}:${pad(r.s, 2)}${r.fraction === undefined ? '' : `.${r.fraction}`}${r.zone}`;
    if (r.flip) t = t.slice(0, r.flip[0] % t.length) + r.flip[1] + t.slice((r.flip[0] % t.length) + 1);
    return t;
  });

describe('parseIsoBytes (the engine reads an event time from the record bytes)', () => {
  it('gives parseIsoTime’s instant, or gives up (undefined), on any text; it reads every well-formed UTC one', () => {
    let read = 0;
    fc.assert(
      fc.property(isoText, fc.string({ unit: 'binary-ascii', maxLength: 4 }), (text, before) => {
        const bytes = Buffer.from(before + text + before, 'latin1');
        const got = parseIsoBytes(bytes, before.length, before.length + text.length);
        if (got !== undefined) {
          read++;
          expect(got, text).toBe(parseIsoTime(text));
        } else if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z?)?$/.test(text) && parseIsoTime(text) !== undefined) {
          throw new Error(`gave up on ${text}`);
        }
      }),
      { numRuns: 20_000 },
    );
    expect(read).toBeGreaterThan(2_000);
  });
});
