// Engines side by side on one Kafka topic: sat run (a consumer-group member) and the reference
// Spark pipeline (engines/spark/pipeline.py, local[2], micro-batches of 20,000), on the same
// generated reviews. Needs a broker (scripts/kafka.sh up) and PySpark (scripts/spark.sh install).
// Spark's figure leaves its JVM start-up out (the time its batches took, from the query's progress);
// its wall time is printed too. Flink is not there yet (issue 13).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const dir = mkdtempSync(join(tmpdir(), 'sat-ebench-'));
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
console.log('  (Spark validates each record in a Python UDF, sat\'s malformed-record contract; without Arrow/pandas in the venv it is row-at-a-time, which dominates its time)');
