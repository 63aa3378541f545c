/**
 * A JSON decimal of 16 to 19 significant digits read exactly, without making its text: the double
 * nearest to it, as JSON.parse and Number() give, or NaN where this cannot be sure (the caller then
 * makes the text and calls Number()). Such numbers are common: a double printed shortest
 * (JavaScript's String, Python's repr) takes 17 digits, as the tortoise sensors' accelerations do,
 * and making a string for Number() was a quarter of the scanner's walk over an IoT record.
 *
 * How: the digits m (< 10^19 < 2^64) are held exactly as a sum of two doubles (the first 15 digits
 * times 10^r, split exactly by Dekker's product, plus the rest), divided by 10^k (exact in a double
 * for k ≤ 22) to ~2^-103 relative error as q1 + q2 with an exact remainder, and the sum rounded
 * once. That rounding is the nearest double unless the true quotient lies within the error of a
 * halfway point between two doubles: both ends of the error's interval must round to the same
 * double, else NaN. Round-to-nearest is monotonic, so a quotient between two ends that round alike
 * rounds alike too. A decimal exactly halfway (4503599627370496.5) is NaN, left to Number(); a whole
 * number needs no division: its sum is rounded once, exactly (the halfway 9007199254740993 too).
 */

export const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Dekker's split constant, 2^27 + 1: a double in two halves of 26 bits whose products are exact. */
const SPLIT = 134217729;
/** The error's bound, relative: 2^-95, 8 bits above the ~2^-103 the steps below can lose. */
const BOUND = 2 ** -95;

/** The low part of a * b given p = fl(a * b), exact: a * b === p + productError(a, b, p) (Dekker; no overflow at these magnitudes: |a|, |b| < 2^75). */
function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * The value of the JSON number at b[from, to): -?digits(.digits)? with no exponent (the caller has
 * checked the grammar). NaN where it has more than 19 significant digits, more than 22 after the
 * point, or lies too near a halfway point to decide here.
 */
export function exactDecimal(b: Uint8Array, from: number, to: number): number {
  let i = from;
  const negative = b[i] === 0x2d;
  if (negative) i++;
  let head = 0; // the first 15 significant digits
  let tail = 0; // the ones after them
  let tailDigits = 0;
  let significant = 0;
  let fraction = 0;
  let point = false;
  for (; i < to; i++) {
    const c = b[i];
    if (c === 0x2e) {
      point = true;
      continue;
    }
    if (point) fraction++;
    if (significant < 15) {
      head = head * 10 + (c - 0x30);
      if (head !== 0) significant++;
    } else {
      tail = tail * 10 + (c - 0x30);
      tailDigits++;
      significant++;
    }
  }
  if (significant > 19 || fraction > 22) return NaN;
  const scale = POW10[fraction];
  let v: number;
  if (tailDigits === 0) {
    // At most 15 digits: exact, and so one division rounds once (Clinger's fast path).
    v = head / scale;
  } else {
    // m = head * 10^tailDigits + tail, exactly, as ph + x, then as sh + sl.
    const p10 = POW10[tailDigits];
    const ph = head * p10;
    const x = productError(head, p10, ph) + tail; // small integers: exact
    const sh = ph + x;
    // A whole number: sh is ph + x rounded once, so the nearest double (halfway to even, as Number()).
    if (fraction === 0) return negative ? -sh : sh;
    const sl = x - (sh - ph);
    // m / 10^k as q1 + q2: q1 rounded, q2 from the remainder m - q1 * 10^k (sh - a is exact, Sterbenz).
    const q1 = sh / scale;
    const a = q1 * scale;
    const q2 = (sh - a - productError(q1, scale, a) + sl) / scale;
    v = q1 + q2;
    const e = q2 - (v - q1); // v + e === q1 + q2 exactly
    const bound = v * BOUND;
    if (v + (e - bound) !== v || v + (e + bound) !== v) return NaN;
  }
  return negative ? -v : v;
}
