import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/engine/checkpoint/file.js';
import { decodeStrings, encodeStrings } from '../../src/engine/checkpoint/strings.js';

describe('checkpoint file format 3: JSON and binary blocks under one checksum', () => {
  it('a string column is the UTF-8 bytes and byte ends, on the ASCII fast path and off it', () => {
    const reference = (ss: string[]) => {
      const ends: number[] = [];
      let end = 0;
      for (const x of ss) ends.push((end += Buffer.byteLength(x)));
      return { bytes: Buffer.from(ss.join('')), ends };
    };
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.string({ unit: 'binary-ascii' }), { maxLength: 60 }), fc.array(fc.string({ unit: 'binary' }), { maxLength: 30 })), (ss) => {
        const c = encodeStrings(ss);
        const want = reference(ss);
        expect(Buffer.from(c.bytes)).toEqual(want.bytes);
        expect([...c.ends]).toEqual(want.ends);
        expect(decodeStrings(c)).toEqual(ss);
      }),
    );
  });

  it('typed arrays of every kind and string columns come back equal, nested anywhere in plain objects', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 40 }), fc.array(fc.double(), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 9 }), (ss, xs, ns) => {
        const body = { a: 1, nested: { ids: encodeStrings(ss), f: Float64Array.from(xs) }, u: Uint32Array.from(ns), i: Int32Array.from(ns.map((n) => -n)), b: Uint8Array.from(ns.map((n) => n % 256)), list: [1, 'x'] };
        const back = decodeCheckpoint<typeof body>(Buffer.concat(encodeCheckpoint(body)))!;
        expect(decodeStrings(back.nested.ids)).toEqual(ss);
        expect(back.nested.f).toEqual(Float64Array.from(xs));
        expect(back.u).toEqual(body.u);
        expect(back.i).toEqual(body.i);
        expect(back.b).toEqual(body.b);
        expect(back.list).toEqual([1, 'x']);
      }),
    );
  });

  it('a changed byte in the JSON or in a block, or a cut file, is refused', () => {
    const buf = Buffer.concat(encodeCheckpoint({ ids: encodeStrings(['é', 'b']), v: Float64Array.of(1, Infinity, -0) }));
    expect(decodeCheckpoint(buf)).toBeDefined();
    for (const at of [buf.indexOf('{') + 2, buf.length - 3]) {
      const bad = Buffer.from(buf);
      bad[at] ^= 1;
      expect(decodeCheckpoint(bad)).toBeUndefined();
    }
    expect(decodeCheckpoint(buf.subarray(0, buf.length - 8))).toBeUndefined();
  });
});
