import { closeSync, existsSync, openSync, statSync, truncateSync } from 'node:fs';
import { openEmpty } from '../core/open-empty.js';
import { SatError } from '../core/errors.js';
import { writeAll } from '../core/fs-errors.js';

/** Where a sink stood at a checkpoint: resuming truncates the file back to this. */
export interface SinkState {
  bytes: number;
  count: number;
}

/**
 * An output file opened for appending: new, or on resume cut back to the length its checkpoint
 * recorded (what was written after it is written again). A file shorter than that was changed.
 */
export function openOutput(path: string, resume?: SinkState): number {
  if (!resume) return openEmpty(path);
  const size = existsSync(path) ? statSync(path).size : 0;
  if (size < resume.bytes) throw new SatError(`${path} is shorter (${size} bytes) than the run's checkpoint says (${resume.bytes}): it was changed since; sat run --fresh starts over`, 3);
  truncateSync(path, resume.bytes);
  return openSync(path, 'a');
}

/**
 * Lines are written once they reach this many characters: lines held longer outlive V8's young
 * generation and are copied out of it (late rows and dead letters carry the record, ~0.5 KB each).
 */
const FLUSH_CHARS = 64 << 10;

/**
 * Buffered JSON Lines file: one object per line, written in batches with plain synchronous writes,
 * so after flush() the file holds exactly `bytes` bytes: what a checkpoint records. Resuming from a
 * checkpoint truncates the file back to that length (outputs after it are written again).
 */
export class JsonlSink {
  readonly #fd: number;
  #buf: string[] = [];
  #chars = 0;
  count = 0;
  bytes = 0;

  constructor(readonly path: string, resume?: SinkState) {
    this.#fd = openOutput(path, resume);
    this.bytes = resume?.bytes ?? 0;
    this.count = resume?.count ?? 0;
  }

  write(obj: unknown): void {
    this.writeLine(JSON.stringify(obj));
  }

  /** A line already serialized as JSON. */
  writeLine(line: string): void {
    this.#buf.push(line);
    this.count++;
    this.#chars += line.length;
    if (this.#chars >= FLUSH_CHARS || this.#buf.length >= 1024) this.flush();
  }

  flush(): void {
    if (this.#buf.length === 0) return;
    const data = Buffer.from(`${this.#buf.join('\n')}\n`);
    writeAll(this.#fd, data, this.path);
    this.bytes += data.length;
    this.#buf = [];
    this.#chars = 0;
  }

  /** Flushed position, for a checkpoint. */
  state(): SinkState {
    this.flush();
    return { bytes: this.bytes, count: this.count };
  }

  async close(): Promise<void> {
    this.flush();
    closeSync(this.#fd);
  }
}
