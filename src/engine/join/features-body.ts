// The records' byte scanner's tables: JSON's whitespace, the bytes a plain string holds (printable
// ASCII other than '"' and '\\'), exact powers of ten, and a text from bytes of one byte each.
import { exactDecimal, POW10 } from '../../core/decimal.js';
import { latin1 } from '../../core/latin1.js';
import { exponentEnd, SPACE, STRING_BYTE as NAME_BYTE } from '../scan-record.js';

/**
 * An online-features answer read from its bytes straight into the columns (FeatureColumns), with no
 * text decoded and no object per customer: JSON.parse of the answers, objects keyed by customer ids,
 * was a third of the online client's thread in a satisfaction run (~60 MB/s: every id is a new
 * property name), and its objects most of that thread's garbage.
 *
 * It reads only the plain shape `{"minute": n, "features": {id: {name: number | null, ...} | null}}`
 * (any order, any whitespace). Anything else (an escape or a non-ASCII byte in a name, a string,
 * boolean or nested value, an unknown top-level field, an id answered twice, a body cut off) answers
 * 'other', with the batch's columns as they were: the caller then JSON.parses the body, which
 * decides as before (a body that is not JSON fails the attempt). So what an answer means is written
 * once, in the caller's parsed path; a property test holds the two equal.
 */

/** Where the batch's answers go: ids[k]'s feature names[j] at values[(from + k) * names.length + j], found[from + k] = 1. */
export interface FeatureTarget {
  ids: readonly string[];
  from: number;
  names: readonly string[];
  values: Float64Array;
  found: Uint8Array;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/**
 * A parsed answer's `features` into the target: what an answer means. An id is found when the
 * answer has it as an own property (an id such as "constructor" is not found on Object.prototype);
 * a feature is read when it is a number.
 */
export function writeParsed(features: Record<string, unknown>, t: FeatureTarget): void {
  const { ids, from, names, values, found } = t;
  for (let k = 0; k < ids.length; k++) {
    if (!Object.hasOwn(features, ids[k])) continue;
    found[from + k] = 1;
    const f = features[ids[k]];
    if (f === null || typeof f !== 'object') continue;
    for (let j = 0; j < names.length; j++) {
      const v = Object.hasOwn(f, names[j]) ? (f as Record<string, unknown>)[names[j]] : undefined;
      if (typeof v === 'number') values[(from + k) * names.length + j] = v;
    }
  }
}

/** Reads the answer into the target; 'other' (and the target's rows untouched) where the body is not of the plain shape. */
export function readFeatures(b: Uint8Array, t: FeatureTarget): 'read' | 'other' {
  if (readBody(b, t)) return 'read';
  // Rows written before the reader gave up are the parsed path's to write: as they were.
  const w = t.names.length;
  t.values.fill(NaN, t.from * w, (t.from + t.ids.length) * w);
  t.found.fill(0, t.from, t.from + t.ids.length);
  return 'other';
}

/** The top level: {"minute": n, "features": {...}} in either order. */
function readBody(b: Uint8Array, t: FeatureTarget): boolean {
  let i = skip(b, 0);
  if (b[i] !== OPEN) return false;
  i = skip(b, i + 1);
  let features = false;
  for (;;) {
    if (b[i] !== QUOTE) return false; // '}' of an empty object too: no features
    const to = nameEnd(b, i + 1);
    if (to < 0) return false;
    const isFeatures = sameText(b, i + 1, to, 'features');
    const isMinute = !isFeatures && sameText(b, i + 1, to, 'minute');
    i = skip(b, to + 1);
    if (b[i] !== COLON) return false;
    i = skip(b, i + 1);
    if (isFeatures && !features) {
      i = featureMap(b, i, t);
      features = true;
    } else if (isMinute) i = numberEnd(b, i);
    else return false;
    if (i < 0) return false;
    i = skip(b, i);
    if (b[i] === CLOSE) break;
    if (b[i] !== COMMA) return false;
    i = skip(b, i + 1);
  }
  return features && skip(b, i + 1) === b.length;
}

/** {id: {name: number | null, ...} | null, ...} from b[i] into the target; the index after it, or -1. */
function featureMap(b: Uint8Array, i: number, t: FeatureTarget): number {
  const { ids, from, names, values, found } = t;
  const w = names.length;
  if (b[i] !== OPEN) return -1;
  i = skip(b, i + 1);
  if (b[i] === CLOSE) return i + 1;
  // Answers mostly come in the order asked, and each with its names in one order: the id asked next,
  // and the name the last answer had in this place, are tried first.
  let next = 0;
  let index: Map<string, number> | undefined;
  const order = new Int32Array(16).fill(-1);
  for (;;) {
    if (b[i] !== QUOTE) return -1;
    let row = -1;
    let idEnd = next < ids.length ? nameAt(b, i + 1, ids[next]) : -1;
    if (idEnd >= 0) row = next++;
    else {
      idEnd = nameEnd(b, i + 1);
      if (idEnd < 0) return -1;
      index ??= new Map(ids.map((id, k) => [id, k]));
      const k = index.get(latin1(b, i + 1, idEnd));
      if (k !== undefined) {
        row = k;
        next = k + 1;
      }
    }
    if (row >= 0) {
      if (found[from + row] === 1) return -1; // answered twice: JSON.parse keeps the last object whole
      found[from + row] = 1;
    }
    i = skip(b, idEnd + 1);
    if (b[i] !== COLON) return -1;
    i = skip(b, i + 1);
    if (isNull(b, i)) i += 4;
    else {
      if (b[i] !== OPEN) return -1;
      i = skip(b, i + 1);
      const at = (from + row) * w;
      if (b[i] !== CLOSE) {
        for (let k = 0; ; k++) {
          if (b[i] !== QUOTE) return -1;
          let j = k < 16 ? order[k] : -1;
          let end = j >= 0 ? nameAt(b, i + 1, names[j]) : -1;
          if (end < 0) {
            end = nameEnd(b, i + 1);
            if (end < 0) return -1;
            j = -1;
            for (let q = 0; q < w && j < 0; q++) if (sameText(b, i + 1, end, names[q])) j = q;
            if (k < 16) order[k] = j;
          }
          i = skip(b, end + 1);
          if (b[i] !== COLON) return -1;
          i = skip(b, i + 1);
          let v = NaN;
          if (isNull(b, i)) i += 4;
          else {
            i = numberEnd(b, i);
            if (i < 0) return -1;
            v = numberRead;
          }
          // A name given twice: the last one counts, as in JSON.parse.
          if (j >= 0 && row >= 0) values[at + j] = v;
          i = skip(b, i);
          if (b[i] === CLOSE) break;
          if (b[i] !== COMMA) return -1;
          i = skip(b, i + 1);
        }
      }
      i++;
    }
    i = skip(b, i);
    if (b[i] === CLOSE) return i + 1;
    if (b[i] !== COMMA) return -1;
    i = skip(b, i + 1);
  }
}

function skip(b: Uint8Array, i: number): number {
  while (i < b.length && SPACE[b[i]] === 1) i++;
  return i;
}

/** The closing quote of a string of printable ASCII without escapes starting at b[i], or -1. */
function nameEnd(b: Uint8Array, i: number): number {
  for (; i < b.length; i++) if (NAME_BYTE[b[i]] !== 1) return b[i] === QUOTE ? i : -1;
  return -1;
}

/**
 * The closing quote of the string starting at b[i] if it is s (printable ASCII without escapes),
 * else -1: one pass where nameEnd and a comparison would take two.
 */
function nameAt(b: Uint8Array, i: number, s: string): number {
  const end = i + s.length;
  if (end >= b.length || b[end] !== QUOTE) return -1;
  for (let k = 0; k < s.length; k++) {
    const c = b[i + k];
    if (c !== s.charCodeAt(k) || NAME_BYTE[c] !== 1) return -1;
  }
  return end;
}

/** b[from, to) holds s's characters, one byte each (the bytes are printable ASCII: nameEnd). */
function sameText(b: Uint8Array, from: number, to: number, s: string): boolean {
  if (to - from !== s.length) return false;
  for (let k = 0; k < s.length; k++) if (b[from + k] !== s.charCodeAt(k)) return false;
  return true;
}

function isNull(b: Uint8Array, i: number): boolean {
  return i + 3 < b.length && b[i] === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c;
}

/** The value numberEnd read last. */
let numberRead = 0;

/**
 * The end of the JSON number at b[i] (-1 if there is none), its value into numberRead, as
 * JSON.parse makes it: an integer of at most 15 digits, or a decimal of at most 15 digits and no
 * exponent, is exact in a double and so is its quotient by 10^k (Clinger's fast path); one of up
 * to 19 digits by exactDecimal where it can decide; any other by Number(), which rounds as
 * JSON.parse does.
 */
function numberEnd(b: Uint8Array, i: number): number {
  const n = b.length;
  const start = i;
  const negative = i < n && b[i] === 0x2d;
  if (negative) i++;
  let c = i < n ? b[i] : 0;
  let m = 0;
  let digits = 0;
  if (c === 0x30) {
    i++;
    digits = 1;
  } else if (c >= 0x31 && c <= 0x39) {
    for (; i < n && (c = b[i]) >= 0x30 && c <= 0x39; i++, digits++) m = m * 10 + (c - 0x30);
  } else return -1;
  let fraction = 0;
  if (i < n && b[i] === 0x2e) {
    const at = ++i;
    for (; i < n && (c = b[i]) >= 0x30 && c <= 0x39; i++) m = m * 10 + (c - 0x30);
    fraction = i - at;
    if (fraction === 0) return -1;
    digits += fraction;
  }
  const exponent = i < n && ((c = b[i]) === 0x65 || c === 0x45);
  if (exponent && (i = exponentEnd(b, i, n)) < 0) return -1;
  if (!exponent && digits <= 15) numberRead = negative ? -(m / POW10[fraction]) : m / POW10[fraction];
  else if (exponent || (numberRead = exactDecimal(b, start, i)) !== numberRead) numberRead = Number(latin1(b, start, i)); // NaN: undecided
  return i;
}
