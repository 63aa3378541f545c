import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ROOT, SAT, sat, tempDir } from '../helpers.js';

function start(args: string[]) {
  const child = spawn(process.execPath, [SAT, ...args], { cwd: ROOT });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const done = new Promise<{ code: number; stdout: string }>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout })));
  return { child, done };
}

describe('run while replay is still writing', () => {
  it('tails the log at a paced rate, stops when the replay has finished and it has caught up, and verifies', async () => {
    const dir = tempDir('sat-tail-');
    const file = join(ROOT, 'datasets', 'iot-sample.csv');
    // 3,000 records at 3,000/s: about a second of paced sending.
    const replay = start(['replay', file, '--scenario', 'iot', '--rate', '3000', '--late', '0.05', '--duplicates', '0.03', '--malformed', '0.02', '--seed', '4', '--dir', dir, '--json']);
    while (!existsSync(join(dir, 'log', 'meta.json'))) await sleep(10);
    const run = start(['run', '--dir', dir, '--json']);
    const [r, e] = await Promise.all([replay.done, run.done]);
    expect(r.code).toBe(0);
    expect(e.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.elapsedMs).toBeGreaterThan(500); // the rate was honoured, so run really tailed a live log
    expect(JSON.parse(e.stdout).records).toBe(summary.sent);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
  });
});
