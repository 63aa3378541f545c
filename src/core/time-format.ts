import { parseIsoDate, parseIsoTime, utcDate } from './time.js';
import { localToUtc, utcToLocal } from './zone.js';

/**
 * How an event-time text becomes an instant: the README's "Event time" rules, the engine's side.
 * `iso` (the default), epoch numbers in `epoch_s`, `epoch_ms` or `epoch_us`, or a strptime pattern
 * of the codes in PATTERN_CODES. A text without its own offset is wall-clock time in `zone`.
 */
export interface TimeFormat {
  format: string;
  zone: string;
}

export const EPOCH_FORMATS = { epoch_s: 's', epoch_ms: 'ms', epoch_us: 'us' } as const;

/** The pattern codes sat accepts, each with the exact text it matches. */
export const PATTERN_CODES: Record<string, { regex: string; what: string }> = {
  Y: { regex: '[0-9]{4}', what: 'year, 4 digits' },
  m: { regex: '[0-9]{2}', what: 'month 01-12' },
  d: { regex: '[0-9]{2}', what: 'day of the month 01-31' },
  H: { regex: '[0-9]{2}', what: 'hour 00-23' },
  I: { regex: '[0-9]{2}', what: 'hour 01-12, with %p' },
  p: { regex: '(AM|PM)', what: 'AM or PM' },
  M: { regex: '[0-9]{2}', what: 'minute 00-59' },
  S: { regex: '[0-9]{2}', what: 'second 00-59' },
  f: { regex: '[0-9]{1,6}', what: 'fraction of a second, 1-6 digits (cut to ms)' },
  z: { regex: '[+-][0-9]{2}:?[0-9]{2}', what: 'UTC offset, +HH:MM or +HHMM (then the zone is not used)' },
  '%': { regex: '%', what: 'a literal %' },
};

/** The pattern's codes in order (literal text between them is kept as text), or an error text. */
export function patternTokens(pattern: string): { codes: string[]; literals: string[] } | string {
  const codes: string[] = [];
  const literals: string[] = [''];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '%') {
      literals[literals.length - 1] += pattern[i];
      continue;
    }
    const c = pattern[++i];
    if (c === undefined || !(c in PATTERN_CODES)) return `"%${c ?? ''}" is not a pattern code sat reads (${Object.keys(PATTERN_CODES).map((k) => `%${k}`).join(' ')})`;
    if (c === '%') {
      literals[literals.length - 1] += '%';
      continue;
    }
    if (codes.includes(c)) return `%${c} appears twice`;
    codes.push(c);
    literals.push('');
  }
  if (!codes.includes('Y') || !codes.includes('m') || !codes.includes('d')) return 'a pattern needs %Y, %m and %d';
  if (codes.includes('I') !== codes.includes('p')) return '%I and %p go together';
  if (codes.includes('I') && codes.includes('H')) return '%H and %I cannot both be used';
  if (codes.includes('S') === false && codes.includes('f')) return '%f needs %S';
  return { codes, literals };
}

/** What is wrong with a format, or undefined. */
export function formatProblem(format: string): string | undefined {
  if (format === 'iso' || format in EPOCH_FORMATS) return undefined;
  if (!format.includes('%')) return `"${format}" is not iso, ${Object.keys(EPOCH_FORMATS).join(', ')} or a pattern such as "%Y/%m/%d %H:%M"`;
  const t = patternTokens(format);
  return typeof t === 'string' ? t : undefined;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A parser from text to epoch ms (undefined: not a valid time in this format). `date`: an ISO date alone. */
export function timeParser(f: TimeFormat, type: 'timestamp' | 'date'): (text: string) => number | undefined {
  const toUtc = localToUtc(f.zone);
  if (f.format in EPOCH_FORMATS) return epochParser(EPOCH_FORMATS[f.format as keyof typeof EPOCH_FORMATS]);
  if (f.format === 'iso') {
    const utc = f.zone === 'UTC' || f.zone === 'Etc/UTC';
    if (utc) return type === 'date' ? parseIsoDate : parseIsoTime;
    if (type === 'date') return (text) => (text.length === 10 ? withZone(text, toUtc) : undefined);
    return (text) => withZone(text, toUtc);
  }
  return patternParser(f.format, toUtc);
}

/** ISO text: with its own offset (or Z) it is that instant; without, wall-clock time in the zone. */
function withZone(text: string, toUtc: (local: number) => number): number | undefined {
  const t = parseIsoTime(text);
  if (t === undefined) return undefined;
  const c = text.charCodeAt(text.length - 1);
  const offset = c === 90 || (text.length > 19 && /[+-]\d{2}:?\d{2}$/.test(text)); // Z, or +HH:MM after the time
  return offset ? t : toUtc(t);
}

/** Non-negative whole numbers (epoch_s may have a fraction, cut to ms); no signs, no exponents. */
function epochParser(unit: 's' | 'ms' | 'us'): (text: string) => number | undefined {
  const shape = unit === 's' ? /^(\d{1,11})(?:\.(\d{1,9}))?$/ : unit === 'ms' ? /^\d{1,14}$/ : /^\d{1,17}$/;
  return (text) => {
    const m = shape.exec(text);
    if (m === null) return undefined;
    if (unit === 'ms') return Number(text);
    if (unit === 'us') return text.length <= 3 ? 0 : Number(text.slice(0, -3));
    return Number(m[1]) * 1000 + (m[2] === undefined ? 0 : Number(m[2].slice(0, 3).padEnd(3, '0')));
  };
}

function patternParser(pattern: string, toUtc: (local: number) => number): (text: string) => number | undefined {
  const tokens = patternTokens(pattern);
  if (typeof tokens === 'string') throw new Error(tokens); // the scenario loader has refused it already
  const { codes, literals } = tokens;
  const regex = new RegExp(`^${literals.map((l, i) => escape(l) + (i < codes.length ? `(${PATTERN_CODES[codes[i]].regex})` : '')).join('')}$`);
  const at = (c: string) => codes.indexOf(c) + 1;
  const [iY, im, id, iH, iI, ip, iM, iS, iF, iz] = ['Y', 'm', 'd', 'H', 'I', 'p', 'M', 'S', 'f', 'z'].map(at);
  return (text) => {
    const m = regex.exec(text);
    if (m === null) return undefined;
    let h = iH ? Number(m[iH]) : 0;
    if (iI) {
      h = Number(m[iI]);
      if (h < 1 || h > 12) return undefined;
      h = (h % 12) + (m[ip] === 'PM' ? 12 : 0);
    }
    const mi = iM ? Number(m[iM]) : 0;
    const s = iS ? Number(m[iS]) : 0;
    if (h > 23 || mi > 59 || s > 59) return undefined;
    const day = utcDate(Number(m[iY]), Number(m[im]), Number(m[id]));
    if (day === undefined) return undefined;
    const local = day + ((h * 60 + mi) * 60 + s) * 1000 + (iF ? Number(m[iF].slice(0, 3).padEnd(3, '0')) : 0);
    if (!iz) return toUtc(local);
    const z = m[iz].replace(':', '');
    return local - (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5))) * 60_000;
  };
}

/**
 * Writes an instant in the scenario's format (replay's boundary probes re-time records), with the
 * smallest step the format can express. A time the format cannot express exactly (a fraction a
 * pattern has no %f for, the later copy of a repeated local hour) gives undefined.
 */
export function timeFormatter(f: TimeFormat, type: 'timestamp' | 'date'): { format: (t: number) => string | undefined; step: number } {
  const parse = timeParser(f, type);
  const exact = (write: (t: number) => string) => (t: number) => {
    const text = write(t);
    return parse(text) === t ? text : undefined;
  };
  const unit = EPOCH_FORMATS[f.format as keyof typeof EPOCH_FORMATS];
  if (unit !== undefined) {
    const write = unit === 'ms' ? (t: number) => String(t) : unit === 'us' ? (t: number) => `${t}000` : (t: number) => `${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, '0')}`;
    return { format: exact(write), step: 1 };
  }
  if (type === 'date' && f.format === 'iso') return { format: exact((t) => new Date(t).toISOString().slice(0, 10)), step: 86_400_000 };
  if (f.format === 'iso') return { format: exact((t) => new Date(t).toISOString()), step: 1 };
  const tokens = patternTokens(f.format) as { codes: string[]; literals: string[] };
  const withOffset = tokens.codes.includes('z');
  const toLocal = withOffset ? (t: number) => t : utcToLocal(f.zone);
  const step = tokens.codes.includes('f') ? 1 : tokens.codes.includes('S') ? 1000 : tokens.codes.includes('M') ? 60_000 : tokens.codes.some((c) => c === 'H' || c === 'I') ? 3_600_000 : 86_400_000;
  const write = (t: number) => {
    const d = new Date(toLocal(t));
    const h = d.getUTCHours();
    const values: Record<string, string> = {
      Y: String(d.getUTCFullYear()).padStart(4, '0'), m: pad2(d.getUTCMonth() + 1), d: pad2(d.getUTCDate()), H: pad2(h),
      I: pad2(h % 12 === 0 ? 12 : h % 12), p: h < 12 ? 'AM' : 'PM', M: pad2(d.getUTCMinutes()), S: pad2(d.getUTCSeconds()),
      f: String(d.getUTCMilliseconds()).padStart(3, '0'), z: '+00:00',
    };
    return tokens.literals.map((l, i) => l + (i < tokens.codes.length ? values[tokens.codes[i]] : '')).join('');
  };
  return { format: exact(write), step };
}

const pad2 = (n: number) => String(n).padStart(2, '0');
