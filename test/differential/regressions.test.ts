import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { openDb, runEngine, runOracleOn, type DiffCase } from './harness.js';

/**
 * Shrunk cases the differential test found, each a disagreement between the engine and the oracle
 * that the README said could not happen. Each must stay fixed; the comment says which rule it pins.
 */
const cases: Record<string, DiffCase> = {
  // Dedup lifetime: the id is held from its kept delivery (t=0, close 1 s). The copy at t=1 s is
  // suppressed while held and must not extend the hold; once the watermark reaches 1 s the id is
  // forgotten, so the second delivery of the t=1 s copy counts. (The oracle extended the hold.)
  'a suppressed copy does not extend the id\'s dedup state': {
    scenario: { window: { tumbling: 1000 }, delay: 0, lateness: 0, corrupted: false },
    streams: [{ rows: [{ key: 0, t: 1000, id: 0, v: 0, c: 'ok' }, { key: 0, t: 0, id: 0, v: 0, c: 'ok' }], deliveries: [{ row: 1, malformed: false }, { row: 0, malformed: false }, { row: 0, malformed: false }] }],
    model: 'global',
    partitions: 1,
  },
  // What moves the watermark: a corrupted row (split off before windowing) at t=1.5 s moves it like
  // any valid record, so the record at t=0 that follows is late. (The engine ignored the corrupted row.)
  'a corrupted row moves the watermark': {
    scenario: { window: { tumbling: 1000 }, delay: 0, lateness: 0, corrupted: true },
    streams: [{ rows: [{ key: 0, t: 0, id: 0, v: 0, c: 'ok' }, { key: 0, t: 1500, id: 1, v: 0, c: '' }], deliveries: [{ row: 1, malformed: false }, { row: 0, malformed: false }] }],
    model: 'global',
    partitions: 1,
  },
  // Windows that close empty stay closed: the window [-1 s, 1 s) closed at watermark 1.5 s with no
  // record in it; the record at t=0 arriving after counts only in [0, 2 s). (The engine fired the
  // closed window with it, because nothing had marked that window as passed.)
  'a record does not reopen a window that closed empty': {
    scenario: { window: { sliding: 2000, every: 1000, active: false }, delay: 0, lateness: 0, corrupted: false },
    streams: [{ rows: [{ key: 0, t: 0, id: 0, v: 0, c: 'ok' }, { key: 0, t: 1500, id: 1, v: 0, c: 'ok' }], deliveries: [{ row: 1, malformed: false }, { row: 0, malformed: false }] }],
    model: 'global',
    partitions: 1,
  },
  // Dedup scope per task: on Kafka each partition is a task with its own dedup state, so one id under
  // two keys in two partitions counts in each. (The oracle deduplicated across partitions.)
  'dedup state is per partition under the partition model': {
    scenario: { window: { sliding: 2000, every: 1000, active: false }, delay: 0, lateness: 0, corrupted: false },
    streams: [{ rows: [{ key: 0, t: 0, id: 5, v: 0, c: 'ok' }, { key: 1, t: 0, id: 5, v: 0, c: 'ok' }], deliveries: [{ row: 0, malformed: false }, { row: 1, malformed: false }] }],
    model: 'partition',
    partitions: 3,
  },
  // The harness's comparison, not a rule: the variance of 1.5, 3.5, 3.5, 3.5 is exactly 1 for
  // DuckDB and 1 - 2^-53 for the engine's merged Welford sums. Ten significant digits printed the
  // one as "1" and the other as "1.000000000": numbers equal to ten digits compared unequal.
  'an aggregate one bit off an integer reads as that integer': {
    scenario: { window: { sliding: 3000, every: 1000, active: false }, delay: 0, lateness: 0, corrupted: false },
    streams: [
      {
        rows: [{ key: 2, t: 2500, id: 0, v: 1.5, c: 'ok' }, { key: 2, t: 0, id: 1, v: 3.5, c: 'ok' }, { key: 2, t: 2000, id: 2, v: 3.5, c: 'ok' }, { key: 2, t: 2500, id: 3, v: 3.5, c: 'ok' }],
        deliveries: [{ row: 3, malformed: false }, { row: 0, malformed: false }, { row: 1, malformed: false }, { row: 2, malformed: false }],
      },
    ],
    model: 'global',
    partitions: 1,
  },
};

let db: Awaited<ReturnType<typeof openDb>>;
const dir = tempDir('sat-diff-reg-');
beforeAll(async () => {
  db = await openDb();
});
afterAll(() => db.close());

describe('differential regressions', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(name, async () => {
      const engine = runEngine(c);
      expect(engine).toEqual(await runOracleOn(db.db, dir, c));
      expect(engine.fates.length).toBe(c.streams[0].deliveries.length);
    });
  }

  it('pins the outcomes, not only the agreement', () => {
    expect(runEngine(cases['a suppressed copy does not extend the id\'s dedup state']).fates).toEqual(['0|0|counted', '0|1|duplicate', '0|2|counted']);
    expect(runEngine(cases['a corrupted row moves the watermark']).fates).toEqual(['0|0|corrupted', '0|1|late']);
    expect(runEngine(cases['a record does not reopen a window that closed empty']).windows.map((w) => w.split('|').slice(0, 3).join('|'))).toEqual([
      `${Date.UTC(2024, 0, 1)}|k0|2`,
      `${Date.UTC(2024, 0, 1) + 1000}|k0|1`,
    ]);
  });
});
