import { existsSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BROKERS, uniqueTopic } from '../kafka/broker.js';
import { ROOT, sat, tempDir } from '../helpers.js';

/**
 * Whether a reference engine is installed in sat's cache (scripts/spark.sh, scripts/flink.sh): its
 * tests skip with a message where it is not, and fail under CI=true, where .ci/run installs it.
 */
export function engineInstalled(engine: 'spark' | 'flink'): boolean {
  const bin = join(process.env.SAT_CACHE ?? join(homedir(), '.cache', 'sat'), `${engine}-venv`, 'bin', engine === 'spark' ? 'spark-submit' : 'python');
  const name = engine === 'spark' ? 'PySpark' : 'PyFlink';
  if (existsSync(bin)) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${name} is not installed (${bin}): .ci/run runs scripts/${engine}.sh install`);
  console.warn(`skipping the ${name} tests: ${bin} not found (scripts/${engine}.sh install)`);
  return false;
}

/**
 * The reviews sample replayed with every fault kind into a new 3-partition topic of the project's
 * broker, and the scenario's spec for the reference pipelines: what each engine's tests judge.
 */
export function reviewsOnKafka(engine: string, seed: string): { dir: string; topic: string; spec: string } {
  const dir = tempDir(`sat-${engine}-`);
  const topic = uniqueTopic(engine);
  const faults = ['--rate', '0', '--late', '0.05', '--duplicates', '0.03', '--malformed', '0.02', '--out-of-order', '0.05', '--seed', seed];
  const r = sat('replay', join(ROOT, 'datasets', 'reviews-sample.tsv'), '--scenario', 'reviews', ...faults, '--brokers', BROKERS, '--topic', topic, '--partitions', '3', '--dir', dir);
  expect(r.code, r.stderr).toBe(0);
  const spec = join(dir, 'spec.json');
  const s = sat('engine', 'spec', '--scenario', 'reviews');
  expect(s.code).toBe(0);
  writeFileSync(spec, s.stdout);
  return { dir, topic, spec };
}
