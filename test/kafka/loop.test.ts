import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/core/murmur2.js';
import { ended, haveShared, ROOT, sat, satWith, serve, shared, start, stopChildren, stopServers, tempDir } from '../helpers.js';
import { BROKERS, haveBroker, uniqueTopic } from './broker.js';

const FAULTS = ['--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--out-of-order', '0.05', '--seed', '7'];

// A failed or timed-out test must not leave members behind to disturb the next one.
afterEach(() => {
  stopChildren();
  stopServers();
});

const dataset = () => (haveShared ? shared('reviews/giftcard+digital_software_10834_noheader__James-Leste.tsv') : join(ROOT, 'datasets', 'reviews-sample.tsv'));

/**
 * A rate profile of 20 s at `slow`/s (250 by default), then the rest at 5,000/s: the members'
 * start-up and group join on a loaded machine cannot outlast the replay, so they share the
 * partitions mid-stream.
 */
function slowThenFast(slow = 250): string {
  const profile = join(tempDir(), 'slow-then-fast.yaml');
  writeFileSync(profile, `name: slow-then-fast\nphases:\n  - { constant: ${slow}, for: 20s }\n  - { constant: 5000, for: 10m }\n`);
  return profile;
}

/** Waits until each member's last assignment (its stderr) holds partitions: the group is shared. */
async function bothOwnPartitions(...members: { stderr: () => string }[]) {
  const owns = (stderr: string) => {
    const all = [...stderr.matchAll(/assigned partitions \[([\d, ]*)\]/g)];
    return all.length > 0 && all[all.length - 1][1].trim() !== '';
  };
  for (let waited = 0; !members.every((m) => owns(m.stderr())); waited += 50) {
    expect(waited, 'the members never shared the partitions').toBeLessThan(30_000);
    await sleep(50);
  }
}

function expectVerified(dir: string) {
  const v = sat('verify', '--dir', dir, '--json');
  expect(v.code, `${v.stderr} ${JSON.stringify(v.json?.checks?.filter((c: { pass: boolean }) => !c.pass))}`).toBe(0);
  const c = v.json.counts;
  expect(v.json.watermark).toBe('partition');
  expect(c.records_lost).toBe(0);
  expect(c.records_double_counted).toBe(0);
  expect(c.results_repeated).toBe(0);
  expect(c.dead_lettered).toBe(c.dead_letters_expected);
  expect(c.malformed_sent).toBeGreaterThan(0);
  expect(c.late_output).toBe(c.late_expected);
  expect(c.late_expected).toBeGreaterThan(0);
  return v.json;
}

// A member taking over waits out the dead one's session (6 s) and its open transaction (10 s), and
// a loaded machine (the suite beside two busy loops, Spark jobs in another worker) is slow at all of
// it: a bound on giving up, not a speed requirement.
describe.skipIf(!haveBroker)('sat on a real Kafka broker', { timeout: 300_000 }, () => {
  it('replay produces keyed by Kafka murmur2, with broker offsets in the ledger and an end marker per partition', () => {
    const dir = tempDir('sat-kafka-');
    const topic = uniqueTopic('replay');
    const r = sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', ...FAULTS, '--brokers', BROKERS, '--topic', topic, '--partitions', '3', '--dir', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.transport).toEqual({ kind: 'kafka', brokers: [BROKERS], topic });
    const rows = readFileSync(join(dir, 'ledger.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(r.json.sent);
    const byPartition = new Map<number, number[]>();
    for (const [, , partition, offset, key] of rows) {
      const p = Number(partition);
      if (key) expect(p).toBe(partitionForKey(JSON.parse(key), 3));
      byPartition.set(p, [...(byPartition.get(p) ?? []), Number(offset)]);
    }
    for (const offsets of byPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i)); // acked, gap-free
    // Each partition keeps the order replay sent it in (batches merged into one request, retries of an
    // idempotent producer): by seq, its offsets run 0, 1, 2, ...
    expect(r.json.sent).toBeGreaterThan(1000);
    const bySeq = [...rows].sort((x, y) => Number(x[0]) - Number(y[0]));
    const next = new Map<number, number>();
    for (const [seq, , partition, offset] of bySeq) {
      const p = Number(partition);
      expect(Number(offset), `seq ${seq}`).toBe(next.get(p) ?? 0);
      next.set(p, Number(offset) + 1);
    }
  });

  it('one member, exactly-once: replay -> Kafka -> run -> verify from the topics', () => {
    const dir = tempDir('sat-kafka-');
    const topic = uniqueTopic('one');
    expect(sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', ...FAULTS, '--brokers', BROKERS, '--topic', topic, '--partitions', '4', '--dir', dir).code).toBe(0);
    const run = sat('run', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--exactly-once', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.partitionsProcessed).toEqual([0, 1, 2, 3]);
    const verified = expectVerified(dir);
    // The summary has what the embedded log's has: memory, checkpoints, both latencies, by the same names.
    const embedded = tempDir('sat-kafka-');
    expect(sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', ...FAULTS, '--dir', embedded).code).toBe(0);
    const local = sat('run', '--dir', embedded, '--json').json;
    for (const k of Object.keys(local).filter((k) => !['reconciliation', 'resumedFrom', 'corruptCheckpoints', 'interrupted', 'writerGone'].includes(k))) expect(run.json, k).toHaveProperty(k);
    expect(run.json.peakRssMb).toBeGreaterThan(0);
    expect(run.json.checkpoints).toBeGreaterThanOrEqual(4); // a full one per partition at least
    expect(run.json.resultLatency.count).toBe(run.json.results); // each result once, when its commit made it readable
    expect(verified.pass).toBe(true);
  });

  // 'client': the client's own parse of fetched records, which sat falls back to with a broker older than Fetch v15 (Kafka 3.5).
  for (const parse of ['sat', 'client']) {
    it(`one member, at-least-once (no crash): verifies too (fetched records parsed by ${parse})`, () => {
      const dir = tempDir('sat-kafka-');
      const topic = uniqueTopic('alo');
      expect(sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', ...FAULTS, '--brokers', BROKERS, '--topic', topic, '--partitions', '2', '--dir', dir).code).toBe(0);
      const run = satWith({ SAT_KAFKA_FETCH: parse }, 'run', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--json');
      expect(run.code, run.stderr).toBe(0);
      expect(run.json.exactlyOnce).toBe(false);
      // Send times came through the headers on either parse.
      expect(run.json.sendLatency.count).toBe(run.json.records);
      expectVerified(dir);
    });
  }

  it('two members of one group share 4 partitions while replay streams, and the results verify', async () => {
    const dir = tempDir('sat-kafka-');
    const topic = uniqueTopic('group');
    const replay = start(['replay', dataset(), '--scenario', 'reviews', '--profile', slowThenFast(), ...FAULTS, '--brokers', BROKERS, '--topic', topic, '--partitions', '4', '--dir', dir]);
    while (!existsSync(join(dir, 'replay.json'))) await sleep(20);
    const runArgs = ['run', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--group', `${topic}-g`, '--exactly-once', '--json'];
    const a = start(runArgs, 'a', { SAT_DEBUG: '1' });
    const b = start(runArgs, 'b', { SAT_DEBUG: '1' });
    await bothOwnPartitions(a, b);
    expect(replay.child.exitCode, 'the replay ended before both members owned partitions: not shared while it streamed').toBeNull();
    const [r, ra, rb] = await ended({ replay, a, b }, 240_000);
    expect(r.code, r.stderr).toBe(0);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const sa = JSON.parse(ra.stdout);
    const sb = JSON.parse(rb.stdout);
    expect(sa.partitionsProcessed.length).toBeGreaterThan(0);
    expect(sb.partitionsProcessed.length).toBeGreaterThan(0);
    expect([...new Set([...sa.partitionsProcessed, ...sb.partitionsProcessed])].sort()).toEqual([0, 1, 2, 3]);
    expectVerified(dir);
  });

  it('SIGKILL of one member mid-stream: the group rebalances, the survivor restores its partitions, nothing lost or duplicated', async () => {
    const dir = tempDir('sat-kafka-');
    const topic = uniqueTopic('kill');
    const replay = start(['replay', dataset(), '--scenario', 'reviews', '--profile', slowThenFast(), ...FAULTS, '--brokers', BROKERS, '--topic', topic, '--partitions', '4', '--dir', dir]);
    while (!existsSync(join(dir, 'replay.json'))) await sleep(20);
    const runArgs = ['run', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--group', `${topic}-g`, '--exactly-once', '--commit-interval', '300', '--json'];
    const victim = start(runArgs, 'victim', { SAT_DEBUG: '1' });
    const survivor = start(runArgs, 'survivor', { SAT_DEBUG: '1' });
    // Kill once both members own partitions (the group is shared), and give the victim time to
    // commit some work of its own.
    await bothOwnPartitions(victim, survivor);
    await sleep(1000);
    expect(replay.child.exitCode, 'the replay ended before the kill: not mid-stream').toBeNull();
    victim.child.kill('SIGKILL');
    const [r, v, s] = await ended({ replay, victim, survivor }, 240_000);
    expect(r.code, r.stderr).toBe(0);
    expect(v.signal).toBe('SIGKILL');
    expect(s.code, s.stderr).toBe(0);
    const summary = JSON.parse(s.stdout);
    expect(summary.partitionsProcessed).toEqual([0, 1, 2, 3]); // it took over the victim's partitions
    expect(summary.rebalances).toBeGreaterThanOrEqual(2);
    expectVerified(dir);
  });

  it('satisfaction on Kafka, exactly-once: scores and actions go out in the transactions and verify, with 10% API errors', async () => {
    const dir = tempDir('sat-kafka-sat-');
    const topic = uniqueTopic('sat');
    expect(sat('gen', '--dir', dir, '--customers', '300', '--events', '4000', '--span', '2h', '--seed', '4').code).toBe(0);
    const r = sat('replay', '--scenario', 'satisfaction', ...FAULTS, '--brokers', BROKERS, '--topic', topic, '--partitions', '3', '--dir', dir);
    expect(r.code, r.stderr).toBe(0);
    const { url } = await serve('--error-rate', '0.1', '--seed', '5');
    const run = await start(['run', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--exactly-once', '--online', url, '--online-retries', '0', '--json']).done;
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop() as string);
    expect(summary.scoring.missingOnline).toBeGreaterThan(0);
    const v = expectVerified(dir);
    expect(v.counts.scores_checked).toBe(v.counts.expected_results);
    expect(v.counts.actions).toBe(summary.scoring.actions);
    expect(v.counts.results_missing_online).toBe(summary.scoring.missingOnline);
  });

  it('two sharded replays (--shard 1/2, 2/2) feed one topic at a rate while a member runs; verify merges the ledger parts', async () => {
    const dir = tempDir('sat-kafka-shard-');
    const topic = uniqueTopic('shard');
    const args = (i: number) => ['replay', dataset(), '--scenario', 'reviews', ...FAULTS, '--brokers', BROKERS, '--topic', topic, '--partitions', '4', '--dir', dir, '--rate', '4000', '--shard', `${i}/2`, '--json'];
    const shards = [start(args(1), 'shard1'), start(args(2), 'shard2')];
    while (!existsSync(join(dir, 'replay.shard-1-of-2.json')) || !existsSync(join(dir, 'replay.shard-2-of-2.json'))) await sleep(20);
    const run = start(['run', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--exactly-once', '--json'], 'run', { SAT_DEBUG: '1' });
    const done = await ended({ shard1: shards[0], shard2: shards[1] }, 240_000);
    for (const d of done) expect(d.code, d.stderr).toBe(0);
    const parts = done.map((d) => JSON.parse(d.stdout.trim().split('\n').pop() as string));
    expect(parts.map((x) => x.shard)).toEqual([{ index: 1, count: 2 }, { index: 2, count: 2 }]);
    expect(parts.every((x) => x.sent > 1000)).toBe(true);
    const [r] = await ended({ run }, 240_000);
    expect(r.code, r.stderr).toBe(0);
    const v = expectVerified(dir);
    expect(v.counts.records_sent).toBe(parts[0].sent + parts[1].sent);
  });

  it('a partitioned satisfaction dataset: three sharded replays of their own parts, two members each loading only its partitions\' customers', async () => {
    const dir = tempDir('sat-kafka-parts-');
    const topic = uniqueTopic('parts');
    for (const i of [1, 2, 3]) expect(sat('gen', '--dir', dir, '--customers', '600', '--events', '4000', '--span', '2h', '--seed', '4', '--shard', `${i}/3`).code).toBe(0);
    // The replays stream slowly while the members join: a member that joins after the other has
    // processed everything owns partitions with nothing left to read and loads no customers.
    const profile = slowThenFast(50);
    const replays = [1, 2, 3].map((i) => start(['replay', '--scenario', 'satisfaction', '--profile', profile, ...FAULTS, '--brokers', BROKERS, '--topic', topic, '--partitions', '3', '--dir', dir, '--shard', `${i}/3`, '--json'], `replay${i}`));
    while (![1, 2, 3].every((i) => existsSync(join(dir, `replay.shard-${i}-of-3.json`)))) await sleep(20);
    const { url } = await serve();
    const runArgs = ['run', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--exactly-once', '--online', url, '--json'];
    const members = [start(runArgs, 'm1', { SAT_DEBUG: '1' }), start(runArgs, 'm2', { SAT_DEBUG: '1' })];
    await bothOwnPartitions(...members);
    expect(replays.some((r) => r.child.exitCode === null), 'the replays ended before both members owned partitions: not shared while they streamed').toBe(true);
    const sent = await ended({ replay1: replays[0], replay2: replays[1], replay3: replays[2] }, 240_000);
    for (const r of sent) expect(r.code, r.stderr).toBe(0);
    const parts = sent.map((r) => JSON.parse(r.stdout.trim().split('\n').pop() as string));
    const done = await ended({ m1: members[0], m2: members[1] }, 240_000);
    for (const d of done) expect(d.code, d.stderr).toBe(0);

    // Each member's last load holds exactly the customers of the partitions it was last assigned.
    const ids = Array.from({ length: 600 }, (_, c) => `C${String(c).padStart(9, '0')}`);
    const covered = new Set<number>();
    for (const d of done) {
      const loads = [...d.stderr.matchAll(/snapshot 2024-06-02: (\d+) customers of partitions \[([\d, ]*)\] of 3/g)];
      expect(loads.length, d.stderr).toBeGreaterThan(0);
      const [, n, list] = loads.at(-1)!;
      const assigned = list.split(', ').filter(Boolean).map(Number);
      assigned.forEach((p) => covered.add(p));
      expect(Number(n)).toBe(ids.filter((id) => assigned.includes(partitionForKey(id, 3))).length);
    }
    expect(covered.size).toBe(3);
    const v = expectVerified(dir);
    expect(v.counts.scores_checked).toBe(v.counts.expected_results);
    expect(v.counts.records_sent).toBe(parts.reduce((a, p) => a + p.sent, 0));
  });
});
