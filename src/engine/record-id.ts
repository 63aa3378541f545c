import { TextSpan } from './scan-record.js';

/**
 * A record's natural id: its id fields' values joined by '|', numbers as String(v) writes them
 * (README, "Deduplication"). Deduplication needs only the id's UTF-8 bytes, so the engine writes
 * them straight from the values into the dedup table's scratch (write()); the text is made only
 * where a row shows it (a late record, an alert, a report): text(). Making the text of every record
 * (a number's digits, then the joined string, then its bytes) was ~8% of the engine's thread on IoT.
 */
export class RecordId {
  readonly #names: readonly string[];
  /**
   * Writes the UTF-8 bytes of text(values) into out from 0; returns how many, or -1 when out may be
   * too small (the caller grows it to bound() and asks again). Compiled for the id's fields, so each
   * is loaded by its own name (a keyed load by a changing name was most of its cost).
   */
  readonly write: (values: Record<string, unknown>, out: Uint8Array) => number;

  constructor(names: readonly string[]) {
    this.#names = names;
    const steps = names.map(
      (name, i) =>
        `${i > 0 ? "if (at >= out.length) return -1; out[at++] = 0x7c;" : ''}
        v = values[${JSON.stringify(name)}];
        at =
          typeof v === 'string' ? writeText(v, out, at)
          : typeof v === 'number' && Number.isSafeInteger(v) ? writeInteger(v, out, at)
          : v instanceof TextSpan ? writeSpan(v, out, at)
          : writeText(part(v), out, at);
        if (at < 0) return -1;`,
    );
    const make = new Function('writeInteger', 'writeText', 'writeSpan', 'TextSpan', 'part', `return function write(values, out) { let at = 0; let v; ${steps.join('\n')} return at; };`);
    this.write = make(writeInteger, writeText, writeSpan, TextSpan, part) as RecordId['write'];
  }

  /** The id's text. */
  text(values: Record<string, unknown>): string {
    const names = this.#names;
    if (names.length === 1) return part(values[names[0]]);
    let id = '';
    for (let i = 0; i < names.length; i++) id += (i > 0 ? '|' : '') + part(values[names[i]]);
    return id;
  }

  /** Bytes enough for write() of these values. */
  bound(values: Record<string, unknown>): number {
    let n = 0;
    for (const name of this.#names) {
      const v = values[name];
      // A number's text is at most 24 characters (-1.7976931348623157e+308); writeInteger asks for 17.
      n += 1 + (typeof v === 'number' ? 25 : v instanceof TextSpan ? v.to - v.from : 3 * (typeof v === 'string' ? v : part(v)).length);
    }
    return n;
  }
}

/** One id field's text: String(v) (a span's text). */
function part(v: unknown): string {
  return typeof v === 'number' ? numberText(v) : v instanceof TextSpan ? v.text() : String(v);
}

/**
 * String(v), faster for whole numbers past 2^31 (an epoch in ms in an id: V8 formats such a double
 * in ~140 ns, two halves below 2^31 in a third of that).
 */
export function numberText(v: number): string {
  if (!Number.isSafeInteger(v) || (v < 2 ** 31 && v > -(2 ** 31))) return String(v);
  if (v < 0) return `-${numberText(-v)}`;
  const high = Math.floor(v / 1e8);
  const low = String(v - high * 1e8);
  return String(high) + '00000000'.slice(low.length) + low;
}

const encoder = new TextEncoder();

/** A string's UTF-8 at `at` (ASCII byte by byte, the rest by TextEncoder); -1 when it may not fit. */
function writeText(s: string, out: Uint8Array, at: number): number {
  const n = s.length;
  if (at + n > out.length) return -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      if (at + 3 * (n - i) > out.length) return -1;
      return at + encoder.encodeInto(s.slice(i), out.subarray(at)).written;
    }
    out[at++] = c;
  }
  return at;
}

/** A span's bytes at `at` (printable ASCII: its text's UTF-8); -1 when they may not fit. */
function writeSpan(v: TextSpan, out: Uint8Array, at: number): number {
  const b = v.bytes;
  const to = v.to;
  if (at + to - v.from > out.length) return -1;
  for (let i = v.from; i < to; i++) out[at++] = b[i];
  return at;
}

/**
 * A safe integer's decimal digits as String(v) writes them (-0 as "0"); -1 when they may not fit.
 * Past 2^31 it is two halves of int32 arithmetic (a double's % 10 is a call into C, 13 times over
 * for an epoch in ms).
 */
function writeInteger(v: number, out: Uint8Array, at: number): number {
  if (at + 17 > out.length) return -1;
  if (v < 0) {
    out[at++] = 0x2d; // '-'
    v = -v;
  }
  if (v < 2 ** 31) return writeDigits(v | 0, out, at);
  const high = Math.floor(v / 1e8);
  let low = (v - high * 1e8) | 0;
  at = writeDigits(high, out, at);
  for (let k = 7; k >= 0; k--) {
    out[at + k] = 0x30 + (low % 10);
    low = (low / 10) | 0;
  }
  return at + 8;
}

/** A non-negative int32's digits. */
function writeDigits(n: number, out: Uint8Array, at: number): number {
  const from = at;
  do {
    out[at++] = 0x30 + (n % 10);
    n = (n / 10) | 0;
  } while (n > 0);
  for (let i = from, j = at - 1; i < j; i++, j--) {
    const x = out[i];
    out[i] = out[j];
    out[j] = x;
  }
  return at;
}
