import { isUtf8 } from 'node:buffer';
import { exactDecimal, POW10 } from '../core/decimal.js';
import { latin1 } from '../core/latin1.js';
import type { FieldSpec } from '../scenario/types.js';

/**
 * The validator's fast path: one pass over a record's bytes that accepts only a flat JSON object
 * whose fields are exactly the scenario's, each of its type, and reads their values without
 * decoding the record to text or building a parse tree (TextDecoder plus JSON.parse were a third
 * of the engine's time). It never decides a record is bad: anything it is not sure of (an escape in
 * a name, a duplicate or unknown field, a wrong type, a number it cannot read exactly, bytes that
 * may not be UTF-8) returns undefined, and the record takes the full path, which names the problem.
 * So the rules stay written once (validate.ts); a property test holds the two paths equal.
 *
 * It runs in two steps (ScanSteps): the walk over the bytes, which writes what it finds into typed
 * columns, and the values made from those columns. On the embedded log the walk runs on the log's
 * reader thread (engine/log/read-thread.ts) and only the values are made on the engine's thread;
 * createRecordScanner runs both in one place (the Kafka engine, the tests).
 *
 * Numbers come out as JSON.parse makes them: an integer of at most 15 digits, or a decimal of at
 * most 15 digits and no exponent, is exact in a double and so is its quotient by 10^k (k ≤ 15,
 * Clinger's fast path); one of up to 19 digits is read exactly by exactDecimal (core/decimal.ts)
 * where it can decide; any other number is read by Number(), which rounds as JSON.parse does.
 */
export type RecordScanner = (b: Uint8Array) => unknown[] | undefined;

/**
 * What a scan found, per record and field (index record * fields + field): a tag saying what the
 * value is, the number, or where a string's text lies in the record. The scan fills these on one
 * thread (the log's reader thread) and the engine's thread makes the values of them (scannedValues).
 */
export interface ScanColumns {
  tag: Uint8Array;
  num: Float64Array;
  from: Int32Array;
  to: Int32Array;
}
/** A field not read (its value is never asked for). */
const SKIP = 0;
const NUMBER = 1;
const NULL = 2;
/** A string of printable ASCII without escapes: its bytes are its text. */
const PLAIN = 3;
/** Any other string: decoded as JSON (the record's bytes are known to be UTF-8 by then). */
const ESCAPED = 4;

export const scanColumns = (records: number, fields: number): ScanColumns => ({
  tag: new Uint8Array(records * fields),
  num: new Float64Array(records * fields),
  from: new Int32Array(records * fields),
  to: new Int32Array(records * fields),
});

/** The scanner in two steps: the walk over the bytes (true: the record is well-formed), and its values. */
export interface ScanSteps {
  /** Over b[start, end) (all of b by default): the columns' string positions are then b's. */
  walk(b: Uint8Array, c: ScanColumns, base: number, start?: number, end?: number): boolean;
  values(b: Uint8Array, c: ScanColumns, base: number): unknown[];
}

const STRING = 0;
const INT = 1;
const FLOAT = 2;

const TEXT = 0;
const INTERNED = 1;
const SPAN = 2;

/** The end of a JSON number's exponent, from its 'e' or 'E' at b[i]: [eE][+-]?[0-9]+, or -1 where it has no digit. */
export function exponentEnd(b: Uint8Array, i: number, n: number): number {
  let c;
  if (++i < n && ((c = b[i]) === 0x2b || c === 0x2d)) i++;
  const at = i;
  while (i < n && (c = b[i]) >= 0x30 && c <= 0x39) i++;
  return i === at ? -1 : i;
}
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;
// The characters that may follow a backslash in a JSON string.
const ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrtu') ESCAPE[c.charCodeAt(0)] = 1;
// JSON's whitespace: space, tab, line feed, carriage return (nothing else: not a form feed).
export const SPACE = new Uint8Array(256);
for (const c of ' \t\n\r') SPACE[c.charCodeAt(0)] = 1;
// Bytes that go on a string without a second look: printable ASCII other than '"' and '\\'.
export const STRING_BYTE = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) STRING_BYTE[c] = c === 0x22 || c === 0x5c ? 0 : 1;
const utf8 = new TextDecoder('utf-8');

/**
 * A plain string's place in the record's bytes, handed as a field's value where only the record's
 * id reads it (ScanSpec's `spans`): dedup writes the id from the bytes, and the text is made only
 * where a row shows it (record-id.ts). A string made per record for nothing but its bytes was ~6%
 * of a Kafka member's thread. Like the record's bytes, it is valid only while the record is handled.
 */
export class TextSpan {
  constructor(
    readonly bytes: Uint8Array,
    readonly from: number,
    readonly to: number,
  ) {}

  /** Its text (printable ASCII: one character a byte). */
  text(): string {
    return latin1(this.bytes, this.from, this.to);
  }
}

/**
 * Builds the scanner for a list of fields. It returns the values in the fields' order (null where
 * the record has null), or undefined for the full path to decide.
 */
export function createRecordScanner(fields: readonly FieldSpec[], read: ReadonlySet<string> = new Set(fields.map((f) => f.name)), time?: TimeFromBytes): RecordScanner {
  const steps = createScanSteps(fields, read, time);
  if (steps === undefined) return () => undefined;
  const row = scanColumns(1, fields.length);
  return (b) => (steps.walk(b, row, 0) ? steps.values(b, row, 0) : undefined);
}

/**
 * The event time read as a number straight from the bytes (ISO in UTC, read for nothing else: see
 * validate.ts, timeFromBytes): its value is then the instant in ms, or its text where the bytes
 * parser gives up (the validator parses that as before).
 */
export interface TimeFromBytes {
  /** The field's index. */
  field: number;
  /** What the field holds (a thread rebuilds `parse` from it: validate.ts, isoTimeFromBytes). */
  kind: 'timestamp' | 'date';
  /** The instant of the text at b[from, to), or undefined (the text is made and parsed as before). Passed in, so this file imports nothing it runs. */
  parse: (b: Uint8Array, from: number, to: number) => number | undefined;
}

/**
 * The scanner's two steps for a list of fields; undefined when every record must take the full path.
 * `intern`: fields whose texts repeat (the key), made into strings through a cache (internCache).
 * `spans`: fields whose plain texts are handed as a TextSpan (read by the record's id alone).
 */
export function createScanSteps(
  fields: readonly FieldSpec[],
  read: ReadonlySet<string> = new Set(fields.map((f) => f.name)),
  time?: TimeFromBytes,
  intern?: ReadonlySet<string>,
  spans?: ReadonlySet<string>,
): ScanSteps | undefined {
  const count = fields.length;
  const wanted = Uint8Array.from(fields, (f) => (read.has(f.name) ? 1 : 0));
  const names = fields.map((f) => Buffer.from(f.name, 'utf8'));
  // A name JSON must escape, or one not in ASCII, is left to the full path altogether.
  if (names.some((name) => name.some((c) => c < 0x20 || c >= 0x80 || c === 0x22 || c === 0x5c))) return undefined;
  const kinds = Uint8Array.from(fields, (f) => (f.type === 'int' ? INT : f.type === 'float' ? FLOAT : STRING));
  const nullable = Uint8Array.from(fields, (f) => (f.nullable ? 1 : 0));
  // Field names by their first byte and length, for records whose fields come in another order.
  const byHead = new Map<number, number[]>();
  names.forEach((name, f) => {
    const h = (name[0] ?? 0) * 4096 + name.length;
    byHead.set(h, [...(byHead.get(h) ?? []), f]);
  });
  const seenAt = new Uint32Array(count);
  let record = 0;
  const out: unknown[] = new Array(count).fill(null);

  // The names' bytes in one pool: the comparison below reads one typed array, whatever the field.
  const pool = new Uint8Array(Buffer.concat(names));
  const nameAt = new Int32Array(count + 1);
  for (let f = 0; f < count; f++) nameAt[f + 1] = nameAt[f] + names[f].length;

  const nameIs = (f: number, b: Uint8Array, from: number, to: number): boolean => {
    const at = nameAt[f];
    if (nameAt[f + 1] - at !== to - from) return false;
    for (let j = from; j < to; j++) if (pool[at + j - from] !== b[j]) return false;
    return true;
  };
  const fieldOf = (b: Uint8Array, from: number, to: number): number => {
    const candidates = byHead.get((to > from ? b[from] : 0) * 4096 + (to - from));
    if (candidates !== undefined) for (const f of candidates) if (nameIs(f, b, from, to)) return f;
    return -1;
  };

  const timeField = time?.field ?? -1;
  const parseTime = time?.parse;

  // Strings are made once the whole record is read (values()): plain ones (ASCII, no escapes)
  // straight from the bytes, others by the decoder (the walk has checked the bytes are UTF-8).
  const walk = (b: Uint8Array, cols: ScanColumns, base: number, start?: number, end?: number): boolean => {
    const { tag, num, from: strFrom, to: strTo } = cols;
    const n = end ?? b.length;
    if (++record === 0xffffffff) {
      seenAt.fill(0);
      record = 1;
    }
    let i = start ?? 0;
    let c = 0;
    while (i < n && SPACE[b[i]] === 1) i++;
    if (i >= n || b[i] !== 0x7b) return false; // '{'
    i++;
    let found = 0;
    let next = 0;
    let ascii = true;
    for (;;) {
      while (i < n && SPACE[b[i]] === 1) i++;
      if (i >= n || b[i] !== 0x22) return false; // a name ('}' of an empty object goes the full path too)
      const nameFrom = ++i;
      let f = -1;
      // Fields mostly come in the scenario's order: the next one is tried in place first.
      if (next < count) {
        const to = nameFrom + nameAt[next + 1] - nameAt[next];
        if (to < n && b[to] === 0x22 && nameIs(next, b, nameFrom, to)) {
          f = next;
          i = to;
        }
      }
      if (f < 0) {
        while (i < n && (c = b[i]) !== 0x22) {
          if (c === 0x5c || c >= 0x80 || c < 0x20) return false;
          i++;
        }
        if (i >= n) return false;
        f = fieldOf(b, nameFrom, i);
      }
      if (f < 0 || seenAt[f] === record) return false;
      seenAt[f] = record;
      found++;
      next = f + 1;
      i++;
      while (i < n && SPACE[b[i]] === 1) i++;
      if (i >= n || b[i] !== 0x3a) return false; // ':'
      i++;
      while (i < n && SPACE[b[i]] === 1) i++;
      if (i >= n) return false;
      c = b[i];
      const kind = kinds[f];
      if (c === 0x22) {
        if (kind !== STRING) return false;
        const from = ++i;
        let plain = 1;
        for (;;) {
          while (i < n && STRING_BYTE[b[i]] === 1) i++;
          if (i >= n) return false;
          c = b[i];
          if (c === 0x22) break;
          if (c < 0x20) return false;
          if (c === 0x5c) {
            plain = 0;
            if (++i >= n || ESCAPE[(c = b[i])] !== 1) return false;
            if (c === 0x75) {
              if (i + 4 >= n || HEX[b[i + 1]] !== 1 || HEX[b[i + 2]] !== 1 || HEX[b[i + 3]] !== 1 || HEX[b[i + 4]] !== 1) return false;
              i += 4;
            }
          } else if (c >= 0x80) {
            plain = 0;
            ascii = false;
          }
          i++;
        }
        strFrom[base + f] = from;
        strTo[base + f] = i;
        tag[base + f] = wanted[f] === 0 ? SKIP : plain === 1 ? PLAIN : ESCAPED;
        // The event time is read here, where the walk runs (a thread of its own on the embedded log
        // and Kafka): as a number, its value is the instant. A text parseTime does not take stays
        // text (values() tries it once more, then makes the string).
        if (f === timeField && plain === 1) {
          const t = parseTime!(b, from, i);
          if (t !== undefined) {
            num[base + f] = t;
            tag[base + f] = NUMBER;
          }
        }
        i++;
      } else if (c === 0x6e) {
        if (nullable[f] !== 1 || i + 3 >= n || b[i + 1] !== 0x75 || b[i + 2] !== 0x6c || b[i + 3] !== 0x6c) return false;
        tag[base + f] = NULL;
        i += 4;
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        if (kind === STRING) return false;
        const from = i;
        const negative = c === 0x2d;
        if (negative) i++;
        // JSON's grammar: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
        let m = 0;
        let digits = 0;
        let fraction = 0;
        c = i < n ? b[i] : 0;
        if (c === 0x30) {
          i++;
          digits = 1;
        } else if (c >= 0x31 && c <= 0x39) {
          while (i < n && (c = b[i]) >= 0x30 && c <= 0x39) {
            m = m * 10 + (c - 0x30);
            digits++;
            i++;
          }
        } else return false;
        if (i < n && b[i] === 0x2e) {
          i++;
          const at = i;
          while (i < n && (c = b[i]) >= 0x30 && c <= 0x39) {
            m = m * 10 + (c - 0x30);
            i++;
          }
          fraction = i - at;
          if (fraction === 0) return false;
          digits += fraction;
        }
        const exponent = i < n && ((c = b[i]) === 0x65 || c === 0x45);
        if (exponent && (i = exponentEnd(b, i, n)) < 0) return false;
        let v: number;
        if (!exponent && digits <= 15) {
          v = fraction === 0 ? m : m / POW10[fraction];
          if (negative) v = -v;
        } else if (kind === FLOAT && wanted[f] === 0 && !exponent && digits - fraction <= 300) {
          v = 0; // finite (under 10^300) and not read: not worth a Number()
        } else if (exponent || (v = exactDecimal(b, from, i)) !== v) v = Number(latin1(b, from, i)); // NaN: undecided
        if (kind === INT ? !Number.isSafeInteger(v) : !Number.isFinite(v)) return false;
        num[base + f] = v;
        tag[base + f] = NUMBER;
      } else return false; // true, false, an array or an object: the full path names the type
      while (i < n && SPACE[b[i]] === 1) i++;
      if (i >= n) return false;
      c = b[i++];
      if (c === 0x2c) continue; // ','
      if (c === 0x7d) break; // '}'
      return false;
    }
    while (i < n && SPACE[b[i]] === 1) i++;
    if (i !== n || found !== count) return false;
    if (!ascii && !isUtf8(start === undefined ? b : b.subarray(start, n))) return false;
    return true;
  };

  const readList = Int32Array.from(fields.flatMap((f, i) => (read.has(f.name) ? [i] : [])));
  // How a plain string's value is made, per field: its text, through the intern cache, or a span.
  const plainAs = Uint8Array.from(fields, (f) => (intern?.has(f.name) ? INTERNED : spans?.has(f.name) ? SPAN : TEXT));
  const interned = internCache();
  /** The event time's text as an instant where the bytes parser reads it. */
  const timeOf = (b: Uint8Array, from: number, to: number): number | string => parseTime!(b, from, to) ?? latin1(b, from, to);
  const values = (b: Uint8Array, cols: ScanColumns, base: number): unknown[] => {
    const { tag, num, from, to } = cols;
    for (let k = 0; k < readList.length; k++) {
      const f = readList[k];
      const at = base + f;
      const t = tag[at];
      out[f] =
        t === NUMBER ? num[at]
        : t === PLAIN ? (f === timeField ? timeOf(b, from[at], to[at]) : plainAs[f] === TEXT ? latin1(b, from[at], to[at]) : plainAs[f] === INTERNED ? interned(b, from[at], to[at]) : new TextSpan(b, from[at], to[at]))
        : t === ESCAPED ? (JSON.parse(utf8.decode(b.subarray(from[at] - 1, to[at] + 1))) as string)
        : null;
    }
    return out;
  };
  return { walk, values };
}

/** Slots of the intern cache, and the longest text it holds. */
const INTERN_SLOTS = 4096;
const INTERN_WIDTH = 32;
/** Lookups after which the cache decides whether it pays (hits in at least a quarter of them). */
const INTERN_TRIAL = 1 << 16;

/**
 * Strings of printable ASCII made through a cache of the last ones by their bytes (direct-mapped on
 * an FNV-1a hash): a key that repeats gets the same string back, with no new string to make and
 * collect, and V8 keeps its hash, so the key's Map lookup does not hash it again (a string per key
 * and record was ~8% of a Kafka member's thread). Where keys rarely repeat (a million customers) it
 * stops after its trial and makes each string as before.
 */
function internCache(): (b: Uint8Array, from: number, to: number) => string {
  const strings: (string | undefined)[] = new Array(INTERN_SLOTS);
  const lengths = new Int32Array(INTERN_SLOTS).fill(-1);
  const bytes = new Uint8Array(INTERN_SLOTS * INTERN_WIDTH);
  let on = true;
  let lookups = 0;
  let hits = 0;
  return (b, from, to) => {
    const n = to - from;
    if (!on || n > INTERN_WIDTH) return latin1(b, from, to);
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ b[i], 0x01000193);
    const slot = (h ^ (h >>> 16)) & (INTERN_SLOTS - 1);
    const at = slot * INTERN_WIDTH;
    if (++lookups === INTERN_TRIAL) on = hits * 4 >= lookups;
    if (lengths[slot] === n) {
      let j = 0;
      while (j < n && bytes[at + j] === b[from + j]) j++;
      if (j === n) {
        hits++;
        return strings[slot]!;
      }
    }
    const s = latin1(b, from, to);
    for (let j = 0; j < n; j++) bytes[at + j] = b[from + j];
    lengths[slot] = n;
    strings[slot] = s;
    return s;
  };
}
