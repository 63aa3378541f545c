// Kafka benchmark, same broker: Kafka's own ProducerPerformance vs `sat replay --rate 0`, and
// ConsumerPerformance vs `sat run` (pass-through scenario), at the same record size and acks, each
// pair alternating BENCH_RUNS times (default 3) and compared by medians.
// Needs a broker (scripts/kafka.sh up) and the jars scripts/kafka.sh fetched.
import { execFileSync } from 'node:child_process';
import { clientConsume } from './client-consume.mjs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuLine } from './cpu.mjs';
import { writePassthrough } from './passthrough.mjs';
import { scratchDir } from './temp.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const SAT = join(ROOT, 'bin', 'sat');
const BROKER = process.env.SAT_BROKERS ?? '127.0.0.1:9092';
// A million records: at 200k, ProducerPerformance is still warming up (its JIT) and runs at ~40% of its
// steady rate, which flattered every ratio measured against it before.
const N = Number(process.env.BENCH_KAFKA_RECORDS ?? 1_000_000);
const PARTITIONS = 4;
const cp = execFileSync('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'classpath'], { encoding: 'utf8' }).trim();
const dir = scratchDir('sat-kbench-');
// java.io.tmpdir in the scratch: the tools' lz4-java unpacks its native library there at every start.
const java = (cls, args) => execFileSync('java', ['-Xmx512m', `-Djava.io.tmpdir=${dir}`, '-cp', cp, cls, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sat = (...args) => JSON.parse(execFileSync(process.execPath, [SAT, ...args, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop());
const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(9);

const { file, size } = writePassthrough(dir, N);
const stamp = Date.now().toString(36);
const props = ['bootstrap.servers=' + BROKER, 'acks=all', 'enable.idempotence=true', 'compression.type=lz4', 'linger.ms=5', 'batch.size=262144'];

console.log(`Kafka benchmark: broker ${BROKER}, ${N} records of ~${size} B, ${PARTITIONS} partitions, acks=all, idempotent, lz4`);

// Produce
// Alternating, RUNS times (a new topic each): the machine is shared, so medians and their ratio.
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const producePP = [];
const produceSat = [];
for (let run = 1; run <= RUNS; run++) {
  const suffix = RUNS > 1 && run < RUNS ? `-${run}` : '';
  execFileSync('bash', ['-c', `java -cp '${cp}' org.apache.kafka.tools.TopicCommand --bootstrap-server ${BROKER} --create --topic perf-p-${stamp}${suffix} --partitions ${PARTITIONS} --replication-factor 1 >/dev/null`]);
  const pp = java('org.apache.kafka.tools.ProducerPerformance', ['--topic', `perf-p-${stamp}${suffix}`, '--num-records', String(N), '--record-size', String(size), '--throughput', '-1', '--producer-props', ...props]);
  producePP.push(Number(/([\d.]+) records\/sec/.exec(pp.trim().split('\n').pop())[1]));
  // The last run's topic is the one the consumers read below.
  const replay = sat('replay', file, '--scenario', join(ROOT, 'bench', 'passthrough.yaml'), '--rate', '0', '--brokers', BROKER, '--topic', `perf-s-${stamp}${suffix}`, '--partitions', String(PARTITIONS), '--compression', 'lz4', '--dir', join(dir, `d${suffix}`));
  produceSat.push(replay.recordsPerSecond);
  console.log(`  run ${run}: ProducerPerformance ${fmt(producePP.at(-1))} records/s   sat replay ${fmt(produceSat.at(-1))} records/s   ${(produceSat.at(-1) / producePP.at(-1)).toFixed(2)}`);
}
const kafkaProduce = median(producePP);
console.log(`produce: ProducerPerformance ${fmt(kafkaProduce)} records/s   sat replay ${fmt(median(produceSat))} records/s   sat/Kafka = ${(median(produceSat) / kafkaProduce).toFixed(2)} (medians of ${RUNS})`);

// Consume the same topic sat produced: Kafka's consumer reads it, sat run processes it, alternating
// RUNS times (a new group each), so each ratio is of medians taken in the same minutes: one run of
// each moved by 1.5x with the machine's hour, more than most changes to sat do.
// A round first that is not counted: the broker's own fetch path warms up over its first reads of
// the topic (ConsumerPerformance went 556k, 810k, 1,337k records/s in three rounds on a fresh broker,
// and sat with it), and a ratio taken while the broker is the bound says nothing of either consumer.
const consumers = { cp: [], cpJoin: [], run: [], runEos: [] };
for (let round = 0; round <= RUNS; round++) {
  const cpf = java('org.apache.kafka.tools.ConsumerPerformance', ['--bootstrap-server', BROKER, '--topic', `perf-s-${stamp}`, '--messages', String(N), '--group', `perf-g-${stamp}-${round}`, '--timeout', '60000']);
  const [header, values] = cpf.trim().split('\n').slice(-2).map((l) => l.split(',').map((x) => x.trim()));
  const col = (name) => Number(values[header.indexOf(name)]);
  const cp = col('fetch.nMsg.sec');
  const r = sat('run', '--dir', join(dir, 'd'), '--brokers', BROKER, '--topic', `perf-s-${stamp}`, '--group', `perf-sat-${stamp}-${round}`);
  const e = sat('run', '--dir', join(dir, 'd'), '--brokers', BROKER, '--topic', `perf-s-${stamp}`, '--group', `perf-sat-eos-${stamp}-${round}`, '--exactly-once');
  console.log(`  ${round === 0 ? 'warm-up (not counted)' : `round ${round}`}: ConsumerPerformance ${fmt(cp)} records/s   sat run ${fmt(r.processingRecordsPerSecond)} (${(r.processingRecordsPerSecond / cp).toFixed(2)})   --exactly-once ${fmt(e.processingRecordsPerSecond)} (${(e.processingRecordsPerSecond / cp).toFixed(2)})`);
  if (round === 0) continue;
  consumers.cp.push(cp);
  consumers.cpJoin.push(col('nMsg.sec'));
  consumers.run.push(r);
  consumers.runEos.push(e);
}
const kafkaConsume = median(consumers.cp);
const kafkaJoin = median(consumers.cpJoin);
// The Node client sat's transport is built on, alone, on the same topic: its consumer stream counting
// records, nothing else. What a Node process does without sat's own fetch path and thread, as a scale
// for the ratio to ConsumerPerformance (the JVM's consumer with its own threads).
const nodeClient = await clientConsume(BROKER, `perf-s-${stamp}`, N);
const floor = await transportFloor(`perf-s-${stamp}`);
console.log(`consume (medians of ${RUNS} rounds): ConsumerPerformance ${fmt(kafkaConsume)} records/s (fetch; ${fmt(kafkaJoin)} with its group join)`);
console.log(`         Node client alone      ${fmt(nodeClient)} records/s (@platformatic/kafka's consumer counting the records: ${(nodeClient / kafkaConsume).toFixed(2)}x ConsumerPerformance)`);
console.log(`         sat's fetch + parse    ${fmt(floor)} records/s (sat's own fetch path on one thread, TextDecoder + JSON.parse of each value, no engine: ${(floor / kafkaConsume).toFixed(2)}x ConsumerPerformance)`);
for (const [label, runs] of [['sat run', consumers.run], ['sat run --exactly-once', consumers.runEos]]) {
  const consuming = median(runs.map((r) => r.processingRecordsPerSecond));
  const whole = median(runs.map((r) => r.recordsPerSecond));
  const last = runs.at(-1);
  console.log(`         ${label.padEnd(22)} ${fmt(consuming)} records/s consuming   sat/Kafka fetch = ${(consuming / kafkaConsume).toFixed(2)}, sat/Node client = ${(consuming / nodeClient).toFixed(2)}, sat/(fetch + parse) = ${(consuming / floor).toFixed(2)};   ${fmt(whole)} records/s with join, restore and end check   ÷ Kafka with join = ${(whole / kafkaJoin).toFixed(2)}   (${last.commits} ${last.exactlyOnce ? 'transactions' : 'commits'} a run)`);
  const cpu = cpuLine(runs);
  if (cpu) console.log(`         ${''.padEnd(22)} ${cpu}`);
}

/**
 * The Kafka counterpart of the embedded log's floor: the records fetched through sat's own path (the
 * member's stream, the batches decoded as taken, on one thread) and each value decoded and parsed,
 * nothing else; from the first record to the Nth, waiting as sat run waits when nothing has come.
 */
async function transportFloor(topic) {
  const { MemberStream } = await import(join(ROOT, 'dist', 'engine', 'kafka', 'member-stream.js'));
  const { valueOf } = await import(join(ROOT, 'dist', 'transport', 'kafka', 'batch-records.js'));
  const { kafkaConnection } = await import(join(ROOT, 'dist', 'transport', 'kafka', 'config.js'));
  const m = new MemberStream(kafkaConnection(BROKER), `perf-floor-${stamp}`, topic);
  await m.open();
  const text = new TextDecoder();
  let count = 0;
  let keys = 0;
  let t0 = 0;
  while (count < N) {
    if (m.error) throw m.error;
    if (!m.take()) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    if (t0 === 0) t0 = performance.now();
    if (m.record.endMark !== undefined || m.record.bytes === undefined) continue; // the replay's end marks
    keys += JSON.parse(text.decode(valueOf(m.record))).key.length;
    count++;
  }
  const ms = performance.now() - t0;
  await m.close(() => () => undefined);
  if (keys === 0) throw new Error('no keys parsed');
  return N / (ms / 1000);
}
