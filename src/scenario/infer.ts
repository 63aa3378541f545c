import { basename, extname } from 'node:path';
import { stringify } from 'yaml';
import { EPOCH_FORMATS, timeParser } from '../core/time-format.js';
import { formatDuration } from '../core/duration.js';
import { parseIsoDate, parseIsoTime } from '../core/time.js';
import type { SourceRow } from '../sources/types.js';
import type { FieldType } from './types.js';

/**
 * A first scenario for a file nobody wrote one for (`sat scenario infer FILE`): each column's type
 * from a sample of its rows, the event-time column and its format, a key, an id and a window sized
 * to the sample's span. A guess for the user to read and edit; `sat replay` checks what they keep.
 */

/** Patterns tried on a time column that is not ISO, most common first (US, European, compact). */
const PATTERNS = [
  '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y %I:%M %p', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M',
  '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M', '%Y%m%d%H%M%S', '%Y-%m-%dT%H:%M', '%Y-%m-%d %H:%M',
  '%m/%d/%Y', '%d/%m/%Y', '%d.%m.%Y', '%Y/%m/%d',
];
/** Epoch numbers of these units fall in 2001..2100 when they are times. */
const EPOCH_RANGES: [keyof typeof EPOCH_FORMATS, number, number][] = [
  ['epoch_s', 1e9, 4.1e9], ['epoch_ms', 1e12, 4.1e12], ['epoch_us', 1e15, 4.1e15],
];
const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface ColumnGuess {
  name: string;
  type: FieldType;
  nullable: boolean;
  /** Distinct non-empty values in the sample. */
  distinct: number;
  /** For a time column: how to read it (iso, epoch_*, a pattern), and the instants it gave. */
  time?: { format: string; min: number; max: number };
}

export interface InferredScenario {
  yaml: string;
  columns: ColumnGuess[];
  eventTime?: string;
  key?: string;
  id: string[];
  /** What the user should check, one line each (written into the YAML as comments too). */
  notes: string[];
}

/** Guesses a column's type and time format from its non-empty sample values. */
export function guessColumn(name: string, values: (string | null)[]): ColumnGuess {
  const present = values.filter((v): v is string => v !== null && v !== '');
  const nullable = present.length < values.length;
  const distinct = new Set(present).size;
  const base = { name, nullable, distinct };
  if (present.length === 0) return { ...base, type: 'string' };
  const all = (ok: (v: string) => boolean) => present.every(ok);
  const span = (parse: (v: string) => number | undefined) => {
    let min = Infinity, max = -Infinity;
    for (const v of present) {
      const t = parse(v) as number;
      if (t < min) min = t;
      if (t > max) max = t;
    }
    return { min, max };
  };
  if (all((v) => INT.test(v) && Number.isSafeInteger(Number(v)))) {
    // An int column whose every value is a plausible epoch time (and named like one, or not) may be the event time.
    for (const [format, lo, hi] of EPOCH_RANGES) {
      if (all((v) => Number(v) >= lo && Number(v) < hi && !v.startsWith('+'))) {
        const parse = timeParser({ format, zone: 'UTC' }, 'timestamp');
        return { ...base, type: 'int', time: { format, ...span(parse) } };
      }
    }
    return { ...base, type: 'int' };
  }
  if (all((v) => FLOAT.test(v))) return { ...base, type: 'float' };
  if (all((v) => parseIsoDate(v) !== undefined)) return { ...base, type: 'date', time: { format: 'iso', ...span(parseIsoDate) } };
  if (all((v) => parseIsoTime(v) !== undefined)) return { ...base, type: 'timestamp', time: { format: 'iso', ...span(parseIsoTime) } };
  for (const format of PATTERNS) {
    const parse = timeParser({ format, zone: 'UTC' }, 'timestamp');
    if (all((v) => parse(v) !== undefined)) return { ...base, type: 'timestamp', time: { format, ...span(parse) } };
  }
  return { ...base, type: 'string' };
}

const TIME_NAME = /time|date|_at$|^ts$|timestamp|datetime|pickup|created|when/i;
const KEY_NAME = /(^|_|-)(id|key|device|dev|sensor|product|customer|user|account|location|zone|station|region|store|symbol)($|_|-|id)|id$/i;

/** Window sizes a scenario may start with, smallest first. */
const WINDOWS = [60_000, 300_000, 900_000, 3_600_000, 86_400_000];

/** Builds the scenario from the sample's rows (all with values; rows that did not split are left out). */
export function inferScenario(file: string, header: string[], rows: SourceRow[], opts: { zone?: string; delimiter?: string; quote: boolean; headerless: boolean }): InferredScenario {
  const notes: string[] = [];
  const sample = rows.filter((r) => r.values !== undefined);
  const columns = header.map((name) => guessColumn(name, sample.map((r) => r.values![name] ?? null)));
  const n = sample.length;

  // The event time: a text time column first (by name, then the first one), else an epoch int column named like a time.
  const times = columns.filter((c) => c.time !== undefined && !c.nullable);
  const textTimes = times.filter((c) => c.type !== 'int');
  const epochTimes = times.filter((c) => c.type === 'int' && TIME_NAME.test(c.name));
  const event = textTimes.find((c) => TIME_NAME.test(c.name)) ?? textTimes[0] ?? epochTimes[0];
  if (event === undefined) notes.push('no column reads as a time in every sampled row: set event_time (and its format) yourself');
  if (event?.type === 'int') event.type = 'timestamp'; // an epoch number is the event time's text

  // The key: a non-empty string or int column named like one (a device, a product) that repeats at
  // all, the one with the most values; else the text column with the fewest values, 2..n/2 of them.
  const candidates = columns.filter((c) => c !== event && !c.nullable && (c.type === 'string' || c.type === 'int') && !c.time);
  const named = candidates.filter((c) => KEY_NAME.test(c.name) && c.distinct < n).sort((a, b) => b.distinct - a.distinct);
  const texts = candidates.filter((c) => c.type === 'string' && c.distinct >= 2 && c.distinct <= n / 2).sort((a, b) => a.distinct - b.distinct);
  const key = named[0] ?? texts[0];
  if (key === undefined) notes.push('no column repeats like a key (a device, a product, a customer): set key yourself');

  // The id: a column unique in the sample, named like an id; else every column (a whole row is its identity).
  const unique = columns.filter((c) => !c.nullable && c.distinct === n && n > 1 && c !== event && (c.type === 'string' || c.type === 'int'));
  const idLike = (c: ColumnGuess) => /id$|_id|^id/i.test(c.name);
  const single = unique.find((c) => idLike(c) && c.type === 'string') ?? unique.find(idLike) ?? unique[0];
  const id = single ? [single.name] : columns.filter((c) => !c.nullable).map((c) => c.name);
  if (!single) notes.push('no single column is unique in the sample: id lists every non-empty column (a row is a duplicate only if all of them repeat)');

  if (opts.headerless) notes.push(`the file has no header: its columns are named col_1..col_${columns.length}; rename them (fields are in column order)`);
  if (['key', 'value', 'topic', 'partition', 'offset'].every((c) => header.includes(c))) {
    notes.push('this looks like a Kafka topic dump: if value holds delimited lines, list their fields and set source.parquet_value_column: value');
  }
  // A window that gives the sample ~20 windows or more, and a watermark of one window.
  const spanMs = event?.time ? event.time.max - event.time.min : 0;
  const window = [...WINDOWS].reverse().find((w) => spanMs / w >= 20) ?? WINDOWS[0];
  const numeric = columns.filter((c) => c.type === 'float' || (c.type === 'int' && c !== key && c !== event && !c.time));
  const aggregations: Record<string, string> = { records: 'count()' };
  for (const c of numeric.slice(0, 3)) aggregations[`avg_${c.name}`] = `avg(${c.name})`;

  const fields = Object.fromEntries(columns.map((c) => [c.name, `${c.type}${c.nullable ? '?' : ''}`]));
  const zone = opts.zone ?? 'UTC';
  const eventTime = event === undefined ? '<the event-time column>' : event.time!.format === 'iso' && zone === 'UTC' ? event.name : { field: event.name, format: event.time!.format, ...(event.time!.format.startsWith('epoch') ? {} : { zone }) };
  if (event !== undefined && event.time!.format !== 'iso' && !event.time!.format.startsWith('epoch') && zone === 'UTC') notes.push(`${event.name} has no UTC offset: if it is local time, set event_time.zone (e.g. America/New_York)`);
  if (event?.time?.format === 'iso' && zone === 'UTC') notes.push(`${event.name} is read as UTC unless a value carries an offset: for local times write event_time: {field: ${event.name}, zone: Europe/Berlin}`);

  const name = basename(file, extname(file)).replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40) || 'scenario';
  const doc = {
    name,
    description: `Inferred by sat scenario infer from ${basename(file)} (${n} sampled rows): check every line`,
    key: key?.name ?? '<a column to group by>',
    event_time: eventTime,
    id,
    fields,
    source: { ...(opts.delimiter ? { delimiter: opts.delimiter } : {}), quote: opts.quote, header: opts.headerless ? 'no' : 'auto' },
    window: { tumbling: formatDuration(window) },
    watermark: formatDuration(window),
    allowed_lateness: '0s',
    aggregations,
  };
  const head = [`# sat scenario infer ${basename(file)}: a first guess from ${n} rows. Read it, then edit.`, ...notes.map((x) => `# - ${x}`), `# The keys: docs/scenario-reference.md`];
  return { yaml: `${head.join('\n')}\n${stringify(doc, { lineWidth: 0 })}`, columns, eventTime: event?.name, key: key?.name, id, notes };
}
