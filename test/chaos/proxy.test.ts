import { afterEach, describe, expect, it } from 'vitest';
import { sat, serve, start, stopChildren, stopServers, tempDir } from '../helpers.js';

afterEach(() => {
  stopChildren();
  stopServers();
});

/** Starts `sat chaos proxy` and resolves with its host:port (the first stdout line). */
async function proxy(...flags: string[]) {
  const p = start(['chaos', 'proxy', '--json', ...flags]);
  let out = '';
  const at = await new Promise<string>((resolve, reject) => {
    p.child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]).listening);
    });
    p.child.once('exit', (c) => reject(new Error(`proxy exited ${c}`)));
  });
  return { at, stop: async () => (p.child.kill('SIGTERM'), JSON.parse((await p.done).stdout.trim().split('\n').pop() as string)) };
}

describe('sat chaos proxy: latency, jitter and cut connections between the engine and the online API', () => {
  it('the satisfaction run retries through cuts and jitter, and verify accounts for every score', async () => {
    const dir = tempDir('sat-proxy-');
    expect(sat('gen', '--dir', dir, '--customers', '300', '--events', '4000', '--span', '2h', '--seed', '4').code).toBe(0);
    expect(sat('replay', '--scenario', 'satisfaction', '--dir', dir, '--duplicates', '0.02').code).toBe(0);
    const { url } = await serve();
    const p = await proxy('--target', url.replace('http://', ''), '--latency', '2ms..20ms', '--cut-rate', '0.05', '--seed', '3');
    const run = sat('run', '--dir', dir, '--online', `http://${p.at}`, '--online-retries', '6', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.scoring.online.failedAttempts).toBeGreaterThan(0); // cuts happened and were retried
    const stats = await p.stop();
    expect(stats.cuts).toBeGreaterThan(0);
    expect(stats.connections).toBeGreaterThan(1);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
    expect(v.json.counts.results_missing_online).toBe(run.json.scoring.missingOnline);
  });

  it('a bad target is exit 2 with one line', () => {
    const r = sat('chaos', 'proxy', '--target', 'nowhere');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--target nowhere: expected host:port/);
  });
});
