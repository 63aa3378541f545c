import { UsageError } from './errors.js';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Parses "500ms", "90s", "1m", "2h", "1d", "1h30m" or a bare number of ms into milliseconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const s = String(text).trim();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNITS[m[2]];
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) {
    throw new UsageError(`${what}: "${text}" is not a duration (examples: 500ms, 30s, 1m, 2h, 1d)`);
  }
  return Math.round(total);
}

/** Parses "1h..2d" or "1h-2d" (or a single duration) into [min, max] milliseconds. */
export function parseDurationRange(text: string, what = 'duration range'): [number, number] {
  const parts = String(text).split(/\.\.|-/);
  if (parts.length > 2 || parts.some((p) => p.trim() === '')) {
    throw new UsageError(`${what}: "${text}" is not a duration range (example: 1h..2d)`);
  }
  const lo = parseDuration(parts[0], what);
  const hi = parts.length === 2 ? parseDuration(parts[1], what) : lo;
  if (hi < lo) throw new UsageError(`${what}: "${text}" has its maximum below its minimum`);
  return [lo, hi];
}

/** Milliseconds as the largest exact unit: 86400000 -> "1d", 10800000 -> "3h", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

