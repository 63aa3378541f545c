import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { say } from '../options.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { verifyCommand } from './verify.js';

const DATASETS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'datasets');
const FILES = { reviews: 'reviews-sample.tsv', iot: 'iot-sample.csv' } as const;

export interface DemoFlags {
  dir: string;
  json?: boolean;
  scenario: 'reviews' | 'iot';
  seed: number;
}

/** The main job on the embedded default: replay a bundled file with every fault kind, run, verify. */
export async function demoCommand(f: DemoFlags): Promise<number> {
  const file = join(DATASETS, FILES[f.scenario]);
  say(f.json, `sat demo: ${f.scenario} scenario on ${file}, working directory ${f.dir}`);
  const quiet = { dir: f.dir, json: false };
  await replayCommand(file, { ...quiet, scenario: f.scenario, rate: 0, seed: f.seed, partitions: 4, malformed: 0.02, late: 0.05, duplicates: 0.03, outOfOrder: 0.05 });
  await runCommand({ ...quiet, scenario: f.scenario });
  return verifyCommand({ dir: f.dir, json: f.json, scenario: f.scenario, tolerance: 1e-9 });
}
