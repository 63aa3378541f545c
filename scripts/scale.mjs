#!/usr/bin/env node
// The pipeline at a size given on the command line: sat gen → sat replay → sat run → sat verify,
// printing each step's wall time, rate and peak RSS (through /usr/bin/time where there is one).
//
//   node scripts/scale.mjs --rows 10000000 [--kind iot|reviews] [--unordered] [--faults] [--dir D] [--keep]
//
// --unordered shuffles the generated rows (replay must then sort them); --faults injects 1% malformed,
// 2% late, 2% out-of-order and 3% duplicates. The working directory (default: a new one under the
// system's temp directory) is deleted afterwards unless --keep.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const SAT = join(ROOT, 'bin', 'sat');
const { values: a } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, kind: { type: 'string', default: 'iot' }, unordered: { type: 'boolean' }, faults: { type: 'boolean' }, dir: { type: 'string' }, keep: { type: 'boolean' } },
});
const rows = Number(a.rows);
if (!Number.isInteger(rows) || rows <= 0) fail(`--rows ${a.rows}: a positive whole number`);
if (!['iot', 'reviews'].includes(a.kind)) fail(`--kind ${a.kind}: iot or reviews`);
const dir = a.dir ? resolve(a.dir) : mkdtempSync(join(tmpdir(), 'sat-scale-'));
const timed = existsSync('/usr/bin/time');
const file = join(dir, a.kind === 'iot' ? 'iot.csv' : 'reviews.tsv');
const w = join(dir, 'w');

function fail(msg) {
  console.error(`scale: ${msg}`);
  process.exit(2);
}

/** Runs a command; its wall time, peak RSS (MB, when /usr/bin/time is there) and stdout. */
function step(name, cmd, args, records) {
  const t0 = performance.now();
  const r = timed ? spawnSync('/usr/bin/time', ['-f', 'maxrss %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 }) : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) fail(`${name} failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  const rss = timed ? Number(/maxrss (\d+)/.exec(r.stderr)?.[1]) / 1024 : NaN;
  const rate = records ? `${Math.round(records / s).toLocaleString('en-US').padStart(10)}/s` : ''.padStart(12);
  console.log(`${name.padEnd(8)} ${s.toFixed(1).padStart(8)} s ${rate} ${Number.isNaN(rss) ? '       n/a' : `${Math.round(rss).toLocaleString('en-US').padStart(7)} MB`}`);
  return r.stdout;
}

console.log(`scale: ${rows.toLocaleString('en-US')} ${a.kind} rows${a.unordered ? ', shuffled' : ''}${a.faults ? ', with faults' : ''} in ${dir}`);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
console.log(`step         wall        rate   peak RSS`);
try {
  step('gen', process.execPath, [SAT, 'gen', '--kind', a.kind, '--rows', String(rows), '--out', file, '--seed', '1'], rows);
  if (a.unordered) {
    // Rows shuffled by a seeded key (the header stays first): replay has to sort them back.
    step('shuffle', 'sh', ['-c', `(head -n 1 "$0"; tail -n +2 "$0" | shuf --random-source=<(yes)) > "$0.shuf" && mv "$0.shuf" "$0"`.replace('<(yes)', '"$0"'), file]);
  }
  console.log(`         (${(statSync(file).size / 2 ** 20).toFixed(0)} MB file)`);
  const faults = a.faults ? ['--malformed', '0.01', '--late', '0.02', '--out-of-order', '0.02', '--duplicates', '0.03'] : [];
  const replay = JSON.parse(step('replay', process.execPath, [SAT, 'replay', file, '--scenario', a.kind, '--rate', '0', ...faults, '--dir', w, '--json', '--no-progress'], rows).trim().split('\n').pop());
  step('run', process.execPath, [SAT, 'run', '--dir', w, '--json'], replay.sent);
  step('verify', process.execPath, [SAT, 'verify', '--dir', w, '--json'], replay.sent);
} finally {
  if (!a.keep && !a.dir) rmSync(dir, { recursive: true, force: true });
}
