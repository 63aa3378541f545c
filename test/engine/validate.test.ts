import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createValidator, Rejected } from '../../src/engine/validate.js';
import { numberText } from '../../src/engine/record-id.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { FieldSpec, Scenario } from '../../src/scenario/types.js';

// The IoT scenario with every third field (not the key, not the event time) made nullable, so the
// validator meets every type, nullable or not.
const iot = loadScenario('iot');
const s: Scenario = { ...iot, fields: iot.fields.map((f, i) => (i % 3 === 2 && f.name !== iot.key && f.name !== iot.eventTime ? { ...f, nullable: true } : f)) };

const valid: Record<string, unknown> = {
  time: 1523232000000, readable_time: '2018-04-09T00:00:00.000Z', acceleration: 1010.5, acceleration_x: -44, acceleration_y: 300,
  acceleration_z: 964, battery: 3007, humidity: 35, pressure: 1009.16, temperature: 27.85, 'dev-id': 'A',
};

/**
 * The README's record validity rules, written again here, with the reason the engine gives first
 * when a record has several problems: more keys than fields is an unexpected field; otherwise the
 * fields in the scenario's order, where a missing one is named as the unexpected field beside it if
 * there is one. Returns the kind, or 'valid'.
 */
function reference(o: Record<string, unknown>): string {
  const byName = new Map(s.fields.map((f) => [f.name, f]));
  const unexpected = Object.keys(o).some((k) => !byName.has(k));
  if (Object.keys(o).length > s.fields.length) return 'unexpected-field';
  const typed = (f: FieldSpec, v: unknown) =>
    f.type === 'int' ? Number.isSafeInteger(v) : f.type === 'float' ? typeof v === 'number' && Number.isFinite(v) : typeof v === 'string';
  for (const f of s.fields) {
    if (!(f.name in o)) return unexpected ? 'unexpected-field' : f.name === s.key ? 'missing-key' : 'missing-field';
    const v = o[f.name];
    if (v === null) {
      if (!f.nullable) return 'empty-field';
      continue;
    }
    if (!typed(f, v)) return f.name === s.eventTime ? 'bad-timestamp' : 'wrong-type';
  }
  if (o[s.key] === '') return 'empty-key';
  // Every text the mutations put in is no timestamp ('x', '', '12').
  if (o[s.eventTime] !== valid[s.eventTime]) return 'bad-timestamp';
  return 'valid';
}

const wrongValues = [null, 'x', '', 1.5, -3, 2 ** 53, true, [], {}, '12'];
const mutation = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), field: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), field: fc.nat(), value: fc.constantFrom(...wrongValues) }),
  fc.record({ op: fc.constant('extra' as const), name: fc.constantFrom('extra', 'Time', 'dev_id', '__x') }),
  fc.record({ op: fc.constant('reorder' as const), seed: fc.nat() }),
);

describe('the validator (compiled fast path and the named problem agree with the rules)', () => {
  const validate = createValidator(s);

  it('a record with fields missing, null, of other types, extra or reordered gets the kind the rules give', () => {
    fc.assert(
      fc.property(fc.array(mutation, { maxLength: 3 }), (ms) => {
        let o: Record<string, unknown> = { ...valid };
        for (const m of ms) {
          const names = s.fields.map((f) => f.name);
          if (m.op === 'delete') delete o[names[m.field % names.length]];
          else if (m.op === 'set') o[names[m.field % names.length]] = m.value;
          else if (m.op === 'extra') o[m.name] = 1;
          else {
            const keys = Object.keys(o);
            const k = keys[m.seed % Math.max(keys.length, 1)];
            if (k !== undefined) {
              const v = o[k];
              delete o[k];
              o = { ...o, [k]: v };
            }
          }
        }
        const r = validate(new TextEncoder().encode(JSON.stringify(o)));
        const want = reference(o);
        expect(r instanceof Rejected ? r.kind : 'valid').toBe(want);
      }),
      { numRuns: 2000 },
    );
  });

  it('the nullable fields take null, the others refuse it, by name', () => {
    const nullable = s.fields.find((f) => f.nullable)!;
    const strict = s.fields.find((f) => !f.nullable && f.name !== s.key && f.name !== s.eventTime)!;
    expect(validate(new TextEncoder().encode(JSON.stringify({ ...valid, [nullable.name]: null })))).not.toBeInstanceOf(Rejected);
    const r = validate(new TextEncoder().encode(JSON.stringify({ ...valid, [strict.name]: null })));
    expect(r).toBeInstanceOf(Rejected);
    expect((r as Rejected).reason).toBe(`empty ${strict.name}`);
  });

  it('writes a number in an id as String() does, whole numbers past 2^31 by halves', () => {
    const edges = [0, -0, 1, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 31 + 1, 1e8, 1e15, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 53 + 2, 1e21, 1.5, -2.5e-7, NaN, Infinity, -Infinity];
    for (const v of edges) expect(numberText(v)).toBe(String(v));
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.double(), fc.integer({ min: 0, max: 99 }).map((k) => 2 ** 31 + k * 1e8)), (v) => {
        expect(numberText(v)).toBe(String(v));
      }),
      { numRuns: 20_000 },
    );
  });
});
