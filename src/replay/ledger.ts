import { createWriteStream, type WriteStream } from 'node:fs';
import { fsError } from '../core/fs-errors.js';

/** One line of the truth ledger: what was sent, where it landed, and the fault it carries. */
export interface LedgerEntry {
  seq: number;
  row: number;
  partition: number;
  offset: number;
  key: string | null;
  eventTime: number | undefined;
  id: string | null;
  fault: string;
  detail: string;
  scheduledTime: number;
  sendTime: number;
}

export const LEDGER_COLUMNS = 'seq,row,partition,offset,key,event_time,id,fault,detail,scheduled_time,send_time';

const q = (s: string | null): string => (s === null ? '' : s.includes('"') ? `"${s.replace(/"/g, '""')}"` : `"${s}"`);

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
  #timeText = '';
  #time(t: number): string {
    if (t !== this.#timeValue) {
      this.#timeValue = t;
      this.#timeText = t.toFixed(3);
    }
    return this.#timeText;
  }

  add(e: LedgerEntry): void {
    const scheduled = e.scheduledTime === e.sendTime ? this.#time(e.sendTime) : e.scheduledTime.toFixed(3);
    const line = `${e.seq},${e.row},${e.partition},${e.offset},${q(e.key)},${e.eventTime ?? ''},${q(e.id)},${e.fault},${q(e.detail)},${scheduled},${this.#time(e.sendTime)}\n`;
    if (this.#at + line.length * 3 > this.#buf.length) {
      this.flush();
      if (line.length * 3 > this.#buf.length) this.#buf = Buffer.allocUnsafe(line.length * 3);
    }
    this.#at += this.#buf.write(line, this.#at);
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
