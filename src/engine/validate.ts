import { parseIsoBytes, parseIsoDate, parseIsoTime } from '../core/time.js';
import { timeParser } from '../core/time-format.js';
import type { FieldSpec, Scenario } from '../scenario/types.js';
import { RecordId } from './record-id.js';
import { createRecordScanner, TextSpan, type TimeFromBytes } from './scan-record.js';

/** A record that passed validation: typed values plus what the operator needs. */
export interface ValidRecord {
  readonly key: string;
  /**
   * The key as the record's bytes, where the byte scanner handed it so (a key nothing else reads:
   * scan-spec.ts): the operator looks it up by them, and `key` makes its text only when read.
   * Valid while the record is handled (the bytes are the batch's).
   */
  readonly keySpan?: TextSpan;
  time: number;
  /** The natural id's text. */
  readonly id: string;
  values: Record<string, unknown>;
  /** On records the validator made: the id's bytes written from the values, without its text (dedup). */
  readonly ids?: RecordId;
}

/** A valid record as the validator makes it: its id's text is made only when asked for (late rows, alerts, reports). */
class Valid implements ValidRecord {
  #id: string | undefined = undefined;
  #key: string | undefined;
  keySpan: TextSpan | undefined = undefined;

  constructor(
    key: string,
    public time: number,
    readonly values: Record<string, unknown>,
    readonly ids: RecordId,
  ) {
    this.#key = key;
  }

  get key(): string {
    return (this.#key ??= this.keySpan!.text());
  }

  get id(): string {
    return (this.#id ??= this.ids.text(this.values));
  }

  /**
   * The same object as another record's (reuse: true): its id's text is made again when asked for;
   * a key given as a span, its text too.
   */
  reset(key: string | TextSpan, time: number): this {
    if (typeof key === 'string') {
      this.#key = key;
      this.keySpan = undefined;
    } else {
      this.#key = undefined;
      this.keySpan = key;
    }
    this.time = time;
    this.#id = undefined;
    return this;
  }
}

/** A stable category for reports, beside the specific reason. */
export type RejectKind =
  | 'invalid-utf8' | 'not-json' | 'not-object' | 'unexpected-field' | 'missing-key' | 'missing-field'
  | 'empty-field' | 'empty-key' | 'wrong-type' | 'bad-timestamp';

/** Why a record was refused. A valid one is returned as itself: no wrapper object per record. */
export class Rejected {
  constructor(
    readonly kind: RejectKind,
    readonly reason: string,
  ) {}
}

export type Validated = ValidRecord | Rejected;

/**
 * Validates a record's bytes. `scanned`: the byte scanner's values when it has already run (on the
 * log's reader thread), null when it refused the record (the full path decides); absent, it runs here.
 */
export type Validate = (bytes: Uint8Array, scanned?: unknown[] | null) => Validated;

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Builds the strict validator for a scenario: every problem gets a reason, nothing throws.
 * `fastPath: false` leaves out the byte scanner (the property test compares the two); `scanner`
 * replaces it (the test plants bugs in a copy, to show it catches them). `reuse: true` returns one
 * valid record, written over, for every record the fast path takes (the engine's processor, which
 * reads each before the next); the full path's records are new objects either way.
 */
export function createValidator(s: Scenario, opts: { fastPath?: boolean; scanner?: typeof createRecordScanner; reuse?: boolean } = {}): Validate {
  const fields = new Map<string, FieldSpec>(s.fields.map((f) => [f.name, f]));
  const fieldList = s.fields;
  const eventField = fields.get(s.eventTime)!;
  const keyIsInt = fields.get(s.key)!.type === 'int';
  const ids = new RecordId(s.id);
  const parseTime = timeParser(s.time, eventField.type as 'date' | 'timestamp');
  const timeBytes = timeFromBytes(s);
  const timeIsInstant = timeBytes !== undefined;
  // Other time fields are ISO in UTC (README, "Event time"); most scenarios have none.
  const otherTimes = fieldList.filter((f) => (f.type === 'timestamp' || f.type === 'date') && f.name !== s.eventTime);
  const bad = (kind: RejectKind, reason: string): Rejected => new Rejected(kind, reason);
  const unexpected = (values: Record<string, unknown>): Rejected | undefined => {
    for (const name in values) if (!fields.has(name)) return bad('unexpected-field', `unexpected field ${name}`);
    return undefined;
  };

  /** The first field that is missing, empty or of the wrong type, in the scenario's order. */
  const fieldProblem = (values: Record<string, unknown>): Rejected | undefined => {
    for (const f of fieldList) {
      if (values[f.name] === undefined && !(f.name in values)) return unexpected(values) ?? (f.name === s.key ? bad('missing-key', `missing key ${f.name}`) : bad('missing-field', `missing field ${f.name}`));
      const v = values[f.name];
      if (v === null) {
        if (!f.nullable) return bad('empty-field', `empty ${f.name}`);
        continue;
      }
      const problem = typeProblem(f, v);
      if (problem !== undefined) return bad(f.name === s.eventTime ? 'bad-timestamp' : 'wrong-type', problem);
    }
    return undefined;
  };
  const wellFormed = compileWellFormed(fieldList);

  // What is left once every field is there with its type, on both paths below. `into`: the fast
  // path's one record (reuse), whose values object `values` is.
  const finish = (values: Record<string, unknown>, into?: Valid): Validated => {
    // An int key is its decimal text (README, "Record validity"): 0145 and 145 are one key. The
    // engine's scanner may hand a string key as a span of the record's bytes (scan-spec.ts).
    const raw = values[s.key];
    const key = keyIsInt ? String(raw) : (raw as string | TextSpan);
    if (typeof key === 'string' ? key === '' : key.to === key.from) return bad('empty-key', `empty key ${s.key}`);
    // The scanner may have read it already (timeFromBytes): an instant in ms.
    const timeText = values[s.eventTime] as string | number;
    const time = typeof timeText === 'number' ? timeText : parseTime(timeText);
    // Where nothing else reads the event time's text, a valid record holds its instant, whichever path made it.
    if (timeIsInstant && time !== undefined && typeof timeText !== 'number') values[s.eventTime] = time;
    if (time === undefined) return bad('bad-timestamp', `${s.eventTime}: unparseable ${eventField.type} ${JSON.stringify(timeText)}${s.time.format === 'iso' ? '' : ` (format ${s.time.format})`}`);
    for (let i = 0; i < otherTimes.length; i++) {
      const f = otherTimes[i];
      const v = values[f.name] as string | null;
      if (v !== null && (f.type === 'date' ? parseIsoDate(v) : parseIsoTime(v)) === undefined) return bad('wrong-type', `${f.name}: unparseable ${f.type} ${JSON.stringify(v)}`);
    }
    if (into !== undefined) return into.reset(key, time);
    if (typeof key === 'string') return new Valid(key, time, values, ids);
    // A record that outlives the call holds the key's text, not a span of bytes that may be reused.
    values[s.key] = key.text();
    return new Valid(values[s.key] as string, time, values, ids);
  };

  /** The full path: decode, parse, and name the first problem. */
  const parsed = (bytes: Uint8Array): Validated => {
    let text: string;
    let obj: unknown;
    // A malformed record throws below; the error's stack (which nobody reads) costs more than the
    // parse, so none is taken.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      try {
        text = decoder.decode(bytes);
      } catch {
        return bad('invalid-utf8', 'invalid UTF-8');
      }
      try {
        obj = JSON.parse(text);
      } catch (e) {
        return bad('not-json', `not JSON: ${(e as Error).message}`);
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return bad('not-object', 'not a JSON object');
    const values = obj as Record<string, unknown>;
    // The common case, a well-formed record, in one compiled pass; any problem is named below.
    // Every field must be present, so a record has an unexpected field exactly when it has more
    // keys than the scenario has fields: counted, named only when it happens. (An unexpected field
    // is reported before a missing one, as the README's rules order them.)
    if (!wellFormed(values)) {
      let keys = 0;
      for (const _ in values) keys++;
      if (keys > fieldList.length) return unexpected(values)!;
      const problem = fieldProblem(values);
      if (problem !== undefined) return problem;
    }
    return finish(values);
  };

  // The fast path reads the fields the engine uses straight from the bytes (scan-record.ts). It
  // takes only records the full path would find well-formed, with the same values; for anything
  // else it answers undefined and the full path decides.
  if (opts.fastPath === false) return parsed;
  const read = fieldsRead(s);
  const scan = (opts.scanner ?? createRecordScanner)(fieldList, read, timeBytes);
  const valuesOf = compileValues(fieldList, read);
  if (opts.reuse === true) {
    // One valid record and values object for every record the fast path takes, written over by the
    // next: no two objects a record for the collector (a caller reads a record before the next).
    const fill = compileFill(fieldList, read);
    const one = new Valid('', 0, valuesOf(new Array(fieldList.length).fill(null)), ids);
    return (bytes, pre) => {
      const scanned = pre === undefined ? scan(bytes) : pre;
      return scanned == null ? parsed(bytes) : finish(fill(scanned, one.values), one);
    };
  }
  return (bytes, pre) => {
    const scanned = pre === undefined ? scan(bytes) : pre;
    return scanned == null ? parsed(bytes) : finish(valuesOf(scanned));
  };
}

/**
 * The fields of a record the engine reads: key, event time, id, other times (checked), and those
 * that aggregations, filters, alerts and reports name. The fast path makes only these values; a
 * new use of a record's field must be added here.
 */
export function fieldsRead(s: Scenario): Set<string> {
  const read = valuesUsed(s);
  read.add(s.eventTime);
  for (const f of s.fields) if (f.type === 'timestamp' || f.type === 'date') read.add(f.name);
  return read;
}

/**
 * Where the event time can be read as a number straight from the bytes (scan-record.ts): ISO in
 * UTC, and its text read by nothing but the validator (its value in a valid record is then the
 * instant, not the text). Making the text only to parse it was ~8% of the engine's thread on IoT.
 */
export function timeFromBytes(s: Scenario): TimeFromBytes | undefined {
  const f = s.fields.findIndex((x) => x.name === s.eventTime);
  const type = s.fields[f].type;
  const utc = s.time.zone === 'UTC' || s.time.zone === 'Etc/UTC';
  if (s.time.format !== 'iso' || !utc || (type !== 'timestamp' && type !== 'date') || valuesUsed(s).has(s.eventTime)) return undefined;
  return isoTimeFromBytes(f, type);
}

/** parseIsoTime's fast path over the bytes, for field `field`; a date is ten characters, as parseIsoDate has it. */
export function isoTimeFromBytes(field: number, kind: TimeFromBytes['kind']): TimeFromBytes {
  return { field, kind, parse: kind === 'date' ? (b, from, to) => (to - from === 10 ? parseIsoBytes(b, from, to) : undefined) : parseIsoBytes };
}

/** The fields whose values something besides the validator reads: the key, the id, aggregations, filters, alerts, reports. */
function valuesUsed(s: Scenario): Set<string> {
  const read = usedBesidesId(s);
  for (const f of s.id) read.add(f);
  return read;
}

/**
 * The id's string fields that nothing else reads (not the key, an aggregation, a filter, an alert,
 * a report, another time): the engine's scanner hands their plain texts as spans of the record's
 * bytes (scan-record.ts, TextSpan), which the id writes and shows as they are (record-id.ts).
 */
export function idOnlyTexts(s: Scenario): Set<string> {
  const others = usedBesidesId(s);
  return new Set(s.id.filter((name) => !others.has(name) && name !== s.eventTime && s.fields.find((f) => f.name === name)?.type === 'string'));
}

function usedBesidesId(s: Scenario): Set<string> {
  const read = usedBesidesKey(s);
  read.add(s.key);
  return read;
}

/**
 * Whether the key is a string that nothing but the key's role reads (no aggregation, filter, alert,
 * report or the id): the engine's scanner then hands its plain text as a span of the record's bytes
 * (scan-spec.ts), which the operator looks up without making its text.
 */
export function keyOnly(s: Scenario): boolean {
  const others = usedBesidesKey(s);
  for (const f of s.id) others.add(f);
  return !others.has(s.key) && s.key !== s.eventTime && s.fields.find((f) => f.name === s.key)?.type === 'string';
}

/** The fields that aggregations, filters, alerts and reports read. */
function usedBesidesKey(s: Scenario): Set<string> {
  const read = new Set<string>();
  for (const a of s.aggregations) if (a.field !== undefined) read.add(a.field);
  for (const c of s.filter) read.add(c.field);
  for (const a of s.alerts) for (const c of a.when) read.add(c.field);
  const r = s.reports;
  if (r !== undefined) for (const f of [r.corrupted.field, r.pivot.field, r.topUsers.field, r.countries?.field]) if (f !== undefined) read.add(f);
  return read;
}

/** The read fields, each as its quoted name and its index among the scanner's values (field order). */
function readSlots(fields: readonly FieldSpec[], read: ReadonlySet<string>): [string, number][] {
  return fields.flatMap((f, i): [string, number][] => (read.has(f.name) ? [[JSON.stringify(f.name), i]] : []));
}

/** An object literal of the read fields, from the scanner's values in field order: one shape for all records. */
function compileValues(fields: readonly FieldSpec[], read: ReadonlySet<string>): (v: unknown[]) => Record<string, unknown> {
  const props = readSlots(fields, read).map(([name, i]) => `${name}: v[${i}]`);
  return new Function('v', `return { ${props.join(', ')} };`) as (v: unknown[]) => Record<string, unknown>;
}

/** The read fields written into `o` from the scanner's values, in the order compileValues makes them. */
function compileFill(fields: readonly FieldSpec[], read: ReadonlySet<string>): (v: unknown[], o: Record<string, unknown>) => Record<string, unknown> {
  const lines = readSlots(fields, read).map(([name, i]) => `o[${name}] = v[${i}];`);
  return new Function('v', 'o', `${lines.join('\n')}\nreturn o;`) as (v: unknown[], o: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * A check compiled for the scenario's fields: true when the object has no other keys and every
 * field is there with a value of its type (or null where nullable). Each field is read by its own
 * name, so V8 loads it as a named property of the parsed object's shape instead of a keyed lookup
 * by a name that changes every iteration (a third of the validator's time on the reviews shape).
 * It must agree with fieldProblem(): false exactly when fieldProblem or the key count finds a problem.
 */
function compileWellFormed(fields: readonly FieldSpec[]): (values: Record<string, unknown>) => boolean {
  const lines = ['let n = 0;', 'for (const _ in o) n++;', `if (n !== ${fields.length}) return false;`, 'let v;'];
  for (const f of fields) {
    const name = JSON.stringify(f.name);
    const typed =
      f.type === 'int' ? 'Number.isSafeInteger(v)' : f.type === 'float' ? "typeof v === 'number' && Number.isFinite(v)" : "typeof v === 'string'";
    lines.push(`v = o[${name}];`, `if (${f.nullable ? `v !== null && !(${typed})` : `!(${typed})`}) return false;`);
  }
  lines.push('return true;');
  return new Function('o', lines.join('\n')) as (values: Record<string, unknown>) => boolean;
}

function typeProblem(f: FieldSpec, v: unknown): string | undefined {
  switch (f.type) {
    case 'int':
      // Whole numbers a double holds exactly (|v| < 2^53), so every reader sees the same one.
      return Number.isSafeInteger(v) ? undefined : `${f.name}: expected int (whole, |v| < 2^53), got ${JSON.stringify(v)}`;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : `${f.name}: expected float, got ${JSON.stringify(v)}`;
    case 'string':
    case 'timestamp':
    case 'date':
      return typeof v === 'string' ? undefined : `${f.name}: expected ${f.type} text, got ${JSON.stringify(v)}`;
  }
}
