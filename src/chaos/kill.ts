import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../core/rng.js';
import { UsageError } from '../core/errors.js';
import { KILL_AFTER_RECORDS_ENV } from './kill-switch.js';

const SAT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'sat');

export interface KillOptions {
  command: string[];
  /** Wait before each kill: uniform in [min, max] ms from the (re)start. */
  every: [number, number];
  times: number;
  seed: number;
  verify: boolean;
  /** Start each kill timer only once this start has written a checkpoint (sat run). */
  afterCheckpoint?: boolean;
  /** Instead of a time: kill each start right after its n-th record, n drawn from this range (sat run). */
  afterRecords?: [number, number];
  log: (line: string) => void;
}

export interface KillSummary {
  kills: number;
  /** Kill times after each start, ms. */
  killedAfterMs: number[];
  /** With --after-records: the record count each killed start was killed at. */
  killedAtRecord?: number[];
  starts: number;
  resumes: number;
  /** Fired windows that were being scored at the checkpoint a start resumed from, scored again. */
  rescored: number;
  finalExitCode: number | null;
  verify?: { code: number | null; pass: boolean };
  elapsedMs: number;
}

/** Where `sat run` writes its checkpoints: --checkpoint-dir, else <--dir>/checkpoints. */
function checkpointDir(command: string[]): string {
  const flag = (name: string) => {
    const i = command.indexOf(name);
    return i >= 0 ? command[i + 1] : undefined;
  };
  if (command[0] !== 'sat' || command[1] !== 'run') throw new UsageError('--after-checkpoint works with sat run only');
  return flag('--checkpoint-dir') ?? join(flag('--dir') ?? '.sat', 'checkpoints');
}

/** The newest checkpoint file's time under dir (its subfolders included), 0 when none. */
function newestCheckpoint(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestCheckpoint(p));
    else if (/^(cp-\d+|p\d+-\d+)\.json$/.test(e.name)) newest = Math.max(newest, statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0);
  }
  return newest;
}

/** Resolves once a checkpoint newer than `since` exists (polled: a condition, not a guess of time). */
async function checkpointWritten(dir: string, since: number, exited: Promise<unknown>): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  while (!done && newestCheckpoint(dir) <= since) await new Promise((r) => setTimeout(r, 20));
}

/** `sat ...` runs this installation's CLI; anything else runs as given. */
function argv(command: string[]): [string, string[]] {
  if (command[0] === 'sat') return [process.execPath, [SAT, ...command.slice(1)]];
  return [command[0], command.slice(1)];
}

/**
 * Runs a command, SIGKILLs it at seeded random moments and starts it again, `times` times; then lets
 * the last start finish and (for `sat run`) verifies the working directory. A restart of `sat run`
 * resumes from its checkpoint (embedded log) or its committed offsets (Kafka).
 */
export async function chaosKill(o: KillOptions): Promise<KillSummary> {
  if (o.command.length === 0) throw new UsageError('sat chaos kill needs a command after --, e.g. -- sat run --dir D');
  const rng = createRng(o.seed);
  const [cmd, args] = argv(o.command);
  if (o.afterRecords && !(o.command[0] === 'sat' && o.command[1] === 'run')) throw new UsageError('--after-records works with sat run only (it counts the records sat run processes)');
  const t0 = performance.now();
  const summary: KillSummary = { kills: 0, killedAfterMs: [], ...(o.afterRecords ? { killedAtRecord: [] } : {}), starts: 0, resumes: 0, rescored: 0, finalExitCode: null, elapsedMs: 0 };
  for (;;) {
    const killing = summary.kills < o.times;
    // A record count is drawn whether or not it is used, so the seed gives the same sequence.
    const atRecord = o.afterRecords ? o.afterRecords[0] + Math.floor(rng.next() * (o.afterRecords[1] - o.afterRecords[0] + 1)) : undefined;
    const env = atRecord !== undefined && killing ? { ...process.env, [KILL_AFTER_RECORDS_ENV]: String(atRecord) } : process.env;
    const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    summary.starts++;
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (stderr.length > 1 << 16) stderr = stderr.slice(-(1 << 15));
    });
    child.stdout!.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
    const wait = o.every[0] + rng.next() * (o.every[1] - o.every[0]);
    const startedAt = Date.now();
    const armed = killing && o.afterCheckpoint ? checkpointWritten(checkpointDir(o.command), startedAt, exited) : Promise.resolve();
    const timer = killing && atRecord === undefined ? armed.then(() => new Promise<'kill'>((res) => setTimeout(() => res('kill'), wait))) : new Promise<never>(() => undefined);
    const first = await Promise.race([exited, timer]);
    if (/resuming from |restored at offset /.test(stderr)) summary.resumes++;
    summary.rescored += Number(/scoring (\d+) fired windows again/.exec(stderr)?.[1] ?? 0);
    if (first === 'kill') {
      child.kill('SIGKILL');
      await exited;
      summary.kills++;
      summary.killedAfterMs.push(Math.round(wait));
      continue;
    }
    const r = first as { code: number | null; signal: NodeJS.Signals | null };
    if (atRecord !== undefined && killing && r.signal === 'SIGKILL') {
      // It killed itself at its record count.
      summary.kills++;
      summary.killedAfterMs.push(Date.now() - startedAt);
      summary.killedAtRecord!.push(atRecord);
      continue;
    }

    summary.finalExitCode = r.code;
    if (r.code !== 0) {
      o.log(`the command exited with ${r.code} on its own:\n${stderr.trim().split('\n').slice(-5).join('\n')}`);
      break;
    }
    if (summary.kills < o.times) o.log(`the command finished after ${summary.kills} of ${o.times} kills (${o.afterRecords ? 'fewer records were left than the kill point' : 'it ran shorter than the kill interval'})`);
    break;
  }
  if (o.verify && summary.finalExitCode === 0 && o.command[0] === 'sat' && o.command[1] === 'run') {
    const at = o.command.indexOf('--dir');
    const dir = at >= 0 ? o.command[at + 1] : '.sat';
    const v = spawn(process.execPath, [SAT, 'verify', '--dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const code = await new Promise<number | null>((res) => v.on('close', (c) => res(c)));
    summary.verify = { code, pass: code === 0 };
  }
  summary.elapsedMs = Math.round(performance.now() - t0);
  return summary;
}

