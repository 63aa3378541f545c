import type { DuckDBConnection } from '@duckdb/node-api';
import type { ScoreSpec } from '../scenario/types.js';
import { one, rows, ts, type Check, type Counts } from './checks.js';
import { lit, nearSql } from './sql.js';

export interface ScoreCheckOptions {
  tolerance: number;
  /** Actions output given (false: the actions check is skipped). */
  actionsGiven: boolean;
  /** Largest share of results allowed to lack online inputs (undefined: only reported). */
  maxMissingOnline?: number;
  snapshotDays: string[];
}

/**
 * Judges scores and actions against exp_score (runScoreOracle): each score equals the oracle's
 * computed from the same inputs, a claimed missing snapshot row is really absent (and a present one
 * was used), and the actions are exactly those the oracle's scores call for.
 */
export async function scoreChecks(db: DuckDBConnection, spec: ScoreSpec, o: ScoreCheckOptions): Promise<{ checks: Check[]; counts: Counts }> {
  const tol = o.tolerance;
  const near = (x: string, y: string) => nearSql(x, y, tol);
  const joined = `act a JOIN exp_score e USING (ws, k)`;
  const checked = await one(db, `SELECT count(*) FROM ${joined}`);
  const wrong = await one(db, `SELECT count(*) FROM ${joined} WHERE NOT ${near('a.score', 'e.score')}`);
  const batchWrong = await one(db, `SELECT count(*) FROM ${joined} WHERE e.batch_claimed <> e.batch_missing`);
  const unknownDay = await one(db, `SELECT count(*) FROM act WHERE snapshot_day IS NOT NULL AND snapshot_day NOT IN (${o.snapshotDays.map(lit).join(', ') || "''"})`);
  const results = await one(db, `SELECT count(*) FROM act`);
  const missingOnline = await one(db, `SELECT count(*) FROM act WHERE coalesce(missing, '') LIKE '%online%'`);
  const missingBatch = await one(db, `SELECT count(*) FROM act WHERE coalesce(missing, '') LIKE '%batch%'`);
  const unscored = await one(db, `SELECT count(*) FROM act WHERE score IS NULL`);

  const checks: Check[] = [
    {
      name: 'scores match the oracle',
      pass: wrong === 0,
      expected: 0,
      actual: wrong,
      detail: `${wrong} of ${checked} scores differ from the oracle's (same snapshot day, online inputs where the result had them)`,
      examples: wrong
        ? await rows(db, `SELECT ${ts('ws')} AS window_start, k AS key, a.score AS actual, e.score AS expected, a.missing, a.snapshot_day FROM ${joined} WHERE NOT ${near('a.score', 'e.score')} ORDER BY ws, k LIMIT 5`)
        : undefined,
    },
    {
      name: 'joined inputs reported truthfully',
      pass: batchWrong === 0 && unknownDay === 0,
      detail: `${batchWrong} results misreport whether the customer has a snapshot row; ${unknownDay} name a snapshot day with no file`,
      examples: batchWrong
        ? await rows(db, `SELECT ${ts('ws')} AS window_start, k AS key, a.missing, a.snapshot_day, e.batch_missing AS oracle_batch_missing FROM ${joined} WHERE e.batch_claimed <> e.batch_missing LIMIT 5`)
        : undefined,
    },
  ];
  if (o.maxMissingOnline !== undefined) {
    const share = results === 0 ? 0 : missingOnline / results;
    checks.push({
      name: 'online inputs present',
      pass: share <= o.maxMissingOnline,
      detail: `${missingOnline} of ${results} results (${(share * 100).toFixed(2)}%) lack online inputs; at most ${(o.maxMissingOnline * 100).toFixed(2)}% allowed`,
    });
  }

  // Expected actions: from the oracle's score, for every expected result. A score within the
  // tolerance of a threshold may go either way.
  const actionCase = spec.actions.length === 0 ? 'NULL' : `CASE ${spec.actions.map((a) => `WHEN score < ${a.below} THEN ${lit(a.name)}`).join(' ')} END`;
  const edge = spec.actions.length === 0 ? 'FALSE' : `(${spec.actions.map((a) => `abs(score - ${a.below}) <= ${tol} * greatest(1, ${Math.abs(a.below)})`).join(' OR ')})`;
  await db.run(`CREATE OR REPLACE TABLE exp_actions AS SELECT ws, k, ${actionCase} AS action, ${edge} AS edge FROM exp_score WHERE score IS NOT NULL`);
  const actionsExpected = await one(db, `SELECT count(*) FROM exp_actions WHERE action IS NOT NULL`);
  const actionsActual = await one(db, `SELECT count(*) FROM act_actions`);
  let actionCounts: Counts = { actions_expected: actionsExpected, actions: o.actionsGiven ? actionsActual : null };
  if (!o.actionsGiven) {
    checks.push({ name: 'actions match the scores', pass: true, skipped: true, detail: 'no actions output given' });
  } else {
    const missing = await one(db, `SELECT count(*) FROM exp_actions e WHERE action IS NOT NULL AND NOT edge AND NOT EXISTS (SELECT 1 FROM act_actions a WHERE a.ws = e.ws AND a.k = e.k)`);
    const extra = await one(db, `SELECT count(*) FROM act_actions a WHERE NOT EXISTS (SELECT 1 FROM exp_actions e WHERE e.ws = a.ws AND e.k = a.k AND (e.action IS NOT NULL OR e.edge))`);
    const wrongAction = await one(db, `SELECT count(*) FROM act_actions a JOIN exp_actions e USING (ws, k) WHERE a.action IS DISTINCT FROM e.action AND NOT e.edge`);
    const repeated = await one(db, `SELECT count(*) FROM (SELECT ws, k FROM act_actions GROUP BY ws, k HAVING count(*) > 1)`);
    // The score an action carries is the one it was decided on: it must be the oracle's too.
    const scoreOff = `act_actions a JOIN exp_score e USING (ws, k) WHERE NOT ${near('a.score', 'e.score')}`;
    const wrongScore = await one(db, `SELECT count(*) FROM ${scoreOff}`);
    checks.push({
      name: 'actions match the scores',
      pass: missing + extra + wrongAction + repeated + wrongScore === 0,
      expected: actionsExpected,
      actual: actionsActual,
      detail: `${actionsExpected} expected, ${actionsActual} given: ${missing} missing, ${extra} not called for, ${wrongAction} of the wrong kind, ${repeated} repeated, ${wrongScore} carrying a score that is not the oracle's`,
      examples:
        missing + extra + wrongAction > 0
          ? await rows(db, `SELECT ${ts('coalesce(a.ws, e.ws)')} AS window_start, coalesce(a.k, e.k) AS key, a.action AS actual, e.action AS expected FROM act_actions a FULL JOIN (SELECT * FROM exp_actions WHERE action IS NOT NULL) e USING (ws, k) WHERE a.action IS DISTINCT FROM e.action LIMIT 5`)
          : wrongScore > 0
            ? await rows(db, `SELECT ${ts('ws')} AS window_start, k AS key, a.action, a.score AS actual_score, e.score AS expected_score FROM ${scoreOff} LIMIT 5`)
            : undefined,
    });
    actionCounts = { ...actionCounts, actions_missing: missing, actions_extra: extra, actions_wrong: wrongAction, actions_repeated: repeated, actions_score_wrong: wrongScore };
  }
  return {
    checks,
    counts: { scores_checked: checked, scores_wrong: wrong, results_unscored: unscored, results_missing_online: missingOnline, results_missing_batch: missingBatch, ...actionCounts },
  };
}
