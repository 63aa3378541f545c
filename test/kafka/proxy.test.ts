import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ended, ROOT, SAT, sat, start, stopChildren, tempDir } from '../helpers.js';
import { expectExact, haveBroker, ownBroker } from './broker.js';

/**
 * Network faults between Kafka and sat (issue 18): every client connection, the replay's producer
 * and the run's group member alike, goes through `sat chaos proxy` with latency and jitter, a
 * bandwidth limit and connections cut at random. Kafka clients reconnect to the address the broker
 * advertises, so this file starts its own broker (kafka.sh, other ports, its own data) advertising
 * the proxy's address on an EXTERNAL listener.
 */
// Below Linux's ephemeral range (32768-60999): a port there may be any client socket's local port
// when the broker starts, and the broker then cannot bind it (CI saw that once).
const PORT = Number(process.env.SAT_TEST_PROXY_BROKER_PORT ?? 19292);
const PROXY = PORT + 408; // 19700
const { kafkaSh, runDir } = await ownBroker(PORT, `127.0.0.1:${PROXY}`);
const FAULTS = ['--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--seed', '9'];

afterEach(stopChildren);

describe.skipIf(!haveBroker)('Kafka through sat chaos proxy: latency, jitter, a bandwidth limit, cut connections', () => {
  beforeAll(async () => {
    expect(await kafkaSh('up')).toMatch(/up on/);
  }, 180_000);
  afterAll(async () => {
    await kafkaSh('down').catch(() => undefined);
    rmSync(runDir, { recursive: true, force: true });
  }, 120_000);

  it('a paced replay and an exactly-once run, every connection through the proxy: verify exact, and the proxy did cut connections', async () => {
    const proxy = spawn(process.execPath, [SAT, 'chaos', 'proxy', '--target', `127.0.0.1:${PORT + 2}`, '--listen', String(PROXY), '--latency', '1ms..10ms', '--bandwidth', '4000000', '--cut-rate', '0.002', '--seed', '3', '--json'], { cwd: ROOT });
    let out = '';
    proxy.stdout.on('data', (d) => (out += d));
    await new Promise<void>((resolve, reject) => {
      proxy.stdout.on('data', () => out.includes('\n') && resolve());
      proxy.once('exit', (c) => reject(new Error(`proxy exited ${c}`)));
    });
    try {
      const dir = tempDir('sat-proxy-');
      const file = join(dir, 'iot.csv');
      expect(sat('gen', '--kind', 'iot', '--rows', '16000', '--seed', '4', '--out', file).code).toBe(0);
      const brokers = `127.0.0.1:${PROXY}`;
      const topic = `proxied-${process.pid}`;
      const replay = start(['replay', file, '--scenario', 'iot', '--rate', '3000', ...FAULTS, '--brokers', brokers, '--topic', topic, '--partitions', '3', '--dir', dir, '--no-progress']);
      while (!existsSync(join(dir, 'replay.json'))) {
        expect(replay.child.exitCode, 'the replay ended before it started').toBeNull();
        await sleep(20);
      }
      const run = start(['run', '--scenario', 'iot', '--dir', dir, '--brokers', brokers, '--topic', topic, '--exactly-once', '--json'], 'run', { SAT_DEBUG: '1' });
      const [r, m] = await ended({ replay, run }, 100_000);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      expect(m.code, m.stderr.slice(-2000)).toBe(0);
      await expectExact(dir);
    } finally {
      proxy.kill('SIGINT');
      await new Promise((resolve) => proxy.once('close', resolve));
    }
    // The faults happened: connections were cut, and all the traffic went through the proxy.
    const stats = JSON.parse(out.trim().split('\n').pop()!);
    expect(stats.cuts).toBeGreaterThan(0);
    expect(stats.bytes).toBeGreaterThan(1_000_000);
  }, 300_000);
});
