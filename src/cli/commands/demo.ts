import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOnlineServer } from '../../serve/online.js';
import { say } from '../options.js';
import { genCommand } from './gen.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { verifyCommand } from './verify.js';

const DATASETS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'datasets');
const FILES = { reviews: 'reviews-sample.tsv', iot: 'iot-sample.csv' } as const;

export interface DemoFlags {
  dir: string;
  json?: boolean;
  scenario: 'satisfaction' | 'reviews' | 'iot';
  seed: number;
}

const FAULTS = { malformed: 0.02, late: 0.05, duplicates: 0.03, outOfOrder: 0.05, boundary: 0.02 };

/** The main job on the embedded default: the data, replay with every fault kind, run, verify. */
export async function demoCommand(f: DemoFlags): Promise<number> {
  if (f.scenario === 'satisfaction') return satisfactionDemo(f);
  const file = join(DATASETS, FILES[f.scenario]);
  say(f.json, `sat demo: ${f.scenario} scenario on ${file}, working directory ${f.dir}`);
  const quiet = { dir: f.dir, json: false };
  await replayCommand(file, { ...quiet, scenario: f.scenario, rate: 0, seed: f.seed, partitions: 4, ...FAULTS });
  await runCommand({ ...quiet, scenario: f.scenario });
  return verifyCommand({ dir: f.dir, json: f.json, scenario: f.scenario, tolerance: 1e-9 });
}

/**
 * The satisfaction scenario on a small generated dataset: sat gen (2 daily snapshots, events over
 * 2 hours), the online API on a free port with 5% injected errors, replay with every fault kind,
 * the scoring engine, and verify (which accounts for the scores whose online inputs were lost).
 */
async function satisfactionDemo(f: DemoFlags): Promise<number> {
  say(f.json, `sat demo: satisfaction scenario, generated data and working directory ${f.dir}`);
  const quiet = { dir: f.dir, json: false };
  await genCommand({ ...quiet, customers: 2000, features: 20, events: 30_000, days: 2, span: 2 * 3_600_000, eventVars: 8, format: 'parquet', seed: f.seed, rows: 0 });
  const { server, stats } = createOnlineServer({ errorRate: 0.05, timeoutRate: 0, truncateRate: 0.01, latency: [1, 5], seed: f.seed, maxIds: 100_000 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  say(f.json, `online API on ${url} (5% 503s, 1% cut-off bodies, 1-5 ms latency)`);
  try {
    await replayCommand(undefined, { ...quiet, scenario: 'satisfaction', rate: 0, seed: f.seed, partitions: 4, ...FAULTS });
    await runCommand({ ...quiet, scenario: 'satisfaction', online: url });
  } finally {
    server.closeAllConnections();
    server.close();
  }
  say(f.json, `online API served ${stats.requests} requests: ${stats.errors} 503s and ${stats.truncated} cut-off bodies injected`);
  say(f.json, `scores in ${join(f.dir, 'results.jsonl')}, actions in ${join(f.dir, 'actions.jsonl')}`);
  return verifyCommand({ dir: f.dir, json: f.json, scenario: 'satisfaction', tolerance: 1e-9 });
}
