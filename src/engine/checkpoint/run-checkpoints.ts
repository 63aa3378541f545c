import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LogPosition } from '../../transport/log/reader.js';
import type { OperatorSnapshot } from '../operator.js';
import type { SinkState } from '../sinks.js';
import { readCheckpointFile, writeCheckpointFile } from './file.js';

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
 * Checkpoint files in a directory (the format of checkpoint/file.ts: checksummed, fsynced, renamed
 * over); the newest whose checksum holds is used, and a corrupt or half-written one is reported and
 * skipped. The last three are kept.
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
    const file = join(this.dir, `cp-${String(this.#next++).padStart(12, '0')}.json`);
    writeCheckpointFile(file, cp);
    for (const old of this.#files().slice(0, -3)) rmSync(join(this.dir, old), { force: true });
    return file;
  }

  /** The newest checkpoint whose checksum holds, and the names of newer ones that did not. */
  latest(): { checkpoint?: RunCheckpoint; file?: string; corrupt: string[] } {
    const corrupt: string[] = [];
    for (const f of this.#files().reverse()) {
      const path = join(this.dir, f);
      const body = readCheckpointFile<RunCheckpoint>(path);
      if (body !== undefined && body.version === 1) return { checkpoint: body, file: path, corrupt };
      corrupt.push(f);
    }
    return { corrupt };
  }

  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
