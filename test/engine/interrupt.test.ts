import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, sat, start, stopChildren, tempDir } from '../helpers.js';

afterEach(stopChildren);

/** A backlog big enough that the run is mid-stream when the signal comes. */
function backlog(): string {
  const dir = tempDir('sat-int-');
  expect(sat('gen', '--kind', 'reviews', '--rows', '100000', '--out', join(dir, 'reviews.tsv'), '--seed', '6').code).toBe(0);
  const r = sat('replay', join(dir, 'reviews.tsv'), '--scenario', 'reviews', '--late', '0.05', '--duplicates', '0.03', '--boundary', '0.02', '--seed', '6', '--dir', dir, '--no-progress');
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

describe('an interrupted sat run stops, checkpoints, fires nothing early and resumes exactly', () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} under backlog: exit ${code}, then a second start resumes and verify passes`, async () => {
      const dir = backlog();
      const cps = join(dir, 'checkpoints', 'run');
      const run = start(['run', '--dir', dir, '--checkpoint-every', '5000', '--json']);
      // A condition, not a time: the run is under way once it has written a checkpoint.
      while (!(existsSync(cps) && readdirSync(cps).some((f) => f.startsWith('cp-')))) {
        expect(run.child.exitCode).toBeNull();
        await sleep(20);
      }
      run.child.kill(signal);
      const stopped = await run.done;
      expect(stopped.code, stopped.stderr).toBe(code);
      const s = JSON.parse(stopped.stdout.trim().split('\n').pop() as string);
      expect(s.interrupted).toBe(true);
      expect(s.records).toBeLessThan(100_000);
      expect(stopped.stderr).toMatch(new RegExp(`interrupted by ${signal} after record ${s.records}: checkpoint written`));
      const resumed = sat('run', '--dir', dir, '--json');
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.json.resumedFrom.records).toBe(s.records);
      // Its rates are of the records this process took, not of the checkpoint's too.
      const own = (resumed.json.records - s.records) / (resumed.json.elapsedMs / 1000);
      expect(Math.abs(resumed.json.recordsPerSecond - own), JSON.stringify(resumed.json)).toBeLessThanOrEqual(own * 0.01 + 1);
      expect(resumed.json.processingRecordsPerSecond).toBeGreaterThanOrEqual(resumed.json.recordsPerSecond);
      const v = sat('verify', '--dir', dir, '--json');
      // Nothing fired early: an early window would be emitted twice or with the wrong count.
      expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
      expect(v.json.counts.results_repeated).toBe(0);
    });
  }
});

describe('an interrupted sat replay', () => {
  it('SIGINT mid-stream: exit 130, the ledger holds exactly what was sent, and the shorter stream verifies', async () => {
    const dir = tempDir('sat-int-replay-');
    const replay = start(['replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', '--rate', '400', '--late', '0.05', '--duplicates', '0.03', '--dir', dir, '--no-progress', '--json']);
    const log = join(dir, 'log');
    // Under way once the log holds records: a condition, not a time.
    while (!(existsSync(log) && readdirSync(log).some((f) => f.endsWith('.log') && statSync(join(log, f)).size > 10_000))) {
      expect(replay.child.exitCode).toBeNull();
      await sleep(20);
    }
    replay.child.kill('SIGINT');
    const r = await replay.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/interrupted by SIGINT after \d+ sends: the ledger holds exactly what was sent/);
    const s = JSON.parse(readFileSync(join(dir, 'replay.json'), 'utf8'));
    expect(s.finished).toBe(true);
    expect(s.stoppedBy).toBe('signal');
    expect(s.sent).toBeGreaterThan(0);
    expect(s.sent).toBeLessThan(3000);
    expect(readFileSync(join(dir, 'ledger.csv'), 'utf8').trim().split('\n').length - 1).toBe(s.sent);
    expect(sat('run', '--dir', dir).code).toBe(0);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
    expect(v.json.evidence.records_sent).toBe(s.sent);
  });
});

describe('a replay that dies (SIGKILL) before its end marker', () => {
  it('sat run processes everything there is, then stops with exit 5 and says why; verify calls the replay incomplete', async () => {
    const dir = tempDir('sat-dead-writer-');
    const replay = start(['replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', '--rate', '400', '--dir', dir, '--no-progress']);
    const log = join(dir, 'log');
    while (!(existsSync(log) && readdirSync(log).some((f) => f.endsWith('.log') && statSync(join(log, f)).size > 10_000))) {
      expect(replay.child.exitCode).toBeNull();
      await sleep(20);
    }
    replay.child.kill('SIGKILL');
    await replay.done;
    const run = sat('run', '--dir', dir, '--json');
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toMatch(/stopped before its end \(no end marker, its process is gone\): processed all \d+ records there are/);
    expect(run.json.records).toBeGreaterThan(0);
    expect(run.json.writerGone).toBe(true);
    const v = sat('verify', '--dir', dir);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/is incomplete: its process stopped before it finished/);
  });
});
