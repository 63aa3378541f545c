// The pass-through input the Kafka and replay-send benches share: ~100-byte JSON records, 1,000 keys,
// one every 10 ms of event time (bench/passthrough.yaml is its scenario).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes n records to passthrough.jsonl in dir; answers the file and the records' mean size in bytes. */
export function writePassthrough(dir, n) {
  const file = join(dir, 'passthrough.jsonl');
  const t0 = Date.UTC(2024, 0, 1);
  const rows = [];
  for (let i = 0; i < n; i++) rows.push(JSON.stringify({ id: `r${i}`, key: `k${i % 1000}`, ts: new Date(t0 + i * 10).toISOString(), pad: 'x'.repeat(20) }));
  writeFileSync(file, `${rows.join('\n')}\n`);
  return { file, size: Math.round(rows.reduce((a, r) => a + r.length, 0) / n) };
}
