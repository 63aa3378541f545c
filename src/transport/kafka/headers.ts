import { HEADER_END, HEADER_SEND_TIME } from '../types.js';

const SEND_TIME = Buffer.from(HEADER_SEND_TIME);
const END = Buffer.from(HEADER_END);

/**
 * Reads the headers sat's replay sets on a record into `out`: its send time, or (on a marker) the
 * end-of-stream value; both unset when absent. Names are compared as bytes: this runs per record.
 */
export function readSatHeaders(headers: Iterable<[Buffer | null | undefined, Buffer | null | undefined]>, out: { endMark?: string; sendTime?: number }): void {
  out.endMark = undefined;
  out.sendTime = undefined;
  for (const [k, v] of headers) {
    if (!k || !v) continue;
    if (k.equals(SEND_TIME)) out.sendTime = decimal(v);
    else if (k.equals(END)) out.endMark = v.toString();
  }
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The header's text as a number, exactly as Number() reads it, without making the string: a send
 * time is milliseconds with a fraction ("1764899683123.456"). Digits and one point whose digits make
 * an integer below 2^53 divide by an exact power of ten, which rounds once, as Number() does
 * (Clinger's fast path); anything else goes to Number().
 */
function decimal(v: Buffer): number {
  let m = 0;
  let point = -1;
  const n = v.length;
  if (n === 0 || n > 17) return Number(v.toString('latin1'));
  for (let i = 0; i < n; i++) {
    const c = v[i];
    if (c === 46 && point < 0 && i > 0 && i < n - 1) point = i;
    else if (c >= 48 && c <= 57) m = m * 10 + (c - 48);
    else return Number(v.toString('latin1'));
  }
  if (m > Number.MAX_SAFE_INTEGER) return Number(v.toString('latin1'));
  return point < 0 ? m : m / POW10[n - 1 - point];
}
