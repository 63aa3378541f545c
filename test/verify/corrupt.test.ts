import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sat, tempDir } from '../helpers.js';

/** A correct run to corrupt: the bundled reviews sample with every fault kind. */
let dir: string;
let lines: string[];

beforeAll(() => {
  dir = tempDir('sat-verify-');
  const file = join(ROOT, 'datasets', 'reviews-sample.tsv');
  expect(sat('replay', file, '--scenario', 'reviews', '--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--out-of-order', '0.05', '--seed', '3', '--dir', dir).code).toBe(0);
  expect(sat('run', '--dir', dir).code).toBe(0);
  expect(sat('verify', '--dir', dir).code).toBe(0);
  lines = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n');
});

function judge(rows: string[]) {
  const path = join(dir, `actual-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, `${rows.join('\n')}\n`);
  const r = sat('verify', '--dir', dir, '--actual', path, '--engine', 'sat', '--json');
  return { code: r.code, failed: (r.json?.failed ?? []) as string[], counts: r.json?.counts, stderr: r.stderr };
}

/** A result with at least 2 records, so doubling and dropping are visible. */
const pick = () => lines.findIndex((l) => JSON.parse(l).number_of_reviews >= 2);

describe('verify catches a corrupted result set', () => {
  it('passes the untouched results given as --actual, in JSONL and in Parquet', () => {
    expect(judge(lines).code).toBe(0);
    const r = sat('verify', '--dir', dir, '--actual', join(dir, 'results.parquet'), '--engine', 'sat', '--json');
    expect(r.code, r.stderr).toBe(0);
  });

  it('reads results as CSV too, with the key under the scenario key name, as Spark would write them', () => {
    const rows = lines.map((l) => JSON.parse(l));
    const cols = ['window_start', 'product_id', 'avg_star_rating', 'sum_helpful_votes', 'sum_total_votes', 'number_of_reviews'];
    const csv = [cols.join(','), ...rows.map((r) => [r.window_start, r.key, r.avg_star_rating, r.sum_helpful_votes, r.sum_total_votes, r.number_of_reviews].join(','))];
    const path = join(dir, 'spark-like.csv');
    writeFileSync(path, `${csv.join('\n')}\n`);
    const ok = sat('verify', '--dir', dir, '--actual', path, '--engine', 'sat', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    writeFileSync(path, `${csv.slice(0, -1).join('\n')}\n`);
    expect(sat('verify', '--dir', dir, '--actual', path, '--engine', 'sat').code).toBe(1);
  });

  it('a dropped row: results missing and records lost', () => {
    const i = pick();
    const r = judge(lines.filter((_, j) => j !== i));
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(expect.arrayContaining(['no results missing', 'no records lost']));
    expect(r.counts.records_lost).toBe(JSON.parse(lines[i]).number_of_reviews);
  });

  it('a doubled count: wrong values and records double-counted', () => {
    const i = pick();
    const row = JSON.parse(lines[i]);
    row.number_of_reviews *= 2;
    const r = judge(lines.map((l, j) => (j === i ? JSON.stringify(row) : l)));
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(expect.arrayContaining(['no wrong values', 'no records double-counted']));
    expect(r.failed).not.toContain('no results missing');
  });

  it('a window shifted by one millisecond: one result missing and one extra', () => {
    const i = pick();
    const row = JSON.parse(lines[i]);
    row.window_start = new Date(Date.parse(row.window_start) + 1).toISOString();
    const r = judge(lines.map((l, j) => (j === i ? JSON.stringify(row) : l)));
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(expect.arrayContaining(['no results missing', 'no results extra']));
    expect(r.counts.results_missing).toBe(1);
    expect(r.counts.results_extra).toBe(1);
  });

  it('a result emitted twice: each result emitted once fails', () => {
    const i = pick();
    const r = judge([...lines, lines[i]]);
    expect(r.code).toBe(1);
    expect(r.failed).toContain('each result emitted once');
    expect(r.counts.results_repeated).toBe(1);
  });

  it('a slightly wrong average: wrong values, within the explicit tolerance it passes', () => {
    const i = pick();
    const row = JSON.parse(lines[i]);
    row.avg_star_rating += 1e-6;
    const bad = lines.map((l, j) => (j === i ? JSON.stringify(row) : l));
    expect(judge(bad).failed).toEqual(['no wrong values']);
    const path = join(dir, 'tolerant.jsonl');
    writeFileSync(path, `${bad.join('\n')}\n`);
    expect(sat('verify', '--dir', dir, '--actual', path, '--engine', 'sat', '--tolerance', '1e-5').code).toBe(0);
  });

  it('a malformed record that escaped the dead letters is named', () => {
    const other = tempDir('sat-verify-dl-');
    for (const f of ['replay.json', 'ledger.csv', 'results.jsonl', 'late.jsonl', 'alerts.jsonl', 'run.json']) copyFileSync(join(dir, f), join(other, f));
    const dl = readFileSync(join(dir, 'dead-letters.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(other, 'dead-letters.jsonl'), `${dl.slice(1).join('\n')}\n`);
    const r = sat('verify', '--dir', other, '--json');
    expect(r.code).toBe(1);
    expect(r.json.failed).toEqual(['every bad record dead-lettered, no good one']);
  });

  // Blind spots found from outside: comparisons that were NULL-unsafe, a column never read, a crash.
  const tamper = (edit: (row: any) => void) => {
    const i = pick();
    const row = JSON.parse(lines[i]);
    edit(row);
    return judge(lines.map((l, j) => (j === i ? JSON.stringify(row) : l)));
  };

  it('a NULL where a sum or an average was: wrong values (NULL vs a number is a difference)', () => {
    for (const col of ['avg_star_rating', 'sum_helpful_votes']) {
      const r = tamper((row) => (row[col] = null));
      expect(r.code, col).toBe(1);
      expect(r.failed, col).toContain('no wrong values');
    }
  });

  it('a window_end that is not start + size: window ends fail on an end one millisecond off; results without window_end pass', () => {
    const r = tamper((row) => (row.window_end = new Date(Date.parse(row.window_end) - 1).toISOString()));
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(['window ends match the window size']);
    const absent = judge(lines.map((l) => { const row = JSON.parse(l); delete row.window_end; return JSON.stringify(row); }));
    expect(absent.code).toBe(0);
  });

  it('a text in a numeric result column: a failed check naming the column, not a crash', () => {
    const r = tamper((row) => (row.sum_total_votes = 'twelve'));
    expect(r.code, r.stderr).toBe(1);
    expect(r.failed).toContain('results are well-formed');
    const report = JSON.parse(readFileSync(join(dir, 'verify.json'), 'utf8'));
    expect(report.checks.find((c: any) => c.name === 'results are well-formed').detail).toMatch(/sum_total_votes.*twelve/);
  });

  it('window times given as epoch milliseconds, as Flink often writes them, are read as such', () => {
    const r = judge(lines.map((l) => { const row = JSON.parse(l); row.window_start = Date.parse(row.window_start); row.window_end = Date.parse(row.window_end); return JSON.stringify(row); }));
    expect(r.code, r.stderr).toBe(0);
  });

  it('a results line with bytes that are not UTF-8 (JSONL and CSV): a failed check naming the line, not a crash or a silent drop', () => {
    const i = pick();
    const bytes = lines.map((l, j) => (j === i ? Buffer.concat([Buffer.from(l.replace('"key":"', '"key":"X')), Buffer.from([0xe9])]) : Buffer.from(l)));
    const jsonl = join(dir, 'latin1-results.jsonl');
    writeFileSync(jsonl, Buffer.concat(bytes.flatMap((b) => [b, Buffer.from('\n')])));
    const r = sat('verify', '--dir', dir, '--actual', jsonl, '--engine', 'sat', '--json');
    expect(r.code, r.stderr).toBe(1);
    const detail = r.json.checks.find((c: any) => c.name === 'results are well-formed').detail;
    expect(detail).toContain(`1 lines are not UTF-8 (the first: line ${i + 1} of ${jsonl}`);
    expect(r.json.failed).toContain('no results missing'); // the line was read, with its key spoilt, not dropped unseen

    const rows = lines.map((l) => JSON.parse(l));
    const cols = ['window_start', 'key', 'avg_star_rating', 'sum_helpful_votes', 'sum_total_votes', 'number_of_reviews'];
    const csv = join(dir, 'latin1-results.csv');
    const csvLines = [Buffer.from(cols.join(',')), ...rows.map((row, j) => Buffer.concat([Buffer.from(cols.map((c) => row[c]).join(',')), j === i ? Buffer.from([0x20, 0xe9]) : Buffer.alloc(0)]))];
    writeFileSync(csv, Buffer.concat(csvLines.flatMap((b) => [b, Buffer.from('\n')])));
    const c = sat('verify', '--dir', dir, '--actual', csv, '--engine', 'sat', '--json');
    expect(c.code, c.stderr).toBe(1);
    expect(c.json.failed).toContain('results are well-formed');
    expect(c.json.checks.find((x: any) => x.name === 'results are well-formed').detail).toMatch(/1 lines are not UTF-8 .*; 1 values in number_of_reviews are not a number/);
  });

  it('a results file that cannot be read (binary named .csv, a 3 MB CSV line): one line naming the file and why, exit 2', () => {
    const bin = join(dir, 'binary.csv');
    writeFileSync(bin, Buffer.from(Array.from({ length: 50_000 }, (_, k) => (k * 7919 + 13) % 256)));
    const b = sat('verify', '--dir', dir, '--actual', bin, '--engine', 'sat');
    expect(b.code).toBe(2);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    expect(b.stderr).toContain(`results ${bin}: cannot be read as csv`);
    expect(b.stderr).not.toMatch(/sat-results-|at .*\.js/);

    const long = join(dir, 'long-line.csv');
    writeFileSync(long, `window_start,key,avg_star_rating,sum_helpful_votes,sum_total_votes,number_of_reviews\n2015-08-18T00:00:00Z,${'x'.repeat(3 << 20)},1,0,0,1\n`);
    const l = sat('verify', '--dir', dir, '--actual', long, '--engine', 'sat');
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/cannot be read as csv .*Maximum line size/);
    expect(l.stderr.trim().split('\n')).toHaveLength(1);
  });

  it("sat's end-of-stream markers in an engine's dead letters: the dead-letter check fails and says what they are", () => {
    const dl = readFileSync(join(dir, 'dead-letters.jsonl'), 'utf8').trim().split('\n');
    const ledger = readFileSync(join(dir, 'ledger.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const last = new Map<number, number>();
    for (const f of ledger) last.set(Number(f[2]), Math.max(last.get(Number(f[2])) ?? -1, Number(f[3])));
    const markers = [...last].map(([partition, offset]) => JSON.stringify({ partition, offset: offset + 1, reason: 'not JSON' }));
    const path = join(dir, 'dead-with-markers.jsonl');
    writeFileSync(path, `${[...dl, ...markers].join('\n')}\n`);
    const r = sat('verify', '--dir', dir, '--actual', join(dir, 'results.jsonl'), '--engine', 'sat', '--dead-letters', path, '--json');
    expect(r.code).toBe(1);
    expect(r.json.failed).toEqual(['every bad record dead-lettered, no good one']);
    const detail = r.json.checks.find((c: any) => c.name === 'every bad record dead-lettered, no good one').detail;
    expect(detail).toContain(`${markers.length} that should not be there; ${markers.length} of them are sat's end-of-stream markers`);
  });
});
