import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toOutgoing, type Outgoing } from '../../src/replay/convert.js';
import { planFaults } from '../../src/replay/faults/plan.js';
import { loadScenario } from '../../src/scenario/load.js';
import { planFaults as planFaultsV1 } from './reference/plan-v1.js';

const iot = loadScenario('iot');

/** IoT rows at random gaps (dense: up to 90 ms, or sparse: up to 90 s), some without a parsable time and some unusable source rows. */
const streams = fc
  .tuple(
    fc.constantFrom(1, 100, 1000),
    fc.array(fc.record({ gap: fc.integer({ min: 0, max: 90 }), noTime: fc.integer({ min: 0, max: 49 }).map((x) => x === 0), broken: fc.integer({ min: 0, max: 99 }) }), { minLength: 0, maxLength: 1500, size: 'max' }),
  )
  .map(([scale, rows]) => {
    let t = Date.UTC(2018, 3, 9);
    return rows.map((r, i): Outgoing => {
      t += r.gap * scale;
      if (r.broken === 0) return toOutgoing({ row: i, problem: 'wrong field count', raw: 'x\ty' }, iot);
      return toOutgoing({ row: i, values: { time: String(t), readable_time: r.noTime ? 'n/a' : new Date(t).toISOString(), acceleration: '1010.5', acceleration_x: '-44', acceleration_y: '300', acceleration_z: '964', battery: '3007', humidity: '35', pressure: '1009.16', temperature: '27.85', 'dev-id': `d${i % 7}` } }, iot);
    });
  });
const mixes = fc.record({
  malformed: fc.double({ min: 0, max: 0.2, noNaN: true }),
  late: fc.double({ min: 0, max: 0.2, noNaN: true }),
  outOfOrder: fc.double({ min: 0, max: 0.2, noNaN: true }),
  duplicates: fc.double({ min: 0, max: 0.3, noNaN: true }),
  boundary: fc.constant(0),
  lateBy: fc.tuple(fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 0, max: 600_000 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]),
});
const shape = (ds: { item: Outgoing; fault: string; detail: string; payload?: Uint8Array }[]) => ds.map((d) => `${d.item.row}|${d.fault}|${d.detail}|${d.payload ? Buffer.from(d.payload).toString('base64') : ''}`);

describe('the streaming fault plan', () => {
  it('makes exactly the plan the batch planner made, delivery by delivery, for any stream, mix and seed', () => {
    fc.assert(
      fc.property(streams, mixes, fc.integer({ min: 0, max: 2 ** 31 }), (items, mix, seed) => {
        const now = planFaults(items, iot, mix, seed);
        const v1 = planFaultsV1(items, iot, mix, seed);
        expect(shape(now.deliveries)).toEqual(shape(v1.deliveries));
        expect(now.summary).toEqual(v1.summary);
      }),
      { numRuns: 300 },
    );
  });

  it('holds only the deliveries moved later, not the stream', async () => {
    const { FaultPlan, inMemoryInput } = await import('../../src/replay/faults/plan.js');
    const items = fc.sample(streams, { numRuns: 1, seed: 7 })[0].concat();
    const input = inMemoryInput(items);
    let asked = 0;
    let heldMost = 0;
    const plan = new FaultPlan({ ...input, item: (k) => (asked = Math.max(asked, k + 1), input.item(k)) }, iot, { malformed: 0.05, late: 0, outOfOrder: 0.05, duplicates: 0.05, boundary: 0, lateBy: [0, 0] }, 3);
    let made = 0;
    for (let d = plan.next(); d !== undefined; d = plan.next()) {
      made++;
      heldMost = Math.max(heldMost, asked - made);
    }
    expect(made).toBe(plan.total);
    // Without late records, nothing waits more than the out-of-order and duplicate reach (64 and 200 slots).
    expect(heldMost).toBeLessThanOrEqual(201);
  });
});
