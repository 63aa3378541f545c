// Kafka client shoot-out against one real broker, in one run: kafkajs vs @platformatic/kafka.
// Produce N records of 100 B and 1 KB (acks=all, idempotent, batches of 500; kafkajs 8 batches in flight,
// platformatic 1: it fails with concurrent idempotent sends),
// then consume them back. Prints records/s for each; medians of RUNS. Needs a broker (scripts/kafka.sh up).
import { Kafka, logLevel } from 'kafkajs';
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import { clientConsume } from './client-consume.mjs';

const BROKER = process.env.SAT_BROKERS ?? '127.0.0.1:9092';
const N = Number(process.env.BENCH_KAFKA_RECORDS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BATCH = 500, IN_FLIGHT = 8, PARTITIONS = 4;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function createTopic(topic) {
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [BROKER] });
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
  await admin.close();
}

async function pooled(total, sendOne, inFlight = IN_FLIGHT) {
  let next = 0;
  const worker = async () => { while (next < total) { const start = next; next += BATCH; await sendOne(start, Math.min(BATCH, total - start)); } };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

async function kafkajsProduce(topic, value) {
  const kafka = new Kafka({ clientId: 'bench', brokers: [BROKER], logLevel: logLevel.NOTHING });
  const p = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await p.connect();
  const t0 = performance.now();
  await pooled(N, (start, n) => p.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ key: `k${(start + i) % 1000}`, value })) }));
  const ms = performance.now() - t0;
  await p.disconnect();
  return N / (ms / 1000);
}

async function platformaticProduce(topic, value) {
  const p = new Producer({ clientId: 'bench', bootstrapBrokers: [BROKER], idempotent: true, acks: ProduceAcks.ALL });
  const t0 = performance.now();
  // One send in flight: with idempotence, concurrent sends fail with OUT_OF_ORDER_SEQUENCE_NUMBER (1.35).
  await pooled(N, (start, n) => p.send({ messages: Array.from({ length: n }, (_, i) => ({ topic, key: Buffer.from(`k${(start + i) % 1000}`), value })) }), 1);
  const ms = performance.now() - t0;
  await p.close();
  return N / (ms / 1000);
}

async function kafkajsConsume(topic) {
  const kafka = new Kafka({ clientId: 'bench', brokers: [BROKER], logLevel: logLevel.NOTHING });
  const c = kafka.consumer({ groupId: `bench-${Math.random()}`, readUncommitted: false });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let count = 0, t0 = 0;
  await new Promise((resolve) => {
    c.run({ eachBatch: async ({ batch }) => { if (!t0) t0 = performance.now(); count += batch.messages.length; if (count >= N) resolve(); } });
  });
  const ms = performance.now() - t0;
  await c.disconnect();
  return N / (ms / 1000);
}

const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(9);
console.log(`Kafka clients, broker ${BROKER}, ${N} records x ${RUNS} runs, ${PARTITIONS} partitions, acks=all, idempotent, batches of ${BATCH}, ${IN_FLIGHT} in flight`);
for (const size of [100, 1024]) {
  const value = Buffer.alloc(size, 'x');
  const r = { kp: [], pp: [], kc: [], pc: [] };
  for (let i = 0; i < RUNS; i++) {
    const tk = `bench-kafkajs-${size}-${Date.now()}-${i}`, tp = `bench-platformatic-${size}-${Date.now()}-${i}`;
    await createTopic(tk); await createTopic(tp);
    r.kp.push(await kafkajsProduce(tk, value));
    r.pp.push(await platformaticProduce(tp, value));
    r.kc.push(await kafkajsConsume(tk));
    r.pc.push(await clientConsume(BROKER, tp, N));
  }
  console.log(`${size} B records: produce kafkajs ${fmt(median(r.kp))}/s  platformatic ${fmt(median(r.pp))}/s  (ratio ${(median(r.pp) / median(r.kp)).toFixed(2)}x)`);
  console.log(`${size} B records: consume kafkajs ${fmt(median(r.kc))}/s  platformatic ${fmt(median(r.pc))}/s  (ratio ${(median(r.pc) / median(r.kc)).toFixed(2)}x)`);
}
process.exit(0);
