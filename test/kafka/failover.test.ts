import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ended, sat, start, stopChildren, tempDir } from '../helpers.js';
import { expectExact, uniqueTopic } from './broker.js';
import { CLUSTER, haveCluster, leaders, node, recordsIn } from './cluster.js';

/**
 * Replicated Kafka (issue 18): three brokers, replication factor 3, min.insync.replicas 2. The leader
 * of a partition is SIGKILLed in the middle of the work and restarted once another broker leads it;
 * verify must find nothing lost, nothing counted twice, nothing repeated, and the dead letters and
 * late rows exact. Every wait is on a condition (records in a topic, a new leader, a line the replay
 * prints), never on a time.
 */
const FAULTS = ['--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--seed', '5'];
let file = '';

afterEach(() => stopChildren());

async function expectExactUnderFaults(dir: string) {
  const c = await expectExact(dir);
  expect(c.late_expected).toBeGreaterThan(0);
  expect(c.records_sent).toBeGreaterThan(20_000);
}

/** Waits until the condition holds; fails if the process it depends on ended first. */
async function waitFor(what: string, cond: () => Promise<boolean> | boolean, running: { child: { exitCode: number | null } }) {
  while (!(await cond())) {
    if (running.child.exitCode !== null) throw new Error(`the process ended before ${what}`);
    await sleep(100);
  }
}

describe.skipIf(!haveCluster)('replicated Kafka: leader failover', { timeout: 600_000 }, () => {
  beforeAll(() => {
    const dir = tempDir('sat-failover-data-');
    file = join(dir, 'iot.csv');
    expect(sat('gen', '--kind', 'iot', '--rows', '24000', '--seed', '3', '--out', file).code).toBe(0);
  });
  // A test that failed midway must not leave a broker down for the next one.
  afterAll(() => {
    for (const n of [1, 2, 3]) node('start', n);
  });

  it('the leader of the input partitions SIGKILLed mid paced replay: the replay goes on, and an exactly-once run verifies exactly', async () => {
    const dir = tempDir('sat-failover-');
    const topic = uniqueTopic('fo-in');
    const replay = start(['replay', file, '--scenario', 'iot', '--rate', '3000', ...FAULTS, '--brokers', CLUSTER, '--topic', topic, '--partitions', '3', '--dir', dir, '--no-progress']);
    await waitFor('3,000 records were in the topic', async () => (await recordsIn(topic)) >= 3000, replay);
    const before = await leaders(topic);
    const victim = before.find((l) => l > 0)!;
    node('kill', victim);
    await waitFor(`another broker led every partition node ${victim} led`, async () => (await leaders(topic)).every((l) => l > 0 && l !== victim), replay);
    node('start', victim);
    const r = await replay.done;
    expect(r.code, r.stderr).toBe(0);
    const run = sat('run', '--dir', dir, '--brokers', CLUSTER, '--topic', topic, '--exactly-once', '--json');
    expect(run.code, run.stderr).toBe(0);
    await expectExactUnderFaults(dir);
  });

  it('the leader of the output topics SIGKILLed mid exactly-once run: the member recovers from its commits, and verify finds it exact', async () => {
    const dir = tempDir('sat-failover-');
    const topic = uniqueTopic('fo-out');
    const replay = start(['replay', file, '--scenario', 'iot', '--rate', '3000', ...FAULTS, '--brokers', CLUSTER, '--topic', topic, '--partitions', '3', '--dir', dir, '--no-progress']);
    await waitFor('the replay started', async () => (await recordsIn(topic)) > 0, replay);
    const run = start(['run', '--dir', dir, '--brokers', CLUSTER, '--topic', topic, '--exactly-once', '--json'], 'run', { SAT_DEBUG: '1' });
    const results = `${topic}-results`;
    await waitFor('the run had committed results', async () => (await recordsIn(results)) > 0, run);
    const victim = (await leaders(results))[0];
    node('kill', victim);
    await waitFor(`another broker led the results and the run's progress went on`, async () => (await leaders(results)).every((l) => l > 0 && l !== victim), run);
    node('start', victim);
    const [r, m] = await ended({ replay, run }, 500_000);
    expect(r.code, r.stderr).toBe(0);
    expect(m.code, m.stderr).toBe(0);
    await expectExactUnderFaults(dir);
  });

  it('two of three brokers down (fewer than min.insync.replicas): the replay waits and says so, drops nothing, and goes on when they return', async () => {
    const dir = tempDir('sat-failover-');
    const topic = uniqueTopic('fo-two');
    const replay = start(['replay', file, '--scenario', 'iot', '--rate', '3000', ...FAULTS, '--brokers', CLUSTER, '--topic', topic, '--partitions', '3', '--dir', dir]);
    await waitFor('3,000 records were in the topic', async () => (await recordsIn(topic)) >= 3000, replay);
    node('kill', 2);
    node('kill', 3);
    await waitFor('the replay said it waits for the broker', () => /waiting for the broker/.test(replay.stderr()), replay);
    node('start', 2);
    node('start', 3);
    const r = await replay.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/waiting for the broker: no acknowledgement for \d+ s/);
    const run = sat('run', '--dir', dir, '--brokers', CLUSTER, '--topic', topic, '--exactly-once', '--json');
    expect(run.code, run.stderr).toBe(0);
    await expectExactUnderFaults(dir);
  });
});
