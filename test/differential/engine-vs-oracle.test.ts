import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { caseArb } from './arbitrary.js';
import { openDb, runEngine, runOracleOn, type DiffCase } from './harness.js';

/**
 * The rules the engine and the oracle share (README, "Semantics"), held equal on random streams:
 * every delivery's fate (dead, corrupted, late, duplicate, filtered, counted), every alert and every
 * (window, key) result with its aggregates. SAT_DIFF_RUNS raises the number of cases (CI: 1,500);
 * SAT_DIFF_SEED replays a run. A failure prints the shrunk case; commit it below as a regression.
 */
const RUNS = Number(process.env.SAT_DIFF_RUNS ?? 100);
const STREAMS = 30;

let db: Awaited<ReturnType<typeof openDb>>;
const dir = tempDir('sat-diff-');
beforeAll(async () => {
  db = await openDb();
});
afterAll(() => db.close());

let streams = 0;
async function agree(c: DiffCase): Promise<void> {
  streams += c.streams.length;
  const engine = runEngine(c);
  const oracle = await runOracleOn(db.db, dir, c);
  expect(engine).toEqual(oracle);
}

describe('engine operator vs oracle, differential', () => {
  it(`agree on ${RUNS} random scenarios, up to ${STREAMS} random streams each`, { timeout: 600_000 }, async () => {
    const started = performance.now();
    await fc.assert(fc.asyncProperty(caseArb(STREAMS), agree), { numRuns: RUNS, seed: process.env.SAT_DIFF_SEED ? Number(process.env.SAT_DIFF_SEED) : undefined });
    const s = (performance.now() - started) / 1000;
    console.log(`differential: ${RUNS} scenarios, ${streams} streams in ${s.toFixed(1)} s (${Math.round(streams / s)} streams/s)`);
  });
});
