import { DuckDBInstance } from '@duckdb/node-api';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, sat, satWith, start, stopChildren, tempDir } from '../helpers.js';
import { BROKERS, haveBroker, uniqueTopic } from './broker.js';

afterEach(() => stopChildren());

const FAULTS = ['--malformed', '0.03', '--late', '0.05', '--duplicates', '0.03', '--seed', '11'];

/** Every part file under root (recursively), by name. */
function parts(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet'));
}

describe.skipIf(!haveBroker)('sat sink: output topics into date-partitioned Parquet, exactly once', { timeout: 300_000 }, () => {
  it('survives SIGKILLs mid-flush and a flush that died before saving its offsets; every record lands once, verify passes on the datasets, a folder of another topic is refused', async () => {
    const dir = tempDir('sat-sink-');
    const topic = uniqueTopic('sink');
    expect(sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', ...FAULTS, '--brokers', BROKERS, '--topic', topic, '--partitions', '3', '--dir', dir).code).toBe(0);
    const run = sat('run', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--exactly-once', '--json');
    expect(run.code, run.stderr).toBe(0);
    const out = join(dir, 'lake');
    const sink = (env: Record<string, string> = {}) => satWith(env, 'sink', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--out', out, '--flush-records', '150', '--json');

    // Killed after 400 and then 700 records taken: some flushes landed, the rest was in memory.
    for (const n of ['400', '700']) {
      const killed = sink({ SAT_KILL_AFTER_RECORDS: n });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
    }
    const landed = parts(join(out, 'results'));
    expect(landed.length).toBeGreaterThan(0);
    // A flush that renamed a part into place and died before saving its offsets: a part past the
    // saved offset (a copy under a later range) and a staging folder. The restart removes both.
    const state = JSON.parse(readFileSync(join(out, 'results', '_sat_sink.json'), 'utf8')) as { next: number[] };
    const p = state.next.findIndex((n) => n > 0);
    const one = landed.find((f) => f.includes(`part-${p}-`))!;
    cpSync(join(out, 'results', one), join(out, 'results', one.replace(/part-\d+-\d+-\d+-/, `part-${p}-${state.next[p]}-${state.next[p] + 5}-`)));
    mkdirSync(join(out, 'results', '.staging-part-0-9-10'), { recursive: true });

    const last = sink();
    expect(last.code, last.stderr).toBe(0);
    expect(readdirSync(join(out, 'results')).filter((n) => n.startsWith('.'))).toEqual([]);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const count = async (sql: string) => Number((await db.runAndReadAll(sql)).getRows()[0][0]);
    const results = `read_parquet('${out}/results/**/*.parquet', hive_partitioning = true)`;
    // Exactly the run's results: as many, none twice, each under its window start's date.
    expect(await count(`SELECT count(*) FROM ${results}`)).toBe(run.json.results);
    expect(await count(`SELECT count(*) FROM (SELECT window_start, key FROM ${results} GROUP BY ALL HAVING count(*) > 1)`)).toBe(0);
    expect(await count(`SELECT count(*) FROM ${results} WHERE strftime(window_start, '%Y-%m-%d') <> CAST(date AS VARCHAR)`)).toBe(0);
    expect(await count(`SELECT count(*) FROM read_parquet('${out}/dead-letters/**/*.parquet')`)).toBe(run.json.deadLettered);
    db.closeSync();
    // Part names hold disjoint offset ranges per partition.
    const ranges = parts(join(out, 'results')).map((f) => /part-(\d+)-(\d+)-(\d+)-\d+\.parquet$/.exec(f)!.slice(1).map(Number));
    for (const [q, from, to] of ranges) for (const [q2, f2, t2] of ranges) if (q === q2 && from !== f2) expect(to <= f2 || t2 <= from).toBe(true);

    // A second sink over the same folder adds nothing: it starts from the saved offsets.
    const again = sink();
    expect(again.json.tables.every((t: { records: number }) => t.records === 0)).toBe(true);

    // A folder another topic's sink wrote is refused, not mixed.
    const other = join(dir, 'other-lake');
    mkdirSync(join(other, 'results'), { recursive: true });
    writeFileSync(join(other, 'results', '_sat_sink.json'), JSON.stringify({ topic: 'elsewhere-results', next: [0, 0, 0] }));
    const refused = sat('sink', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--out', other);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holds the topic elsewhere-results, not .*-results: choose another --out/);

    const v = sat('verify', '--dir', dir, '--engine', 'sat', '--actual', join(out, 'results'), '--late', join(out, 'late'), '--dead-letters', join(out, 'dead-letters'), '--json');
    expect(v.code, JSON.stringify(v.json?.checks?.filter((c: { pass: boolean }) => !c.pass))).toBe(0);
    expect(v.json.counts.records_lost).toBe(0);
    expect(v.json.counts.late_output).toBe(v.json.counts.late_expected);
    expect(v.json.counts.late_expected).toBeGreaterThan(0);
    expect(v.json.counts.dead_lettered).toBe(v.json.counts.dead_letters_expected);
  });

  it('--follow lands a paced stream while the run commits, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir('sat-sink-');
    const topic = uniqueTopic('sinkf');
    const replay = start(['replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', '--rate', '2000', ...FAULTS, '--brokers', BROKERS, '--topic', topic, '--partitions', '2', '--dir', dir]);
    while (!existsSync(join(dir, 'replay.json'))) await sleep(20);
    const out = join(dir, 'lake');
    const run = start(['run', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--exactly-once', '--json']);
    const follow = start(['sink', '--dir', dir, '--brokers', BROKERS, '--topic', topic, '--out', out, '--follow', '--flush-interval', '200ms', '--json']);
    const [r, ran] = await Promise.all([replay.done, run.done]);
    expect(r.code, r.stderr).toBe(0);
    expect(ran.code, ran.stderr).toBe(0);
    const results = JSON.parse(ran.stdout).results as number;
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    // Landed files only: a file under a .staging-* folder is renamed away while it is read (DuckDB's glob would list it).
    const landedFiles = () => (existsSync(join(out, 'results')) ? parts(join(out, 'results')).filter((f) => !f.split('/').some((d) => d.startsWith('.staging-'))) : []);
    const landed = async () => {
      const files = landedFiles();
      return files.length ? Number((await db.runAndReadAll(`SELECT count(*) FROM read_parquet([${files.map((f) => `'${join(out, 'results', f)}'`).join(', ')}])`)).getRows()[0][0]) : 0;
    };
    let exited = false;
    void follow.done.then(() => (exited = true));
    // Wait for the condition (all results landed), not for a time.
    while ((await landed()) < results) {
      expect(exited, 'the sink ended before the results landed').toBe(false);
      await sleep(100);
    }
    follow.child.kill('SIGTERM');
    const f = await follow.done;
    expect(f.code, f.stderr).toBe(0);
    expect(await landed()).toBe(results);
    db.closeSync();
    const v = sat('verify', '--dir', dir, '--engine', 'sat', '--actual', join(out, 'results'), '--late', join(out, 'late'), '--dead-letters', join(out, 'dead-letters'), '--json');
    expect(v.code, JSON.stringify(v.json?.checks?.filter((c: { pass: boolean }) => !c.pass))).toBe(0);
  });

  it('a Kafka run asked for --partitioned names sat sink; sat sink without a broker says what it needs', () => {
    const dir = tempDir('sat-sink-');
    const r = sat('run', '--dir', dir, '--scenario', 'reviews', '--brokers', BROKERS, '--topic', 'x', '--partitioned');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sat sink --brokers B --topic T/);
    const s = sat('sink', '--dir', dir, '--scenario', 'reviews');
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/--brokers and --topic/);
  });
});
