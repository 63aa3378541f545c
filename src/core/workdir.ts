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
  run: join(dir, 'run.json'),
  report: join(dir, 'verify.json'),
});
