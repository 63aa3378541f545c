import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = resolve(ROOT, '..', 'shared', 'datasets');
export const SAT = join(ROOT, 'bin', 'sat');

/**
 * Real public datasets live in ../shared beside the clone. Locally their tests skip with a message
 * when it is absent; in CI (CI=true) they must be there, so their absence fails the run.
 */
export const haveShared = existsSync(SHARED);
if (!haveShared) {
  if (process.env.CI === 'true') throw new Error(`CI=true but the shared datasets are missing at ${SHARED}`);
  console.warn(`skipping tests on real datasets: ${SHARED} not found (clone sat beside shared/ to run them)`);
}
export const shared = (rel: string) => join(SHARED, rel);

const made: string[] = [];

/** A fresh directory under the system's temp directory, removed after the test file (test/setup.ts). */
export function tempDir(prefix = 'sat-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/**
 * Removes the test file's temporary directories and the logs start() wrote beside them (a suite run
 * left ~40 GB in /tmp before). SAT_KEEP_TEST_DIRS=1 keeps them, to look at a failure.
 */
export function removeTempDirs(): void {
  if (process.env.SAT_KEEP_TEST_DIRS) return;
  for (const dir of made.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
    const base = basename(dir);
    for (const n of readdirSync(dirname(dir))) if (n.startsWith(`${base}.`)) rmSync(join(dirname(dir), n), { force: true });
  }
}

export interface Ran {
  code: number;
  /** The signal that ended it (SIGKILL from a kill switch), or null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs the real CLI binary, as a user would. */
export function sat(...args: string[]): Ran {
  return satWith({}, ...args);
}

/** sat with extra environment variables (e.g. SAT_ENGINE_MUTANT for a deliberately wrong engine). */
export function satWith(env: Record<string, string>, ...args: string[]): Ran {
  const r = spawnSync(process.execPath, [SAT, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, ...env } });
  let json: unknown;
  try {
    json = r.stdout.trim() ? JSON.parse(r.stdout.trim().split('\n').pop() as string) : undefined;
  } catch {
    json = undefined;
  }
  return { code: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json };
}

const servers: ChildProcess[] = [];

/** Starts `sat serve online` on a free port; resolves with its URL (the first line it prints). */
export function serve(...flags: string[]): Promise<{ url: string; child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [SAT, 'serve', 'online', '--port', '0', '--json', ...flags], { cwd: ROOT });
  servers.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const first = out.split('\n')[0];
      if (out.includes('\n')) resolve({ url: JSON.parse(first).listening, child, out: () => out });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** Stops every server serve() started (for afterEach). */
export function stopServers(): void {
  for (const s of servers.splice(0)) s.kill('SIGTERM');
}

const children = new Set<ChildProcess>();

/** Spawns the CLI without waiting; its stderr is also kept in DIR.<label>-<pid>.log for post-mortems. */
export function start(args: string[], label = args[0], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [SAT, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  children.add(child);
  const dirAt = args.indexOf('--dir');
  // Beside the working directory, not in it: sat refuses to write into a directory holding files it did not make.
  if (dirAt >= 0) child.stderr!.pipe(createWriteStream(`${args[dirAt + 1]}.${label}-${child.pid}.log`));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, stderr: () => stderr };
}

/**
 * Waits for started processes to end. One still running after `ms` fails the test with the end of
 * each one's stderr (a status line every 5 s with SAT_DEBUG=1), where a test timeout would say nothing
 * of where it waited. A bound on giving up, not a speed requirement.
 */
export async function ended<T extends { done: Promise<{ code: number | null }>; stderr: () => string }>(procs: Record<string, T>, ms: number) {
  const names = Object.keys(procs);
  const finished = new Set<string>();
  for (const n of names) void procs[n].done.then(() => finished.add(n));
  let timer: NodeJS.Timeout | undefined;
  const over = new Promise<'over'>((resolve) => (timer = setTimeout(() => resolve('over'), ms)));
  const all = Promise.all(names.map((n) => procs[n].done));
  try {
    const r = await Promise.race([all, over]);
    if (r !== 'over') return r as Awaited<T['done']>[];
  } finally {
    clearTimeout(timer);
  }
  const tails = names.filter((n) => !finished.has(n)).map((n) => `--- ${n}, still running:\n${procs[n].stderr().split('\n').slice(-25).join('\n')}`);
  throw new Error(`not ended after ${ms / 1000} s:\n${tails.join('\n')}`);
}

/** Kills what start() spawned and is still running (for afterEach). */
export function stopChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}

/** Waits for a condition, polling; fails if the process it depends on ended first (never a guess of time). */
export async function until(cond: () => boolean, ended: Promise<unknown>): Promise<void> {
  let over = false;
  void ended.then(() => (over = true));
  while (!cond()) {
    if (over) throw new Error('the process ended before the condition held');
    await new Promise((r) => setTimeout(r, 20));
  }
}
