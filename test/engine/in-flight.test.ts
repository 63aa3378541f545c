import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, ownedBuffers } from '../../src/engine/checkpoint/file.js';
import { inFlightColumns, inFlightFromColumns, inFlightOf, type InFlightColumns } from '../../src/engine/join/in-flight.js';
import type { InFlight } from '../../src/engine/join/scorer.js';

const value = fc.oneof(fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
const batch = fc.record({
  firedAt: fc.integer({ min: 0, max: 2 ** 42 }),
  rows: fc.array(
    fc.record({
      windowStart: fc.integer({ min: 0, max: 2 ** 42 }),
      windowEnd: fc.integer({ min: 0, max: 2 ** 42 }),
      key: fc.string({ unit: fc.constantFrom('a', 'B', '7', 'é', '€', '𝄞', '"', '\\'), maxLength: 8 }),
      values: fc.record({ events: value, avg_rating: value, total: value }),
    }),
    { maxLength: 20 },
  ),
});

describe('fired windows in flight, as a checkpoint holds them', () => {
  it('come back through the checkpoint file as they were submitted: keys, windows, values and nulls, batch by batch', () => {
    fc.assert(
      fc.property(fc.array(batch, { maxLength: 5 }), (batches: InFlight[]) => {
        const c = inFlightColumns(batches);
        const held = batches.filter((b) => b.rows.length > 0);
        if (held.length === 0) {
          expect(c).toBeUndefined();
          return;
        }
        const back = decodeCheckpoint<{ c: InFlightColumns }>(Buffer.concat(encodeCheckpoint({ c })))!.c;
        expect(inFlightFromColumns(back)).toEqual(held);
        expect(inFlightOf({ inFlightColumns: back }).map((b) => b.rows.length)).toEqual(held.map((b) => b.rows.length));
      }),
      { numRuns: 300 },
    );
  });

  it('a batch held by several checkpoints is encoded once, and each checkpoint gets arrays of its own (a writer thread takes them)', () => {
    const b: InFlight = { firedAt: 5, rows: [{ windowStart: 0, windowEnd: 60_000, key: 'c1', values: { n: 2 } }] };
    const first = inFlightColumns([b])!;
    expect(ownedBuffers(first).length).toBeGreaterThanOrEqual(6);
    first.values[0] = 99; // what a transfer or a later change to one checkpoint's arrays does to it
    const second = inFlightColumns([b])!;
    expect(inFlightFromColumns(second)[0].rows[0].values.n).toBe(2);
  });

  it('files written before the columns (objects) still resume', () => {
    const old: InFlight[] = [{ firedAt: 5, rows: [{ windowStart: 0, windowEnd: 60_000, key: 'c1', values: { n: null } }] }];
    expect(inFlightOf({ inFlight: old })).toEqual(old);
    expect(inFlightOf(undefined)).toEqual([]);
  });
});
