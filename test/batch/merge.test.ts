import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { rollupSql } from '../../src/batch/rollup.js';
import { parseScenario } from '../../src/scenario/load.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

/**
 * The batch job's merging of window aggregates (src/batch/rollup.ts) against the same statistics
 * computed straight from the values, on random windows: counts and sums add, the average is
 * weighted, min/max fold, variance and stddev combine by Chan's formula, first/last by window.
 */
const scenario = parseScenario(
  {
    name: 'm', key: 'k', event_time: 'ts', id: ['id'], fields: { id: 'string', k: 'string', ts: 'timestamp', v: 'float' },
    window: { tumbling: '1h' }, watermark: '0s',
    aggregations: { n: 'count()', s: 'sum(v)', a: 'avg(v)', lo: 'min(v)', hi: 'max(v)', va: 'variance(v)', sd: 'stddev(v)', f: 'first(v)', l: 'last(v)' },
    batch: { rollups: { all: { every: 'all', aggregations: ['n', 's', 'a', 'lo', 'hi', 'va', 'sd', 'f', 'l'] } } },
  },
  'merge test',
);

describe('rollups merge window aggregates exactly', () => {
  it('equal the statistics of the raw values, on random windows', async () => {
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }), async (windows) => {
        const values = windows.flatMap((w, i) => w.map((v, j) => ({ ws: i * 3_600_000, t: i * 3_600_000 + j, v })));
        await db.run(`CREATE OR REPLACE TABLE raw AS SELECT * FROM (VALUES ${values.map((x) => `(${x.ws}, ${x.t}, ${x.v}.0)`).join(', ')}) t(ws, et, v)`);
        // The windows as the stream would emit them: one row per window with its own aggregates.
        await db.run(`CREATE OR REPLACE TABLE act AS SELECT ws, 'key' AS k, count(*) AS n, sum(v) AS s, avg(v) AS a, min(v) AS lo, max(v) AS hi,
            var_samp(v) AS va, stddev_samp(v) AS sd, first(v ORDER BY et, v) AS f, last(v ORDER BY et, v) AS l FROM raw GROUP BY ws`);
        const merged = (await db.runAndReadAll(rollupSql(scenario.rollups![0], scenario))).getRowObjectsJson()[0];
        const direct = (await db.runAndReadAll(`SELECT count(*) AS n, sum(v) AS s, avg(v) AS a, min(v) AS lo, max(v) AS hi, var_samp(v) AS va, stddev_samp(v) AS sd,
            first(v ORDER BY et, v) AS f, last(v ORDER BY et, v) AS l FROM raw`)).getRowObjectsJson()[0];
        for (const k of ['n', 's', 'a', 'lo', 'hi', 'va', 'sd', 'f', 'l']) {
          const m = merged[k] === null ? null : Number(merged[k]);
          const d = direct[k] === null ? null : Number(direct[k]);
          if (d === null) expect(m, k).toBeNull();
          else expect(Math.abs((m as number) - d), `${k}: merged ${m}, direct ${d}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(d)));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('refuses what cannot be merged, saying why', () => {
    const base = { name: 'm', key: 'k', event_time: 'ts', id: ['id'], fields: { id: 'string', k: 'string', ts: 'timestamp', v: 'float', w: 'float?' }, watermark: '0s', aggregations: { n: 'count()', d: 'count_distinct(v)', aw: 'avg(w)', sd: 'stddev(v)' } };
    const load = (rollup: object, window: object = { tumbling: '1h' }) => () => parseScenario({ ...base, window, batch: { rollups: { r: rollup } } }, 't');
    expect(load({ every: 'day', aggregations: ['d'] })).toThrow(/count_distinct, which windows cannot be merged/);
    expect(load({ every: 'day', aggregations: ['aw'] })).toThrow(/avg\(w\) of a nullable field/);
    expect(load({ every: 'day', aggregations: ['sd'] })).toThrow(/needs avg\(v\) among the scenario's aggregations/);
    expect(load({ every: 'day', aggregations: ['n'] }, { sliding: '1h', every: '1m' })).toThrow(/needs tumbling windows/);
    expect(load({ every: 'day' })).toThrow(/aggregations: at least one \(or segment, for a score rollup\)/);
    expect(load({ every: 'day', segment: 'plan' })).toThrow(/segment: the scenario has no score to roll up/);
    expect(load({ every: 'day', aggregations: ['n'] }, { tumbling: '7h' })).toThrow(/day needs windows that divide a day/);
    expect(load({ every: 'all', aggregations: ['n'] }, { tumbling: '7h' })).not.toThrow();
    expect(load({ every: 'day', aggregations: ['nope'] })).toThrow(/"nope" is not one of the scenario's aggregations/);
  });

  it('a score rollup: takes the sliding windows of a scored scenario, and refuses what it cannot group', () => {
    const raw = parseYaml(readFileSync(join(ROOT, 'profiles', 'satisfaction.yaml'), 'utf8'));
    const load = (rollup: object, actions?: object) => () => parseScenario({ ...raw, ...(actions && { actions }), batch: { rollups: { r: rollup } } }, 't');
    expect(load({ every: 'day', segment: 'plan' })).not.toThrow();
    expect(load({ every: 'day', segment: 'plan', aggregations: ['events'] })).toThrow(/a score rollup \(segment\) takes no aggregations, top or alerts/);
    expect(load({ every: 'day', segment: 'plan' }, { p50: 'score < 30' })).toThrow(/the action p50 would share its column name/);
    expect(load({ every: 'day', segment: 'plan; drop' })).toThrow(/is not a column name/);
    const { join: _join, ...unjoined } = raw;
    expect(() => parseScenario({ ...unjoined, score: { formula: 'events', range: [0, 100] }, actions: {}, batch: { rollups: { r: { every: 'day', segment: 'plan' } } } }, 't')).toThrow(/join.batch is not set/);
  });
});
