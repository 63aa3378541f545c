import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveShared, ROOT, sat, shared, tempDir } from '../helpers.js';

const FAULTS = ['--rate', '0', '--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--out-of-order', '0.05', '--boundary', '0.02', '--seed', '7'];

/** replay -> run -> verify through the real binary; returns the three JSON summaries. */
function loop(file: string, scenario: string, extra: string[] = [], verifyFlags: string[] = []) {
  const dir = tempDir('sat-e2e-');
  const replay = sat('replay', file, '--scenario', scenario, ...FAULTS, ...extra, '--dir', dir, '--json');
  expect(replay.code, replay.stderr).toBe(0);
  const run = sat('run', '--dir', dir, '--json');
  expect(run.code, run.stderr).toBe(0);
  const verify = sat('verify', '--dir', dir, '--json', ...verifyFlags);
  return { dir, replay: replay.json, run: run.json, verify: verify.json, verifyCode: verify.code, verifyErr: verify.stderr };
}

/** What the issue asks of a faulty run: nothing lost or double-counted, every malformed record dead-lettered. */
function expectClean(r: ReturnType<typeof loop>, faults: string[]) {
  expect(r.verifyCode, JSON.stringify(r.verify?.checks?.filter((c: { pass: boolean }) => !c.pass))).toBe(0);
  expect(r.verify.pass).toBe(true);
  const c = r.verify.counts;
  expect(c.records_lost).toBe(0);
  expect(c.records_double_counted).toBe(0);
  expect(c.malformed_sent).toBe(r.replay.faults.malformed);
  expect(c.dead_lettered).toBe(c.dead_letters_expected);
  expect(c.dead_letters_expected).toBeGreaterThanOrEqual(c.malformed_sent);
  expect(c.late_output).toBe(c.late_expected);
  expect(c.duplicates_suppressed).toBe(c.duplicates_expected_suppressed);
  expect(r.run.deadLettered).toBe(c.dead_letters_expected);
  for (const f of faults) expect(r.replay.faults[f], f).toBeGreaterThan(0);
  expect(r.replay.read).toBeGreaterThan(0);
}

describe('the whole loop on the bundled datasets', () => {
  it('reviews sample: every fault kind, verify passes', () => {
    const r = loop(join(ROOT, 'datasets', 'reviews-sample.tsv'), 'reviews');
    expectClean(r, ['malformed', 'late', 'duplicate', 'out-of-order']);
    expect(r.verify.counts.late_sent).toBeGreaterThan(0);
    expect(r.verify.counts.expected_results).toBeGreaterThan(0);
  });

  it('the oracle under a memory limit judges the same, its spill space in --dir is gone afterwards, and too little memory is one line', () => {
    const r = loop(join(ROOT, 'datasets', 'reviews-sample.tsv'), 'reviews', [], ['--memory-limit', '128MB']);
    expectClean(r, []);
    expect(existsSync(join(r.dir, '.verify-tmp'))).toBe(false);
    // Too little to work in at all: one line saying what to do, exit 3, not an internal error.
    const starved = sat('verify', '--dir', r.dir, '--memory-limit', '8MB');
    expect(starved.code, starved.stderr).toBe(3);
    expect(starved.stderr.trim()).toMatch(/^sat: the oracle ran out of memory under --memory-limit 8MB \(DuckDB: .*\): give it more with --memory-limit$/);
  });

  it('iot sample: every fault kind, filter and low-battery alerts, verify passes', () => {
    const r = loop(join(ROOT, 'datasets', 'iot-sample.csv'), 'iot');
    expectClean(r, ['malformed', 'late', 'duplicate', 'out-of-order']);
    expect(r.verify.counts.alerts_expected).toBeGreaterThan(0);
    expect(r.run.alerts).toBe(r.verify.counts.alerts_expected);
    expect(r.verify.counts.filtered_expected).toBeGreaterThan(0);
  });
});

describe.skipIf(!haveShared)('the whole loop on real datasets', () => {
  it('Amazon gift-card reviews TSV (header, 2 blank lines at the end)', () => {
    const r = loop(shared('reviews/giftcard_head1452__roopeshn28.tsv'), 'reviews');
    expectClean(r, ['malformed', 'late', 'duplicate', 'out-of-order']);
    expect(r.replay.read).toBe(1452);
  });

  it('Amazon reviews Parquet Kafka dump (TSV lines in the value column), 3 partitions', () => {
    const r = loop(shared('reviews/digital_video_games_kafka_dump_5000__1904labs.parquet'), 'reviews', ['--partitions', '3']);
    expectClean(r, ['malformed', 'late', 'duplicate', 'out-of-order']);
    expect(r.replay.read).toBe(5000);
  });

  it('NYC taxi CSV: New York local pickup times, an int zone key, a set filter and a text alert', () => {
    const r = loop(shared('taxi/yellow_tripdata_2019-06_sample_1000__yennanliu.csv'), 'taxi', ['--partitions', '3']);
    expectClean(r, ['malformed', 'late', 'duplicate', 'out-of-order']);
    expect(r.replay.read).toBe(1000);
    expect(r.verify.counts.filtered_expected).toBeGreaterThan(0); // payment types 3 and 4
    expect(r.verify.counts.alerts_expected).toBeGreaterThan(0); // a negative fare, stored-and-forwarded trips
    // Pickups run from 23:53 on May 31 to 01:04 New York time (EDT, UTC-4): windows from 03:45Z to 05:00Z.
    const results = readFileSync(join(r.dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { window_start: string; key: string });
    const starts = results.map((x) => x.window_start).sort();
    expect(starts[0]).toBe('2019-06-01T03:45:00.000Z');
    expect(starts[starts.length - 1]).toBe('2019-06-01T05:00:00.000Z');
    // The key is the zone's number as text, whatever leading zeros or sign a file might give it.
    expect(results.every((x) => /^[1-9][0-9]*$/.test(x.key))).toBe(true);
  });

  it('zoo tortoise IoT CSV', () => {
    const r = loop(shared('iot/tortoise_2018-05-12__salmialb.csv'), 'iot');
    expectClean(r, ['malformed', 'late', 'duplicate', 'out-of-order']);
    expect(r.verify.counts.counted_expected).toBeGreaterThan(1000);
  });

  it('IoT with an extra empty identifier column', () => {
    const r = loop(shared('iot/tortoise_2018-04-22_with_identifier_col__salmialb.csv'), 'iot');
    expectClean(r, ['malformed', 'late', 'duplicate', 'out-of-order']);
    expect(r.verify.counts.bad_source_rows).toBe(0);
  });

  it('the spreadsheet-mangled IoT file: every row dead-lettered with a reason, nothing crashes', () => {
    // Nothing can count, so the run is vacuous: verify says so, and accepts it only when told to.
    const r = loop(shared('iot/tortoise_2018-05-12_spreadsheet_mangled__salmialb.csv'), 'iot', [], ['--allow-vacuous']);
    expectClean(r, ['malformed']);
    expect(r.verify.evidence.records_counted).toBe(0);
    const strict = sat('verify', '--dir', r.dir, '--json');
    expect(strict.code).toBe(1);
    expect(strict.json.failed).toEqual(['the run tested something']);
    expect(r.run.deadLettered).toBe(r.run.records);
    expect(r.run.deadLetterReasons['wrong-type']).toBeGreaterThan(16000); // time: "1.52608E+12" is no integer
    // Each row is bad at source, unless replay corrupted it further (then it counts as malformed).
    expect(r.replay.read).toBe(16259);
    expect(r.verify.counts.bad_source_rows).toBe(r.replay.sent - r.replay.faults.malformed);
  });
});
