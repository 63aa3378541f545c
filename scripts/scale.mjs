#!/usr/bin/env node
// The pipeline at a size given on the command line: sat gen → sat replay → sat run → sat verify,
// printing each step's wall time, rate and peak RSS (through /usr/bin/time where there is one).
//
//   node scripts/scale.mjs --rows 10000000 [--kind iot|reviews] [--unordered] [--faults] [--dir D] [--keep]
//   node scripts/scale.mjs --kind satisfaction --customers 1000000 --features 5000 --rows 1000000 --shards 10 [--parallel 2] [--only-gen]
//
// satisfaction: sat gen --shard i/n for each shard (--parallel at a time; each shard's time and peak RSS
// printed: the shard is the unit a plan for n machines multiplies), then the events folder replayed
// (--rows events) to the embedded log, run against the partitioned snapshot and an online API, and verified.
//
// --unordered shuffles the generated rows (replay must then sort them); --faults injects 1% malformed,
// 2% late, 2% out-of-order and 3% duplicates. The working directory (default: a new one under the
// system's temp directory) is deleted afterwards unless --keep.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const SAT = join(ROOT, 'bin', 'sat');
const { values: a } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    kind: { type: 'string', default: 'iot' },
    unordered: { type: 'boolean' },
    faults: { type: 'boolean' },
    dir: { type: 'string' },
    keep: { type: 'boolean' },
    customers: { type: 'string', default: '100000' },
    features: { type: 'string', default: '20' },
    shards: { type: 'string', default: '1' },
    parallel: { type: 'string', default: '1' },
    'only-gen': { type: 'boolean' },
  },
});
const rows = Number(a.rows);
if (!Number.isInteger(rows) || rows <= 0) fail(`--rows ${a.rows}: a positive whole number`);
if (!['iot', 'reviews', 'satisfaction'].includes(a.kind)) fail(`--kind ${a.kind}: iot, reviews or satisfaction`);
const [customers, features, shards, parallel] = ['customers', 'features', 'shards', 'parallel'].map((k) => {
  const n = Number(a[k]);
  if (!Number.isInteger(n) || n <= 0) fail(`--${k} ${a[k]}: a positive whole number`);
  return n;
});
const dir = a.dir ? resolve(a.dir) : mkdtempSync(join(tmpdir(), 'sat-scale-'));
mkdirSync(dir, { recursive: true });
const timed = existsSync('/usr/bin/time');
const w = join(dir, 'w');

function fail(msg) {
  console.error(`scale: ${msg}`);
  process.exit(2);
}

/** Runs a command: its wall time, peak RSS (MB, when /usr/bin/time is there), stdout and stderr. */
function run(name, cmd, args) {
  const t0 = performance.now();
  const child = spawn(timed ? '/usr/bin/time' : cmd, timed ? ['-f', 'maxrss %M', cmd, ...args] : args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((done) =>
    child.on('close', (status) => {
      if (status !== 0) fail(`${name} failed (exit ${status}): ${stderr.trim().split("\n").slice(-6).join(" | ")}`);
      done({ stdout, stderr, seconds: (performance.now() - t0) / 1000, rss: timed ? Number(/maxrss (\d+)/.exec(stderr)?.[1]) / 1024 : NaN });
    }),
  );
}

function print(name, r, records, unit = '/s') {
  const rate = records ? `${Math.round(records / r.seconds).toLocaleString('en-US').padStart(10)}${unit}` : ''.padStart(12);
  console.log(`${name.padEnd(10)} ${r.seconds.toFixed(1).padStart(8)} s ${rate} ${Number.isNaN(r.rss) ? '       n/a' : `${Math.round(r.rss).toLocaleString('en-US').padStart(7)} MB`}`);
}

async function step(name, cmd, args, records) {
  const r = await run(name, cmd, args);
  print(name, r, records);
  return r.stdout;
}

const lastJson = (out) => JSON.parse(out.trim().split('\n').pop());

/** The satisfaction pipeline on a partitioned dataset: gen shard by shard, then replay, run, verify. */
async function satisfaction() {
  console.log(`scale: satisfaction, ${customers.toLocaleString('en-US')} customers x ${features} features, ${rows.toLocaleString('en-US')} events, ${shards} shard(s), ${parallel} at a time, in ${dir}`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  console.log(`step             wall        rate   peak RSS`);
  const gen = (i) => run(`gen ${i}/${shards}`, process.execPath, [SAT, 'gen', '--dir', w, '--customers', String(customers), '--features', String(features), '--events', String(rows), '--days', '1', '--seed', '1', '--shard', `${i}/${shards}`, '--json']);
  const t0 = performance.now();
  let cells = 0;
  const queue = Array.from({ length: shards }, (_, i) => i + 1);
  await Promise.all(
    Array.from({ length: Math.min(parallel, shards) }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const r = await gen(i);
        const g = lastJson(r.stdout);
        cells += g.snapshotRows * (features + 7);
        print(`gen ${i}/${shards}`, r, g.snapshotRows * (features + 7), ' c/s');
      }
    }),
  );
  const genSeconds = (performance.now() - t0) / 1000;
  console.log(`gen: ${cells.toLocaleString('en-US')} snapshot cells in ${genSeconds.toFixed(1)} s: ${Math.round(cells / genSeconds).toLocaleString('en-US')} cells/s over ${Math.min(parallel, shards)} process(es)`);
  if (a['only-gen']) return;
  const faults = a.faults ? ['--malformed', '0.01', '--late', '0.02', '--out-of-order', '0.02', '--duplicates', '0.03'] : [];
  const replay = lastJson(await step('replay', process.execPath, [SAT, 'replay', '--scenario', 'satisfaction', '--rate', '0', ...faults, '--dir', w, '--json', '--no-progress'], rows));
  const server = spawn(process.execPath, [SAT, 'serve', 'online', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise((found) => {
    let text = '';
    server.stderr.on('data', (d) => {
      text += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m) found(m[1]);
    });
  });
  try {
    await step('run', process.execPath, [SAT, 'run', '--dir', w, '--online', url, '--json'], replay.sent);
    await step('verify', process.execPath, [SAT, 'verify', '--dir', w, '--json'], replay.sent);
  } finally {
    server.kill();
  }
}

async function fromFile() {
  const file = join(dir, a.kind === 'iot' ? 'iot.csv' : 'reviews.tsv');
    console.log(`scale: ${rows.toLocaleString('en-US')} ${a.kind} rows${a.unordered ? ', shuffled' : ''}${a.faults ? ', with faults' : ''} in ${dir}`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  console.log(`step             wall        rate   peak RSS`);
  await step('gen', process.execPath, [SAT, 'gen', '--kind', a.kind, '--rows', String(rows), '--out', file, '--seed', '1'], rows);
  if (a.unordered) {
    // Rows shuffled by a seeded key (the header stays first): replay has to sort them back.
    await step('shuffle', 'sh', ['-c', `(head -n 1 "$0"; tail -n +2 "$0" | shuf --random-source=<(yes)) > "$0.shuf" && mv "$0.shuf" "$0"`.replace('<(yes)', '"$0"'), file]);
  }
  console.log(`           (${(statSync(file).size / 2 ** 20).toFixed(0)} MB file)`);
  const faults = a.faults ? ['--malformed', '0.01', '--late', '0.02', '--out-of-order', '0.02', '--duplicates', '0.03'] : [];
  const replay = lastJson(await step('replay', process.execPath, [SAT, 'replay', file, '--scenario', a.kind, '--rate', '0', ...faults, '--dir', w, '--json', '--no-progress'], rows));
  await step('run', process.execPath, [SAT, 'run', '--dir', w, '--json'], replay.sent);
  await step('verify', process.execPath, [SAT, 'verify', '--dir', w, '--json'], replay.sent);
}

try {
  await (a.kind === 'satisfaction' ? satisfaction() : fromFile());
} finally {
  if (!a.keep && !a.dir) rmSync(dir, { recursive: true, force: true });
}
