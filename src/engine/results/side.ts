import { isUtf8 } from 'node:buffer';
import { grown } from '../../core/arrays.js';
import { isoFormatter } from '../../core/time.js';
import type { SinkState } from '../sinks.js';
import { alertRow, deadLetterRow, lateRow } from '../side-rows.js';
import type { Rejected, ValidRecord } from '../validate.js';

/** The side outputs' files, written by the results thread beside results.jsonl. */
export type SideName = 'late' | 'deadLetters' | 'alerts';
export const SIDE_NAMES: readonly SideName[] = ['late', 'deadLetters', 'alerts'];

/**
 * Side rows as columns, as the engine's thread collects them and hands them to the results thread.
 * The records' bytes (a late record's value, a dead letter's raw bytes) are copied one after another
 * into `bytes`, each row's at [from, to).
 */
export interface SideBatch {
  bytes: Uint8Array;
  late: { partition: Float64Array; offset: Float64Array; key: string[]; time: Float64Array; id: string[]; watermark: Float64Array; from: Float64Array; to: Float64Array };
  deadLetters: { partition: Float64Array; offset: Float64Array; kind: string[]; reason: string[]; from: Float64Array; to: Float64Array };
  alerts: { alert: string[]; partition: Float64Array; offset: Float64Array; key: string[]; id: string[]; time: Float64Array };
}

/** Rows collected past which they are handed over (about as often as the files were written before). */
const ROWS = 4096;
const BYTES = 1 << 20;

/**
 * A numeric column being collected. Typed, not a number[]: an array's elements kind went from
 * small integers to doubles as offsets, times and watermarks came in (a fresh array per batch), and
 * each such change threw away the compiled code of the engine's thread that pushed to it (five
 * times over an IoT run, each compiled again).
 */
class NumberColumn {
  #a = new Float64Array(256);
  #n = 0;

  push(x: number): void {
    if (this.#n === this.#a.length) this.#a = grown(this.#a, 2 * this.#n);
    this.#a[this.#n++] = x;
  }

  /** The values so far, copied; the column starts again. */
  take(): Float64Array {
    const out = this.#a.slice(0, this.#n);
    this.#n = 0;
    return out;
  }
}

/** A side output's columns, each numeric one as one being collected. */
type Collecting<T> = { [K in keyof T]: T[K] extends Float64Array ? NumberColumn : T[K] };

function collecting(): { [K in SideName]: Collecting<SideBatch[K]> } {
  const n = () => new NumberColumn();
  return {
    late: { partition: n(), offset: n(), key: [], time: n(), id: [], watermark: n(), from: n(), to: n() },
    deadLetters: { partition: n(), offset: n(), kind: [], reason: [], from: n(), to: n() },
    alerts: { alert: [], partition: n(), offset: n(), key: [], id: [], time: n() },
  };
}

/** The columns collected so far, as a batch; string columns start again empty. */
function taken<T extends object>(c: Collecting<T>): T {
  const out: Record<string, unknown> = {};
  for (const [name, col] of Object.entries(c)) {
    if (col instanceof NumberColumn) out[name] = col.take();
    else {
      out[name] = col;
      (c as Record<string, unknown>)[name] = [];
    }
  }
  return out as T;
}

/**
 * Collects the side rows on the engine's thread: a few pushes and a copy of the record's bytes per
 * row. Making the rows' JSON (the record escaped inside a string, times as ISO text) cost the
 * engine's thread more than the rest of a late record's way: it is the results thread's work now.
 */
export class SideCollector {
  readonly #c = collecting();
  #bytes: Uint8Array;
  #used = 0;
  #rows = 0;
  /** Rows so far (a resumed run counts on from its checkpoint's), for the run's summary. */
  readonly counts: Record<SideName, number>;

  constructor(resume?: Partial<Record<SideName, SinkState>>) {
    this.#bytes = new Uint8Array(64 << 10);
    this.counts = Object.fromEntries(SIDE_NAMES.map((n) => [n, resume?.[n]?.count ?? 0])) as Record<SideName, number>;
  }

  late(partition: number, offset: number, r: ValidRecord, watermark: number, value: Uint8Array): void {
    const c = this.#c.late;
    c.partition.push(partition);
    c.offset.push(offset);
    c.key.push(r.key);
    c.time.push(r.time);
    c.id.push(r.id);
    c.watermark.push(watermark);
    c.from.push(this.#used);
    c.to.push(this.#copy(value));
    this.counts.late++;
    this.#rows++;
  }

  deadLetter(partition: number, offset: number, rejected: Rejected, value: Uint8Array): void {
    const c = this.#c.deadLetters;
    c.partition.push(partition);
    c.offset.push(offset);
    c.kind.push(rejected.kind);
    c.reason.push(rejected.reason);
    c.from.push(this.#used);
    c.to.push(this.#copy(value));
    this.counts.deadLetters++;
    this.#rows++;
  }

  alert(alert: string, partition: number, offset: number, r: ValidRecord): void {
    const c = this.#c.alerts;
    c.alert.push(alert);
    c.partition.push(partition);
    c.offset.push(offset);
    c.key.push(r.key);
    c.id.push(r.id);
    c.time.push(r.time);
    this.counts.alerts++;
    this.#rows++;
  }

  /** Enough is collected to hand over. */
  get full(): boolean {
    return this.#rows >= ROWS || this.#used >= BYTES;
  }

  /** What is collected (its bytes' buffer to be transferred), or undefined; collecting starts again. */
  take(): SideBatch | undefined {
    if (this.#rows === 0) return undefined;
    const c = this.#c;
    const b: SideBatch = { bytes: this.#bytes.subarray(0, this.#used), late: taken(c.late), deadLetters: taken(c.deadLetters), alerts: taken(c.alerts) };
    this.#bytes = new Uint8Array(Math.max(64 << 10, this.#bytes.buffer.byteLength));
    this.#used = 0;
    this.#rows = 0;
    return b;
  }

  /** Appends the bytes; returns where they end. */
  #copy(value: Uint8Array): number {
    const at = this.#used;
    const end = at + value.length;
    if (end > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(end, 2 * this.#bytes.length));
      grown.set(this.#bytes.subarray(0, at));
      this.#bytes = grown;
    }
    this.#bytes.set(value, at);
    return (this.#used = end);
  }
}

/** The JSON lines of a batch's rows of one side output, as bytes (each line ends in a newline). */
export function sideLines(b: SideBatch, name: SideName): { data: Uint8Array; rows: number } {
  if (name === 'late') return { data: lateLines(b), rows: b.late.key.length };
  const { text, rows } = sideText(b, name);
  return { data: Buffer.from(text), rows };
}

const encoder = new TextEncoder();
/** As lateRow decodes a record's bytes (not fatal: a byte that is not UTF-8 becomes U+FFFD). */
const decoder = new TextDecoder();

/**
 * Late rows' lines, made as bytes: the record goes into its JSON string escaped byte by byte, as
 * JSON.stringify escapes its text (a record that passed validation is UTF-8, so its bytes are its
 * text's; one that is not, if ever, takes JSON.stringify's way). Decoding each record and
 * stringifying a row around it cost the results thread twice as much, on a machine whose two cores
 * the engine's and the log reader's threads keep busy.
 */
function lateLines(b: SideBatch): Uint8Array {
  const c = b.late;
  let out = new Uint8Array(Math.max(1024, b.bytes.length * 2));
  let at = 0;
  for (let i = 0; i < c.key.length; i++) {
    const from = c.from[i];
    const to = c.to[i];
    const head = `{"partition":${c.partition[i]},"offset":${c.offset[i]},"key":${JSON.stringify(c.key[i])},"event_time":"${iso(c.time[i])}","id":${JSON.stringify(c.id[i])},"watermark":"${iso(c.watermark[i])}","value":`;
    const need = at + 3 * head.length + 6 * (to - from) + 4;
    if (need > out.length) {
      const grown = new Uint8Array(Math.max(need, 2 * out.length));
      grown.set(out.subarray(0, at));
      out = grown;
    }
    at += encoder.encodeInto(head, out.subarray(at)).written;
    if (isPlainUtf8(b.bytes, from, to)) {
      out[at++] = QUOTE;
      at = escapeInto(b.bytes, from, to, out, at);
      out[at++] = QUOTE;
    } else {
      at += encoder.encodeInto(JSON.stringify(decoder.decode(b.bytes.subarray(from, to))), out.subarray(at)).written;
    }
    out[at++] = 0x7d; // }
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}

const iso = isoFormatter();
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** JSON.stringify's escape of each control character: \b \t \n \f \r, the rest \u00xx. */
const CONTROL = Array.from({ length: 0x20 }, (_, ch) => encoder.encode(JSON.stringify(String.fromCharCode(ch)).slice(1, -1)));

function isPlainUtf8(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] >= 0x80) return isUtf8(bytes.subarray(from, to));
  return true;
}

/** bytes[from, to) into out at `at`, escaped as in a JSON string; returns the position after. */
function escapeInto(bytes: Uint8Array, from: number, to: number, out: Uint8Array, at: number): number {
  for (let i = from; i < to; i++) {
    const x = bytes[i];
    if (x === QUOTE || x === BACKSLASH) {
      out[at++] = BACKSLASH;
      out[at++] = x;
    } else if (x < 0x20) {
      const e = CONTROL[x];
      for (let j = 0; j < e.length; j++) out[at++] = e[j];
    } else out[at++] = x;
  }
  return at;
}

/** The JSON lines of a batch's rows of one side output (each line ends in a newline), made by JSON.stringify. */
export function sideText(b: SideBatch, name: SideName): { text: string; rows: number } {
  let text = '';
  if (name === 'late') {
    const c = b.late;
    for (let i = 0; i < c.key.length; i++) text += `${JSON.stringify(lateRow(c.partition[i], c.offset[i], c.key[i], c.time[i], c.id[i], c.watermark[i], b.bytes.subarray(c.from[i], c.to[i])))}\n`;
    return { text, rows: c.key.length };
  }
  if (name === 'deadLetters') {
    const c = b.deadLetters;
    for (let i = 0; i < c.kind.length; i++) text += `${JSON.stringify(deadLetterRow(c.partition[i], c.offset[i], c.kind[i] as Rejected['kind'], c.reason[i], b.bytes.subarray(c.from[i], c.to[i])))}\n`;
    return { text, rows: c.kind.length };
  }
  const c = b.alerts;
  for (let i = 0; i < c.alert.length; i++) text += `${JSON.stringify(alertRow(c.alert[i], c.partition[i], c.offset[i], c.key[i], c.id[i], c.time[i]))}\n`;
  return { text, rows: c.alert.length };
}
