// sat replay as a load generator: a fixed time at 5,000/s, 50,000/s and as fast as possible, to
// the embedded log and (when a broker answers) to Kafka. Prints achieved rate, the worst one-second
// error and send-to-ack latency measured from the intended send time (corrected for coordinated
// omission). BENCH_RATE_SECONDS (default 10) per run, the first 2 s are warm-up.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchDir } from './temp.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const SAT = join(ROOT, 'bin', 'sat');
const SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const sat = (...args) => JSON.parse(execFileSync(process.execPath, [SAT, ...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop());
const f = (x, d = 1) => (x === null || x === undefined ? '-' : Number(x).toFixed(d));

const dir = scratchDir('sat-bench-rate-');
// Enough events for the fastest run: sat gen's satisfaction events (Parquet, about 330 B as JSON).
const events = Math.max(200_000, 60_000 * SECONDS + 100_000);
sat('gen', '--dir', dir, '--customers', '20000', '--features', '5', '--events', String(events), '--days', '1', '--span', '6h');
const { reachable } = await import(join(ROOT, 'dist', 'transport', 'kafka', 'reachable.js'));
const broker = process.env.SAT_BROKERS ?? '127.0.0.1:9092';
const transports = [['embedded log', []]];
if (await reachable(broker.split(',')[0])) transports.push([`Kafka ${broker}`, ['--brokers', broker, '--topic', `sat-bench-rate-${process.pid}`, '--partitions', '4']]);
else console.log(`(no Kafka broker at ${broker}: embedded log only)`);
console.log(`sat replay for ${SECONDS} s per run (${events.toLocaleString('en-US')} events available), 2 s warm-up when paced`);
console.log('transport               target/s   achieved/s  worst 1 s err  behind (ms)    p50     p90     p99   p99.9     max   (latency ms, from the intended send time)');
for (const [name, extra] of transports) {
  for (const rate of [5000, 50000, 0]) {
    // Flat out, the events may all be sent within a warm-up: that run's latency counts from the start.
    const s = sat('replay', '--scenario', 'satisfaction', '--dir', dir, '--rate', String(rate), '--duration', `${SECONDS}s`, '--warmup', rate ? '2s' : '0s', '--no-progress', ...extra);
    const l = s.latency.count > 0 ? s.latency : {};
    console.log(
      `${name.padEnd(22)} ${(rate ? rate.toLocaleString('en-US') : 'max').padStart(9)} ${Math.round(s.achievedRate).toLocaleString('en-US').padStart(12)} ${(s.worstSecondErrorPct === null ? '-' : `${f(s.worstSecondErrorPct, 2)}%`).padStart(14)} ${f(s.behindScheduleMs).padStart(12)}` +
        ` ${f(l.p50, 2).padStart(7)} ${f(l.p90, 2).padStart(7)} ${f(l.p99, 2).padStart(7)} ${f(l.p999, 2).padStart(7)} ${f(l.max, 1).padStart(7)}`,
    );
  }
}
