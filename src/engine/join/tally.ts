import type { OnlineClientStats } from './online-client.js';
import type { ScoredResult } from './scorer.js';

export interface ScoringSummary {
  actions: number;
  missingOnline: number;
  missingBatch: number;
  unscored: number;
  snapshotDays: string[];
  online?: OnlineClientStats;
}

/** Counts what scoring produced, for the run summary. */
export function scoringTally() {
  const t: Omit<ScoringSummary, 'online'> = { actions: 0, missingOnline: 0, missingBatch: 0, unscored: 0, snapshotDays: [] };
  const add = (r: { results: ScoredResult[]; actions: unknown[] }) => {
    t.actions += r.actions.length;
    for (const x of r.results) {
      if (x.score === null) t.unscored++;
      for (const m of x.missing) m === 'online' ? t.missingOnline++ : t.missingBatch++;
      if (x.snapshotDay !== null && !t.snapshotDays.includes(x.snapshotDay)) t.snapshotDays.push(x.snapshotDay);
    }
  };
  return { tally: t, add };
}
