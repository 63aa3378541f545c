import { POW10 } from '../../core/decimal.js';

/**
 * A send time's header text: milliseconds to the microsecond. Its 16 or 17 digits stay within
 * decimalOf's exact fast path (a performance.now()-based time printed whole runs to 18 and more).
 */
export function sendTimeText(ms: number): string {
  return ms.toFixed(3);
}

/**
 * The text of bytes [start, end) as a number, exactly as Number() reads it, without making the
 * string: a send-time header is milliseconds with a fraction ("1764899683123.456"). Digits and one
 * point whose digits make an integer below 2^53 divide by an exact power of ten, which rounds once,
 * as Number() does (Clinger's fast path); anything else goes to Number().
 */
export function decimalOf(b: Uint8Array, start: number, end: number): number {
  let m = 0;
  let point = -1;
  const n = end - start;
  if (n === 0 || n > 17) return byNumber(b, start, end);
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 46 && point < 0 && i > start && i < end - 1) point = i;
    else if (c >= 48 && c <= 57) m = m * 10 + (c - 48);
    else return byNumber(b, start, end);
  }
  if (m > Number.MAX_SAFE_INTEGER) return byNumber(b, start, end);
  return point < 0 ? m : m / POW10[end - 1 - point];
}

/** decimalOf's way out: the bytes as a string, through Number() (a function of its own, so the fast path makes no closure per call). */
function byNumber(b: Uint8Array, start: number, end: number): number {
  return Number(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1'));
}
