import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, sat, start, stopChildren, tempDir, until } from '../helpers.js';

afterEach(stopChildren);
const sample = join(ROOT, 'datasets', 'reviews-sample.tsv');


describe('the working-directory contract: sat writes only where it made the directory', () => {
  it('refuses a user\'s non-empty directory, names what it found and deletes nothing', () => {
    const home = tempDir('sat-home-');
    mkdirSync(join(home, 'log'));
    writeFileSync(join(home, 'log', 'app.log'), 'my log\n');
    writeFileSync(join(home, 'results.jsonl'), '{"mine": true}\n');
    for (const args of [['replay', sample, '--scenario', 'reviews', '--dir', home], ['gen', '--dir', home, '--customers', '10', '--events', '10'], ['run', '--dir', home, '--scenario', 'reviews']]) {
      const r = sat(...args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr, args[0]).toMatch(/is not a sat working directory \(no \.sat-workdir\) and is not empty \(it holds log, results\.jsonl\)/);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // one line, no stack
    }
    expect(readFileSync(join(home, 'log', 'app.log'), 'utf8')).toBe('my log\n');
    expect(readFileSync(join(home, 'results.jsonl'), 'utf8')).toBe('{"mine": true}\n');
    expect(existsSync(join(home, 'ledger.csv'))).toBe(false);
  });

  it('refuses --dir / without writing there', () => {
    const r = sat('replay', sample, '--scenario', 'reviews', '--dir', '/');
    expect(r.code).toBe(2);
    expect(existsSync('/ledger.csv') || existsSync('/replay.json') || existsSync('/.sat-workdir')).toBe(false);
  });

  it('marks a new directory with a format version, and accepts the input file living inside it', () => {
    const dir = tempDir('sat-own-');
    const input = join(dir, 'data.tsv');
    writeFileSync(input, readFileSync(sample));
    expect(sat('replay', input, '--scenario', 'reviews', '--dir', dir).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, '.sat-workdir'), 'utf8')).format).toBe(1);
    expect(sat('replay', input, '--scenario', 'reviews', '--dir', dir).code).toBe(0); // its own again
    writeFileSync(join(dir, '.sat-workdir'), JSON.stringify({ format: 99 }));
    const newer = sat('replay', input, '--scenario', 'reviews', '--dir', dir);
    expect(newer.code).toBe(2);
    expect(newer.stderr).toMatch(/made by a newer sat/);
  });

  it('a second replay on a directory a live replay holds is refused, naming the holder', async () => {
    const dir = tempDir('sat-lock-');
    const first = start(['replay', sample, '--scenario', 'reviews', '--rate', '300', '--dir', dir, '--no-progress']);
    await until(() => existsSync(join(dir, '.lock-replay')), first.done);
    const second = sat('replay', sample, '--scenario', 'reviews', '--dir', dir);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`in use: sat replay \\(pid ${first.child.pid}\\) holds its replay lock`));
    // A run beside the replay is the normal way to follow it; a second run is not.
    const run = start(['run', '--dir', dir, '--follow']);
    await until(() => existsSync(join(dir, '.lock-run')), run.done);
    const run2 = sat('run', '--dir', dir);
    expect(run2.code).toBe(2);
    expect(run2.stderr).toMatch(/holds its run lock/);
  });

  it('a lock left by a dead process is taken over', () => {
    const dir = tempDir('sat-stale-');
    expect(sat('replay', sample, '--scenario', 'reviews', '--dir', dir).code).toBe(0);
    writeFileSync(join(dir, '.lock-run'), JSON.stringify({ pid: 2 ** 22 + 12345, command: 'sat run' }));
    const r = sat('run', '--dir', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, '.lock-run'))).toBe(false); // released at exit
  });
});
