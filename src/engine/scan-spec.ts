import type { FieldSpec, Scenario } from '../scenario/types.js';
import { createScanSteps, type ScanSteps, type TimeFromBytes } from './scan-record.js';
import { fieldsRead, idOnlyTexts, isoTimeFromBytes, keyOnly, timeFromBytes } from './validate.js';

/** A scenario's fields and those the engine reads: what a thread needs to run the scanner's walk. */
export interface ScanSpec {
  fields: readonly FieldSpec[];
  read: ReadonlySet<string>;
  /** The event time read as a number from the bytes. */
  time?: TimeFromBytes;
  /** Fields whose texts repeat (a key read by more than the key's role): their strings are made through a cache (scan-record.ts, internCache). Where the values are made, not where the walk runs. */
  intern?: ReadonlySet<string>;
  /**
   * Fields read by the record's id alone, and a key read by nothing else (validate.ts, keyOnly):
   * their plain texts are spans of the bytes (scan-record.ts, TextSpan). Where the values are made.
   */
  spans?: ReadonlySet<string>;
}

/** What the engine's reader (the log's, a Kafka member's) scans of a scenario's records. */
export function scanSpecOf(s: Scenario): ScanSpec {
  const spans = idOnlyTexts(s);
  const byBytes = keyOnly(s);
  if (byBytes) spans.add(s.key);
  return { fields: s.fields, read: fieldsRead(s), time: timeFromBytes(s), intern: byBytes ? new Set() : new Set([s.key]), spans };
}

/** The steps on the engine's thread, where the values are made of what the walk found. */
export const engineScanSteps = (scan: ScanSpec): ScanSteps | undefined => createScanSteps(scan.fields, scan.read, scan.time, scan.intern, scan.spans);

/** A ScanSpec as a thread is given it (no Set, no function): the event time as its field and kind. */
export interface ScanSpecData {
  fields: FieldSpec[];
  read: string[];
  time?: Pick<TimeFromBytes, 'field' | 'kind'>;
}

export const scanSpecData = (scan: ScanSpec): ScanSpecData => ({ fields: [...scan.fields], read: [...scan.read], time: scan.time && { field: scan.time.field, kind: scan.time.kind } });

/** The scanner's steps in the thread that was given `data` (the log's reader, the Kafka member's decoder). */
export const scanStepsOf = (data: ScanSpecData): ScanSteps | undefined => createScanSteps(data.fields, new Set(data.read), data.time && isoTimeFromBytes(data.time.field, data.time.kind));
