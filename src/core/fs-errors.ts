import { once } from 'node:events';
import { createWriteStream, writeFileSync, writeSync, type WriteStream } from 'node:fs';
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
export function writeAll(fd: number, data: Uint8Array, file: string): void {
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

/**
 * A file written through a stream whose failure names the file (`shown`: the name the user knows,
 * when the bytes go to a temporary one). A stream's errors come as events, often while nobody waits
 * on it: the first is kept and thrown by the next call, or by the wait under way.
 */
export class NamedWriteStream {
  readonly #out: WriteStream;
  #failed: unknown;

  constructor(
    readonly path: string,
    readonly shown = path,
  ) {
    this.#out = createWriteStream(path);
    this.#out.on('error', (e) => (this.#failed ??= fsError(e, shown)));
  }

  /** Writes `text`; when the stream's buffer is full, resolves once it has drained. */
  async write(text: string): Promise<void> {
    this.#check();
    if (!this.#out.write(text)) await this.#wait('drain');
  }

  /** Writes `text` last and resolves once everything is in the file. */
  async end(text = ''): Promise<void> {
    this.#check();
    this.#out.end(text);
    await this.#wait('finish');
  }

  async #wait(event: 'drain' | 'finish'): Promise<void> {
    try {
      await once(this.#out, event);
    } catch (e) {
      throw this.#failed ?? fsError(e, this.shown);
    }
    this.#check();
  }

  #check(): void {
    if (this.#failed !== undefined) throw this.#failed;
  }
}
