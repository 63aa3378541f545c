import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sat, tempDir } from '../helpers.js';

const FAULTS = ['--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--out-of-order', '0.05', '--seed', '3'];
const AGGS = 'avg_star_rating, sum_helpful_votes, sum_total_votes, number_of_reviews';

async function sql(...statements: string[]): Promise<void> {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  await db.run(`SET TimeZone = 'UTC'`);
  for (const s of statements) await db.run(s);
  db.closeSync();
}

/** Renames DuckDB's data_N files to Spark's part-NNNNN-<id>.c000.snappy.parquet and adds Spark's markers. */
function sparkify(dir: string): void {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const full = join(d, e);
      if (statSync(full).isDirectory()) walk(full);
      else if (/^data_\d+\.(parquet|csv)$/.test(e)) {
        const ext = e.endsWith('.csv') ? 'csv' : 'snappy.parquet';
        renameSync(full, join(d, `part-${String(n++).padStart(5, '0')}-3f1c2a9e-7b1d-4c5e-9a0b-1d2e3f4a5b6c.c000.${ext}`));
        writeFileSync(join(d, `.part-${n}.crc`), 'not data');
      }
    }
  };
  walk(dir);
  writeFileSync(join(dir, '_SUCCESS'), '');
}

describe('verify judges other engines: Spark directory layouts, renamed and nested columns, update mode', () => {
  let dir: string;
  let results: string;
  beforeAll(() => {
    dir = tempDir('sat-ext-');
    expect(sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', ...FAULTS, '--dir', dir).code).toBe(0);
    expect(sat('run', '--dir', dir).code).toBe(0);
    results = join(dir, 'results.jsonl');
  });

  it("Spark's file sink log decides: a part file _spark_metadata does not list (a batch that never committed) is ignored", () => {
    const out = join(tempDir(), 'spark-json');
    mkdirSync(join(out, '_spark_metadata'), { recursive: true });
    const rows = readFileSync(results, 'utf8').trim().split('\n');
    const half = Math.floor(rows.length / 2);
    const parts = [rows.slice(0, half), rows.slice(half)].map((chunk, i) => {
      const f = join(out, `part-0000${i}-aa${i}b-c000.json`);
      writeFileSync(f, `${chunk.join('\n')}\n`);
      return f;
    });
    writeFileSync(join(out, '_spark_metadata', '0'), `v1\n${parts.map((f) => JSON.stringify({ path: `file://${f}`, size: 1, isDir: false, modificationTime: 0, blockReplication: 1, blockSize: 1, action: 'add' })).join('\n')}`);
    // What a crashed, uncommitted batch left behind: every row again.
    writeFileSync(join(out, 'part-00000-dead-c000.json'), `${rows.join('\n')}\n`);
    const v = sat('verify', '--dir', dir, '--actual', out, '--engine', 'sat', '--json');
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
    // Without the log, the uncommitted file counts and every result is repeated.
    rmSync(join(out, '_spark_metadata'), { recursive: true });
    expect(sat('verify', '--dir', dir, '--actual', out, '--engine', 'sat', '--json').json.failed).toContain('each result emitted once');
  });

  it("Flink's file sink layout: part files without an extension (format from their first bytes), in-progress files skipped", () => {
    const out = join(tempDir(), 'flink-out', '2015-08-18--00');
    mkdirSync(out, { recursive: true });
    const rows = readFileSync(results, 'utf8').trim().split('\n');
    writeFileSync(join(out, 'part-6f1c2a9e-7b1d-4c5e-9a0b-1d2e3f4a5b6c-0-0'), `${rows.slice(0, 100).join('\n')}\n`);
    writeFileSync(join(out, 'part-6f1c2a9e-7b1d-4c5e-9a0b-1d2e3f4a5b6c-1-0'), `${rows.slice(100).join('\n')}\n`);
    writeFileSync(join(out, '.part-6f1c2a9e-7b1d-4c5e-9a0b-1d2e3f4a5b6c-0-1.inprogress.8d7c'), rows[0]);
    const v = sat('verify', '--dir', dir, '--actual', join(out, '..'), '--engine', 'sat', '--json');
    expect(v.code, v.stderr + JSON.stringify(v.json?.failed)).toBe(0);
    expect(v.json.counts.actual_results).toBe(rows.length);
  });

  it('reads a Parquet results directory in Spark\'s layout (part files, _SUCCESS, .crc, key=value folders) with a window struct', async () => {
    const out = join(tempDir(), 'spark-results');
    await sql(`COPY (SELECT {'start': CAST(window_start AS TIMESTAMP), 'end': CAST(window_end AS TIMESTAMP)} AS "window", key AS product_id, ${AGGS},
                       strftime(CAST(window_start AS TIMESTAMP), '%Y-%m') AS month
                FROM read_json('${results}', format='newline_delimited')) TO '${out}' (FORMAT parquet, PARTITION_BY (month))`);
    sparkify(out);
    const v = sat('verify', '--dir', dir, '--actual', out, '--engine', 'sat', '--map', 'window_start=window.start,key=product_id', '--json');
    expect(v.code, v.stderr + JSON.stringify(v.json?.failed)).toBe(0);
    expect(v.json.counts.actual_results).toBe(readFileSync(results, 'utf8').trim().split('\n').length);

    // Without the map, the message names what is missing and what is there (exit 2).
    const bare = sat('verify', '--dir', dir, '--actual', out, '--engine', 'sat');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/missing column\(s\) window_start.*it has window, product_id/);
  });

  it('a Spark directory missing one result fails verify, naming the missing window', async () => {
    const out = join(tempDir(), 'spark-csv');
    await sql(`COPY (SELECT window_start, key AS product_id, ${AGGS} FROM read_json('${results}', format='newline_delimited')
                     QUALIFY row_number() OVER (ORDER BY window_start, key) > 1) TO '${out}' (FORMAT csv, HEADER, PER_THREAD_OUTPUT)`);
    sparkify(out);
    const v = sat('verify', '--dir', dir, '--actual', out, '--engine', 'sat', '--map', 'key=product_id', '--json');
    expect(v.code).toBe(1);
    expect(v.json.counts.results_missing).toBe(1);
    expect(v.json.failed).toContain('no results missing');
  });

  it('update mode: the last row per window and key counts (by emit_time); append mode rejects the same output', () => {
    const lines = readFileSync(results, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // An early, partial row for each window, then the final one a second later (as Spark's update mode emits).
    const updates = lines.flatMap((r) => [
      { ...r, number_of_reviews: 1, sum_total_votes: 0, emit_time: '2026-01-01T00:00:00.000Z' },
      { ...r, emit_time: '2026-01-01T00:00:01.000Z' },
    ]);
    const file = join(tempDir(), 'updates.jsonl');
    writeFileSync(file, updates.map((u) => JSON.stringify(u)).join('\n') + '\n');
    const upd = sat('verify', '--dir', dir, '--actual', file, '--engine', 'sat', '--output-mode', 'update', '--json');
    expect(upd.code, JSON.stringify(upd.json?.failed)).toBe(0);
    expect(upd.json.checks.find((c: { name: string }) => c.name === 'each result emitted once').skipped).toBe(true);
    const app = sat('verify', '--dir', dir, '--actual', file, '--engine', 'sat', '--json');
    expect(app.code).toBe(1);
    expect(app.json.failed).toContain('each result emitted once');
  });

  it('reports: the verdict first, a JUnit file with one case per check, --json FILE, and sat report DIR re-rendering them', () => {
    const broken = join(tempDir(), 'broken.jsonl');
    const lines = readFileSync(results, 'utf8').trim().split('\n');
    const wrong = JSON.parse(lines[3]);
    wrong.number_of_reviews += 1;
    writeFileSync(broken, [...lines.slice(0, 3), JSON.stringify(wrong), ...lines.slice(4)].join('\n') + '\n');
    const junit = join(tempDir(), 'verify.xml');
    const jsonFile = join(tempDir(), 'verify.json');
    const v = sat('verify', '--dir', dir, '--actual', broken, '--engine', 'sat', '--junit', junit, '--json', jsonFile);
    expect(v.code).toBe(1);
    const first = v.stderr.split('\n')[0];
    expect(first).toMatch(/^FAIL  reviews: \d+ of \d+ checks failed: .*no wrong values/);
    expect(v.stderr).toMatch(/no records double-counted\s+FAIL\s+0\s+1\s+\+1/);
    expect(v.stderr).toMatch(/worst offenders:/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="sat verify reviews" tests="\d+" failures="[1-9]/);
    expect(xml).toMatch(/<testcase classname="sat.verify.reviews" name="no wrong values" time="0">\s*<failure message="1 results differ/);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(JSON.parse(readFileSync(jsonFile, 'utf8')).checks.length);

    // Re-rendered from verify.json in the directory, without recomputing; same verdict and exit code.
    const again = sat('report', dir, '--junit', join(tempDir(), 'again.xml'));
    expect(again.code).toBe(1);
    expect(again.stderr.split('\n')[0]).toBe(first);
    expect(sat('report', tempDir()).code).toBe(2);
  });
});
