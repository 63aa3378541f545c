import { writeFileSync, writeSync } from 'node:fs';
import { SatError } from './errors.js';

/** What an errno means for someone running sat, in their words. */
const WHY: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'an input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on this machine',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'no such file or directory',
  EFBIG: 'the file is too large',
};

/** A file-system failure, naming the file: exit 3 (the environment, not the input or a bug). */
export class FileSystemError extends SatError {
  constructor(
    readonly file: string,
    readonly code: string,
    doing: string,
  ) {
    super(`${doing} ${file}: ${WHY[code] ?? code} (${code})`, 3);
  }
}

/** An errno error (Node's write errors on a descriptor carry no path) as a FileSystemError naming `file`. */
export function fsError(e: unknown, file: string, doing = 'writing'): unknown {
  if (e instanceof SatError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? new FileSystemError(file, code, doing) : e;
}

/** Writes all of `data` at the descriptor's position; a failure names the file. */
export function writeAll(fd: number, data: Buffer, file: string): void {
  try {
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done);
  } catch (e) {
    throw fsError(e, file);
  }
}

/** writeFileSync that names the file when it fails. */
export function writeFileNamed(file: string, data: string | Buffer): void {
  try {
    writeFileSync(file, data);
  } catch (e) {
    throw fsError(e, file);
  }
}
