import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeAll } from '../../core/fs-errors.js';

/**
 * The one checkpoint file format of both transports: a header line with the SHA-256 of the body,
 * then the body as JSON (stringified once). Written to a temporary file, fsynced, renamed over, and
 * the directory fsynced: a reader sees a whole, checked file or none, across a crash or power loss.
 */
const HEADER = 'sat-checkpoint 2 sha256=';

export function writeCheckpointFile(file: string, body: unknown): void {
  const json = JSON.stringify(body);
  const text = `${HEADER}${createHash('sha256').update(json).digest('hex')}\n${json}`;
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, Buffer.from(text), tmp);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true }); // the disk full: the previous checkpoint stays the newest
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** The body of a checkpoint file, or undefined when it is torn, altered or not one. */
export function readCheckpointFile<T>(file: string): T | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const nl = text.indexOf('\n');
    if (text.startsWith(HEADER) && nl > 0) {
      const json = text.slice(nl + 1);
      if (createHash('sha256').update(json).digest('hex') !== text.slice(HEADER.length, nl)) return undefined;
      return JSON.parse(json) as T;
    }
    // The format before this one: {"sha256": ..., "body": ...}, the hash over the body re-stringified.
    const { sha256, body } = JSON.parse(text) as { sha256?: string; body?: T };
    if (sha256 === undefined || createHash('sha256').update(JSON.stringify(body)).digest('hex') !== sha256) return undefined;
    return body;
  } catch {
    return undefined;
  }
}
