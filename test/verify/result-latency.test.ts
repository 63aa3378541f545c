import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { resultLatency } from '../../src/verify/result-latency.js';
import { tempDir } from '../helpers.js';

describe('result latency: the last on-time record of a window sent -> its result readable', () => {
  it('takes the last on-time send of each window (late, duplicate and malformed sends left out) and the emit_time', async () => {
    const d = tempDir();
    const s = loadScenario('iot'); // 1-minute windows
    const ledger = join(d, 'ledger.csv');
    const row = (seq: number, key: string, et: number, fault: string, sent: number) => `${seq},${seq},0,${seq},"${key}",${et},"${key}|${et}",${fault},"",${sent},${sent}`;
    writeFileSync(ledger, ['seq,row,partition,offset,key,event_time,id,fault,detail,scheduled_time,send_time',
      row(0, 'a', 1_000, 'none', 1_000), row(1, 'a', 2_000, 'out-of-order', 3_000), row(2, 'a', 3_000, 'late', 9_000), row(3, 'a', 3_000, 'duplicate', 8_000),
      row(4, 'a', 61_000, 'none', 4_000), row(5, 'b', 61_000, 'malformed', 7_000), row(6, 'b', 62_000, 'none', 4_500)].join('\n') + '\n');
    const results = join(d, 'results.jsonl');
    const iso = (ms: number) => new Date(ms).toISOString();
    writeFileSync(results, [
      { window_start: iso(0), key: 'a', emit_time: iso(5_000) },      // last on-time send 3,000: 2,000 ms
      { window_start: iso(60_000), key: 'a', emit_time: iso(4_500) }, // 4,000: 500 ms
      { window_start: iso(60_000), key: 'b', emit_time: iso(5_500) }, // 4,500 (the malformed one left out): 1,000 ms
    ].map((x) => JSON.stringify(x)).join('\n') + '\n');
    const l = await resultLatency(s, results, [ledger]);
    expect(l).toMatchObject({ results: 3, p50: 1_000, max: 2_000, visibleBy: 'emit_time' });
  });
});
