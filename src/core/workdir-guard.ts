import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { fsError } from './fs-errors.js';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/**
 * The working-directory contract: sat writes, overwrites and deletes only inside a directory it
 * made, which carries a marker with a format version. A non-empty directory without the marker is
 * refused (a user's home with a log/ folder and a results.jsonl once lost both to a replay).
 */
export const MARKER = '.sat-workdir';
export const WORKDIR_FORMAT = 1;

/**
 * Makes `dir` sat's or refuses it: a new or empty directory gets the marker; one with the marker is
 * taken (a newer format is refused); a directory an older sat made (log/meta.json or replay.json,
 * no marker) is stamped. Anything else that is not empty is refused, naming what it holds. Files
 * given in `inputs` (the replayed file itself, when it lives in dir) do not count against it.
 */
export function claimWorkdir(dir: string, inputs: string[] = []): void {
  const marker = join(dir, MARKER);
  if (existsSync(marker)) {
    let format: unknown;
    try {
      format = (JSON.parse(readFileSync(marker, 'utf8')) as { format?: unknown }).format;
    } catch {
      throw new UsageError(`${marker} is not valid JSON: is ${dir} a sat working directory?`);
    }
    if (typeof format !== 'number' || format > WORKDIR_FORMAT) throw new UsageError(`${dir} was made by a newer sat (working-directory format ${String(format)}; this sat knows ${WORKDIR_FORMAT})`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  const own = new Set(inputs.filter((f) => resolve(dirname(f)) === resolve(dir)).map((f) => basename(f)));
  const legacy = existsSync(join(dir, 'log', 'meta.json')) || existsSync(join(dir, 'replay.json'));
  const foreign = readdirSync(dir).filter((n) => !own.has(n));
  if (foreign.length > 0 && !legacy) {
    const shown = foreign.sort().slice(0, 3).join(', ');
    throw new UsageError(`--dir ${dir} is not a sat working directory (no ${MARKER}) and is not empty (it holds ${shown}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ''}): use a new or empty directory`);
  }
  writeJsonAtomic(marker, { format: WORKDIR_FORMAT, created: new Date().toISOString() });
}

/** For steps that only read a working directory's outputs (and add their own, like verify). */
export function requireWorkdir(dir: string, what: string): void {
  if (!existsSync(dir)) throw new UsageError(`--dir ${dir} does not exist (${what})`);
  claimWorkdir(dir);
}

/** Writes a JSON file under a temporary name and renames it into place: a reader never sees half of it. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify(value, null, 2));
  } catch (e) {
    rmSync(tmp, { force: true }); // a half-written temporary is of no use to anyone
    throw fsError(e, file);
  }
  renameSync(tmp, file);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid holding a role's lock in dir, if that process is alive (e.g. whether the log's writer still runs). */
export function lockHolder(dir: string, role: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(join(dir, `.lock-${role}`), 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An exclusive lock on one role in a working directory (`replay`, `run`): a file holding the pid and
 * the command, created with O_EXCL. A lock whose holder is dead is taken over (a SIGKILLed run);
 * a live holder is named in the refusal. Released when the process exits.
 */
export function lockWorkdir(dir: string, role: string, command: string): void {
  const file = join(dir, `.lock-${role}`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, command, since: new Date().toISOString() }));
      closeSync(fd);
      process.once('exit', () => {
        try {
          if ((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid === process.pid) rmSync(file, { force: true });
        } catch {
          // already gone
        }
      });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: { pid?: number; command?: string } = {};
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as typeof holder;
    } catch {
      // Being written this instant by another process, or left half-written by one that died at once.
      if (Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 5000) throw new UsageError(`${dir} is in use: another sat is taking its ${role} lock (${file})`);
    }
    if (typeof holder.pid === 'number' && holder.pid !== process.pid && alive(holder.pid)) {
      throw new UsageError(`${dir} is in use: ${holder.command ?? 'sat'} (pid ${holder.pid}) holds its ${role} lock (${file})`);
    }
    rmSync(file, { force: true }); // the holder is gone: take the lock over
  }
  throw new UsageError(`could not take the ${role} lock in ${dir} (${file})`);
}
