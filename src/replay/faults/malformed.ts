import type { Rng } from '../../core/rng.js';
import type { Scenario } from '../../scenario/types.js';

export const MALFORMED_KINDS = [
  'truncated',
  'wrong-type',
  'missing-key',
  'bad-timestamp',
  'garbage-bytes',
  'extra-field',
  'missing-field',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export interface Corrupted {
  kind: MalformedKind;
  payload: Uint8Array;
}

const enc = new TextEncoder();

/** Corrupts one record (its typed values) in a way a strict consumer must reject. Pure: same rng state, same bytes. */
export function corrupt(copy: Record<string, unknown>, s: Scenario, rng: Rng): Corrupted {
  const kind = rng.pick(MALFORMED_KINDS);
  switch (kind) {
    case 'truncated': {
      const text = JSON.stringify(copy);
      // Cut inside the object so the closing brace is always lost.
      return { kind, payload: enc.encode(text.slice(0, rng.int(1, Math.max(1, text.length - 2)))) };
    }
    case 'wrong-type': {
      const numeric = s.fields.filter((f) => f.type === 'int' || f.type === 'float');
      if (numeric.length === 0) break;
      copy[rng.pick(numeric).name] = rng.pick(['abc', 'NaN', '1,5', 'twelve', '']);
      return { kind, payload: enc.encode(JSON.stringify(copy)) };
    }
    case 'missing-key':
      delete copy[s.key];
      return { kind, payload: enc.encode(JSON.stringify(copy)) };
    case 'bad-timestamp':
      copy[s.eventTime] = rng.pick(['not-a-date', '2015-13-45', '31/08/2015', '', '0000-00-00T25:61:00Z']);
      return { kind, payload: enc.encode(JSON.stringify(copy)) };
    case 'garbage-bytes': {
      const text = enc.encode(JSON.stringify(copy));
      const at = rng.int(1, text.length - 1);
      const junk = Uint8Array.from([0xff, 0xfe, 0xc3, 0x28, 0xa0]);
      const out = new Uint8Array(text.length + junk.length);
      out.set(text.subarray(0, at));
      out.set(junk, at);
      out.set(text.subarray(at), at + junk.length);
      return { kind, payload: out };
    }
    case 'extra-field':
      copy[`unexpected_${rng.int(1, 99)}`] = 'x';
      return { kind, payload: enc.encode(JSON.stringify(copy)) };
    case 'missing-field': {
      const others = s.fields.filter((f) => f.name !== s.key && !f.nullable);
      if (others.length === 0) break;
      delete copy[rng.pick(others).name];
      return { kind, payload: enc.encode(JSON.stringify(copy)) };
    }
  }
  delete copy[s.key];
  return { kind: 'missing-key', payload: enc.encode(JSON.stringify(copy)) };
}
