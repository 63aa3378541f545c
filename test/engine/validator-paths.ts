import { expect } from 'vitest';
import { TextSpan } from '../../src/engine/scan-record.js';
import { Rejected, type Validated } from '../../src/engine/validate.js';

/** The two answers, equal in all the engine reads: verdict and reason, or key, time, id and read values (a span as its text). */
export function expectSame(fast: Validated, full: Validated, read: Set<string>): void {
  if (full instanceof Rejected) {
    expect(fast).toBeInstanceOf(Rejected);
    expect({ kind: (fast as Rejected).kind, reason: (fast as Rejected).reason }).toEqual({ kind: full.kind, reason: full.reason });
    return;
  }
  expect(fast).not.toBeInstanceOf(Rejected);
  const f = fast as Exclude<Validated, Rejected>;
  expect({ key: f.key, time: f.time, id: f.id }).toEqual({ key: full.key, time: full.time, id: full.id });
  for (const name of read) {
    const v = f.values[name] instanceof TextSpan ? (f.values[name] as TextSpan).text() : f.values[name];
    expect(Object.is(v, full.values[name]), `${name}: ${String(v)} against ${String(full.values[name])}`).toBe(true);
  }
}
