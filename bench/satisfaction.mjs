// The satisfaction engine at scale: sat gen (C customers x 100 features, 3.2 C events over one
// hour, so ~80% of the customers are active in the last window), the snapshot's memory (the
// formula's columns, and all 100), then replay -> sat run (snapshot join + the online API from
// `sat serve online` in another process) -> verify, with the engine's events/s, peak RSS, and its
// rate as a ratio of the floor: decoding and JSON-parsing the same record bytes in memory.
// BENCH_SAT_CUSTOMERS (default 250000; 1250000 gives 1M active customers, ~8 min), BENCH_RUNS (3).
import { execFileSync, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuLine } from './cpu.mjs';
import { DuckDBInstance } from '@duckdb/node-api';
import { scratchDir } from './temp.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const SAT = join(ROOT, 'bin', 'sat');
const CUSTOMERS = Number(process.env.BENCH_SAT_CUSTOMERS ?? 250_000);
const EVENTS = Math.round(CUSTOMERS * 3.2);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
// sat gen and replay get room beyond Node's default heap limit at the largest sizes; sat run and verify
// run as a user runs them (a larger limit lets V8 collect later, and the engine's peak RSS is a goal).
const roomy = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=16000` };
const sat = (...args) => JSON.parse(execFileSync(process.execPath, [SAT, ...args, '--json'], { encoding: 'utf8', env: args[0] === 'gen' || args[0] === 'replay' ? roomy : process.env, maxBuffer: 1 << 26 }).trim().split('\n').pop());

const dir = scratchDir('sat-bench-sat-');
const server = spawn(process.execPath, [SAT, 'serve', 'online', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const url = await new Promise((ok, fail) => {
    server.stdout.once('data', (d) => ok(JSON.parse(String(d).split('\n')[0]).listening));
    server.once('exit', () => fail(new Error('sat serve online exited')));
  });
  const g = sat('gen', '--dir', dir, '--customers', String(CUSTOMERS), '--features', '100', '--events', String(EVENTS), '--span', '1h', '--days', '1');
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const active = Number((await db.runAndReadAll(`SELECT count(DISTINCT customer_id) FROM '${g.eventsFile}'`)).getRows()[0][0]);
  console.log(`satisfaction: ${fmt(CUSTOMERS)} customers x 100 features, ${fmt(EVENTS)} events over 1 h, ${fmt(active)} distinct active customers (gen ${(g.elapsedMs / 1000).toFixed(0)} s)`);

  const snapshot = g.snapshots[0];
  const all = Array.from({ length: 100 }, (_, j) => `f${String(j + 1).padStart(4, '0')}`);
  for (const [label, cols] of [['the formula\'s 2 columns', ['tenure_months', 'f0005']], ['all 100 features', all]]) {
    const m = JSON.parse(execFileSync(process.execPath, ['--expose-gc', join(ROOT, 'bench', 'snapshot-memory.mjs'), snapshot, cols.join(',')], { encoding: 'utf8' }));
    console.log(`  snapshot, ${label.padEnd(24)} ${String(m.heldMb).padStart(6)} MB held (${m.heapMb} MB of it on the JS heap), load ${(m.loadMs / 1000).toFixed(1)} s, peak RSS ${m.peakRssMb} MB`);
  }

  const { loadValues, decodeParseRate } = await import(join(ROOT, 'bench', 'floor.mjs'));
  const eng = [], floor = [], rss = [], cps = [], runs = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    sat('replay', '--scenario', 'satisfaction', '--dir', dir, '--malformed', '0.01', '--duplicates', '0.01', '--out-of-order', '0.02', '--seed', String(i + 1));
    last = sat('run', '--dir', dir, '--online', url);
    eng.push(last.recordsPerSecond);
    runs.push(last);
    rss.push(last.peakRssMb);
    cps.push(last.checkpointMs / last.elapsedMs);
    floor.push(decodeParseRate(loadValues(join(dir, 'log'))));
  }
  const t0 = performance.now();
  const v = sat('verify', '--dir', dir);
  if (!v.pass) throw new Error(`verify failed during bench: ${v.failed}`);
  const records = last.records;
  console.log(`  engine  ${fmt(median(eng)).padStart(9)} events/s   (median of ${RUNS} runs of ${fmt(records)}: validate, window, join, API, score, write; checkpoints ${(median(cps) * 100).toFixed(1)}% of the time), peak RSS ${median(rss)} MB`);
  console.log(`          ${fmt(last.results)} scores, ${fmt(last.scoring.actions)} actions, ${fmt(last.scoring.online.requests)} API requests`);
  const cpu = cpuLine(runs);
  if (cpu) console.log(`  ${cpu}`);
  console.log(`  floor   ${fmt(median(floor)).padStart(9)} events/s   (TextDecoder + JSON.parse of the same record bytes in memory)`);
  console.log(`  engine / floor = ${(median(eng) / median(floor)).toFixed(2)}x`);
  console.log(`  verify ${((performance.now() - t0) / 1000).toFixed(1)} s (oracle incl. scores and actions)`);
} finally {
  server.kill('SIGTERM');
}
