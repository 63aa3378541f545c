// Replay's main thread alone: the send pass (read the spill in order, plan the faults, pack each batch
// for the Kafka sink's thread, write the ledger) into a sink that acknowledges at once, on a
// million ~90 B records (bench/kafka.mjs's file). What bounds replay into Kafka once the producer thread
// keeps up. BENCH_RUNS (5), BENCH_KAFKA_RECORDS (1,000,000).
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePassthrough } from './passthrough.mjs';
import { scratchDir } from './temp.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const { replay } = await import(join(ROOT, 'dist', 'replay', 'replay.js'));
const { loadScenario } = await import(join(ROOT, 'dist', 'scenario', 'load.js'));
const N = Number(process.env.BENCH_KAFKA_RECORDS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = scratchDir('sat-bench-send-');
const { file } = writePassthrough(dir, N);
const rates = [];
for (let run = 0; run < RUNS; run++) {
  let offset = 0;
  // Takes each packed batch (replay packs it, as for the Kafka sink's thread) and acknowledges it.
  const sink = {
    partitions: 4,
    describe: 'a sink that acknowledges at once',
    unpacedInFlight: 8,
    async send(packed, n) {
      const offsets = new Float64Array(n);
      for (let i = 0; i < n; i++) offsets[i] = offset++;
      return offsets;
    },
    async finish() {},
    async close() {},
  };
  const s = await replay({ file, scenario: loadScenario(join(ROOT, 'bench', 'passthrough.yaml')), dir: join(dir, 'w'), rate: 0, seed: 1, mix: { malformed: 0, late: 0, outOfOrder: 0, duplicates: 0, boundary: 0 }, partitions: 4, sink: async () => sink, transport: { kind: 'kafka', brokers: [], topic: 'none' } });
  rates.push(s.recordsPerSecond);
}
console.log(`replay's send pass alone (${N.toLocaleString('en-US')} records of ~90 B, a sink that acknowledges at once): ${Math.round(median(rates)).toLocaleString('en-US')} records/s (median of ${RUNS}; runs ${rates.map((r) => Math.round(r / 1000)).join(', ')}k)`);
