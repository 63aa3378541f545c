import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where each step leaves its output in the working directory (--dir, default .sat). */
export const paths = (dir: string) => ({
  log: join(dir, 'log'),
  ledger: join(dir, 'ledger.csv'),
  replay: join(dir, 'replay.json'),
  replayLatency: join(dir, 'replay-latency.hlog'),
  runLatency: join(dir, 'run-latency.hlog'),
  results: join(dir, 'results.jsonl'),
  resultsParquet: join(dir, 'results.parquet'),
  deadLetters: join(dir, 'dead-letters.jsonl'),
  late: join(dir, 'late.jsonl'),
  alerts: join(dir, 'alerts.jsonl'),
  actions: join(dir, 'actions.jsonl'),
  corrupted: join(dir, 'corrupted.jsonl'),
  pivot: join(dir, 'pivot.jsonl'),
  topUsers: join(dir, 'top-users.jsonl'),
  run: join(dir, 'run.json'),
  /** sat run's checkpoints on the embedded log (replay clears them with the rest). */
  checkpoints: join(dir, 'checkpoints', 'run'),
  report: join(dir, 'verify.json'),
});

/** One of n replay processes splitting a dataset by key (`--shard i/n`, i from 1). */
export interface Shard {
  index: number;
  count: number;
}

/** A shard's own replay summary, ledger and latency log; without a shard, the usual names. */
export function replayFiles(dir: string, shard?: Shard) {
  const part = shard ? `.shard-${shard.index}-of-${shard.count}` : '';
  return { replay: join(dir, `replay${part}.json`), ledger: join(dir, `ledger${part}.csv`), latency: join(dir, `replay-latency${part}.hlog`) };
}

/** The replay summaries in dir with their ledgers: one unsharded replay, or one part per shard. */
export function replayParts(dir: string): { replay: string; ledger: string; shard?: Shard }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: { replay: string; ledger: string; shard?: Shard }[] = [];
  for (const n of names.sort()) {
    if (n === 'replay.json') out.push({ replay: join(dir, n), ledger: join(dir, 'ledger.csv') });
    const m = /^replay\.shard-(\d+)-of-(\d+)\.json$/.exec(n);
    if (m) {
      const shard = { index: Number(m[1]), count: Number(m[2]) };
      out.push({ ...replayFiles(dir, shard), shard });
    }
  }
  return out;
}
