import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FeatureTarget, readFeatures, writeParsed } from '../../src/engine/join/features-body.js';

const NAMES = ['network_latency_ms', 'dropped_calls', 'app_errors'];

const target = (ids: string[], names = NAMES, from = 0, rows = ids.length): FeatureTarget => ({
  ids,
  from,
  names,
  values: new Float64Array(rows * names.length).fill(NaN),
  found: new Uint8Array(rows),
});

/** What the client made of a body before the reader: JSON.parse, then writeParsed (nothing where the body is not an answer). */
function parsed(body: string, ids: string[], names = NAMES, from = 0, rows = ids.length): FeatureTarget {
  const t = target(ids, names, from, rows);
  let got: { features?: unknown };
  try {
    got = JSON.parse(body) as { features?: unknown };
  } catch {
    return t;
  }
  if (got !== null && typeof got.features === 'object' && got.features !== null) writeParsed(got.features as Record<string, unknown>, t);
  return t;
}

/** The reader's columns, or the parsed path's where it answers 'other' (as the client does). */
function read(body: string, ids: string[], names = NAMES, from = 0, rows = ids.length): { t: FeatureTarget; how: string } {
  const t = target(ids, names, from, rows);
  const how = readFeatures(Buffer.from(body, 'utf8'), t);
  if (how === 'read') return { t, how };
  // 'other' leaves the columns as they were: all NaN and not found.
  expect(t.found.every((f) => f === 0)).toBe(true);
  expect(t.values.every((v) => Number.isNaN(v))).toBe(true);
  return { t: parsed(body, ids, names, from, rows), how };
}

const same = (a: FeatureTarget, b: FeatureTarget) => {
  expect(Array.from(a.found)).toEqual(Array.from(b.found));
  // Object.is: -0 and 0 differ, NaN equals NaN.
  a.values.forEach((v, i) => expect(Object.is(v, b.values[i]), `value ${i}: ${v} against ${b.values[i]}`).toBe(true));
};

describe('an online answer read from its bytes', () => {
  it('reads the plain shape into the columns, in any order, with whitespace, nulls and ids not asked for', () => {
    const ids = ['c1', 'c2', 'c3', 'constructor'];
    const body = ` { "features" : { "c2" : {"app_errors":2, "dropped_calls" : null,"network_latency_ms":-0},\n"zz":{"app_errors":9},"c1":null,\t"c3":{"data_mb":974.6,"network_latency_ms":1.5e2,"app_errors":0.1234567890123456789}}, "minute":28000000 } `;
    const { t, how } = read(body, ids);
    expect(how).toBe('read');
    expect(Array.from(t.found)).toEqual([1, 1, 1, 0]);
    expect(Object.is(t.values[3], -0)).toBe(true);
    expect(t.values[5]).toBe(2);
    expect(t.values[6]).toBe(150);
    expect(t.values[8]).toBe(0.1234567890123456789);
    same(t, parsed(body, ids));
  });

  it('leaves to JSON.parse what it does not read (strings, booleans, nesting, escapes, unknown fields, an id twice, cut-off bodies), and takes a name given twice as JSON.parse does', () => {
    const ids = ['c1', 'c2'];
    const bodies = [
      '{"features":{"c1":{"app_errors":"2"}}}',
      '{"features":{"c1":{"app_errors":true}}}',
      '{"features":{"c1":{"app_errors":[1]}}}',
      '{"features":{"c\\u0031":{"app_errors":1}}}',
      '{"features":{"c1":{"app_errors":1}},"served":"now"}',
      '{"features":{"c1":{"app_errors":1},"c1":{"dropped_calls":2}}}',
      '{"features":{"c1":{"app_errors":1}},"features":{}}',
      '{"features":{"c1":{"app_errors":1}',
      '{"features":{"c1":{"app_errors":01}}}',
      '{"features":{"c1":{"app_errors":1.}}}',
      '{"features":{"c1":{"app_errors":1}}} x',
      '{"features":{"c1":{"app_errors":1}}} ',
      // A name given twice: the last one counts, a null too.
      '{"features":{"c1":{"app_errors":1,"app_errors":null},"c2":{"dropped_calls":null,"dropped_calls":3}}}',
      '{"minute":1}',
      '{}',
      'null',
      '',
    ];
    for (const body of bodies) {
      const { t } = read(body, ids);
      same(t, parsed(body, ids));
    }
    // The duplicate id: JSON.parse keeps the second object whole, app_errors unset.
    const { t, how } = read(bodies[5], ids);
    expect(how).toBe('other');
    expect(t.values[2]).toBeNaN();
    expect(t.values[1]).toBe(2);
  });

  it('writes only its batch\'s rows of the columns, and restores them when it gives up half-way', () => {
    const ids = ['a', 'b'];
    const t = target(ids, NAMES, 3, 6);
    expect(readFeatures(Buffer.from('{"features":{"a":{"app_errors":4},"b":{"dropped_calls":5}}}'), t)).toBe('read');
    expect(Array.from(t.found)).toEqual([0, 0, 0, 1, 1, 0]);
    expect(t.values[3 * 3 + 2]).toBe(4);
    expect(t.values[4 * 3 + 1]).toBe(5);
    const u = target(ids, NAMES, 3, 6);
    expect(readFeatures(Buffer.from('{"features":{"a":{"app_errors":4},"b":{"dropped_calls":"5"}}}'), u)).toBe('other');
    expect(u.found.every((f) => f === 0)).toBe(true);
    expect(u.values.every((v) => Number.isNaN(v))).toBe(true);
  });

  it('equals JSON.parse on random answers', () => {
    const id = fc.oneof(fc.stringMatching(/^[a-z0-9]{1,6}$/), fc.constantFrom('constructor', '__proto__', 'toString', 'a"b', 'a\\b', 'é', 'c\u0001', ''));
    const num = fc.oneof(
      fc.integer({ min: -1e6, max: 1e6 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(0.1, 974.6, 1e21, 123456789012345.6, 9007199254740993, -0, 5e-324, 1.7976931348623157e308),
    );
    const value = fc.oneof({ weight: 8, arbitrary: num }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('x', true, [1], { a: 1 }) });
    const feature = fc.oneof({ weight: 8, arbitrary: fc.dictionary(fc.constantFrom(...NAMES, 'data_mb', 'x'), value) }, { weight: 1, arbitrary: fc.constant(null) });
    fc.assert(
      fc.property(
        fc.uniqueArray(id, { minLength: 1, maxLength: 12 }),
        fc.array(fc.tuple(fc.nat(), feature), { maxLength: 14 }),
        fc.constantFrom('', ' ', '\n\t'),
        fc.nat({ max: 3 }),
        (ids, answered, ws, cut) => {
          const features: Record<string, unknown> = {};
          for (const [k, f] of answered) features[k % (ids.length + 2) < ids.length ? ids[k % (ids.length + 2)] : `other${k}`] = f;
          let body = JSON.stringify({ minute: 5, features }, null, ws === '' ? undefined : ws);
          // A body cut off now and then (the API's truncate fault).
          if (cut === 0) body = body.slice(0, Math.floor(body.length / 2));
          same(read(body, ids).t, parsed(body, ids));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
