import { createWriteStream, type WriteStream } from 'node:fs';
import { fsError } from '../core/fs-errors.js';

/** One line of the truth ledger: what was sent, where it landed, and the fault it carries. */
export interface LedgerEntry {
  seq: number;
  row: number;
  partition: number;
  offset: number;
  /** Text, or its UTF-8 bytes where they are at hand (a record read back from the spill): written as they are. */
  key: string | Uint8Array | null;
  eventTime: number | undefined;
  id: string | Uint8Array | null;
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
    const room = FIXED_ROOM + 6 * (textLength(e.key) + textLength(e.id) + textLength(e.detail));
    if (this.#at + room > this.#buf.length) {
      this.flush();
      if (room > this.#buf.length) this.#buf = Buffer.allocUnsafe(room);
    }
    const b = this.#buf;
    this.#number(e.seq);
    b[this.#at++] = COMMA;
    this.#number(e.row);
    b[this.#at++] = COMMA;
    this.#number(e.partition);
    b[this.#at++] = COMMA;
    this.#number(e.offset);
    b[this.#at++] = COMMA;
    this.#text(e.key);
    b[this.#at++] = COMMA;
    if (e.eventTime !== undefined) this.#number(e.eventTime);
    b[this.#at++] = COMMA;
    this.#text(e.id);
    b[this.#at++] = COMMA;
    let fault = this.#faults.get(e.fault);
    if (fault === undefined) this.#faults.set(e.fault, (fault = Buffer.from(e.fault, 'latin1')));
    this.#bytes(fault);
    b[this.#at++] = COMMA;
    this.#text(e.detail);
    b[this.#at++] = COMMA;
    if (e.scheduledTime === e.sendTime) this.#bytes(this.#time(e.sendTime));
    else this.#at += b.write(e.scheduledTime.toFixed(3), this.#at, 'latin1');
    b[this.#at++] = COMMA;
    this.#bytes(this.#time(e.sendTime));
    b[this.#at++] = NEWLINE;
  }

  /** A number as `${x}` writes it: an integer's digits here, anything else (fractions, huge values) by String. */
  #number(x: number): void {
    const b = this.#buf;
    if (!Number.isSafeInteger(x)) {
      this.#at += b.write(String(x), this.#at, 'latin1');
      return;
    }
    let v = x;
    if (v < 0) {
      b[this.#at++] = 0x2d;
      v = -v;
    }
    this.#digits(v);
  }

  /** A non-negative safe integer's digits: in 32-bit steps (a division of doubles per digit cost 13% of a replay). */
  #digits(v: number): void {
    const b = this.#buf;
    if (v >= 2 ** 31) {
      // The digits above the last eight, then those eight, leading zeros kept.
      const high = Math.floor(v / 1e8);
      this.#digits(high);
      let low = v - high * 1e8;
      let at = (this.#at += 8);
      for (let k = 0; k < 8; k++) {
        const q = (low / 10) | 0;
        b[--at] = 0x30 + low - q * 10;
        low = q;
      }
      return;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) digits++;
    let at = (this.#at += digits);
    do {
      const q = (v / 10) | 0;
      b[--at] = 0x30 + v - q * 10;
      v = q;
    } while (v > 0);
  }

  /** Short bytes, copied one by one (cheaper than a copy call for a few bytes). */
  #bytes(x: Uint8Array): void {
    const b = this.#buf;
    for (let i = 0; i < x.length; i++) b[this.#at++] = x[i];
  }

  /** A text field: empty for null, else quoted with its quotes doubled. */
  #text(t: string | Uint8Array | null): void {
    if (t === null) return;
    const b = this.#buf;
    b[this.#at++] = QUOTE;
    if (typeof t === 'string') {
      this.#at += b.write(t.includes('"') ? t.replace(/"/g, '""') : t, this.#at, 'utf8');
    } else {
      for (let i = 0; i < t.length; i++) {
        const c = t[i];
        b[this.#at++] = c;
        if (c === QUOTE) b[this.#at++] = QUOTE;
      }
    }
    b[this.#at++] = QUOTE;
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

/** A text's length in UTF-16 units or bytes (UTF-8 takes at most 3 bytes a unit; doubled quotes twice that). */
const textLength = (t: string | Uint8Array | null): number => (t === null ? 0 : t.length);
