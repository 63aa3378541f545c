import { describe, expect, it } from 'vitest';
import { sat, tempDir } from '../helpers.js';

describe('the satisfaction stream: sat gen -> replay (no FILE) -> run -> verify', () => {
  it('verifies per-customer 1-hour windows sliding every minute, with every fault kind', () => {
    const dir = tempDir('sat-sat-');
    expect(sat('gen', '--dir', dir, '--customers', '200', '--events', '3000', '--span', '2h', '--seed', '4').code).toBe(0);
    const r = sat('replay', '--scenario', 'satisfaction', '--dir', dir, '--malformed', '0.02', '--late', '0.05', '--duplicates', '0.03', '--out-of-order', '0.05', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.file).toMatch(/events\.parquet$/);
    expect(sat('run', '--dir', dir).code).toBe(0);
    const v = sat('verify', '--dir', dir, '--json');
    expect(v.code, JSON.stringify(v.json?.failed)).toBe(0);
    expect(v.json.counts.records_lost).toBe(0);
    expect(v.json.counts.expected_results).toBeGreaterThan(3000); // sliding: each event is in 60 windows
    for (const k of ['malformed_sent', 'late_expected', 'duplicates_expected_suppressed', 'out_of_order_sent']) expect(v.json.counts[k], k).toBeGreaterThan(0);
  });

  it('without generated data, replay says what to do (exit 2)', () => {
    const r = sat('replay', '--scenario', 'satisfaction', '--dir', tempDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/run sat gen --dir/);
  });
});
