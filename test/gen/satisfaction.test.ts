import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { onlineFeatures } from '../../src/gen/satisfaction/online.js';
import { sat, tempDir } from '../helpers.js';

const md5 = (f: string) => createHash('md5').update(readFileSync(f)).digest('hex');
const read = async (f: string) => parquetReadObjects({ file: await asyncBufferFromFile(f) });

describe('sat gen: the satisfaction scenario', () => {
  let dir: string;
  let summary: any;
  beforeAll(() => {
    dir = tempDir('sat-gen-');
    const r = sat('gen', '--dir', dir, '--customers', '3000', '--features', '12', '--events', '20000', '--days', '3', '--seed', '5', '--json');
    expect(r.code, r.stderr).toBe(0);
    summary = r.json;
  });

  it('is deterministic from the seed, byte for byte', () => {
    const again = tempDir('sat-gen-');
    expect(sat('gen', '--dir', again, '--customers', '3000', '--features', '12', '--events', '20000', '--days', '3', '--seed', '5').code).toBe(0);
    for (const f of ['customers-2024-06-03.parquet', 'events.parquet']) expect(md5(join(again, f))).toBe(md5(join(dir, f)));
    const other = tempDir('sat-gen-');
    expect(sat('gen', '--dir', other, '--customers', '3000', '--features', '12', '--events', '20000', '--days', '3', '--seed', '6').code).toBe(0);
    expect(md5(join(other, 'events.parquet'))).not.toBe(md5(join(dir, 'events.parquet')));
  });

  it('writes one snapshot per day, a row per customer, attributes plus the feature columns', async () => {
    expect(summary.snapshots.map((f: string) => f.split('/').pop())).toEqual(['customers-2024-06-01.parquet', 'customers-2024-06-02.parquet', 'customers-2024-06-03.parquet']);
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(join(dir, 'customers-2024-06-03.parquet')));
    expect(Number(meta.num_rows)).toBe(3000);
    expect(meta.schema.length - 1).toBe(7 + 12);
    const rows = await read(join(dir, 'customers-2024-06-03.parquet'));
    expect(new Set(rows.map((r) => r.customer_id)).size).toBe(3000);
    expect(typeof rows[0].f0005).toBe('boolean');
    expect(typeof rows[0].f0001).toBe('number');
    expect(rows.every((r) => typeof r.name === 'string' && r.name.length > 3)).toBe(true);
  });

  it('changes a share (about 5%) of customers from one day to the next', async () => {
    const [a, b] = await Promise.all([read(join(dir, 'customers-2024-06-02.parquet')), read(join(dir, 'customers-2024-06-03.parquet'))]);
    const changed = a.filter((r, i) => r.f0001 !== b[i].f0001).length / a.length;
    expect(changed).toBeGreaterThan(0.02);
    expect(changed).toBeLessThan(0.09);
  });

  it('writes events in event-time order, with skewed customer activity and a daily cycle', async () => {
    const ev = await read(join(dir, 'events.parquet'));
    expect(ev).toHaveLength(20000);
    const times = ev.map((e) => (e.event_time as Date).getTime());
    expect(times.every((t, i) => i === 0 || t >= times[i - 1])).toBe(true);
    const counts = new Map<string, number>();
    for (const e of ev) counts.set(e.customer_id as string, (counts.get(e.customer_id as string) ?? 0) + 1);
    const sorted = [...counts.values()].sort((x, y) => y - x);
    const top1pct = sorted.slice(0, 30).reduce((x, y) => x + y, 0);
    expect(top1pct / ev.length).toBeGreaterThan(0.2); // the 1% most active customers make >20% of events
    expect(ev.filter((e) => e.event_type === 'survey').every((e) => Number(e.rating) >= 1 && Number(e.rating) <= 5)).toBe(true);
    expect(ev.filter((e) => e.event_type !== 'survey').every((e) => e.rating === null || e.rating === undefined)).toBe(true);
  });

  it('writes CSV and JSONL too', () => {
    for (const format of ['csv', 'jsonl']) {
      const d = tempDir('sat-gen-');
      expect(sat('gen', '--dir', d, '--customers', '100', '--features', '6', '--events', '500', '--days', '1', '--format', format).code).toBe(0);
      const lines = readFileSync(join(d, `events.${format}`), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(format === 'csv' ? 501 : 500);
      const snap = readFileSync(join(d, `customers-2024-06-01.${format}`), 'utf8').trim().split('\n');
      expect(snap).toHaveLength(format === 'csv' ? 101 : 100);
    }
  });

  it('handles a wide snapshot (5,000 feature columns)', async () => {
    const d = tempDir('sat-gen-');
    expect(sat('gen', '--dir', d, '--customers', '300', '--features', '5000', '--events', '10', '--days', '1').code).toBe(0);
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(join(d, 'customers-2024-06-01.parquet')));
    expect(meta.schema.length - 1).toBe(5007);
    expect(Number(meta.num_rows)).toBe(300);
  });

  it('online features are a pure function of (customer, minute)', () => {
    expect(onlineFeatures('C000000042', 100)).toEqual(onlineFeatures('C000000042', 100));
    const minutes = Array.from({ length: 50 }, (_, m) => onlineFeatures('C000000042', m).network_latency_ms);
    expect(new Set(minutes).size).toBeGreaterThan(10);
  });
});
