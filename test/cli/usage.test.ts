import { writeFileSync } from 'node:fs';
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
  it('unknown flag', () => expectUsage(sat('replay', sample, '--scenario', 'reviews', '--bogus'), /unknown option '--bogus'/));
  it('bad number', () => expectUsage(sat('replay', sample, '--scenario', 'reviews', '--rate', 'fast'), /--rate.*expected a number/));
  it('bad probability', () => expectUsage(sat('replay', sample, '--scenario', 'reviews', '--late', '1.5'), /probability between 0 and 1/));
  it('bad duration range', () => expectUsage(sat('replay', sample, '--scenario', 'reviews', '--late-by', '2days'), /not a duration/));
  it('unknown scenario', () => expectUsage(sat('replay', sample, '--scenario', 'nope'), /scenario "nope" not found/));
  it('missing file', () => expectUsage(sat('replay', 'no-such.tsv', '--scenario', 'reviews', '--dir', tempDir()), /no-such.tsv: no such file/));
  it('unknown file type', () => expectUsage(sat('replay', join(ROOT, 'package.json'), '--scenario', 'reviews', '--dir', tempDir()), /unknown file type/));
  it('run without a replay', () => expectUsage(sat('run', '--dir', tempDir()), /--scenario is needed|no embedded log/));
  it('verify without a replay', () => expectUsage(sat('verify', '--dir', tempDir(), '--scenario', 'reviews'), /no replay in/));

  it('negative rate', () => expectUsage(sat('replay', sample, '--scenario', 'reviews', '--rate', '-5'), /--rate.*expected a number >= 0/));
  it('a directory given as the file', () => expectUsage(sat('replay', ROOT, '--scenario', 'reviews', '--dir', tempDir()), /unknown file type|no such file|not a file/));
  it('a directory that is not sat\'s', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    expectUsage(sat('run', '--dir', dir, '--scenario', 'reviews'), /no embedded log in/);
    expectUsage(sat('report', dir), /no verify report in/);
    expectUsage(sat('verify', '--dir', dir, '--scenario', 'reviews'), /no replay in/);
  });
  it('an impossible window and an unknown scenario key', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nkey: k\nevent_time: t\nid: [k]\nfields: {k: string, t: timestamp}\nwindow: {sliding: 1h, every: 7m}\nwatermark: 1m\naggregations: {n: count()}\n');
    expectUsage(sat('replay', sample, '--scenario', bad, '--dir', dir), /window: the size must be a multiple of the slide/);
    writeFileSync(bad, 'name: x\nkey: k\nevent_time: t\nid: [k]\nfields: {k: string, t: timestamp}\nwindow: {tumbling: 1m}\nwatermark: 1m\naggregations: {n: count()}\nwindwo: 3\n');
    expectUsage(sat('replay', sample, '--scenario', bad, '--dir', dir), /Unrecognized key.*windwo/);
  });
  it('a scenario with a bad field names the field', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nkey: k\nevent_time: t\nid: [k]\nfields: {k: string, t: timestamp, v: decimal}\nwindow: {tumbling: 1m}\nwatermark: 1m\naggregations: {n: count()}\n');
    expectUsage(sat('replay', sample, '--scenario', bad, '--dir', dir), /fields\.v: unknown type "decimal"/);
    writeFileSync(bad, 'name: x\nkey: k\nevent_time: t\nid: [k]\nfields: {k: string, t: timestamp}\nwindow: {tumbling: 1 minute}\nwatermark: 1m\naggregations: {n: count()}\n');
    expectUsage(sat('replay', sample, '--scenario', bad, '--dir', dir), /"1 minute" is not a duration/);
    writeFileSync(bad, 'name: x\nkey: k\nevent_time: t\nid: [k]\nfields: {k: string, t: timestamp}\nwindow: {tumbling: 1m}\nwatermark: 1m\naggregations: {n: count()}\nfilter: ["k > 3"]\n');
    expectUsage(sat('replay', sample, '--scenario', bad, '--dir', dir), /filter: "k" is string, not a number/);
  });

  it('--help exits 0', () => {
    const r = sat('--help');
    expect(r.code).toBe(0);
  });
});
