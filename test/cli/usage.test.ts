import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sat, tempDir } from '../helpers.js';

const sample = join(ROOT, 'datasets', 'reviews-sample.tsv');

/** Bad input: exit 2, a short message naming the problem, never a stack trace. */
function expectUsage(r: ReturnType<typeof sat>, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('usage errors exit 2 with a one-line message', () => {
  it('inputs a user will meet get one line naming the file, not a stack trace', () => {
    const dir = tempDir();
    expect(sat('replay', sample, '--scenario', 'reviews', '--dir', dir).code).toBe(0);
    expect(sat('run', '--dir', dir).code).toBe(0);
    const binary = join(dir, 'binary.csv');
    writeFileSync(binary, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256)));
    expectUsage(sat('verify', '--dir', dir, '--actual', binary, '--engine', 'sat'), /results .*binary\.csv: cannot be read as csv/);
    // Another engine's results without naming the engine: its rules decide the verdict, so ask.
    expectUsage(sat('verify', '--dir', dir, '--actual', join(dir, 'results.jsonl')), /--actual needs --engine spark\|flink\|kafka-streams\|sat/);
    expectUsage(sat('verify', '--dir', dir, '--actual', join(dir, 'results.jsonl'), '--engine', 'nosuch'), /--engine/);
    expectUsage(sat('verify', '--dir', dir, '--spark-checkpoint', dir), /--spark-checkpoint goes with --engine spark/);
    writeFileSync(join(dir, 'run.json'), '{"records": 12,');
    expectUsage(sat('verify', '--dir', dir), /run\.json: not valid JSON/);
    expectUsage(sat('run', '--dir', dir, '--metrics-port', '99999'), /expected a port from 0 to 65535/);
    expectUsage(sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', '--format', 'parquet', '--dir', tempDir()), /iot-sample\.csv: cannot be read as parquet/);
    const many = tempDir();
    expectUsage(sat('replay', sample, '--scenario', 'reviews', '--partitions', '100000', '--dir', many), /--partitions 100000: the embedded log keeps a file open per partition; at most 1024/);
    expect(readdirSync(many).filter((f) => !f.startsWith('.'))).toEqual([]); // nothing left behind
  });
  it('a torn last line in an engine\'s JSONL results is a failed check naming it; the rest is read', () => {
    const dir = tempDir();
    expect(sat('replay', sample, '--scenario', 'reviews', '--dir', dir).code).toBe(0);
    expect(sat('run', '--dir', dir).code).toBe(0);
    const torn = join(dir, 'torn.jsonl');
    const text = readFileSync(join(dir, 'results.jsonl'), 'utf8');
    writeFileSync(torn, text.slice(0, text.length - 40));
    const v = sat('verify', '--dir', dir, '--actual', torn, '--engine', 'sat', '--json');
    expect(v.code).toBe(1);
    expect(v.json.failed).toContain('results are well-formed');
    expect(v.json.counts.results_missing).toBe(1);
  });
  it('usage errors in nested subcommands exit 2 too (1 means "verification failed")', () => {
    expectUsage(sat('serve', 'online', '--nosuch'), /unknown option '--nosuch'/);
    expectUsage(sat('chaos', 'kill', '--nosuch', '--', 'true'), /unknown option '--nosuch'/);
    expectUsage(sat('chaos', 'proxy'), /required option '--target/);
  });
  it('a side output path that does not exist is an error, not a skipped check', () => {
    const dir = tempDir();
    expect(sat('replay', sample, '--scenario', 'reviews', '--dir', dir).code).toBe(0);
    expect(sat('run', '--dir', dir).code).toBe(0);
    expectUsage(sat('verify', '--dir', dir, '--late', join(dir, 'nosuch.jsonl')), /--late .*nosuch\.jsonl: no such file/);
    expectUsage(sat('verify', '--dir', dir, '--dead-letters', join(dir, 'nosuch.jsonl')), /--dead-letters .*nosuch\.jsonl: no such file/);
  });

  it('unknown flag', () => expectUsage(sat('replay', sample, '--scenario', 'reviews', '--bogus'), /unknown option '--bogus'/));
  it('a memory limit verify cannot read', () => expectUsage(sat('verify', '--dir', tempDir(), '--scenario', 'reviews', '--memory-limit', 'lots'), /--memory-limit.*512MB, 1GB or 1.5GiB/));
  it('bad number', () => expectUsage(sat('replay', sample, '--scenario', 'reviews', '--rate', 'fast'), /--rate.*expected a number/));
  it('bad probability', () => expectUsage(sat('replay', sample, '--scenario', 'reviews', '--late', '1.5'), /probability between 0 and 1/));
  it('bad duration range', () => expectUsage(sat('replay', sample, '--scenario', 'reviews', '--late-by', '2days'), /not a duration/));
  it('unknown scenario', () => expectUsage(sat('replay', sample, '--scenario', 'nope'), /scenario "nope" not found/));
  it('missing file', () => expectUsage(sat('replay', 'no-such.tsv', '--scenario', 'reviews', '--dir', tempDir()), /no-such.tsv: no such file/));
  it('unknown file type', () => expectUsage(sat('replay', join(ROOT, 'package.json'), '--scenario', 'reviews', '--dir', tempDir()), /unknown file type/));
  it('run without a replay', () => expectUsage(sat('run', '--dir', tempDir()), /--scenario is needed|no embedded log/));
  it('verify without a replay', () => expectUsage(sat('verify', '--dir', tempDir(), '--scenario', 'reviews'), /no replay in/));

  it('negative rate', () => expectUsage(sat('replay', sample, '--scenario', 'reviews', '--rate', '-5'), /--rate.*expected a number >= 0/));
  it('a directory with no data files given as the file', () => expectUsage(sat('replay', ROOT, '--scenario', 'reviews', '--dir', tempDir()), /unknown file type|no such file|not a file|no data files/));
  it('a directory that is not sat\'s', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    expectUsage(sat('run', '--dir', dir, '--scenario', 'reviews'), /not a sat working directory/);
    expectUsage(sat('report', dir), /no verify report in/);
    expectUsage(sat('verify', '--dir', dir, '--scenario', 'reviews'), /no replay in/);
  });
  it('an impossible window and an unknown scenario key', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nkey: k\nevent_time: t\nid: [k]\nfields: {k: string, t: timestamp}\nwindow: {sliding: 1h, every: 7m}\nwatermark: 1m\naggregations: {n: count()}\n');
    expectUsage(sat('replay', sample, '--scenario', bad, '--dir', dir), /window: the size must be a multiple of the slide/);
    writeFileSync(bad, 'name: x\nkey: k\nevent_time: t\nid: [k]\nfields: {k: string, t: timestamp}\nwindow: {tumbling: 1m}\nwatermark: 1m\naggregations: {n: count()}\nwindwo: 3\n');
    expectUsage(sat('replay', sample, '--scenario', bad, '--dir', dir), /windwo: not a scenario key; did you mean window\?/);
  });
  it('a scenario with a bad field names the field', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nkey: k\nevent_time: t\nid: [k]\nfields: {k: string, t: timestamp, v: decimal}\nwindow: {tumbling: 1m}\nwatermark: 1m\naggregations: {n: count()}\n');
    expectUsage(sat('replay', sample, '--scenario', bad, '--dir', dir), /fields\.v: unknown type "decimal"/);
    writeFileSync(bad, 'name: x\nkey: k\nevent_time: t\nid: [k]\nfields: {k: string, t: timestamp}\nwindow: {tumbling: 1 minute}\nwatermark: 1m\naggregations: {n: count()}\n');
    expectUsage(sat('replay', sample, '--scenario', bad, '--dir', dir), /"1 minute" is not a duration/);
    writeFileSync(bad, 'name: x\nkey: k\nevent_time: t\nid: [k]\nfields: {k: string, t: timestamp}\nwindow: {tumbling: 1m}\nwatermark: 1m\naggregations: {n: count()}\nfilter: ["k > 3"]\n');
    expectUsage(sat('replay', sample, '--scenario', bad, '--dir', dir), /filter: "k > 3" compares numbers, but "k" is a string \(a string takes =, !=, in and not in, with quoted values: k = '3'\)/);
  });

  it('--help exits 0', () => {
    const r = sat('--help');
    expect(r.code).toBe(0);
  });
});
