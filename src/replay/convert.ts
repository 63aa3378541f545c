import { timeParser } from '../core/time-format.js';
import type { Scenario } from '../scenario/types.js';
import type { SourceRow } from '../sources/types.js';

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A source row made ready to send: the wire payload plus what replay needs to order and route it. */
export interface Outgoing {
  row: number;
  /** JSON text of the record (or the raw line when the row could not be split). */
  payload: string;
  key: string | null;
  /** Event time in ms, or undefined when unparseable (the engine will dead-letter it). */
  eventTime: number | undefined;
  id: string | null;
  /** Why the source row itself is unusable (then payload is the raw line, not JSON). */
  problem?: string;
  /** Set where the payload's, key's and id's UTF-8 bytes are at hand already (a record read back from the spill: `SpilledBytes`). */
  readonly src?: Uint8Array;
}

/** A record's UTF-8 bytes as ranges of one buffer: payload src[at, at + length), key and id likewise (length -1: none). */
export interface SpilledBytes {
  readonly src: Uint8Array;
  readonly at: number;
  readonly length: number;
  readonly keyAt: number;
  readonly keyLength: number;
  readonly idAt: number;
  readonly idLength: number;
}

/**
 * Types a row's cells by the scenario. A cell that does not parse stays text, so the record reaches
 * the engine as it was and is dead-lettered there with a reason: replay never repairs data.
 */
export function toOutgoing(r: SourceRow, s: Scenario): Outgoing {
  if (r.values === undefined) {
    return { row: r.row, payload: r.raw ?? '', key: null, eventTime: undefined, id: null, problem: r.problem };
  }
  const src = r.values;
  const values: Record<string, unknown> = {};
  for (const f of s.fields) {
    if (!(f.name in src)) continue; // column absent from the file: the record lacks the field
    const text = src[f.name];
    if (text === null) {
      values[f.name] = null;
    } else if (f.type === 'int') {
      values[f.name] = INT.test(text) ? Number(text) : text;
    } else if (f.type === 'float') {
      values[f.name] = FLOAT.test(text) ? Number(text) : text;
    } else {
      values[f.name] = text;
    }
  }
  // Placed by the key as the engine reads it: an int key's text without signs or leading zeros.
  const keyText = src[s.key];
  const keyValue = keyText != null && keyIsInt(s) && INT.test(keyText) ? String(Number(keyText)) : keyText;
  const timeText = src[s.eventTime];
  const eventTime = timeText == null ? undefined : eventTimeParser(s)(timeText);
  const idParts = s.id.map((f) => src[f]);
  return {
    row: r.row,
    payload: JSON.stringify(values),
    key: keyValue ?? null,
    eventTime,
    id: idParts.some((p) => p == null) ? null : idParts.join('|'),
  };
}

const parsers = new WeakMap<Scenario, (text: string) => number | undefined>();

/** The scenario's event-time parser, made once per scenario (a zone keeps its offsets in it). */
function eventTimeParser(s: Scenario): (text: string) => number | undefined {
  let p = parsers.get(s);
  if (p === undefined) {
    const et = s.fields.find((f) => f.name === s.eventTime)!;
    parsers.set(s, (p = timeParser(s.time, et.type as 'date' | 'timestamp')));
  }
  return p;
}

const keyIsInt = (s: Scenario) => s.fields.find((f) => f.name === s.key)!.type === 'int';
