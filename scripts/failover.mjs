#!/usr/bin/env node
// Leader failover, the long version (issue 18; the short one is test/kafka/failover.test.ts):
// a paced replay into the three-broker cluster with an exactly-once `sat run` beside it, and the
// leader of an input or output partition SIGKILLed every rows/(kills+1) records, restarted once
// another broker leads its partitions. Then verify, and the figures.
//   scripts/kafka.sh cluster up && npm run build
//   node scripts/failover.mjs [--kills 6] [--rows 200000] [--rate 4000] [--json]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SAT = join(ROOT, 'bin', 'sat');
const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const kills = Number(opt('kills', '6'));
const rows = Number(opt('rows', '200000'));
const rate = Number(opt('rate', '4000'));
const json = process.argv.includes('--json');
const CLUSTER = process.env.SAT_TEST_CLUSTER ?? '127.0.0.1:29092,127.0.0.1:29192,127.0.0.1:29292';
if (![kills, rows, rate].every((x) => Number.isInteger(x) && x > 0)) {
  console.error('failover: --kills, --rows and --rate take positive integers');
  process.exit(2);
}

const { partitionLeaders, partitionCount } = await import(join(ROOT, 'dist', 'transport', 'kafka', 'topics.js'));
const { kafkaConnection } = await import(join(ROOT, 'dist', 'transport', 'kafka', 'config.js'));
const { endOffsets } = await import(join(ROOT, 'dist', 'transport', 'kafka', 'written.js'));
const conn = kafkaConnection(CLUSTER);
const say = (line) => json || console.error(`failover: ${line}`);

const node = (what, n) => {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'cluster', what, String(n)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kafka.sh cluster ${what} ${n}: ${r.stderr}`);
};
const leaders = async (topic) => (await partitionLeaders(conn, topic)).map((p) => p.leader);
async function recordsIn(topic) {
  const n = await partitionCount(conn, topic);
  if (n === undefined) return 0;
  return (await endOffsets(conn, topic, Array.from({ length: n }, (_, p) => p))).reduce((a, b) => a + b, 0);
}
function start(args) {
  const child = spawn(process.execPath, [SAT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  return { child, done };
}
async function waitFor(cond, proc) {
  while (!(await cond())) {
    if (proc.child.exitCode !== null) return false;
    await sleep(100);
  }
  return true;
}

const dir = mkdtempSync(join(tmpdir(), 'sat-failover-'));
const file = join(dir, 'iot.csv');
if (spawnSync(process.execPath, [SAT, 'gen', '--kind', 'iot', '--rows', String(rows), '--out', file]).status !== 0) throw new Error('sat gen failed');
const topic = `failover-${Date.now().toString(36)}`;
const work = join(dir, 'work');
const began = performance.now();
const replay = start(['replay', file, '--scenario', 'iot', '--rate', String(rate), '--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--brokers', CLUSTER, '--topic', topic, '--partitions', '3', '--dir', work, '--no-progress']);
await waitFor(async () => (await recordsIn(topic)) > 0, replay);
const run = start(['run', '--dir', work, '--brokers', CLUSTER, '--topic', topic, '--exactly-once', '--json']);
const events = [];
for (let k = 0; k < kills; k++) {
  // Evenly through the stream: the input's records mark the time, whatever the machine's speed.
  const at = Math.round(((k + 1) * rows) / (kills + 1));
  if (!(await waitFor(async () => (await recordsIn(topic)) >= at, replay))) break;
  const target = k % 2 === 0 ? topic : `${topic}-results`;
  const victim = (await leaders(target))[k % 3];
  if (!(victim > 0)) continue;
  const t0 = performance.now();
  node('kill', victim);
  await waitFor(async () => (await leaders(target)).every((l) => l > 0 && l !== victim), { child: { exitCode: null } });
  const failover = performance.now() - t0;
  node('start', victim);
  const back = performance.now() - t0;
  events.push({ kill: k + 1, topic: target === topic ? 'input' : 'results', node: victim, atRecords: at, newLeaderMs: Math.round(failover), restartedMs: Math.round(back) });
  say(`kill ${k + 1}: node ${victim} (leader of ${target === topic ? 'the input' : 'the results'}) at ${at} records; new leader in ${Math.round(failover)} ms, back in ${Math.round(back)} ms`);
}
const r = await replay.done;
// A replay that failed sent no end markers: the run would wait for them for ever.
if (r.code !== 0) run.child.kill('SIGTERM');
const m = await run.done;
const v = spawnSync(process.execPath, [SAT, 'verify', '--dir', work, '--json'], { encoding: 'utf8' });
const report = JSON.parse(v.stdout.trim().split('\n').pop() || '{}');
const c = report.counts ?? {};
const summary = {
  kills: events.length,
  events,
  replayExit: r.code,
  runExit: m.code,
  verifyExit: v.status,
  records_sent: c.records_sent,
  records_lost: c.records_lost,
  records_double_counted: c.records_double_counted,
  results_repeated: c.results_repeated,
  dead_letters: `${c.dead_lettered}/${c.dead_letters_expected}`,
  late: `${c.late_output}/${c.late_expected}`,
  seconds: Math.round((performance.now() - began) / 1000),
  dir: work,
};
if (json) console.log(JSON.stringify(summary));
else console.error(`failover: ${summary.kills} leader kills; replay exit ${r.code}, run exit ${m.code}, verify exit ${v.status}: ${c.records_sent} records sent, ${c.records_lost} lost, ${c.records_double_counted} double-counted, ${c.results_repeated} results repeated, dead letters ${summary.dead_letters}, late ${summary.late}; ${summary.seconds} s (kept in ${work})`);
for (const [name, x] of [['replay', r], ['run', m]]) if (x.code !== 0) console.error(`failover: ${name} exited ${x.code}; its last lines:\n${x.err.trim().split('\n').slice(-8).join('\n')}`);
process.exit(r.code === 0 && m.code === 0 && v.status === 0 ? 0 : 1);
