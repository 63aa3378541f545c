import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SatError, UsageError } from '../../core/errors.js';
import { claimWorkdir } from '../../core/workdir-guard.js';
import { loadScenario } from '../../scenario/load.js';
import { HEADER_END } from '../../transport/types.js';
import { say } from '../options.js';
import { replayCommand } from './replay.js';
import { verifyCommand } from './verify.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SAMPLES: Record<string, string> = { reviews: 'reviews-sample.tsv', iot: 'iot-sample.csv' };

export interface EngineRunFlags {
  dir: string;
  scenario: string;
  file?: string;
  brokers: string;
  topic?: string;
  rate: number;
  partitions: number;
  seed: number;
  bug?: string;
  idle: number;
  json?: boolean;
}

/**
 * sat engine run spark: the reference Spark pipeline live against a paced replay, then verify with
 * its checkpoint. The job starts first and the replay only once its query runs, so Spark reads the
 * stream in the micro-batches a live job makes (the only way lateness gets tested: a job started
 * after the replay reads everything in one batch).
 */
export async function engineRunCommand(engine: string, f: EngineRunFlags): Promise<number> {
  if (engine !== 'spark') throw new UsageError(`sat engine run ${engine}: only spark so far (Flink is not there yet)`);
  const venv = join(process.env.SAT_CACHE ?? join(homedir(), '.cache', 'sat'), 'spark-venv', 'bin', 'spark-submit');
  if (!existsSync(venv)) throw new UsageError(`PySpark is not installed (${venv}): run scripts/spark.sh install first`);
  const scenario = loadScenario(f.scenario);
  if (scenario.score || scenario.reports) throw new UsageError(`scenario ${scenario.name}: the reference Spark pipeline does windowed aggregates only (reviews, iot) so far`);
  const file = f.file ?? (SAMPLES[scenario.name] ? join(ROOT, 'datasets', SAMPLES[scenario.name]) : undefined);
  if (file === undefined) throw new UsageError(`scenario ${scenario.name}: give the file to replay`);
  const topic = f.topic ?? `sat-${scenario.name}-${Date.now()}`;

  claimWorkdir(f.dir, [file]);
  const work = join(f.dir, 'spark');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const spec = join(work, 'spec.json');
  writeFileSync(spec, JSON.stringify({ ...scenario, path: undefined, endOfStreamHeader: HEADER_END }));
  // The topic exists before the job subscribes (else Spark retries with warnings until it appears).
  const { ensureTopics } = await import('../../transport/kafka/topics.js');
  const { kafkaConnection } = await import('../../transport/kafka/config.js');
  await ensureTopics(kafkaConnection(f.brokers), [{ name: topic, partitions: f.partitions }]);

  const results = join(work, 'results');
  const checkpoint = join(work, 'checkpoint');
  const deadLetters = join(work, 'dead-letters');
  const log = join(work, 'spark.log');
  say(f.json, `sat engine run spark: ${scenario.name} from ${file} through topic ${topic}; Spark's log in ${log}`);
  const job = spawn(join(ROOT, 'scripts', 'spark.sh'), ['submit', join(ROOT, 'engines', 'spark', 'pipeline.py'), '--spec', spec, '--brokers', f.brokers, '--topic', topic, '--out', results, '--checkpoint', checkpoint, '--dead-letters', deadLetters, '--trigger', 'continuous-until-idle', '--idle-seconds', String(f.idle),
    // About a second of the stream per batch, however long the first batch takes to start: the
    // batches follow the replay instead of one batch swallowing what was sent during start-up.
    '--max-offsets-per-trigger', String(Math.max(50, Math.round(f.rate))), ...(f.bug ? ['--bug', f.bug] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  job.stderr.pipe(createWriteStream(log));
  const exited = once(job, 'close') as Promise<[number | null]>;
  const started = new Promise<void>((res, rej) => {
    createInterface({ input: job.stdout }).on('line', (l) => l.includes('"started"') && res());
    void exited.then(([code]) => rej(new SatError(`the Spark job exited with ${code} before its query started (see ${log})`, 3)));
  });
  await started;
  say(f.json, `Spark's query runs: replaying at ${f.rate}/s`);
  await replayCommand(file, { dir: f.dir, json: false, scenario: scenario.name, rate: f.rate, seed: f.seed, partitions: f.partitions, brokers: f.brokers, topic, malformed: 0.02, late: 0.05, duplicates: 0.03, outOfOrder: 0.05, progress: false });
  const [code] = await exited;
  if (code !== 0) throw new SatError(`the Spark job exited with ${code} (see ${log})`, 3);
  return verifyCommand({ dir: f.dir, json: f.json, scenario: scenario.name, actual: results, deadLetters, engine: 'spark', sparkCheckpoint: checkpoint, tolerance: 1e-9 });
}
