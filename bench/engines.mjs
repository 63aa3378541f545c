// Engines side by side on one Kafka topic: sat run (a consumer-group member), the reference Spark
// pipeline (engines/spark/pipeline.py, local[2], micro-batches of 20,000) and the reference Flink
// pipeline (engines/flink/pipeline.py, parallelism 1, bounded), on the same generated reviews, each
// verified exactly. Needs a broker (scripts/kafka.sh up), PySpark (scripts/spark.sh install) and
// PyFlink (scripts/flink.sh install; skipped without it). Spark's figure leaves its JVM start-up out
// (the time its batches took, from the query's progress); Flink's is the job's time from submission
// to its end (the mini-cluster and Python start-up left out, the job's own start-up in); wall times
// are printed too.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchDir } from './temp.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const SAT = join(ROOT, 'bin', 'sat');
const BROKER = process.env.SAT_BROKERS ?? '127.0.0.1:9092';
const N = Number(process.env.BENCH_ENGINE_ROWS ?? 100_000);
const sat = (...args) => JSON.parse(execFileSync(process.execPath, [SAT, ...args, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop());
const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(9);

if (!existsSync(join(homedir(), '.cache', 'sat', 'spark-venv', 'bin', 'spark-submit'))) {
  console.log('engines: PySpark not installed (scripts/spark.sh install): skipped');
  process.exit(0);
}
const dir = scratchDir('sat-ebench-');
const file = join(dir, 'reviews.tsv');
execFileSync(process.execPath, [SAT, 'gen', '--kind', 'reviews', '--rows', String(N), '--out', file, '--seed', '5'], { stdio: 'ignore' });
const topic = `sat-ebench-${Date.now().toString(36)}`;
const w = join(dir, 'w');
const r = sat('replay', file, '--scenario', 'reviews', '--rate', '0', '--duplicates', '0.03', '--late', '0.02', '--brokers', BROKER, '--topic', topic, '--partitions', '3', '--dir', w);
console.log(`engines on one topic: ${r.sent.toLocaleString('en-US')} reviews records, 3 partitions (${cpus().length} cores)`);

const run = sat('run', '--dir', w, '--brokers', BROKER, '--topic', topic, '--group', `${topic}-sat`);
console.log(`  sat run (1 member)      ${fmt(run.recordsPerSecond)} records/s  (${run.elapsedMs} ms; one Node process, about one core)`);

const spec = join(dir, 'spec.json');
writeFileSync(spec, execFileSync(process.execPath, [SAT, 'engine', 'spec', '--scenario', 'reviews'], { encoding: 'utf8' }));
const t0 = performance.now();
const s = spawnSync(join(ROOT, 'scripts', 'spark.sh'), ['submit', join(ROOT, 'engines', 'spark', 'pipeline.py'), '--spec', spec, '--brokers', BROKER, '--topic', topic, '--out', join(dir, 'spark-out'), '--checkpoint', join(dir, 'spark-ckpt'), '--max-offsets-per-trigger', '20000'], { encoding: 'utf8' });
const wall = performance.now() - t0;
if (s.status !== 0) throw new Error(`the Spark job failed: ${s.stderr.slice(-2000)}`);
const p = JSON.parse(s.stdout.trim().split('\n').pop());
console.log(`  Spark (local[2])        ${fmt(p.rows / (p.batchMs / 1000))} records/s  (${p.batches} batches in ${p.batchMs} ms; ${Math.round(wall)} ms wall with start-up)`);
console.log(`  Spark / sat run = ${(p.rows / (p.batchMs / 1000) / run.recordsPerSecond).toFixed(2)}x (per core: ${((p.rows / (p.batchMs / 1000)) / 2 / run.recordsPerSecond).toFixed(2)}x)`);
const verdict = (v) => (v.pass ? 'PASS' : `FAIL (${v.failed.join('; ')})`);
const vs = sat('verify', '--dir', w, '--actual', `kafka://${BROKER}/${topic}-results`, '--engine', 'sat');
const vk = sat('verify', '--dir', w, '--actual', join(dir, 'spark-out'), '--engine', 'spark', '--spark-checkpoint', join(dir, 'spark-ckpt'));
console.log(`  verify: sat run ${verdict(vs)}, Spark ${verdict(vk)} (exact, by its batches)`);

if (existsSync(join(homedir(), '.cache', 'sat', 'flink-venv', 'bin', 'python'))) {
  const out = join(dir, 'flink');
  const t1 = performance.now();
  const f = spawnSync(join(ROOT, 'scripts', 'flink.sh'), ['run', join(ROOT, 'engines', 'flink', 'pipeline.py'), '--spec', spec, '--brokers', BROKER, '--topic', topic, '--out', join(out, 'results'), '--watermarks', join(out, 'watermarks'), '--dead-letters', join(out, 'dead'), '--work', join(out, 'work'), '--bounded'], { encoding: 'utf8' });
  const fwall = performance.now() - t1;
  if (f.status !== 0) throw new Error(`the Flink job failed: ${f.stderr.slice(-2000)}`);
  const fp = JSON.parse(f.stdout.trim().split('\n').pop());
  const frate = r.sent / (fp.jobMs / 1000);
  console.log(`  Flink (parallelism 1)   ${fmt(frate)} records/s  (job ${fp.jobMs} ms; ${Math.round(fwall)} ms wall with start-up)`);
  console.log(`  Flink / sat run = ${(frate / run.recordsPerSecond).toFixed(2)}x`);
  const vf = sat('verify', '--dir', w, '--actual', join(out, 'results'), '--engine', 'flink', '--flink-watermarks', join(out, 'watermarks'), '--dead-letters', join(out, 'dead'));
  console.log(`  verify: Flink ${verdict(vf)} (exact, by its watermark audit)`);
} else console.log('  Flink: PyFlink not installed (scripts/flink.sh install): skipped');
console.log('  (Spark validates each record in a Python UDF, sat\'s malformed-record contract; without Arrow/pandas in the venv it is row-at-a-time, which dominates its time)');

// Live, each engine beside its own paced replay of the iot sample (300/s, 3 partitions): end-to-end
// latency from the last on-time record of a window sent to its result readable (src/verify/
// result-latency.ts: emit_time for sat run, the file's change time for Spark's and Flink's sinks).
const RATE = process.env.BENCH_LIVE_RATE ?? '300';
const { resultLatency } = await import(join(ROOT, 'dist', 'verify', 'result-latency.js'));
const { loadScenario } = await import(join(ROOT, 'dist', 'scenario', 'load.js'));
const { materialize } = await import(join(ROOT, 'dist', 'verify', 'verify.js'));
const iot = loadScenario('iot');
const ms = (x) => `${Math.round(x).toLocaleString('en-US')} ms`.padStart(10);
const line = (name, l, v) => console.log(`  ${name.padEnd(22)} p50 ${ms(l.p50)}  p99 ${ms(l.p99)}  (${l.results} results; verify ${verdict(v)})`);
console.log(`live, iot sample at ${RATE}/s, each engine beside its own replay: result latency (last on-time record sent -> result readable)`);
{
  const liveTopic = `sat-elive-${Date.now().toString(36)}`;
  const wr = join(dir, 'live-sat');
  const { spawn } = await import('node:child_process');
  const { ensureTopics } = await import(join(ROOT, 'dist', 'transport', 'kafka', 'topics.js'));
  const { kafkaConnection } = await import(join(ROOT, 'dist', 'transport', 'kafka', 'config.js'));
  await ensureTopics(kafkaConnection(BROKER), [{ name: liveTopic, partitions: 3 }]);
  const runner = spawn(process.execPath, [SAT, 'run', '--scenario', 'iot', '--brokers', BROKER, '--topic', liveTopic, '--dir', join(dir, 'live-sat-run')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let runErr = '';
  runner.stderr.on('data', (b) => (runErr += b));
  const ran = new Promise((res) => runner.on('close', res));
  sat('replay', join(ROOT, 'datasets', 'iot-sample.csv'), '--scenario', 'iot', '--rate', RATE, '--late', '0.05', '--duplicates', '0.03', '--malformed', '0.02', '--out-of-order', '0.05', '--brokers', BROKER, '--topic', liveTopic, '--partitions', '3', '--dir', wr);
  const code = await ran;
  if (code !== 0) throw new Error(`sat run exited with ${code}: ${runErr.slice(-1500)}`);
  const results = await materialize(`kafka://${BROKER}/${liveTopic}-results`, wr);
  const v = sat('verify', '--dir', wr, '--actual', results, '--engine', 'sat');
  line('sat run (1 member)', await resultLatency(iot, results, [join(wr, 'ledger.csv')]), v);
}
for (const engine of ['spark', 'flink']) {
  const venv = join(homedir(), '.cache', 'sat', engine === 'spark' ? 'spark-venv' : 'flink-venv');
  if (!existsSync(venv)) continue;
  const wd = join(dir, `live-${engine}`);
  const v = sat('engine', 'run', engine, '--scenario', 'iot', '--brokers', BROKER, '--dir', wd, '--rate', RATE);
  const { readFileSync } = await import('node:fs');
  line(engine === 'spark' ? 'Spark (1 s batches)' : 'Flink (2 s checkpoints)', JSON.parse(readFileSync(join(wd, engine, 'latency.json'), 'utf8')), v);
}
