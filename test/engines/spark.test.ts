import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BROKERS, haveBroker, uniqueTopic } from '../kafka/broker.js';
import { ROOT, sat, tempDir } from '../helpers.js';
import { engineInstalled, reviewsOnKafka } from './shared.js';

/**
 * The reference Spark pipeline (engines/spark/pipeline.py, PySpark 4.2 with the Kafka connector,
 * installed by scripts/spark.sh into ~/.cache/sat) run for real against the project's broker, and
 * judged by verify with its checkpoint: exact, batch by batch.
 */
const haveSpark = engineInstalled('spark');

// A real JVM job per test, beside the rest of the suite on two shared cores: a safety net, not a limit.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 300_000 });

function spark(spec: string, topic: string, out: string, extra: string[] = []) {
  const r = spawnSync(join(ROOT, 'scripts', 'spark.sh'), ['submit', join(ROOT, 'engines', 'spark', 'pipeline.py'), '--spec', spec, '--brokers', BROKERS, '--topic', topic, '--out', join(out, 'results'), '--checkpoint', join(out, 'checkpoint'), ...extra], { encoding: 'utf8' });
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  return { results: join(out, 'results'), checkpoint: join(out, 'checkpoint') };
}

describe.skipIf(!haveSpark || !haveBroker)('Spark Structured Streaming, judged exactly by its micro-batches', () => {
  let dir: string;
  let topic: string;
  let spec: string;
  beforeAll(() => {
    ({ dir, topic, spec } = reviewsOnKafka('spark', '3'));
  });

  const jobs: Record<string, { results: string; checkpoint: string }> = {};

  it('the reference pipeline in micro-batches of ~600 records: PASS, with late records judged by the batch that read them', () => {
    const job = spark(spec, topic, tempDir('sat-spark-job-'), ['--max-offsets-per-trigger', '600']);
    jobs.ok = job;
    const v = sat('verify', '--dir', dir, '--actual', job.results, '--engine', 'spark', '--spark-checkpoint', job.checkpoint, '--json');
    expect(v.code, JSON.stringify(v.json?.checks?.filter((c: { pass: boolean }) => !c.pass))).toBe(0);
    expect(v.json.watermark).toBe('spark-batches');
    expect(v.json.counts.expected_results).toBeGreaterThan(1000);
    expect(v.json.counts.late_expected).toBeGreaterThan(0); // dropped as late by the batch that read them
    // The same results judged by sat's own rules (per-partition watermark, no batches) fail: the rules differ.
    const asSat = sat('verify', '--dir', dir, '--actual', job.results, '--engine', 'sat', '--json');
    expect(asSat.code).toBe(1);
  });

  it('seeded bug, no dedup: FAIL, records double-counted', () => {
    const job = spark(spec, topic, tempDir('sat-spark-bug-'), ['--max-offsets-per-trigger', '600', '--bug', 'no-dedup']);
    const v = sat('verify', '--dir', dir, '--actual', job.results, '--engine', 'spark', '--spark-checkpoint', job.checkpoint, '--json');
    expect(v.code).toBe(1);
    expect(v.json.failed).toContain('no records double-counted');
    expect(v.json.failed).not.toContain('no records lost');
    // ... and says why: the windows are over by exactly their duplicate deliveries.
    expect(v.json.diagnosis.map((d: { cause: string }) => d.cause)).toContain('duplicates counted');
  });

  it.each([
    ['local-time-zone', 'time shift', /appear -1d away with the same key and count/],
    ['lenient-numbers', 'malformed records counted', /over by exactly their malformed deliveries/],
  ])('seeded bug, %s: FAIL, cause named "%s"', (bug, cause, detail) => {
    const job = spark(spec, topic, tempDir(`sat-spark-${bug}-`), ['--max-offsets-per-trigger', '600', '--bug', bug]);
    jobs[bug] = job;
    const v = sat('verify', '--dir', dir, '--actual', job.results, '--engine', 'spark', '--spark-checkpoint', job.checkpoint, '--json');
    expect(v.code).toBe(1);
    const d = (v.json.diagnosis as { cause: string; detail: string }[]).find((x) => x.cause === cause);
    expect(d?.detail, JSON.stringify(v.json.diagnosis)).toMatch(detail);
  });

  it('seeded bug, no-watermark (update mode through foreachBatch): FAIL, cause named "no watermark"', () => {
    const job = spark(spec, topic, tempDir('sat-spark-no-wm-'), ['--max-offsets-per-trigger', '600', '--bug', 'no-watermark']);
    const v = sat('verify', '--dir', dir, '--actual', job.results, '--output-mode', 'update', '--engine', 'spark', '--spark-checkpoint', job.checkpoint, '--json');
    expect(v.code).toBe(1);
    // The job's own (absent) watermark would make every record on time and pass: the check against
    // the scenario's delay is what fails it.
    expect(v.json.failed).toContain("the job's watermark follows the scenario");
    const d = (v.json.diagnosis as { cause: string; detail: string }[]).find((x) => x.cause === 'no watermark');
    expect(d?.detail, JSON.stringify(v.json.diagnosis)).toMatch(/never moved/);
  });

  it('sat diff on real outputs of two engines: Spark against sat run on the same topic', () => {
    const run = sat('run', '--dir', dir, '--brokers', BROKERS, '--topic', topic);
    expect(run.code, run.stderr).toBe(0);
    const satResults = `kafka://${BROKERS}/${topic}-results`;
    // They differ (Spark's batches judge lateness otherwise than sat's per-partition watermark), and
    // each side is what its own engine's rules give: explained, exit 0.
    const ok = sat('diff', jobs.ok.results, satResults, '--dir', dir, '--engine-a', 'spark', '--spark-checkpoint-a', jobs.ok.checkpoint, '--engine-b', 'sat', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json.same).toBe(false);
    expect(ok.json.explained).toBe(true);
    expect(ok.json.onlyA + ok.json.onlyB + ok.json.differ).toBeGreaterThan(0);
    // The time-zone variant against sat run: the differences point at Spark, with the cause.
    const tz = sat('diff', jobs['local-time-zone'].results, satResults, '--dir', dir, '--engine-a', 'spark', '--spark-checkpoint-a', jobs['local-time-zone'].checkpoint, '--engine-b', 'sat', '--json');
    expect(tz.code).toBe(1);
    expect(tz.json.conclusion).toMatch(/^the differences point at A \(spark/);
    expect(tz.json.verdicts[0].causes.join()).toMatch(/time shift/);
    expect(tz.json.verdicts[1].pass).toBe(true);
  });

  it.each(['reviews', 'iot'])('sat engine run spark --scenario %s: the job live against a paced replay, batch after batch; late records tested, PASS', (scenario) => {
    const d = tempDir('sat-engine-run-');
    const r = sat('engine', 'run', 'spark', '--scenario', scenario, '--brokers', BROKERS, '--topic', uniqueTopic('live'), '--dir', d, '--rate', '300', '--json');
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.json.watermark).toBe('spark-batches');
    expect(r.json.counts.counted_expected).toBeGreaterThan(0);
    // Live batches (about a second of the stream each), so some records arrive after their window closed for Spark.
    expect(r.json.counts.late_expected).toBeGreaterThan(0);
    // The job's dead letters (a second query) are judged position by position.
    expect(r.json.counts.dead_letters_expected).toBeGreaterThan(0);
    expect(r.json.counts.dead_lettered).toBe(r.json.counts.dead_letters_expected);
    expect(r.json.failed).toEqual([]);
  });
});

describe.skipIf(!haveSpark || !haveBroker)('Spark: the satisfaction scenario as the design documents describe it', () => {
  it('sat engine run spark --scenario satisfaction: hourly windows sliding every minute, the newest snapshot and the online API joined, scores and actions: PASS', () => {
    const d = tempDir('sat-engine-run-sat-');
    const r = sat('engine', 'run', 'spark', '--scenario', 'satisfaction', '--brokers', BROKERS, '--topic', uniqueTopic('live-sat'), '--dir', d, '--rate', '400', '--json');
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.json.watermark).toBe('spark-batches');
    expect(r.json.failed).toEqual([]);
    const check = (name: string) => r.json.checks.find((c: { name: string }) => c.name === name);
    // Scores and actions were judged, not skipped.
    expect(check('scores match the oracle').skipped).toBeFalsy();
    expect(r.json.counts.expected_results).toBeGreaterThan(1000);
    expect(r.json.counts.actions_expected).toBeGreaterThan(0);
    expect(check('actions match the scores').actual).toBe(r.json.counts.actions_expected);
    expect(r.json.counts.late_expected).toBeGreaterThan(0);
  });
});

describe.skipIf(!haveSpark || !haveBroker)('Spark: the messages scenario, stream and batch side', () => {
  it('sat engine run spark --scenario messages: corrupted rows split off, windows per channel, then the daily pivot and top users from a batch read of the topic: PASS', () => {
    const d = tempDir('sat-engine-run-msg-');
    const r = sat('engine', 'run', 'spark', '--scenario', 'messages', '--brokers', BROKERS, '--topic', uniqueTopic('live-msg'), '--dir', d, '--rate', '400', '--json');
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.json.failed).toEqual([]);
    const check = (name: string) => r.json.checks.find((c: { name: string }) => c.name === name);
    for (const name of ['every corrupted row split off, no valid one', 'daily pivot matches', 'top users match', "the job's watermark follows the scenario"]) expect(check(name).skipped, name).toBeFalsy();
    expect(r.json.counts.corrupted_expected).toBeGreaterThan(0);
    expect(r.json.counts.pivot_cells).toBeGreaterThan(0);
  });
});

describe('sat engine run: usage', () => {
  it('an engine without a reference pipeline is exit 2, named', () => {
    const r = sat('engine', 'run', 'beam', '--scenario', 'iot', '--brokers', '127.0.0.1:9', '--dir', tempDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the reference pipelines are spark and flink/);
  });
});
