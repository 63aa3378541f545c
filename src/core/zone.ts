/**
 * Local wall-clock time in an IANA zone to an instant, by the rule java.time uses (and so Spark and
 * Flink): a local time that occurs twice (clocks going back) is the earlier instant; a local time
 * that does not exist (clocks going forward) is moved later by the length of the gap. The oracle
 * reaches the same instants through DuckDB's ICU (src/verify/sql.ts); a randomized test holds them equal.
 */

const HOUR = 3_600_000;
/** Every UTC offset in use is within ±14 h, so an instant for a local time is within this of it. */
const REACH = 15 * HOUR;

/** The zone name if Node's ICU knows it, else an error text. */
export function checkZone(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `"${zone}" is not an IANA time zone (examples: UTC, Europe/Berlin, America/New_York)`;
  }
}

/** The zone's UTC offset in ms at an instant (whole seconds, as the tz database has them). */
function offsetFinder(zone: string): (instant: number) => number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', era: 'short',
    year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  return (instant) => {
    const at = Math.floor(instant / 1000) * 1000;
    const p: Record<string, string> = {};
    for (const part of format.formatToParts(at)) p[part.type] = part.value;
    const year = p.era === 'BC' || p.era === 'B' ? 1 - Number(p.year) : Number(p.year);
    const local = new Date(0).setUTCFullYear(year, Number(p.month) - 1, Number(p.day)) + ((Number(p.hour) * 60 + Number(p.minute)) * 60 + Number(p.second)) * 1000;
    return local - at;
  };
}

/** An instant's wall-clock reading in the zone, as local ms (written as if it were UTC). */
export function utcToLocal(zone: string): (instant: number) => number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return (t) => t;
  const offsetAt = offsetFinder(zone);
  return (t) => t + offsetAt(t);
}

/**
 * A converter from local ms (the wall-clock reading written as if it were UTC) to UTC ms. Most local
 * hours lie far from any transition: their offset is found once and kept, so a record costs one
 * map lookup; an hour near a transition is worked out record by record.
 */
export function localToUtc(zone: string): (local: number) => number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return (local) => local;
  const offsetAt = offsetFinder(zone);
  const steady = new Map<number, number | null>();
  const exact = (local: number): number => {
    const before = offsetAt(local - REACH);
    const after = offsetAt(local + REACH);
    const early = local - before;
    const late = local - after;
    if (before === after) return early;
    const earlyHolds = offsetAt(early) === before;
    const lateHolds = offsetAt(late) === after;
    if (earlyHolds && lateHolds) return Math.min(early, late); // twice: the earlier instant
    if (lateHolds) return late;
    return early; // only the offset before holds, or a gap: the offset before moves it later by the gap
  };
  return (local) => {
    const hour = Math.floor(local / HOUR);
    let offset = steady.get(hour);
    if (offset === undefined) {
      const start = hour * HOUR;
      const a = offsetAt(start - REACH), b = offsetAt(start), c = offsetAt(start + HOUR + REACH);
      offset = a === b && b === c ? a : null;
      if (steady.size > 100_000) steady.clear();
      steady.set(hour, offset);
    }
    return offset === null ? exact(local) : local - offset;
  };
}
