import { createHash } from 'node:crypto';
import { writeAll } from '../core/fs-errors.js';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LogPosition } from '../transport/log/reader.js';
import type { OperatorSnapshot } from './operator.js';
import type { SinkState } from './sinks.js';

/** Everything `sat run` on the embedded log needs to continue exactly where it stood. */
export interface RunCheckpoint {
  version: 1;
  records: number;
  validCount: number;
  reader: LogPosition;
  operator: OperatorSnapshot;
  sinks: Record<string, SinkState>;
  deadLetterKinds: Record<string, number>;
  reports?: unknown;
  scoring?: unknown;
}

const NAME = /^cp-(\d{12})\.json$/;

/**
 * Checkpoint files in a directory: each written to a temporary file, fsynced, then renamed (so a
 * reader sees a whole file or none), with a SHA-256 of its body; the newest whose checksum holds is
 * used, and a corrupt or half-written one is reported and skipped. The last three are kept.
 */
export class RunCheckpoints {
  #next = 0;

  constructor(readonly dir: string) {
    const last = this.#files().pop();
    if (last) this.#next = Number(NAME.exec(last)![1]) + 1;
  }

  #files(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((f) => NAME.test(f)).sort();
  }

  write(cp: RunCheckpoint): string {
    mkdirSync(this.dir, { recursive: true });
    const body = JSON.stringify(cp);
    const text = JSON.stringify({ sha256: createHash('sha256').update(body).digest('hex'), body: cp });
    const file = join(this.dir, `cp-${String(this.#next++).padStart(12, '0')}.json`);
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, Buffer.from(text), tmp);
      fsyncSync(fd);
    } catch (e) {
      rmSync(tmp, { force: true }); // the disk full: the previous checkpoint stays the newest
      throw e;
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    for (const old of this.#files().slice(0, -3)) rmSync(join(this.dir, old), { force: true });
    return file;
  }

  /** The newest checkpoint whose checksum holds, and the names of newer ones that did not. */
  latest(): { checkpoint?: RunCheckpoint; file?: string; corrupt: string[] } {
    const corrupt: string[] = [];
    for (const f of this.#files().reverse()) {
      const path = join(this.dir, f);
      try {
        const { sha256, body } = JSON.parse(readFileSync(path, 'utf8')) as { sha256: string; body: RunCheckpoint };
        if (createHash('sha256').update(JSON.stringify(body)).digest('hex') !== sha256 || body.version !== 1) throw new Error('checksum');
        return { checkpoint: body, file: path, corrupt };
      } catch {
        corrupt.push(f);
      }
    }
    return { corrupt };
  }

  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
