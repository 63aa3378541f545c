import { setTimeout as sleep } from 'node:timers/promises';
import { lockHolder } from '../../core/workdir-guard.js';
import type { EngineLogReader } from './read-thread.js';
import type { Delivery, RecordSource } from '../driver.js';
import type { Task } from '../task.js';

/**
 * The embedded log as a record source: one task reads every partition, merged in send order (one
 * watermark over all), from the position its checkpoint recorded (the reader is seeked before).
 * The end is the log's end marker; with --follow it waits for more, up to the idle timeout.
 */
export class LogSource implements RecordSource {
  /** The replay writing the log died before its end marker: everything there was has been read. */
  writerGone = false;
  #idleSince = performance.now();
  /** A record was taken since idle() last looked: the idle time starts again there. */
  #took = false;
  #lookedAfterWriter = false;
  // One object reused per record: the driver reads it before asking for the next.
  readonly #d: Delivery;

  constructor(
    readonly reader: EngineLogReader,
    readonly task: Task,
    readonly o: { dir: string; follow: boolean; idleTimeoutMs?: number },
  ) {
    this.#d = { task, partition: 0, offset: 0, bytes: new Uint8Array(0), from: 0, to: 0 };
  }

  next(): Delivery | Promise<void> | undefined {
    const rec = this.reader.next();
    if (rec === undefined || rec instanceof Promise) return rec;
    const d = this.#d;
    d.partition = rec.partition;
    d.offset = rec.offset;
    if (rec.bytes !== undefined) {
      // The reader's thread: the value lies in its batch's bytes.
      d.bytes = rec.bytes;
      d.from = rec.from!;
      d.to = rec.to!;
    } else {
      d.bytes = rec.value;
      d.from = 0;
      d.to = d.bytes.length;
    }
    d.sendTime = rec.timestamp;
    d.scanned = rec.scanned;
    return d;
  }

  advance(): void {
    this.#took = true;
  }

  async idle(): Promise<'wait' | 'end' | 'stop'> {
    const { reader, o } = this;
    if (this.#took) {
      this.#idleSince = performance.now();
      this.#took = false;
      this.#lookedAfterWriter = false;
    }
    if (!o.follow && reader.isDone()) return 'end';
    // Everything there is has been read, no end marker, and the replay that writes the log is gone
    // (SIGKILL, disk full): waiting would be for ever. Stop here, resumable, and say why.
    if (!o.follow && lockHolder(o.dir, 'replay') === undefined && !reader.isDone()) {
      // The reader's last look may have come just before the writer's last records: one more look
      // after the writer is seen gone, and only then is what was read all there is.
      if (!this.#lookedAfterWriter) {
        this.#lookedAfterWriter = true;
        return 'wait';
      }
      this.writerGone = true;
      return 'stop';
    }
    if (o.follow && o.idleTimeoutMs && performance.now() - this.#idleSince > o.idleTimeoutMs) return 'end';
    await sleep(20);
    return 'wait';
  }

  tasks(): Task[] {
    return [this.task];
  }
}
