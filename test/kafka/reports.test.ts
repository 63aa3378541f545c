import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sat, tempDir } from '../helpers.js';
import { BROKERS, haveBroker, uniqueTopic } from './broker.js';

const FAULTS = ['--malformed', '0.02', '--late', '0.03', '--duplicates', '0.03', '--out-of-order', '0.03', '--seed', '5'];
const REPORT_CHECKS = ['daily pivot matches', 'top users match', 'input = valid + corrupted + malformed', 'every corrupted row split off, no valid one'];
const sorted = (f: string) => readFileSync(f, 'utf8').trim().split('\n').sort();

/** Reads a topic's committed records as sorted JSON lines (through verify's own materializer). */
async function topicLines(topic: string, dir: string): Promise<string[]> {
  const { materialize } = await import('../../src/verify/verify.js');
  return sorted(await materialize(`kafka://${BROKERS}/${topic}`, dir));
}

describe.skipIf(!haveBroker)('batch reports on Kafka: each partition reports its keys when its input ends', () => {
  it('the messages scenario on a group: verify judges the reports from the topics, and they equal the embedded log\'s', async () => {
    const dir = tempDir('sat-kreports-');
    const topic = uniqueTopic('msg');
    expect(sat('gen', '--scenario', 'messages', '--dir', dir, '--events', '6000', '--days', '2', '--customers', '300').code).toBe(0);
    expect(sat('replay', '--scenario', 'messages', '--dir', dir, ...FAULTS, '--brokers', BROKERS, '--topic', topic, '--partitions', '3').code).toBe(0);
    // Killed twice at seeded record counts: each restart restores the partitions' reports from their checkpoints.
    const r = sat('chaos', 'kill', '--after-records', '1500..3500', '--times', '2', '--seed', '3', '--json', '--no-verify', '--', 'sat', 'run', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--exactly-once', '--commit-interval', '100');
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.json.kills).toBe(2);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
    for (const name of REPORT_CHECKS) {
      const c = v.json.checks.find((x: { name: string }) => x.name === name);
      expect(c?.pass && !c.skipped, name).toBe(true);
    }
    // One reconciliation row per input partition, each written once.
    const rec = (await topicLines(`${topic}-reconciliation`, dir)).map((l) => JSON.parse(l));
    expect(rec.map((x) => x.partition).sort()).toEqual([0, 1, 2]);

    // The same data on the embedded log: the same report rows, whichever transport made them.
    const local = tempDir('sat-kreports-');
    expect(sat('gen', '--scenario', 'messages', '--dir', local, '--events', '6000', '--days', '2', '--customers', '300').code).toBe(0);
    expect(sat('replay', '--scenario', 'messages', '--dir', local, ...FAULTS, '--partitions', '3').code).toBe(0);
    const run = sat('run', '--dir', local, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(await topicLines(`${topic}-pivot`, dir)).toEqual(sorted(join(local, 'pivot.jsonl')));
    expect(await topicLines(`${topic}-top-users`, dir)).toEqual(sorted(join(local, 'top-users.jsonl')));
    const sum = (k: string) => rec.reduce((a, x) => a + x[k], 0);
    for (const k of ['input', 'valid', 'corrupted', 'malformed', 'distinct']) expect(sum(k), k).toBe(run.json.reconciliation[k]);
  }, 300_000);

  it('a scenario whose reports dedupe on an id without its key is refused on Kafka, naming both (exit 2)', () => {
    const dir = tempDir('sat-kreports-');
    const scenario = join(tempDir('sat-kreports-yaml-'), 'no-key.yaml');
    const text = readFileSync(join(import.meta.dirname, '../../profiles/messages.yaml'), 'utf8').replace('id: [message_id, event_type, channel]', 'id: [message_id, event_type]');
    writeFileSync(scenario, text);
    const r = sat('run', '--dir', dir, '--scenario', scenario, '--brokers', BROKERS, '--topic', uniqueTopic('nokey'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/id \(message_id, event_type\).*key channel/);
  });
});
