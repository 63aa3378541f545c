import { existsSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BROKERS, haveBroker, openTransactions, uniqueTopic } from '../kafka/broker.js';
import { sat, satWith, serve, start, stopChildren, stopServers, tempDir } from '../helpers.js';

afterEach(() => {
  stopChildren();
  stopServers();
});

const FAULTS = ['--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--out-of-order', '0.05', '--seed', '9'];

/** A generated reviews file big enough that sat run lives through several kills. */
function bigReplay(rows: number, extra: string[] = []): string {
  const dir = tempDir('sat-chaos-');
  expect(sat('gen', '--kind', 'reviews', '--rows', String(rows), '--out', join(dir, 'reviews.tsv'), '--seed', '3').code).toBe(0);
  const r = sat('replay', join(dir, 'reviews.tsv'), '--scenario', 'reviews', '--dir', dir, ...FAULTS, '--no-progress', ...extra);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

describe('crash and restart: SIGKILL at random moments, resume, exactly-once results', () => {
  it('embedded log: 5 kills, each restart resumes from its checkpoint, and verify finds nothing lost, duplicated or wrong', () => {
    const dir = bigReplay(120_000);
    // Each kill timer starts once that life has written a checkpoint (a condition, not a guess of how
    // long start-up takes on a busy machine), so every restart resumes.
    const r = sat('chaos', 'kill', '--every', '50ms..300ms', '--times', '5', '--seed', '4', '--after-checkpoint', '--json', '--', 'sat', 'run', '--dir', dir, '--checkpoint-every', '1000');
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.json.kills).toBe(5);
    expect(r.json.resumes).toBe(5);
    expect(r.json.verify.pass).toBe(true);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.json.counts.records_lost).toBe(0);
    expect(v.json.counts.results_repeated).toBe(0);
    expect(v.json.counts.dead_lettered).toBe(v.json.counts.dead_letters_expected);
  });

  it('embedded log, kills at seeded record counts (--after-records): each start dies right after its n-th record, however busy the machine', () => {
    const dir = bigReplay(120_000);
    const r = sat('chaos', 'kill', '--after-records', '5000..30000', '--times', '4', '--seed', '6', '--json', '--', 'sat', 'run', '--dir', dir, '--checkpoint-every', '1000');
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.json.kills).toBe(4);
    expect(r.json.killedAtRecord).toHaveLength(4);
    for (const n of r.json.killedAtRecord) expect(n).toBeGreaterThanOrEqual(5000);
    // At least 5,000 records per life with a checkpoint every 1,000: every restart resumes.
    expect(r.json.resumes).toBe(4);
    expect(r.json.verify.pass).toBe(true);
    // The same seed draws the same kill points.
    const again = sat('chaos', 'kill', '--after-records', '5000..30000', '--times', '4', '--seed', '6', '--json', '--', 'sat', 'run', '--dir', bigReplay(40_000), '--checkpoint-every', '1000');
    expect(again.json.killedAtRecord.slice(0, again.json.kills)).toEqual(r.json.killedAtRecord.slice(0, again.json.kills));
  });

  it('--after-records is refused for a command that is not sat run, and a bad range names itself (exit 2)', () => {
    const a = sat('chaos', 'kill', '--after-records', '100..200', '--', 'sleep', '1');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--after-records works with sat run only/);
    const b = sat('chaos', 'kill', '--after-records', '200..100', '--', 'sat', 'run');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/"200\.\.100" is not a count or a range of counts/);
  });

  it('a corrupt newest checkpoint is detected by its checksum, the previous one is used, and the run says so', async () => {
    const dir = bigReplay(60_000);
    const cps = join(dir, 'checkpoints', 'run');
    const files = () => readdirSync(cps).filter((f) => /^cp-\d+\.json$/.test(f)).sort();
    const run = start(['run', '--dir', dir, '--checkpoint-every', '2000']);
    for (let i = 0; i < 400 && !(existsSync(cps) && files().length >= 2); i++) await sleep(10);
    run.child.kill('SIGKILL');
    await run.done;
    const newest = join(cps, files().at(-1)!);
    truncateSync(newest, Math.floor(statSync(newest).size / 2)); // half-written
    const r = sat('run', '--dir', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/is corrupt or half-written: using cp-\d+\.json/);
    expect(r.json.corruptCheckpoints).toEqual([newest.split('/').pop()]);
    expect(r.json.resumedFrom.records).toBeGreaterThan(0);
    expect(sat('verify', '--dir', dir).code).toBe(0);
  });

  it('an output cut short behind the run\'s back (shorter than its checkpoint says): one line naming it and --fresh, exit 3', async () => {
    const dir = bigReplay(30_000);
    // Killed by its own kill switch at record 20,000: checkpoints every 2,000 before it.
    const killed = satWith({ SAT_KILL_AFTER_RECORDS: '20000' }, 'run', '--dir', dir, '--checkpoint-every', '2000');
    expect(killed.signal).toBe('SIGKILL');
    expect(statSync(join(dir, 'results.jsonl')).size).toBeGreaterThan(0);
    truncateSync(join(dir, 'results.jsonl'), 0);
    const r = sat('run', '--dir', dir);
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^sat: \S+results\.jsonl is shorter \(0 bytes\) than the run's checkpoint says .*sat run --fresh starts over/);
    expect(sat('run', '--dir', dir, '--fresh').code).toBe(0);
    expect(sat('verify', '--dir', dir).code).toBe(0);
  });

  it('satisfaction, embedded log: kills while fired windows wait on the online API; checkpoints hold them, a resume scores them again, and every score is there once', async () => {
    const dir = tempDir('sat-chaos-');
    expect(sat('gen', '--dir', dir, '--customers', '300', '--events', '6000', '--span', '3h', '--seed', '4').code).toBe(0);
    expect(sat('replay', '--scenario', 'satisfaction', '--dir', dir, ...FAULTS, '--no-progress').code).toBe(0);
    // 20-60 ms an API call: windows are nearly always being scored when a checkpoint falls due. A
    // due checkpoint waits for them up to one cadence more, and the engine drains them whenever four
    // batches wait (~130 records here): a cadence of 25 records makes many checkpoints hold some.
    const { url } = await serve('--latency', '20ms..60ms');
    const r = sat('chaos', 'kill', '--after-records', '800..4500', '--times', '3', '--seed', '5', '--json', '--', 'sat', 'run', '--dir', dir, '--online', url, '--checkpoint-every', '25');
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.json.kills).toBe(3);
    expect(r.json.resumes).toBe(3);
    expect(r.json.rescored).toBeGreaterThan(0); // the case under test happened
    expect(r.json.verify.pass).toBe(true);
    const v = sat('verify', '--dir', dir, '--max-missing-online', '0', '--json');
    expect(v.code, JSON.stringify(v.json?.failed ?? v.stderr)).toBe(0);
    expect(v.json.counts.results_repeated).toBe(0);
    expect(v.json.counts.records_lost).toBe(0);
    expect(v.json.counts.scores_checked).toBeGreaterThan(0);
  });

  it.skipIf(!haveBroker)('Kafka, exactly-once: 3 kills of the only member at seeded record counts; each restart resumes from committed offsets and checkpoints', async () => {
    const topic = uniqueTopic('chaos');
    // Enough records that every life outlasts its timer, on a fast machine too.
    const dir = bigReplay(150_000, ['--brokers', BROKERS, '--topic', topic, '--partitions', '3']);
    // Killed at a record count, not a time: the kill lands mid-stream however slow the start.
    const r = sat('chaos', 'kill', '--after-records', '10000..40000', '--times', '3', '--seed', '2', '--json', '--no-verify', '--', 'sat', 'run', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--exactly-once', '--commit-interval', '200');
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.json.kills).toBe(3);
    expect(r.json.killedAtRecord).toHaveLength(3);
    // The restarted member took the dead one's transactional id and aborted what it left open, and
    // exits only once nothing it writes has an open transaction: readers see every result at once.
    for (const out of ['results', 'dead-letters', 'late']) expect(await openTransactions(`${topic}-${out}`), out).toEqual([]);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, v.stdout.slice(-2000)).toBe(0);
    expect(v.stderr).not.toMatch(/open transaction/);
    // The heaviest test of the suite (150k records, four lives, each rejoining the group): a loaded
    // machine took 130 s, so the safety net is wider than the default.
  }, 300_000);
});
