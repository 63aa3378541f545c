// npm run bench: replay, engine and verify throughput on the largest real files and on large
// generated ones (reviews and IoT shapes), with the engine's rate as a ratio of the floor: decoding
// and JSON.parse of the very record bytes it consumed, already in memory (bench/floor.mjs), measured
// side by side in one run. Each figure is the median of RUNS; the machine is printed first.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuLine } from './cpu.mjs';
import { scratchDir } from './temp.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const SAT = join(ROOT, 'bin', 'sat');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const GEN_ROWS = Number(process.env.BENCH_GEN_ROWS ?? 300_000);
// The IoT shape also at the size issue 14's table measured it (1.03M records): a third of a
// 300k-record IoT run is the JIT's warm-up (its first ~36k records go at a quarter of the later
// rate), so both sizes are printed. BENCH_IOT_ROWS=0 leaves it out.
const IOT_ROWS = Number(process.env.BENCH_IOT_ROWS ?? 1_000_000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (x) => Math.round(x).toLocaleString('en-US').padStart(10);

function largestReal() {
  const shared = resolve(ROOT, '..', 'shared', 'datasets');
  const files = [];
  for (const [sub, scenario] of [['reviews', 'reviews'], ['iot', 'iot']]) {
    const dir = join(shared, sub);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (!f.includes('mangled')) files.push({ path: join(dir, f), scenario, size: statSync(join(dir, f)).size });
  }
  files.sort((a, b) => b.size - a.size);
  return files;
}

const sat = (...args) => JSON.parse(execFileSync(process.execPath, [SAT, ...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop());

async function main() {
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  let targets = largestReal();
  if (targets.length === 0) {
    console.log('../shared/datasets not found: benchmarking the bundled samples instead');
    targets = [{ path: join(ROOT, 'datasets', 'reviews-sample.tsv'), scenario: 'reviews' }, { path: join(ROOT, 'datasets', 'iot-sample.csv'), scenario: 'iot' }];
  } else {
    // the largest reviews file and the largest IoT file
    targets = ['reviews', 'iot'].map((s) => targets.find((t) => t.scenario === s)).filter(Boolean);
  }
  const genDir = scratchDir('sat-bench-gen-');
  const generated = [['reviews', GEN_ROWS], ['iot', GEN_ROWS]];
  if (IOT_ROWS > 0 && IOT_ROWS !== GEN_ROWS) generated.push(['iot', IOT_ROWS]);
  for (const [kind, rows] of generated) {
    const out = join(genDir, `${kind}-${rows}.${kind === 'reviews' ? 'tsv' : 'csv'}`);
    sat('gen', '--kind', kind, '--rows', String(rows), '--out', out);
    targets.push({ path: out, scenario: kind, generated: true, rows });
  }
  const { loadValues, decodeParseRate, validateRate } = await import(join(ROOT, 'bench', 'floor.mjs'));
  for (const t of targets) {
    const dir = scratchDir('sat-bench-');
    const rep = [], eng = [], consuming = [], floor = [], val = [], ver = [], cps = [], runs = [];
    let records = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = sat('replay', t.path, '--scenario', t.scenario, '--rate', '0', '--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--out-of-order', '0.05', '--seed', String(i + 1), '--dir', dir);
      records = r.sent;
      rep.push(r.sent / (r.elapsedMs / 1000));
      // The engine and the floor over the same bytes, back to back.
      const e = sat('run', '--dir', dir);
      eng.push(e.recordsPerSecond);
      consuming.push(e.processingRecordsPerSecond);
      runs.push(e);
      cps.push(e.checkpointMs / e.elapsedMs);
      const values = loadValues(join(dir, 'log'));
      floor.push(decodeParseRate(values));
      val.push(await validateRate(values, t.scenario));
      const t0 = performance.now();
      const v = sat('verify', '--dir', dir);
      if (!v.pass) throw new Error(`verify failed during bench: ${v.failed}`);
      ver.push(performance.now() - t0);
    }
    console.log(`\n${t.generated ? `sat gen --kind ${t.scenario} --rows ${t.rows.toLocaleString('en-US')}` : t.path.split('/').pop()} (${t.scenario}, ${records.toLocaleString('en-US')} records sent, median of ${RUNS})`);
    console.log(`  replay  ${rate(median(rep))} records/s   (read, order, inject, append to the log, ledger)`);
    console.log(`  engine  ${rate(median(eng))} records/s   (validate, window, dedup, write outputs, checkpoints: ${(median(cps) * 100).toFixed(1)}% of its time)`);
    const cpu = cpuLine(runs);
    if (cpu) console.log(`  ${cpu}`);
    console.log(`  floor   ${rate(median(floor))} records/s   (TextDecoder + JSON.parse of the same record bytes in memory)`);
    console.log(`  validate${rate(median(val))} records/s   (sat's validator alone over the same bytes: ${(median(val) / median(floor)).toFixed(2)}x the floor)`);
    console.log(`  engine / floor = ${(median(eng) / median(floor)).toFixed(2)}x   (the whole run: its threads' start, the end of the input firing every window, closing the outputs)`);
    console.log(`  consuming ${rate(median(consuming))} records/s from the first record to the last: ${(median(consuming) / median(floor)).toFixed(2)}x the floor (the run's fixed costs ${Math.round(median(runs.map((r) => r.elapsedMs - (r.records / r.processingRecordsPerSecond) * 1000)))} ms)`);
    console.log(`  verify  ${rate(records / (median(ver) / 1000))} records/s   (${median(ver).toFixed(0)} ms wall, incl. process start and DuckDB)`);
  }
}

await main();
// BENCH_ONLY=engine: just the figures above (the engine against its floor), for a quick look.
if (process.env.BENCH_ONLY === 'engine') process.exit(0);

for (const b of ['rate.mjs', 'replay-send.mjs', 'gen.mjs', 'results-parquet.mjs', 'satisfaction.mjs']) {
  console.log('');
  execFileSync(process.execPath, [join(ROOT, 'bench', b)], { stdio: 'inherit' });
}

// Kafka: sat against Kafka's own perf tools, and the two Node clients, when a broker answers.
const { reachable } = await import(join(ROOT, 'dist', 'transport', 'kafka', 'reachable.js'));
const broker = process.env.SAT_BROKERS ?? '127.0.0.1:9092';
const up = await reachable(broker.split(',')[0]);
if (!up) {
  console.log(`\nno Kafka broker at ${broker}: skipping the Kafka benchmarks (start one with scripts/kafka.sh up)`);
} else {
  for (const b of ['kafka.mjs', 'kafka-clients.mjs', 'engines.mjs']) {
    console.log('');
    execFileSync(process.execPath, [join(ROOT, 'bench', b)], { stdio: 'inherit' });
  }
}
