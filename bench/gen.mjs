// sat gen throughput and peak memory: customer snapshot rows/s and events/s at 1M customers (and
// 10M with BENCH_GEN_10M=1; 100M takes ~10 min and 14 GB, run by hand), plus a wide snapshot
// (100k customers x 5,000 features; 1M x 5,000 with BENCH_GEN_WIDE_1M=1). Peak RSS comes from the child's own resource usage.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchDir } from './temp.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const SAT = join(ROOT, 'bin', 'sat');
const runs = [
  { customers: 1_000_000, features: 20, events: 1_000_000 },
  ...(process.env.BENCH_GEN_10M ? [{ customers: 10_000_000, features: 20, events: 1_000 }] : []),
  { customers: 100_000, features: 5_000, events: 1_000 },
  // The issue-15 goal: 5 billion cells (~32 GB of Parquet, ~6 min here).
  ...(process.env.BENCH_GEN_WIDE_1M ? [{ customers: 1_000_000, features: 5_000, events: 1_000 }] : []),
];
console.log('sat gen (parquet, 1 day)');
for (const r of runs) {
  const dir = scratchDir('sat-bench-gen-');
  const out = execFileSync(process.execPath, [SAT, 'gen', '--dir', dir, '--customers', String(r.customers), '--features', String(r.features), '--events', String(r.events), '--days', '1', '--json'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const s = JSON.parse(out.trim().split('\n').pop());
  rmSync(dir, { recursive: true, force: true }); // at once: the wide runs write up to 32 GB
  console.log(
    `  ${r.customers.toLocaleString('en-US').padStart(11)} customers x ${String(r.features).padStart(5)} features: ${s.snapshotRowsPerSecond.toLocaleString('en-US').padStart(9)} rows/s` +
      ` (${Math.round((s.snapshotRowsPerSecond * (r.features + 7)) / 1e6)}M cells/s)` +
      (r.events >= 100_000 ? `, events ${s.eventsPerSecond.toLocaleString('en-US')}/s` : '') +
      `, peak RSS ${s.peakRssMb} MB, ${(s.elapsedMs / 1000).toFixed(1)} s`,
  );
}
