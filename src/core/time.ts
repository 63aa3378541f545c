/**
 * Strict event-time parsing shared by replay (to order records) and the engine (to validate them).
 * The oracle parses with DuckDB instead, so a bug here shows up as a verify failure.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Milliseconds since the epoch (UTC), or undefined when the text is not a valid ISO date/time. */
export function parseIsoTime(text: string): number | undefined {
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const y = +m[1], mo = +m[2], d = +m[3];
  const h = m[4] === undefined ? 0 : +m[4];
  const mi = m[5] === undefined ? 0 : +m[5];
  const s = m[6] === undefined ? 0 : +m[6];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const day = Date.UTC(y, mo - 1, d);
  if (new Date(day).getUTCDate() !== d) return undefined; // 2015-02-30
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

/** Only a calendar date, YYYY-MM-DD, as UTC midnight. */
export function parseIsoDate(text: string): number | undefined {
  return text.length === 10 ? parseIsoTime(text) : undefined;
}

/**
 * toISOString memoized per distinct instant: window bounds repeat across thousands of results, and
 * formatting a Date is the cost that shows. The memo is dropped when it passes 10,000 entries.
 */
export function cachedIso(): (ms: number) => string {
  const memo = new Map<number, string>();
  return (ms) => {
    let s = memo.get(ms);
    if (s === undefined) {
      if (memo.size > 10_000) memo.clear();
      s = new Date(ms).toISOString();
      memo.set(ms, s);
    }
    return s;
  };
}
