/**
 * Strict event-time parsing shared by replay (to order records) and the engine (to validate them).
 * The oracle parses with DuckDB instead, so a bug here shows up as a verify failure.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Milliseconds since the epoch (UTC), or undefined when the text is not a valid ISO date/time. */
export function parseIsoTime(text: string): number | undefined {
  return parseUtcFast(text) ?? parseIsoTimeByPattern(text);
}

/** The full grammar (zones, dates alone), by regular expression; exported to test the fast path against. */
export function parseIsoTimeByPattern(text: string): number | undefined {
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const y = +m[1], mo = +m[2], d = +m[3];
  const h = m[4] === undefined ? 0 : +m[4];
  const mi = m[5] === undefined ? 0 : +m[5];
  const s = m[6] === undefined ? 0 : +m[6];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const day = utcDate(y, mo, d);
  if (day === undefined) return undefined; // 2015-02-30
  const ms = m[7] === undefined ? 0 : Math.floor(Number(m[7].slice(0, 3).padEnd(3, '0')));
  let t = day + ((h * 60 + mi) * 60 + s) * 1000 + ms;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (+digits.slice(0, 2) * 60 + +digits.slice(2, 4)) * 60_000;
  }
  return t;
}

const digit = (t: string, i: number) => {
  const c = t.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};
const two = (t: string, i: number) => digit(t, i) * 10 + digit(t, i + 1);
let dayText = '';
let dayMs = 0;

/**
 * The common shape, YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z], read by character codes: a third of the
 * engine's validation cost went to the regular expression. The day is remembered, since a stream's
 * records share few. Anything else (zones, bad ranges, other lengths) is left to the full parser.
 */
function parseUtcFast(t: string): number | undefined {
  const n = t.length;
  if (n === 10) return t.charCodeAt(4) === 45 && t.charCodeAt(7) === 45 ? utcDay(t) : undefined;
  if (n < 19 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return undefined;
  const sep = t.charCodeAt(10);
  if (sep !== 84 && sep !== 32) return undefined; // 'T' or ' '
  let end = n;
  if (t.charCodeAt(n - 1) === 90) end--; // 'Z'
  let ms = 0;
  if (end > 19) {
    if (t.charCodeAt(19) !== 46 || end - 20 < 1 || end - 20 > 9) return undefined; // '.' and 1-9 digits
    for (let i = 20; i < end; i++) if (Number.isNaN(digit(t, i))) return undefined;
    ms = (digit(t, 20) * 100 + (end > 21 ? digit(t, 21) * 10 : 0) + (end > 22 ? digit(t, 22) : 0));
  }
  const h = two(t, 11), mi = two(t, 14), s = two(t, 17);
  if (!(h <= 23 && mi <= 59 && s <= 59)) return undefined; // NaN fails too
  const day = utcDay(t);
  return day === undefined ? undefined : day + ((h * 60 + mi) * 60 + s) * 1000 + ms;
}

/** UTC midnight of the YYYY-MM-DD the text starts with (its dashes checked by the caller), remembered. */
function utcDay(t: string): number | undefined {
  if (t.length === 10 ? t !== dayText : !t.startsWith(dayText) || dayText === '') {
    const y = digit(t, 0) * 1000 + digit(t, 1) * 100 + two(t, 2), mo = two(t, 5), d = two(t, 8);
    if (!(mo >= 1 && mo <= 12 && d >= 1)) return undefined;
    const day = utcDate(y, mo, d);
    if (day === undefined) return undefined;
    dayText = t.slice(0, 10);
    dayMs = day;
  }
  return dayMs;
}

/**
 * UTC midnight of a calendar date (month 1-12), or undefined when the day is not in the month. Years
 * 0-99 are those years (Date.UTC would take them as 1900-1999), proleptic Gregorian as DuckDB's are.
 */
export function utcDate(y: number, mo: number, d: number): number | undefined {
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31)) return undefined;
  const day = y >= 100 ? Date.UTC(y, mo - 1, d) : new Date(0).setUTCFullYear(y, mo - 1, d);
  return new Date(day).getUTCDate() === d ? day : undefined;
}

/** Only a calendar date, YYYY-MM-DD, as UTC midnight. */
export function parseIsoDate(text: string): number | undefined {
  return text.length === 10 ? parseIsoTime(text) : undefined;
}

/**
 * toISOString memoized per distinct instant: window bounds repeat across thousands of results, and
 * formatting is the cost that shows. The memo is dropped when it passes 10,000 entries; a miss is
 * formatted by isoFormatter (Date's text, at a quarter of its cost).
 */
export function cachedIso(): (ms: number) => string {
  const memo = new Map<number, string>();
  const format = isoFormatter();
  return (ms) => {
    let s = memo.get(ms);
    if (s === undefined) {
      if (memo.size > 10_000) memo.clear();
      s = format(ms);
      memo.set(ms, s);
    }
    return s;
  };
}

const DAY_MS = 86_400_000;
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * toISOString of an instant, a quarter of its cost: the date part is made once per day (instants in
 * a stream come day after day), the time of day from two-digit parts. Whole milliseconds in years
 * 1970–9999 only; any other instant goes to Date, so the text is always Date's.
 */
export function isoFormatter(): (ms: number) => string {
  let day = NaN;
  let prefix = '';
  return (ms) => {
    if (!Number.isInteger(ms) || ms < 0 || ms >= 253_402_300_800_000) return new Date(ms).toISOString();
    const d = Math.floor(ms / DAY_MS);
    if (d !== day) {
      day = d;
      prefix = new Date(d * DAY_MS).toISOString().slice(0, 11);
    }
    let t = ms - d * DAY_MS;
    const h = Math.floor(t / 3_600_000);
    t -= h * 3_600_000;
    const m = Math.floor(t / 60_000);
    t -= m * 60_000;
    const s = Math.floor(t / 1000);
    return `${prefix}${TWO[h]}:${TWO[m]}:${TWO[s]}.${THREE[t - s * 1000]}Z`;
  };
}

const byteDigit = (b: Uint8Array, i: number) => {
  const c = b[i] - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};
const byteTwo = (b: Uint8Array, i: number) => byteDigit(b, i) * 10 + byteDigit(b, i + 1);
let bytesDayKey = NaN;
let bytesDayMs = 0;

/**
 * parseUtcFast over a record's bytes b[from, to) (printable ASCII: the text is its bytes), so the
 * engine reads an event time without making its string. It takes exactly the texts parseUtcFast
 * takes, with the same result; anything else is undefined, and the caller parses the text instead.
 */
export function parseIsoBytes(b: Uint8Array, from: number, to: number): number | undefined {
  const n = to - from;
  if (n === 10) return b[from + 4] === 45 && b[from + 7] === 45 ? bytesDay(b, from) : undefined;
  if (n < 19 || b[from + 4] !== 45 || b[from + 7] !== 45 || b[from + 13] !== 58 || b[from + 16] !== 58) return undefined;
  const sep = b[from + 10];
  if (sep !== 84 && sep !== 32) return undefined; // 'T' or ' '
  let end = n;
  if (b[from + n - 1] === 90) end--; // 'Z'
  let ms = 0;
  if (end > 19) {
    if (b[from + 19] !== 46 || end - 20 < 1 || end - 20 > 9) return undefined; // '.' and 1-9 digits
    for (let i = 20; i < end; i++) if (Number.isNaN(byteDigit(b, from + i))) return undefined;
    ms = byteDigit(b, from + 20) * 100 + (end > 21 ? byteDigit(b, from + 21) * 10 : 0) + (end > 22 ? byteDigit(b, from + 22) : 0);
  }
  const h = byteTwo(b, from + 11), mi = byteTwo(b, from + 14), s = byteTwo(b, from + 17);
  if (!(h <= 23 && mi <= 59 && s <= 59)) return undefined; // NaN fails too
  const day = bytesDay(b, from);
  return day === undefined ? undefined : day + ((h * 60 + mi) * 60 + s) * 1000 + ms;
}

/** UTC midnight of the YYYY-MM-DD at b[from] (its dashes checked by the caller), remembered. */
function bytesDay(b: Uint8Array, from: number): number | undefined {
  const y = byteDigit(b, from) * 1000 + byteDigit(b, from + 1) * 100 + byteTwo(b, from + 2), mo = byteTwo(b, from + 5), d = byteTwo(b, from + 8);
  if (!(mo >= 1 && mo <= 12 && d >= 1)) return undefined;
  const key = y * 10_000 + mo * 100 + d;
  if (key !== bytesDayKey) {
    const day = utcDate(y, mo, d);
    if (day === undefined) return undefined;
    bytesDayKey = key;
    bytesDayMs = day;
  }
  return bytesDayMs;
}
