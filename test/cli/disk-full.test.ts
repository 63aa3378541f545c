import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, sat, tempDir } from '../helpers.js';

const SAMPLE = join(ROOT, 'datasets', 'reviews-sample.tsv');
const FAULTS = ['--rate', '0', '--late', '0.05', '--duplicates', '0.03', '--malformed', '0.02', '--seed', '5'];

describe('a full disk', () => {
  it('names the output that filled it, exit 3, one line (results.jsonl on /dev/full)', () => {
    const dir = tempDir('sat-full-');
    expect(sat('replay', SAMPLE, '--scenario', 'reviews', ...FAULTS, '--dir', dir).code).toBe(0);
    // Every write to /dev/full fails with ENOSPC: the disk is full for this one file.
    symlinkSync('/dev/full', join(dir, 'results.jsonl'));
    const r = sat('run', '--dir', dir);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(`sat: writing ${join(dir, 'results.jsonl')}: the disk is full (ENOSPC)`);
  });
});

describe('a full disk under sat gen', () => {
  const lastLine = (text: string) => text.trim().split('\n').pop();

  it('names the file it was writing, exit 3 (--kind, a Parquet snapshot, a CSV event table, the messages countries)', () => {
    const out = join(tempDir('sat-full-gen-'), 'iot.csv');
    symlinkSync('/dev/full', out);
    const kind = sat('gen', '--kind', 'iot', '--rows', '20000', '--out', out);
    expect(kind.code).toBe(3);
    expect(lastLine(kind.stderr)).toBe(`sat: writing ${out}: the disk is full (ENOSPC)`);

    // A table is written as NAME.partial and renamed when done: that is the file the disk fills.
    for (const [format, table] of [
      ['parquet', 'customers-2024-06-01.parquet'],
      ['csv', 'events.csv'],
    ]) {
      const dir = tempDir('sat-full-gen-');
      expect(sat('gen', '--dir', dir, '--customers', '100', '--events', '100', '--days', '1', '--format', format).code).toBe(0);
      rmSync(join(dir, table));
      symlinkSync('/dev/full', join(dir, `${table}.partial`));
      const r = sat('gen', '--dir', dir, '--customers', '2000', '--events', '20000', '--days', '1', '--format', format);
      expect(r.code, r.stderr).toBe(3);
      expect(lastLine(r.stderr)).toBe(`sat: writing ${join(dir, table)}: the disk is full (ENOSPC)`);
    }

    const dir = tempDir('sat-full-gen-');
    expect(sat('gen', '--dir', dir, '--scenario', 'messages', '--customers', '10', '--events', '100', '--days', '1').code).toBe(0);
    rmSync(join(dir, 'countries.csv'));
    symlinkSync('/dev/full', join(dir, 'countries.csv'));
    const messages = sat('gen', '--dir', dir, '--scenario', 'messages', '--customers', '10', '--events', '100', '--days', '1');
    expect(messages.code).toBe(3);
    expect(lastLine(messages.stderr)).toBe(`sat: writing ${join(dir, 'countries.csv')}: the disk is full (ENOSPC)`);
  });
});

/**
 * A real full file system: a 4 MB tmpfs, which needs mount (root). Without it the test says so and
 * is skipped; the /dev/full test above still checks the message.
 */
const MOUNT = join(tempDir('sat-tmpfs-'), 'fs');
const canMount = (() => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    mkdirSync(MOUNT, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', MOUNT], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!canMount) console.warn('disk-full.test.ts: cannot mount a tmpfs here (needs root on Linux): the full-file-system recovery test is skipped');
afterAll(() => {
  if (canMount) execFileSync('umount', [MOUNT], { stdio: 'ignore' });
});

describe.skipIf(!canMount)('a full file system (tmpfs)', () => {
  it('sat run stops naming the file; its outputs stay as of its last checkpoint; with space again it resumes and verify passes', () => {
    const dir = join(MOUNT, 'w');
    expect(sat('replay', SAMPLE, '--scenario', 'reviews', ...FAULTS, '--dir', dir).code).toBe(0);
    // Leave 300 KB: not enough for the run's outputs (~650 KB), enough for those of the records taken
    // while its first checkpoint is under way (the engine reads on through up to five checkpoints of
    // 200 records before it waits for the first to land: ~175 KB of results), so one lands first.
    const avail = Number(execFileSync('df', ['-k', '--output=avail', MOUNT], { encoding: 'utf8' }).trim().split('\n').pop());
    const filler = join(MOUNT, 'filler');
    writeFileSync(filler, Buffer.alloc(Math.max(0, avail - 300) * 1024));
    const full = sat('run', '--dir', dir, '--checkpoint-every', '200');
    expect(full.code, full.stderr).toBe(3);
    expect(full.stderr.trim().split('\n')).toHaveLength(1);
    expect(full.stderr).toMatch(new RegExp(`^sat: writing ${dir}/\\S+: the disk is full \\(ENOSPC\\)`));
    // No half-written checkpoint left behind to be mistaken for one.
    const cps = join(dir, 'checkpoints', 'run');
    expect(existsSync(cps) ? readdirSync(cps).filter((f) => f.endsWith('.tmp')) : []).toEqual([]);
    execFileSync('rm', [filler]);
    const again = sat('run', '--dir', dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming from/);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, v.stderr).toBe(0);
    expect(v.json.counts.records_lost).toBe(0);
    expect(v.json.counts.records_double_counted).toBe(0);
    expect(statSync(join(dir, 'results.jsonl')).size).toBeGreaterThan(0);
  });

  it('sat replay stops naming the log file, and verify calls that replay incomplete', () => {
    execFileSync('rm', ['-rf', join(MOUNT, 'w')]); // the whole 4 MB for this one
    const dir = join(MOUNT, 'r');
    const big = join(tempDir(), 'big.tsv');
    // Small enough that replay's own spill of the records fits, large enough that the log then does not.
    expect(sat('gen', '--kind', 'reviews', '--rows', '6000', '--out', big).code).toBe(0);
    const r = sat('replay', big, '--scenario', 'reviews', '--rate', '0', '--dir', dir);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toMatch(new RegExp(`^sat: writing ${dir}/\\S+: the disk is full \\(ENOSPC\\)$`));
    const v = sat('verify', '--dir', dir);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/incomplete|did not finish|not finished/);
  });
});
