import { DuckDBInstance } from '@duckdb/node-api';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sat, satWith, tempDir } from '../helpers.js';

const FAULTS = ['--rate', '0', '--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--seed', '3'];

/** Every file under a directory, hidden ones included. */
const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));

/** The partitioned results equal results.jsonl row for row (both ways), and the side outputs line for line. */
async function sameAsJsonl(dir: string): Promise<void> {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  await db.run(`SET TimeZone = 'UTC'`);
  const cols = `CAST(window_start AS TIMESTAMP) AS ws, key, number_of_reviews, avg_star_rating, sum_helpful_votes`;
  await db.run(`CREATE TABLE j AS SELECT ${cols} FROM read_json('${join(dir, 'results.jsonl')}')`);
  await db.run(`CREATE TABLE p AS SELECT ${cols}, date FROM read_parquet('${join(dir, 'results')}/**/*.parquet', hive_partitioning = true)`);
  const n = async (sql: string) => Number((await db.runAndReadAll(sql)).getRows()[0][0]);
  expect(await n('SELECT count(*) FROM j')).toBeGreaterThan(1000);
  expect(await n('SELECT count(*) FROM (SELECT * FROM j EXCEPT ALL SELECT ws, key, number_of_reviews, avg_star_rating, sum_helpful_votes FROM p)')).toBe(0);
  expect(await n('SELECT count(*) FROM (SELECT ws, key, number_of_reviews, avg_star_rating, sum_helpful_votes FROM p EXCEPT ALL SELECT * FROM j)')).toBe(0);
  // Each row sits in the partition of its window's day.
  expect(await n(`SELECT count(*) FROM p WHERE CAST(date AS VARCHAR) <> strftime(ws, '%Y-%m-%d')`)).toBe(0);
  for (const [jsonl, ds] of [['late.jsonl', 'late'], ['dead-letters.jsonl', 'dead-letters']]) {
    const lines = readFileSync(join(dir, jsonl), 'utf8').split('\n').filter((l) => l !== '').length;
    expect(await n(`SELECT count(*) FROM read_parquet('${join(dir, ds)}/**/*.parquet')`), ds).toBe(lines);
  }
  db.closeSync();
  // Nothing half-written is left where a reader would see it.
  for (const ds of ['results', 'late', 'dead-letters']) expect(walk(join(dir, ds)).filter((f) => /\/\.|partial/.test(f)), ds).toEqual([]);
}

describe('sat run --partitioned: date-partitioned Parquet outputs, committed per checkpoint', () => {
  it('one table per output for DuckDB, equal to the JSONL; verify judges the dataset as --actual', async () => {
    const dir = tempDir('sat-part-');
    expect(sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', ...FAULTS, '--dir', dir, '--no-progress').code).toBe(0);
    const run = sat('run', '--dir', dir, '--partitioned', '--checkpoint-every', '300');
    expect(run.code, run.stderr).toBe(0);
    await sameAsJsonl(dir);
    const days = readdirSync(join(dir, 'results')).filter((d) => d.startsWith('date='));
    expect(days.length).toBeGreaterThan(5);
    const v = sat('verify', '--dir', dir, '--actual', join(dir, 'results'), '--late', join(dir, 'late'), '--dead-letters', join(dir, 'dead-letters'), '--engine', 'sat', '--json');
    expect(v.code, JSON.stringify(v.json?.checks?.filter((c: { pass: boolean }) => !c.pass))).toBe(0);
    for (const name of ['every bad record dead-lettered, no good one', 'every late record in the late output, no other', 'each result emitted once']) {
      expect(v.json.checks.find((c: { name: string }) => c.name === name)).toMatchObject({ pass: true });
      expect(v.json.checks.find((c: { name: string }) => c.name === name).skipped ?? false).toBe(false);
    }
  });

  it('SIGKILLed three times at seeded record counts: every result is in exactly one committed part', async () => {
    const dir = tempDir('sat-part-kill-');
    expect(sat('gen', '--kind', 'reviews', '--rows', '40000', '--out', join(dir, 'reviews.tsv'), '--seed', '3').code).toBe(0);
    expect(sat('replay', join(dir, 'reviews.tsv'), '--scenario', 'reviews', ...FAULTS, '--dir', dir, '--no-progress').code).toBe(0);
    const r = sat('chaos', 'kill', '--after-records', '3000..15000', '--times', '3', '--seed', '4', '--json', '--', 'sat', 'run', '--dir', dir, '--partitioned', '--checkpoint-every', '1000');
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.json.kills).toBe(3);
    expect(r.json.resumes).toBe(3);
    expect(r.json.verify.pass).toBe(true);
    await sameAsJsonl(dir);
    const v = sat('verify', '--dir', dir, '--actual', join(dir, 'results'), '--engine', 'sat', '--json');
    expect(v.code, JSON.stringify(v.json?.checks?.filter((c: { pass: boolean }) => !c.pass))).toBe(0);
  });

  it('a kill between writing parts and saving their checkpoint: the resume deletes those parts and the leftovers', async () => {
    const dir = tempDir('sat-part-orphan-');
    expect(sat('gen', '--kind', 'reviews', '--rows', '20000', '--out', join(dir, 'reviews.tsv'), '--seed', '5').code).toBe(0);
    expect(sat('replay', join(dir, 'reviews.tsv'), '--scenario', 'reviews', ...FAULTS, '--dir', dir, '--no-progress').code).toBe(0);
    // Killed at a record count: its last checkpoint stands, with the parts up to it.
    const killed = satWith({ SAT_KILL_AFTER_RECORDS: '9000' }, 'run', '--dir', dir, '--partitioned', '--checkpoint-every', '1000');
    expect(killed.signal).toBe('SIGKILL');
    // What a kill in the gap leaves: a part reaching past the checkpoint (a copy of a real one under a
    // later byte range), and a half-written staging folder.
    const day = readdirSync(join(dir, 'results')).find((d) => d.startsWith('date='))!;
    const real = readdirSync(join(dir, 'results', day)).find((f) => f.endsWith('.parquet'))!;
    const orphan = join(dir, 'results', day, 'part-999999000-999999999-0.parquet');
    copyFileSync(join(dir, 'results', day, real), orphan);
    mkdirSync(join(dir, 'results', '.staging-1-2'));
    const resumed = sat('run', '--dir', dir, '--partitioned', '--checkpoint-every', '1000');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resum/i);
    expect(existsSync(orphan)).toBe(false);
    await sameAsJsonl(dir);
  });

  it('is refused on Kafka, where the outputs are topics (exit 2)', () => {
    const r = sat('run', '--dir', tempDir(), '--scenario', 'reviews', '--brokers', '127.0.0.1:1', '--topic', 't', '--partitioned');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--partitioned writes the embedded run's files/);
  });
});
