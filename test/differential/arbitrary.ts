import fc from 'fast-check';
import { U, type CaseRow, type CaseScenario, type DiffCase, type Stream } from './harness.js';

/**
 * Small random streams built to land on the places where off-by-one rules differ: event times on,
 * one ms before and one ms after window edges, watermark delays and lateness in whole window units
 * (so a record can arrive exactly when the watermark reaches a close), a few keys and ids (natural
 * duplicates), rows delivered several times and out of order, malformed deliveries, bad and
 * corrupted rows, filters and alerts on the value, tumbling and sliding windows, emit: active.
 */
const scenarioArb: fc.Arbitrary<CaseScenario> = fc.record({
  window: fc.oneof(
    fc.constantFrom(1, 2, 3).map((n) => ({ tumbling: n * U })),
    fc.record({ every: fc.constantFrom(1, 2), times: fc.constantFrom(2, 3), active: fc.boolean() }).map((w) => ({ sliding: w.every * w.times * U, every: w.every * U, active: w.active })),
  ),
  delay: fc.constantFrom(0, 1, U - 1, U, 2 * U),
  lateness: fc.constantFrom(0, 0, 1, U),
  filterAbove: fc.option(fc.constantFrom(0, 2, 5), { nil: undefined }),
  alertBelow: fc.option(fc.constantFrom(1, 3), { nil: undefined }),
  corrupted: fc.boolean(),
  setCondition: fc.option(fc.constantFrom("c = 'ok'", "c != 'NONE'", "c in ('ok', 'NONE')", "c not in ('NONE')", 'v in (1, 2.5)', 'v not in (0.5, 3)', 'v = 2'), { nil: undefined }),
  intKey: fc.boolean(),
  floatId: fc.boolean(),
});

/** An event time near a window edge (edge - 1, edge, edge + 1) or anywhere inside a unit. */
const timeArb = fc.tuple(fc.integer({ min: 0, max: 12 }), fc.constantFrom(-1, 0, 0, 1, 'mid' as const)).map(([edge, off]) => Math.max(0, edge * U + (off === 'mid' ? U / 2 : off)));

const rowArb: fc.Arbitrary<CaseRow> = fc.record({
  key: fc.integer({ min: 0, max: 2 }),
  t: timeArb,
  id: fc.integer({ min: 0, max: 9 }),
  v: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -2, max: 8 }).map((x) => x / 2) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant('bad' as const) }),
  c: fc.constantFrom('ok', 'ok', 'ok', 'ok', '', 'NONE'),
});

const streamArb: fc.Arbitrary<Stream> = fc
  .record({
    rows: fc.array(rowArb, { minLength: 1, maxLength: 14 }),
    picks: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 19 })), { minLength: 1, maxLength: 24 }),
  })
  // Each pick delivers a row (so rows repeat: duplicates, and any order: late and out-of-order); 1 in 20 is malformed.
  .map(({ rows, picks }) => ({ rows, deliveries: picks.map(([r, m]) => ({ row: r % rows.length, malformed: m === 0 })) }));

/** One scenario, many streams (judged in one oracle run). */
export const caseArb = (maxStreams: number): fc.Arbitrary<DiffCase> =>
  fc.record({
    scenario: scenarioArb,
    streams: fc.array(streamArb, { minLength: 1, maxLength: maxStreams, size: 'max' }),
    model: fc.constantFrom('global' as const, 'global' as const, 'partition' as const),
    partitions: fc.constantFrom(1, 2, 3),
  });
