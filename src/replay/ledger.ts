import { createWriteStream, type WriteStream } from 'node:fs';
import { copyRange } from '../core/bytes.js';
import { fsError } from '../core/fs-errors.js';

/** One line of the truth ledger: what was sent, where it landed, and the fault it carries. */
export interface LedgerEntry {
  seq: number;
  row: number;
  partition: number;
  offset: number;
  /**
   * Text, or its UTF-8 bytes where they are at hand (a record read back from the spill): written as
   * they are, key[keyAt, keyAt + keyLength) of a larger buffer when those are given.
   */
  key: string | Uint8Array | null;
  keyAt?: number;
  keyLength?: number;
  eventTime: number | undefined;
  /** Likewise. */
  id: string | Uint8Array | null;
  idAt?: number;
  idLength?: number;
  fault: string;
  detail: string;
  scheduledTime: number;
  sendTime: number;
}

export const LEDGER_COLUMNS = 'seq,row,partition,offset,key,event_time,id,fault,detail,scheduled_time,send_time';

const COMMA = 0x2c;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
/** Room for a line's numbers, commas and quotes (the texts are measured on their own). */
const FIXED_ROOM = 256;

/** The ledger is CSV: compact to write at replay speed and read directly by DuckDB in verify. */
export class LedgerWriter {
  readonly #out: WriteStream;
  /** Lines encoded as they are added (no array of strings to join, no conversion in the stream). */
  #buf = Buffer.allocUnsafe(1 << 20);
  #at = 0;
  /** A write that failed (the disk full): raised at the next flush or close, naming the file. */
  #failed: unknown;

  constructor(path: string) {
    this.#out = createWriteStream(path);
    this.#out.on('error', (e) => (this.#failed ??= fsError(e, path)));
    this.#out.write(`${LEDGER_COLUMNS}\n`);
  }

  // A batch's records share their send time (and, unpaced, their scheduled time): formatted once.
  #timeValue = NaN;
  #timeBytes = Buffer.alloc(0);
  #time(t: number): Buffer {
    if (t !== this.#timeValue) {
      this.#timeValue = t;
      this.#timeBytes = Buffer.from(t.toFixed(3), 'latin1');
    }
    return this.#timeBytes;
  }
  /** The fault kinds' names, as bytes. */
  readonly #faults = new Map<string, Buffer>();

  /**
   * One line, written field by field into the buffer: numbers as digits, texts quoted (quotes doubled)
   * straight from their bytes or as UTF-8. The same characters as formatting the line as a template
   * (`test/replay/ledger.test.ts` holds them equal), without making the line as a string first.
   */
  add(e: LedgerEntry): void {
    const keyAt = e.keyAt ?? 0;
    const keyLength = e.key === null ? 0 : typeof e.key === 'string' ? e.key.length : (e.keyLength ?? e.key.length);
    const idAt = e.idAt ?? 0;
    const idLength = e.id === null ? 0 : typeof e.id === 'string' ? e.id.length : (e.idLength ?? e.id.length);
    const room = FIXED_ROOM + 6 * (keyLength + idLength + e.detail.length);
    if (this.#at + room > this.#buf.length) {
      this.flush();
      if (room > this.#buf.length) this.#buf = Buffer.allocUnsafe(room);
    }
    const b = this.#buf;
    let at = writeNumber(b, this.#at, e.seq);
    b[at++] = COMMA;
    at = writeNumber(b, at, e.row);
    b[at++] = COMMA;
    at = writeNumber(b, at, e.partition);
    b[at++] = COMMA;
    at = writeNumber(b, at, e.offset);
    b[at++] = COMMA;
    at = writeText(b, at, e.key, keyAt, keyLength);
    b[at++] = COMMA;
    if (e.eventTime !== undefined) at = writeNumber(b, at, e.eventTime);
    b[at++] = COMMA;
    at = writeText(b, at, e.id, idAt, idLength);
    b[at++] = COMMA;
    let fault = this.#faults.get(e.fault);
    if (fault === undefined) this.#faults.set(e.fault, (fault = Buffer.from(e.fault, 'latin1')));
    at = copyRange(b, at, fault, 0, fault.length);
    b[at++] = COMMA;
    at = writeText(b, at, e.detail, 0, e.detail.length);
    b[at++] = COMMA;
    const sent = this.#time(e.sendTime);
    if (e.scheduledTime === e.sendTime) at = copyRange(b, at, sent, 0, sent.length);
    else at += b.write(e.scheduledTime.toFixed(3), at, 'latin1');
    b[at++] = COMMA;
    at = copyRange(b, at, sent, 0, sent.length);
    b[at++] = NEWLINE;
    this.#at = at;
  }

  flush(): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#at > 0) this.#out.write(Buffer.from(this.#buf.subarray(0, this.#at)));
    this.#at = 0;
  }

  /** Waits while the file is behind (its stream's buffer full), so a fast replay holds no more than that in memory. */
  async drained(): Promise<void> {
    this.flush();
    if (this.#out.writableNeedDrain || this.#out.pending) await new Promise<void>((resolve) => {
      const done = () => {
        this.#out.off('drain', done);
        this.#out.off('ready', done);
        this.#out.off('error', done);
        resolve();
      };
      this.#out.once(this.#out.pending ? 'ready' : 'drain', done);
      this.#out.once('error', done);
    });
  }

  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve, reject) => this.#out.end((err?: Error | null) => (err ? reject(this.#failed ?? err) : resolve())));
    if (this.#failed !== undefined) throw this.#failed;
  }
}

/** A number as `${x}` writes it: an integer's digits here, anything else (fractions, huge values) by String. Returns the position after it. */
function writeNumber(b: Buffer, at: number, x: number): number {
  if (!Number.isSafeInteger(x)) return at + b.write(String(x), at, 'latin1');
  if (x < 0) {
    b[at++] = 0x2d;
    x = -x;
  }
  return writeDigits(b, at, x);
}

/** A non-negative safe integer's digits, in 32-bit steps (a division of doubles per digit cost 13% of a replay). */
function writeDigits(b: Buffer, at: number, v: number): number {
  if (v >= 2 ** 31) {
    // The digits above the last eight, then those eight, leading zeros kept.
    const high = Math.floor(v / 1e8);
    const end = writeDigits(b, at, high) + 8;
    let low = v - high * 1e8;
    for (let p = end; p > end - 8; ) {
      const q = (low / 10) | 0;
      b[--p] = 0x30 + low - q * 10;
      low = q;
    }
    return end;
  }
  let digits = 1;
  for (let t = v; t >= 10; t = (t / 10) | 0) digits++;
  const end = at + digits;
  let p = end;
  do {
    const q = (v / 10) | 0;
    b[--p] = 0x30 + v - q * 10;
    v = q;
  } while (v > 0);
  return end;
}


/** A text field: empty for null, else quoted with its quotes doubled (bytes: t[from, from + length)). */
function writeText(b: Buffer, at: number, t: string | Uint8Array | null, from: number, length: number): number {
  if (t === null) return at;
  b[at++] = QUOTE;
  if (typeof t === 'string') {
    if (t.length > 0) at += b.write(t.includes('"') ? t.replace(/"/g, '""') : t, at, 'utf8');
  } else {
    for (let i = from; i < from + length; i++) {
      const c = t[i];
      b[at++] = c;
      if (c === QUOTE) b[at++] = QUOTE;
    }
  }
  b[at++] = QUOTE;
  return at;
}
