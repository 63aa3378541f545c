import type { ScoreSpec } from './types.js';

/**
 * The columns of a score rollup (README, "The batch layer"): the contract between sat batch, a
 * user's batch job and verify. Each side computes them on its own; only the names and the bucket
 * bounds are shared.
 */
export const SCORE_ROLLUP_STATS = ['results', 'scored', 'avg_score', 'min_score', 'p10', 'p50', 'p90', 'max_score'] as const;

export interface ScoreBucket {
  name: string;
  /** lo <= score < hi; the last bucket also holds hi (the top of the range). */
  lo: number;
  hi: number;
}

const num = (x: number) => String(Math.round(x * 1e6) / 1e6).replace('-', 'm').replace('.', 'p');

/** Ten equal buckets over the score's range: score_0_10 ... score_90_100 for [0, 100]. */
export function scoreBuckets(range: [number, number]): ScoreBucket[] {
  const [lo, hi] = range;
  const w = (hi - lo) / 10;
  return Array.from({ length: 10 }, (_, i) => {
    const a = lo + i * w;
    const b = i === 9 ? hi : lo + (i + 1) * w;
    return { name: `score_${num(a)}_${num(b)}`, lo: a, hi: b };
  });
}

/** Every column after period and key: the statistics, the buckets, then one count per action. */
export function scoreRollupColumns(score: ScoreSpec): string[] {
  return [...SCORE_ROLLUP_STATS, ...scoreBuckets(score.range).map((b) => b.name), ...score.actions.map((a) => a.name)];
}
