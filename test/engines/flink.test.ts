import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BROKERS, haveBroker, uniqueTopic } from '../kafka/broker.js';
import { ROOT, sat, tempDir } from '../helpers.js';
import { engineInstalled, reviewsOnKafka } from './shared.js';

/**
 * The reference Flink SQL pipeline (engines/flink/pipeline.py, PyFlink 2.2 with the Kafka SQL
 * connector, installed by scripts/flink.sh into ~/.cache/sat) run for real against the project's
 * broker, and judged by verify with its watermark audit: exact, record by record.
 */
const haveFlink = engineInstalled('flink');

// A real JVM job per test, beside the rest of the suite on two shared cores: a safety net, not a limit.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 300_000 });

function flink(spec: string, topic: string, out: string, extra: string[] = []) {
  const r = spawnSync(join(ROOT, 'scripts', 'flink.sh'), ['run', join(ROOT, 'engines', 'flink', 'pipeline.py'), '--spec', spec, '--brokers', BROKERS, '--topic', topic, '--out', join(out, 'results'), '--watermarks', join(out, 'watermarks'), '--dead-letters', join(out, 'dead'), '--work', join(out, 'work'), '--bounded', ...extra], { encoding: 'utf8' });
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  return { results: join(out, 'results'), watermarks: join(out, 'watermarks'), dead: join(out, 'dead'), pid: r.pid };
}

describe.skipIf(!haveFlink || !haveBroker)('Flink SQL, judged exactly by its watermark audit', () => {
  let dir: string;
  let topic: string;
  let spec: string;
  beforeAll(() => {
    ({ dir, topic, spec } = reviewsOnKafka('flink', '5'));
  });

  const jobs: Record<string, ReturnType<typeof flink>> = {};

  it('the reference pipeline on a finished topic (bounded): PASS; without the audit only within bounds, and the note says how to be exact', () => {
    const job = flink(spec, topic, tempDir('sat-flink-job-'));
    jobs.ok = job;
    // The JVM's temp folder is the job's own under the cache (scripts/jvm-tmp.sh), not /tmp: Flink's
    // minicluster folder is there once the job is done (the next job removes it).
    const scratch = join(process.env.SAT_CACHE ?? join(homedir(), '.cache', 'sat'), 'tmp', 'flink', String(job.pid));
    expect(readdirSync(scratch).some((n) => n.startsWith('minicluster_')), scratch).toBe(true);
    const v = sat('verify', '--dir', dir, '--actual', job.results, '--engine', 'flink', '--flink-watermarks', job.watermarks, '--dead-letters', job.dead, '--json');
    expect(v.code, JSON.stringify(v.json?.checks?.filter((c: { pass: boolean }) => !c.pass))).toBe(0);
    expect(v.json.watermark).toBe('flink-watermarks');
    expect(v.json.counts.expected_results).toBeGreaterThan(500);
    expect(v.json.counts.dead_lettered).toBe(v.json.counts.dead_letters_expected);
    // Read partition after partition, so the later partitions meet a watermark far ahead: late for Flink.
    expect(v.json.counts.late_expected).toBeGreaterThan(0);
    // Without the audit, within bounds only, and the note says how to be exact.
    const bounded = sat('verify', '--dir', dir, '--actual', job.results, '--engine', 'flink', '--allow-vacuous', '--json');
    expect(bounded.json.watermark).toBe('per-partition-min');
    expect(bounded.json.evidence.windows_ambiguous).toBeGreaterThan(0);
    expect(bounded.json.notes[0]).toMatch(/--flink-watermarks, README "Judging Flink"\) judges every window exactly/);
    // The same results judged by sat's own rules fail: the watermark rules differ.
    const asSat = sat('verify', '--dir', dir, '--actual', job.results, '--engine', 'sat', '--json');
    expect(asSat.code).toBe(1);
    // A cut audit (the job never read some records) fails, naming the positions.
    const cut = tempDir('sat-flink-cut-');
    const lines = spawnSync('sh', ['-c', `cat ${job.watermarks}/part-* | head -n -5`], { encoding: 'utf8' }).stdout;
    writeFileSync(join(cut, 'audit.jsonl'), lines);
    const c = sat('verify', '--dir', dir, '--actual', job.results, '--engine', 'flink', '--flink-watermarks', join(cut, 'audit.jsonl'), '--json');
    expect(c.code).toBe(1);
    expect(c.json.failed).toContain('every record in the watermark audit');
  });

  it.each([
    ['no-dedup', 'duplicates counted', /over by exactly their duplicate deliveries/],
    ['local-time-zone', 'time shift', /away with the same key and count/],
    ['lenient-numbers', 'malformed records counted', /over by exactly their malformed deliveries/],
  ])('seeded bug, %s: FAIL, cause named "%s"', (bug, cause, detail) => {
    const job = flink(spec, topic, tempDir(`sat-flink-${bug}-`), ['--bug', bug]);
    jobs[bug] = job;
    const v = sat('verify', '--dir', dir, '--actual', job.results, '--engine', 'flink', '--flink-watermarks', job.watermarks, '--json');
    expect(v.code).toBe(1);
    const d = (v.json.diagnosis as { cause: string; detail: string }[]).find((x) => x.cause === cause);
    expect(d?.detail, JSON.stringify(v.json.diagnosis)).toMatch(detail);
  });

  it('sat diff on real outputs of two engines: Flink against sat run on the same topic, each judged by its own rules', () => {
    const run = sat('run', '--dir', dir, '--brokers', BROKERS, '--topic', topic);
    expect(run.code, run.stderr).toBe(0);
    const satResults = `kafka://${BROKERS}/${topic}-results`;
    const ok = sat('diff', jobs.ok.results, satResults, '--dir', dir, '--engine-a', 'flink', '--flink-watermarks-a', jobs.ok.watermarks, '--engine-b', 'sat', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json.explained).toBe(true);
    const dup = sat('diff', jobs['no-dedup'].results, satResults, '--dir', dir, '--engine-a', 'flink', '--flink-watermarks-a', jobs['no-dedup'].watermarks, '--engine-b', 'sat', '--json');
    expect(dup.code).toBe(1);
    expect(dup.json.conclusion).toMatch(/^the differences point at A \(flink/);
  });

  it('sat engine run flink --scenario iot: the job live against a paced replay, stopped with --drain; late records tested, PASS', () => {
    const d = tempDir('sat-engine-run-flink-');
    const r = sat('engine', 'run', 'flink', '--scenario', 'iot', '--brokers', BROKERS, '--topic', uniqueTopic('live-flink'), '--dir', d, '--rate', '300', '--json');
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.json.watermark).toBe('flink-watermarks');
    expect(r.json.counts.counted_expected).toBeGreaterThan(0);
    expect(r.json.counts.late_expected).toBeGreaterThan(0);
    expect(r.json.counts.dead_letters_expected).toBeGreaterThan(0);
    expect(r.json.counts.dead_lettered).toBe(r.json.counts.dead_letters_expected);
    expect(r.json.failed).toEqual([]);
  });

  it('sat engine run flink --scenario messages: corrupted rows split off, windows per channel, then the daily pivot and top users from a batch job over the topic: PASS', () => {
    const d = tempDir('sat-engine-run-flink-msg-');
    const r = sat('engine', 'run', 'flink', '--scenario', 'messages', '--brokers', BROKERS, '--topic', uniqueTopic('live-flink-msg'), '--dir', d, '--rate', '400', '--json');
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.json.failed).toEqual([]);
    const check = (name: string) => r.json.checks.find((c: { name: string }) => c.name === name);
    for (const name of ['every corrupted row split off, no valid one', 'daily pivot matches', 'top users match', 'every record in the watermark audit']) expect(check(name).skipped, name).toBeFalsy();
    expect(r.json.counts.corrupted_expected).toBeGreaterThan(0);
  });

  it('the satisfaction scenario is Spark-only for now: exit 2, named', () => {
    const r = sat('engine', 'run', 'flink', '--scenario', 'satisfaction', '--brokers', BROKERS, '--dir', tempDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/only the Spark pipeline joins and scores so far/);
  });
});
