import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sat, serve, start, stopChildren, stopServers, tempDir } from '../helpers.js';

afterEach(() => {
  stopChildren();
  stopServers();
});

const FAULTS = ['--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--out-of-order', '0.05'];

/** sat gen + sat replay with every fault kind into a fresh directory. */
function generated(...genFlags: string[]): string {
  const dir = tempDir('sat-sat-');
  const g = sat('gen', '--dir', dir, '--customers', '300', '--events', '4000', '--span', '2h', '--seed', '4', ...genFlags);
  expect(g.code, g.stderr).toBe(0);
  const r = sat('replay', '--scenario', 'satisfaction', '--dir', dir, ...FAULTS, '--json');
  expect(r.code, r.stderr).toBe(0);
  expect(r.json.file).toMatch(/events\.(parquet|csv|jsonl)$/);
  return dir;
}

/** sat run against a fresh online API, then sat verify: both must pass. */
async function runAndVerify(dir: string) {
  const { url } = await serve();
  const run = sat('run', '--dir', dir, '--online', url, '--json');
  expect(run.code, run.stderr).toBe(0);
  const v = sat('verify', '--dir', dir, '--json');
  expect(v.code, JSON.stringify(v.json?.failed ?? v.stderr)).toBe(0);
  return { run, v };
}

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('the satisfaction scenario: sat gen -> replay (no FILE) -> run with snapshot + online API -> verify', () => {
  let dir: string;
  beforeAll(() => {
    dir = generated();
  });

  it('scores every customer active in a minute from the 1-hour window, the snapshot and the API; verify agrees', async () => {
    const { url } = await serve();
    const run = sat('run', '--dir', dir, '--online', url, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.scoring.missingOnline).toBe(0);
    expect(run.json.scoring.snapshotDays).toEqual(['2024-06-02']); // the latest of the two days

    const results = lines(join(dir, 'results.jsonl'));
    const scored = results.filter((r) => typeof r.score === 'number');
    expect(scored.length).toBe(results.length);
    expect(scored.every((r) => r.score >= 0 && r.score <= 100)).toBe(true);
    expect(new Set(scored.map((r) => Math.round(r.score))).size).toBeGreaterThan(20); // a spread, not a constant
    const actions = lines(join(dir, 'actions.jsonl'));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((a) => (a.action === 'retention_call' ? a.score < 30 : a.score >= 30 && a.score < 45))).toBe(true);

    const v = sat('verify', '--dir', dir, '--max-missing-online', '0', '--json');
    expect(v.code, JSON.stringify(v.json?.failed ?? v.stderr)).toBe(0);
    expect(v.json.counts.scores_checked).toBe(results.length);
    expect(v.json.counts.actions_expected).toBe(actions.length);
    expect(v.json.counts.records_lost).toBe(0);
    for (const k of ['malformed_sent', 'late_expected', 'duplicates_expected_suppressed', 'out_of_order_sent']) expect(v.json.counts[k], k).toBeGreaterThan(0);
  });

  it('verify catches a wrong score, a dropped action and a false claim of a missing snapshot row', async () => {
    const { url } = await serve();
    expect(sat('run', '--dir', dir, '--online', url).code).toBe(0);
    const resultsFile = join(dir, 'results.jsonl');
    const original = readFileSync(resultsFile, 'utf8');
    const results = lines(resultsFile);
    results[7].score = Math.min(100, results[7].score + 0.5);
    results[9].missing = ['batch'];
    writeFileSync(resultsFile, results.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const actionsFile = join(dir, 'actions.jsonl');
    writeFileSync(actionsFile, readFileSync(actionsFile, 'utf8').split('\n').slice(1).join('\n'));
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code).toBe(1);
    expect(v.json.failed).toEqual(['scores match the oracle', 'joined inputs reported truthfully', 'actions match the scores']);
    expect(v.json.counts.scores_wrong).toBe(1);
    expect(v.json.counts.actions_missing).toBe(1);
    writeFileSync(resultsFile, original);
  });

  it('with 10% API errors and no retries, results mark missing online inputs and verify accounts for them', async () => {
    const { url } = await serve('--error-rate', '0.1', '--seed', '3');
    const run = sat('run', '--dir', dir, '--online', url, '--online-retries', '0', '--json');
    expect(run.code, run.stderr).toBe(0);
    const s = run.json.scoring;
    expect(s.online.failedBatches).toBeGreaterThan(0);
    expect(s.missingOnline).toBeGreaterThan(0);
    const results = lines(join(dir, 'results.jsonl'));
    const without = results.filter((r) => r.missing.includes('online'));
    expect(without.length).toBe(s.missingOnline);
    // The default formula does not coalesce online features: no input, no score (never an invented one).
    expect(without.every((r) => r.score === null)).toBe(true);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
    expect(v.json.counts.results_missing_online).toBe(s.missingOnline);
    // As a CI gate: at most 1% of results may lack online inputs.
    const gate = sat('verify', '--dir', dir, '--max-missing-online', '0.01', '--json');
    expect(gate.code).toBe(1);
    expect(gate.json.failed).toEqual(['online inputs present']);

    // NULLs are compared NULL-safely: each of these once passed verify.
    const resultsFile = join(dir, 'results.jsonl');
    const original = readFileSync(resultsFile, 'utf8');
    const judge = (edit: (rows: any[]) => void) => {
      const rows = lines(resultsFile);
      edit(rows);
      writeFileSync(resultsFile, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const r = sat('verify', '--dir', dir, '--json');
      writeFileSync(resultsFile, original);
      return r;
    };
    const scoredAt = results.findIndex((r) => typeof r.score === 'number');
    const nullAvgAt = results.findIndex((r) => r.avg_rating === null);
    expect(nullAvgAt).toBeGreaterThanOrEqual(0);
    expect(judge((rows) => (rows[scoredAt].score = null)).json.failed).toEqual(['scores match the oracle']);
    expect(judge((rows) => (rows[nullAvgAt].avg_rating = 3)).json.failed).toContain('no wrong values');
    const withoutAt = results.findIndex((r) => r.missing.includes('online'));
    expect(judge((rows) => (rows[withoutAt].missing = rows[withoutAt].missing.filter((m: string) => m !== 'online'))).json.failed).toEqual(['scores match the oracle']);
    // The score an action carries is compared too.
    const actionsFile = join(dir, 'actions.jsonl');
    const actionsText = readFileSync(actionsFile, 'utf8');
    const actions = lines(actionsFile);
    actions[0].score -= 1;
    writeFileSync(actionsFile, actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
    const a = sat('verify', '--dir', dir, '--json');
    writeFileSync(actionsFile, actionsText);
    expect(a.json.failed).toEqual(['actions match the scores']);
    expect(a.json.counts.actions_score_wrong).toBe(1);
  });

  it('with retries, the same 10% API errors lose (almost) nothing', async () => {
    const { url } = await serve('--error-rate', '0.1', '--seed', '3');
    const run = sat('run', '--dir', dir, '--online', url, '--online-retries', '4', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.scoring.online.failedAttempts).toBeGreaterThan(0);
    expect(run.json.scoring.missingOnline).toBe(0); // 0.1^5 per batch
    expect(sat('verify', '--dir', dir).code).toBe(0);
  });

  it('joins the newest snapshot day, and marks customers missing from it', async () => {
    // A newer day written by hand as CSV, holding only half of the customers and other tenures.
    const rows = lines(join(dir, 'results.jsonl'));
    const keys = [...new Set(rows.map((r) => r.key as string))].sort();
    const kept = keys.filter((_, i) => i % 2 === 0);
    writeFileSync(join(dir, 'customers-2024-06-03.csv'), `customer_id,tenure_months,f0005\n${kept.map((k, i) => `${k},${(i * 7) % 150},${i % 3 === 0}`).join('\n')}\n`);
    const { run, v } = await runAndVerify(dir);
    expect(run.json.scoring.snapshotDays).toEqual(['2024-06-03']);
    expect(run.json.scoring.missingBatch).toBeGreaterThan(0);
    expect(v.json.counts.results_missing_batch).toBe(run.json.scoring.missingBatch);
  });

  it('reloads the snapshot when a newer day appears mid-run; verify joins each result with the day it names', async () => {
    const fresh = tempDir('sat-sat-reload-');
    expect(sat('gen', '--dir', fresh, '--customers', '300', '--events', '4000', '--span', '2h', '--seed', '5').code).toBe(0);
    const day2 = join(fresh, 'customers-2024-06-02.parquet');
    renameSync(day2, `${day2}.later`);
    const { url } = await serve();
    const replay = start(['replay', '--scenario', 'satisfaction', '--dir', fresh, '--rate', '500', ...FAULTS]);
    while (!existsSync(join(fresh, 'replay.json'))) await sleep(20);
    const run = start(['run', '--dir', fresh, '--follow', '--idle-timeout', '1500', '--online', url, '--snapshot-poll', '100ms', '--json']);
    // Conditions, not times: the run has loaded day 1 and scored with it, and the replay still sends.
    while (!(/snapshot 2024-06-01/.test(run.stderr()) && (statSync(join(fresh, 'results.jsonl'), { throwIfNoEntry: false })?.size ?? 0) > 0)) {
      expect(run.child.exitCode).toBeNull();
      await sleep(20);
    }
    expect(replay.child.exitCode, 'the replay ended before the new day appeared').toBeNull();
    renameSync(`${day2}.later`, day2);
    expect((await replay.done).code).toBe(0);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).scoring.snapshotDays).toEqual(['2024-06-01', '2024-06-02']);
    expect(r.stderr).toMatch(/snapshot 2024-06-02: 300 customers/);
    const v = sat('verify', '--dir', fresh, '--json');
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
    expect(v.json.counts.scores_checked).toBe(v.json.counts.expected_results);
  });

  it('needs --online for a formula that reads online features (exit 2, one line)', () => {
    const r = sat('run', '--dir', dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--online URL/);
  });

  it('without generated data, replay says what to do (exit 2)', () => {
    const r = sat('replay', '--scenario', 'satisfaction', '--dir', tempDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/run sat gen --dir/);
  });
});

describe('the satisfaction scenario on a partitioned dataset (sat gen --shard i/n)', () => {
  it('replays the events folder, joins the partitioned snapshot, and verify reads both as the engine did', async () => {
    const dir = tempDir('sat-sat-parts-');
    for (const i of [1, 2, 3]) expect(sat('gen', '--dir', dir, '--customers', '300', '--events', '4000', '--span', '2h', '--seed', '4', '--shard', `${i}/3`).code).toBe(0);
    const r = sat('replay', '--scenario', 'satisfaction', '--dir', dir, ...FAULTS, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.file).toMatch(/events$/);
    expect(r.json.files.map((f: string) => f.split('/').slice(-2).join('/'))).toEqual([1, 2, 3].map((i) => `date=2024-06-02/part-${i}-of-3.parquet`));
    expect(r.json.sent).toBeGreaterThan(4000);
    const { run, v } = await runAndVerify(dir);
    expect(run.json.scoring.snapshotDays).toEqual(['2024-06-02']);
    expect(run.json.scoring.missingBatch).toBe(0);
    expect(v.json.counts.scores_checked).toBe(lines(join(dir, 'results.jsonl')).length);
    expect(v.json.counts.records_lost).toBe(0);
    expect(v.json.counts.malformed_sent).toBeGreaterThan(0);

    // The oracle joined the partitioned day: a score moved by a little is caught.
    const resultsFile = join(dir, 'results.jsonl');
    const results = lines(resultsFile);
    results[3].score = Math.min(100, results[3].score + 0.5);
    writeFileSync(resultsFile, results.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const bad = sat('verify', '--dir', dir, '--json');
    expect([bad.code, bad.json.failed]).toEqual([1, ['scores match the oracle']]);
  });
});
