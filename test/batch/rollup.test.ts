import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haveShared, ROOT, sat, serve, shared, stopServers, tempDir } from '../helpers.js';

type CheckJson = { name: string; pass: boolean; skipped?: boolean; detail: string; examples?: Record<string, unknown>[] };

/** replay with faults -> run -> batch -> verify; returns the verify report. */
function loop(file: string, scenario: string, faults: string[]) {
  const dir = tempDir('sat-batch-');
  const replay = sat('replay', file, '--scenario', scenario, '--rate', '0', ...faults, '--dir', dir, '--json');
  expect(replay.code, replay.stderr).toBe(0);
  expect(sat('run', '--dir', dir).code).toBe(0);
  const batch = sat('batch', '--dir', dir, '--json');
  expect(batch.code, batch.stderr).toBe(0);
  return { dir, batch: batch.json, verify: () => sat('verify', '--dir', dir, '--json') };
}

const check = (report: { checks: CheckJson[] }, name: string) => report.checks.find((c) => c.name === name)!;

/** Rewrites one rollup table through DuckDB (a seeded bug in the batch job). */
async function rewrite(file: string, select: string): Promise<void> {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  await db.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${file}')`);
  await db.run(`COPY (${select.replace(/\bFROM t\b/, 'FROM t')}) TO '${file}' (FORMAT parquet)`);
  db.closeSync();
}

describe('the batch layer: rollups of the stream, reconciled with the raw data', () => {
  it('reviews: all-time, per-year and top products are right, and the speed layer\'s losses are all explained', async () => {
    const r = loop(join(ROOT, 'datasets', 'reviews-sample.tsv'), 'reviews', ['--late', '0.05', '--malformed', '0.03', '--duplicates', '0.03', '--seed', '4']);
    expect(r.batch.tables.map((t: { name: string }) => t.name)).toEqual(['all_time', 'per_year', 'top_products_per_year']);
    const v = r.verify();
    expect(v.code, JSON.stringify(v.json.checks.filter((c: CheckJson) => !c.pass))).toBe(0);
    for (const name of ['all_time', 'per_year', 'top_products_per_year']) {
      const c = check(v.json, `batch rollup ${name} matches the records counted`);
      expect(c.pass && !c.skipped, name).toBe(true);
    }
    const lambda = check(v.json, "batch rollup all_time: the speed layer's losses are explained (Lambda)");
    expect(lambda.skipped ?? false).toBe(false);
    const c = v.json.counts;
    // The stream lost records it was entitled to lose, and they are all accounted for.
    expect(c.lambda_all_time_late).toBeGreaterThan(0);
    expect(c.lambda_all_time_malformed).toBeGreaterThan(0);
    expect(c.lambda_all_time_unexplained).toBe(0);
    expect(c.lambda_all_time_raw - c.lambda_all_time_late - c.lambda_all_time_deduplicated - c.lambda_all_time_malformed + c.lambda_all_time_counted_again).toBe(c.lambda_all_time_speed);
    expect(lambda.detail).toMatch(/\d+ late, \d+ suppressed as duplicates, \d+ only ever sent malformed; unexplained 0/);

    // A batch job that averages the daily averages (the classic mistake) is caught, by name.
    const allTime = join(r.dir, 'batch', 'all_time.parquet');
    const good = readFileSync(allTime);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    await db.run(`CREATE TABLE res AS SELECT * FROM read_json('${join(r.dir, 'results.jsonl')}')`);
    await db.run(`COPY (SELECT 'all' AS period, key, avg(avg_star_rating) AS avg_star_rating, sum(sum_helpful_votes) AS sum_helpful_votes, sum(sum_total_votes) AS sum_total_votes, sum(number_of_reviews) AS number_of_reviews FROM res GROUP BY key) TO '${allTime}' (FORMAT parquet)`);
    db.closeSync();
    const avgOfAvgs = r.verify();
    expect(avgOfAvgs.code).toBe(1);
    const wrong = check(avgOfAvgs.json, 'batch rollup all_time matches the records counted');
    expect(wrong.pass).toBe(false);
    expect(wrong.detail).toMatch(/0 missing, 0 extra, [1-9]\d* with a wrong value/);
    expect(Object.keys(wrong.examples![0])).toContain('expected_avg_star_rating');
    // Counts were right, so the Lambda view has nothing unexplained.
    expect(check(avgOfAvgs.json, "batch rollup all_time: the speed layer's losses are explained (Lambda)").pass).toBe(true);
    writeFileSync(allTime, good);
  });

  it('a speed layer that lost records it was not entitled to lose: the Lambda check names the keys and the count', async () => {
    const r = loop(join(ROOT, 'datasets', 'reviews-sample.tsv'), 'reviews', ['--late', '0.05', '--seed', '6']);
    // Drop three results of one product from the speed layer, then batch again.
    const results = join(r.dir, 'results.jsonl');
    const lines = readFileSync(results, 'utf8').trim().split('\n');
    const victim = (JSON.parse(lines.find((l) => JSON.parse(l).number_of_reviews >= 1)!) as { key: string }).key;
    const dropped = lines.filter((l) => JSON.parse(l).key === victim);
    const lost = dropped.reduce((n, l) => n + (JSON.parse(l).number_of_reviews as number), 0);
    writeFileSync(results, `${lines.filter((l) => JSON.parse(l).key !== victim).join('\n')}\n`);
    expect(sat('batch', '--dir', r.dir).code).toBe(0);
    const v = r.verify();
    expect(v.code).toBe(1);
    const lambda = check(v.json, "batch rollup all_time: the speed layer's losses are explained (Lambda)");
    expect(lambda.pass).toBe(false);
    expect(lambda.detail).toMatch(new RegExp(`unexplained ${lost} in 1 keys`));
    expect(lambda.examples![0]).toMatchObject({ key: victim, unexplained: lost, speed: 0 });
  });

  it("a user's own batch job, judged with --actual-batch (CSV tables in its own folder)", async () => {
    const r = loop(join(ROOT, 'datasets', 'reviews-sample.tsv'), 'reviews', ['--late', '0.05', '--seed', '8']);
    const own = tempDir('sat-batch-own-');
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    await db.run(`CREATE TABLE res AS SELECT * FROM read_json('${join(r.dir, 'results.jsonl')}')`);
    // Written the way a user's job would, weighting the averages by hand.
    await db.run(`COPY (SELECT 'all' AS period, key, sum(avg_star_rating * number_of_reviews) / sum(number_of_reviews) AS avg_star_rating, sum(sum_helpful_votes) AS sum_helpful_votes,
        sum(sum_total_votes) AS sum_total_votes, sum(number_of_reviews) AS number_of_reviews FROM res GROUP BY key) TO '${join(own, 'all_time.csv')}' (HEADER)`);
    db.closeSync();
    const v = sat('verify', '--dir', r.dir, '--actual-batch', own, '--json');
    expect(v.code, JSON.stringify(v.json.checks.filter((c: CheckJson) => !c.pass))).toBe(0);
    expect(check(v.json, 'batch rollup all_time matches the records counted')).toMatchObject({ pass: true });
    expect(check(v.json, "batch rollup all_time: the speed layer's losses are explained (Lambda)")).toMatchObject({ pass: true });
    // The tables it did not write are said to be missing, not passed.
    expect(check(v.json, 'batch rollup per_year matches the records counted')).toMatchObject({ skipped: true, detail: expect.stringMatching(/no table per_year in/) });
  });

  it('iot: the daily rollup per device is right; a wrong day\'s count is caught', async () => {
    const r = loop(join(ROOT, 'datasets', 'iot-sample.csv'), 'iot', ['--late', '0.05', '--malformed', '0.02', '--seed', '2']);
    const v = r.verify();
    expect(v.code, JSON.stringify(v.json.checks.filter((c: CheckJson) => !c.pass))).toBe(0);
    expect(check(v.json, 'batch rollup daily matches the records counted')).toMatchObject({ pass: true });
    expect(v.json.counts.lambda_daily_unexplained).toBe(0);
    const daily = join(r.dir, 'batch', 'daily.parquet');
    // The day's alerts per device are counted, and agree with the alerts the oracle expects.
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const alerts = Number((await db.runAndReadAll(`SELECT sum(alerts) FROM read_parquet('${daily}')`)).getRows()[0][0]);
    db.closeSync();
    expect(alerts).toBe(v.json.counts.alerts_expected);
    expect(alerts).toBeGreaterThan(100);
    const good = readFileSync(daily);
    await rewrite(daily, `SELECT * REPLACE (alerts + CASE WHEN row_number() OVER (ORDER BY period, key) = 2 THEN 3 ELSE 0 END AS alerts) FROM t`);
    const wrongAlerts = r.verify();
    expect(wrongAlerts.code).toBe(1);
    const c2 = check(wrongAlerts.json, 'batch rollup daily matches the records counted');
    expect(c2.detail).toMatch(/1 with a wrong value/);
    expect(c2.examples![0]).toHaveProperty('expected_alerts');
    writeFileSync(daily, good);
    await rewrite(daily, `SELECT * REPLACE (total_records + CASE WHEN row_number() OVER (ORDER BY period, key) = 1 THEN 1 ELSE 0 END AS total_records) FROM t`);
    const broken = r.verify();
    expect(broken.code).toBe(1);
    expect(check(broken.json, 'batch rollup daily matches the records counted').detail).toMatch(/1 with a wrong value/);
    expect(check(broken.json, "batch rollup daily: the speed layer's losses are explained (Lambda)").detail).toMatch(/unexplained 1 in 1 keys/);
  });
});

describe('the messages bronze and silver layers', () => {
  it('bronze = silver messages + silver corrupted + what the stream was entitled to lose, per channel', () => {
    const dir = tempDir('sat-batch-msg-');
    expect(sat('gen', '--scenario', 'messages', '--dir', dir, '--events', '20000', '--days', '3', '--customers', '500', '--seed', '2').code).toBe(0);
    expect(sat('replay', '--scenario', 'messages', '--dir', dir, '--rate', '0', '--malformed', '0.02', '--duplicates', '0.03', '--late', '0.03', '--seed', '2', '--no-progress').code).toBe(0);
    expect(sat('run', '--dir', dir).code).toBe(0);
    expect(sat('batch', '--dir', dir).code).toBe(0);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, JSON.stringify(v.json.checks.filter((c: CheckJson) => !c.pass))).toBe(0);
    const c = v.json.counts;
    expect(c.lambda_daily_corrupted).toBeGreaterThan(100);
    // Rows, not deliveries: a corrupted row delivered twice is in the corrupted output twice.
    expect(c.lambda_daily_corrupted).toBeLessThanOrEqual(c.corrupted_expected);
    expect(c.lambda_daily_unexplained).toBe(0);
    expect(c.lambda_daily_raw).toBe(c.lambda_daily_speed + c.lambda_daily_corrupted + c.lambda_daily_late + c.lambda_daily_deduplicated + c.lambda_daily_malformed - c.lambda_daily_counted_again);
    expect(check(v.json, "batch rollup daily: the speed layer's losses are explained (Lambda)").detail).toMatch(/\d+ corrupted \(their own table\)/);
  });
});

describe('the satisfaction rollup: the daily score distribution per plan', () => {
  afterAll(stopServers);

  it('is right across midnight with unscored results; a wrong median, a bucket off by one and lost results are caught', async () => {
    const dir = tempDir('sat-batch-sat-');
    // 30 hours of events: the minutes scored fall on two days. The API fails 10% of calls, so some results go unscored.
    expect(sat('gen', '--dir', dir, '--customers', '300', '--events', '12000', '--span', '30h', '--days', '2', '--seed', '3').code).toBe(0);
    const api = await serve('--error-rate', '0.1');
    expect(sat('replay', '--scenario', 'satisfaction', '--dir', dir, '--rate', '0', '--late', '0.05', '--malformed', '0.02', '--duplicates', '0.03', '--seed', '3', '--no-progress').code).toBe(0);
    expect(sat('run', '--dir', dir, '--online', api.url, '--online-retries', '0').code).toBe(0);
    const batch = sat('batch', '--dir', dir, '--json');
    expect(batch.code, batch.stderr).toBe(0);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, JSON.stringify(v.json.checks.filter((c: CheckJson) => !c.pass))).toBe(0);
    const table = join(dir, 'batch', 'daily_by_plan.parquet');
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const [days, plans, results, scored, actions] = (await db.runAndReadAll(`SELECT count(DISTINCT period), count(DISTINCT key), sum(results), sum(scored), sum(retention_call + care_followup) FROM read_parquet('${table}')`)).getRows()[0].map(Number);
    db.closeSync();
    expect(days).toBe(2);
    expect(plans).toBeGreaterThan(3);
    const c = v.json.counts;
    // Every result is in the table once, and the actions it counts are the ones the oracle expects.
    expect(results).toBe(c.scores_checked);
    expect(results - scored).toBe(c.results_unscored);
    expect(c.results_unscored).toBeGreaterThan(0);
    expect(actions).toBe(c.actions_expected);
    const judged = check(v.json, 'batch rollup daily_by_plan matches the scores');
    expect(judged.pass && !judged.skipped, judged.detail).toBe(true);
    expect(c.lambda_daily_by_plan_late).toBeGreaterThan(0);
    expect(c.lambda_daily_by_plan_malformed).toBeGreaterThan(0);
    expect(c.lambda_daily_by_plan_unexplained).toBe(0);
    expect(c.lambda_daily_by_plan_raw).toBe(c.lambda_daily_by_plan_speed + c.lambda_daily_by_plan_late + c.lambda_daily_by_plan_deduplicated + c.lambda_daily_by_plan_malformed);

    // A batch job that takes the mean for the median.
    const good = readFileSync(table);
    await rewrite(table, `SELECT * REPLACE (CASE WHEN row_number() OVER (ORDER BY period, key) = 1 THEN avg_score ELSE p50 END AS p50) FROM t`);
    const median = sat('verify', '--dir', dir, '--json');
    expect(median.code).toBe(1);
    const wrong = check(median.json, 'batch rollup daily_by_plan matches the scores');
    expect(wrong.detail).toMatch(/0 missing, 0 extra, 1 with a wrong value/);
    expect(wrong.examples![0]).toHaveProperty('expected_p50');
    // One score counted in the next bucket up.
    writeFileSync(table, good);
    await rewrite(table, `SELECT * REPLACE (score_40_50 - (row_number() OVER (ORDER BY period, key) = 2)::INT AS score_40_50, score_50_60 + (row_number() OVER (ORDER BY period, key) = 2)::INT AS score_50_60) FROM t`);
    const bucket = sat('verify', '--dir', dir, '--json');
    expect(bucket.code).toBe(1);
    expect(check(bucket.json, 'batch rollup daily_by_plan matches the scores').detail).toMatch(/1 with a wrong value/);
    writeFileSync(table, good);

    // The speed layer loses every result of one plan's customer: the Lambda check names the plan and the count.
    const resultsFile = join(dir, 'results.jsonl');
    const lines = readFileSync(resultsFile, 'utf8').trim().split('\n');
    const victim = (JSON.parse(lines[0]) as { key: string }).key;
    const kept = lines.filter((l) => JSON.parse(l).key !== victim);
    writeFileSync(resultsFile, `${kept.join('\n')}\n`);
    expect(sat('batch', '--dir', dir).code).toBe(0);
    const lost = sat('verify', '--dir', dir, '--json');
    expect(lost.code).toBe(1);
    const lambda = check(lost.json, "batch rollup daily_by_plan: the speed layer's losses are explained (Lambda)");
    expect(lambda.pass).toBe(false);
    expect(lambda.detail).toMatch(new RegExp(`unexplained ${lines.length - kept.length} in 1 plan values`));
    expect(lambda.examples![0]).toMatchObject({ unexplained: lines.length - kept.length });
  });
});

describe.skipIf(!haveShared)('the reviews rollup on the shared Amazon file', () => {
  it("reproduces the seed's all-time and per-year analytics, computed straight from the TSV", async () => {
    const file = shared('reviews/giftcard_head1452__roopeshn28.tsv');
    const r = loop(file, 'reviews', ['--seed', '1']);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const tsv = `read_csv('${file}', delim='\t', header=true, quote='', escape='', all_varchar=true)`;
    const direct = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjectsJson().map((x) => JSON.stringify(x));
    for (const [table, period] of [['all_time', `'all'`], ['per_year', `strftime(CAST(review_date AS DATE), '%Y')`]]) {
      const fromFile = await direct(`SELECT ${period} AS period, product_id AS key, round(avg(CAST(star_rating AS DOUBLE)), 9) AS avg_star_rating,
          sum(CAST(helpful_votes AS BIGINT))::DOUBLE AS sum_helpful_votes, sum(CAST(total_votes AS BIGINT))::DOUBLE AS sum_total_votes, count(*)::DOUBLE AS number_of_reviews
        FROM ${tsv} GROUP BY ALL ORDER BY period, key`);
      const fromBatch = await direct(`SELECT period, key, round(avg_star_rating, 9) AS avg_star_rating, sum_helpful_votes::DOUBLE AS sum_helpful_votes, sum_total_votes::DOUBLE AS sum_total_votes,
          number_of_reviews::DOUBLE AS number_of_reviews FROM read_parquet('${join(r.dir, 'batch', `${table}.parquet`)}') ORDER BY period, key`);
      expect(fromBatch.length, table).toBeGreaterThan(100);
      expect(fromBatch, table).toEqual(fromFile);
    }
    db.closeSync();
    const v = r.verify();
    expect(v.code, JSON.stringify(v.json.checks.filter((c: CheckJson) => !c.pass))).toBe(0);
  });
});
