#!/usr/bin/env node
// Correct runs must pass: N whole loops (gen or bundled data -> replay with a random fault mix ->
// sat run -> sat verify) per scenario, each with fresh seeds, and zero false alarms. A failure keeps
// its working directory and prints the commands that reproduce it.
//
//   node scripts/correct-runs.mjs [--runs 100] [--scenarios reviews,iot,messages,satisfaction] [--seed S] [--json]
//
// Exit 0: every run passed; 1: a false alarm (a correct pipeline failed verify); 2: bad usage.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SAT = join(ROOT, 'bin', 'sat');
const ALL = ['reviews', 'iot', 'messages', 'satisfaction'];

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const runs = Number(opt('runs', '100'));
const scenarios = opt('scenarios', ALL.join(',')).split(',');
const json = args.includes('--json');
if (!Number.isInteger(runs) || runs < 1 || scenarios.some((s) => !ALL.includes(s))) {
  console.error(`correct-runs: --runs takes a positive integer and --scenarios a list of ${ALL.join(', ')}`);
  process.exit(2);
}
// The meta seed draws every run's seeds and mix; it is printed so a whole session can be replayed.
let state = Number(opt('seed', String(Date.now() % 2 ** 31))) >>> 0;
const metaSeed = state;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const share = (max) => (Math.round(rand() * max * 1000) / 1000).toString();

function sat(...a) {
  const r = spawnSync(process.execPath, [SAT, ...a], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, cmd: `sat ${a.join(' ')}` };
}

/** sat serve online with random faults, for the scored scenario; resolves with its URL. */
function serve(seed) {
  const child = spawn(process.execPath, [SAT, 'serve', 'online', '--port', '0', '--json', '--error-rate', share(0.1), '--truncate-rate', share(0.02), '--seed', String(seed)], { cwd: ROOT });
  let out = '';
  return new Promise((res, rej) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) res({ url: JSON.parse(out.split('\n')[0]).listening, child });
    });
    child.once('exit', (c) => rej(new Error(`sat serve online exited with ${c}`)));
  });
}

/** One correct loop; returns the steps it ran and whether verify passed. */
async function once(scenario) {
  const dir = mkdtempSync(join(tmpdir(), `sat-correct-${scenario}-`));
  const seed = int(1, 2 ** 30);
  const mix = ['--malformed', share(0.05), '--late', share(0.1), '--duplicates', share(0.1), '--out-of-order', share(0.1), '--boundary', share(0.05), '--seed', String(seed), '--partitions', String(int(1, 6))];
  const steps = [];
  const step = (r) => {
    steps.push(r.cmd);
    if (r.code !== 0) throw Object.assign(new Error(`${r.cmd} exited ${r.code}: ${r.stderr.trim().split('\n').pop()}`), { code: r.code });
    return r;
  };
  let server;
  try {
    let file = [];
    if (scenario === 'reviews' || scenario === 'iot') {
      const out = join(dir, scenario === 'reviews' ? 'data.tsv' : 'data.csv');
      step(sat('gen', '--kind', scenario, '--rows', String(int(500, 4000)), '--seed', String(seed), '--out', out));
      file = [out];
    } else if (scenario === 'messages') {
      step(sat('gen', '--scenario', 'messages', '--dir', dir, '--events', String(int(2000, 8000)), '--days', String(int(1, 3)), '--customers', String(int(50, 500)), '--seed', String(seed)));
    } else {
      step(sat('gen', '--dir', dir, '--customers', String(int(100, 600)), '--events', String(int(2000, 6000)), '--span', `${int(1, 30)}h`, '--seed', String(seed)));
    }
    step(sat('replay', ...file, '--scenario', scenario, ...mix, '--dir', dir));
    const online = [];
    if (scenario === 'satisfaction') {
      server = await serve(seed);
      online.push('--online', server.url);
    }
    step(sat('run', '--dir', dir, ...online));
    // The batch layer too: every built-in scenario has rollups, and verify reconciles them.
    step(sat('batch', '--dir', dir));
    const v = sat('verify', '--dir', dir, '--json');
    steps.push(v.cmd);
    if (v.code === 0) {
      rmSync(dir, { recursive: true, force: true });
      return { scenario, pass: true };
    }
    let failed = [];
    try {
      failed = JSON.parse(v.stdout.trim().split('\n').pop()).failed;
    } catch {
      failed = [v.stderr.trim().split('\n').pop()];
    }
    return { scenario, pass: false, dir, failed, steps };
  } catch (e) {
    return { scenario, pass: false, dir, failed: [`step failed: ${e.message}`], steps };
  } finally {
    server?.child.kill('SIGTERM');
  }
}

const started = Date.now();
const tally = Object.fromEntries(scenarios.map((s) => [s, { runs: 0, passed: 0 }]));
const falseAlarms = [];
for (let i = 0; i < runs; i++) {
  for (const s of scenarios) {
    const r = await once(s);
    tally[s].runs++;
    if (r.pass) tally[s].passed++;
    else {
      falseAlarms.push(r);
      if (!json) console.error(`FALSE ALARM ${s}: ${r.failed.join('; ')}\n  kept in ${r.dir}\n  ${r.steps.join('\n  ')}`);
    }
  }
  if (!json && (i + 1) % 10 === 0) console.error(`${i + 1}/${runs} rounds, ${falseAlarms.length} false alarms, ${Math.round((Date.now() - started) / 1000)} s`);
}
const summary = { metaSeed, runsPerScenario: runs, tally, falseAlarms: falseAlarms.length, failures: falseAlarms, seconds: Math.round((Date.now() - started) / 1000) };
if (json) console.log(JSON.stringify(summary));
else console.error(`correct runs (meta seed ${metaSeed}): ${Object.entries(tally).map(([s, t]) => `${s} ${t.passed}/${t.runs}`).join(', ')}; ${falseAlarms.length} false alarms in ${summary.seconds} s`);
process.exit(falseAlarms.length === 0 ? 0 : 1);
