import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/core/murmur2.js';
import { latestSnapshotDay, loadSnapshot, SnapshotStore } from '../../src/engine/join/snapshot.js';
import { sat, tempDir } from '../helpers.js';

const md5 = (f: string) => createHash('md5').update(readFileSync(f)).digest('hex');
const GEN = ['--customers', '2000', '--features', '6', '--events', '8000', '--days', '2', '--seed', '9'];
const part = (dir: string, table: string, day: string, i: number, n = 3) => join(dir, table, `date=${day}`, `part-${i}-of-${n}.parquet`);

describe('sat gen --shard i/n: a partitioned dataset, split by Kafka\'s partitioner on customer_id', () => {
  let whole: string;
  let sharded: string;
  let db: DuckDBConnection;
  const rows = async (sql: string) => (await db.runAndReadAll(sql)).getRows();
  beforeAll(async () => {
    whole = tempDir('sat-shard-');
    sharded = tempDir('sat-shard-');
    expect(sat('gen', '--dir', whole, ...GEN).code).toBe(0);
    for (const i of [1, 2, 3]) {
      const g = sat('gen', '--dir', sharded, ...GEN, '--shard', `${i}/3`, '--json');
      expect(g.code, g.stderr).toBe(0);
      expect(g.json.shard).toBe(`${i}/3`);
    }
    db = await (await DuckDBInstance.create()).connect();
  });

  it('writes customers/date=D/part-i-of-n and events/date=D/part-i-of-n, the same bytes on every run', () => {
    const again = tempDir('sat-shard-');
    expect(sat('gen', '--dir', again, ...GEN, '--shard', '2/3').code).toBe(0);
    for (const [table, day] of [['customers', '2024-06-01'], ['customers', '2024-06-02'], ['events', '2024-06-02']]) {
      expect(md5(part(again, table, day, 2)), `${table} ${day}`).toBe(md5(part(sharded, table, day, 2)));
    }
    const other = tempDir('sat-shard-');
    expect(sat('gen', '--dir', other, ...GEN, '--shard', '2/3', '--seed', '10').code).toBe(0);
    expect(md5(part(other, 'events', '2024-06-02', 2))).not.toBe(md5(part(sharded, 'events', '2024-06-02', 2)));
  });

  it('the parts together are the unsharded data, row for row; each part holds only its partition\'s customers', async () => {
    for (const day of ['2024-06-01', '2024-06-02']) {
      const flat = join(whole, `customers-${day}.parquet`);
      const parts = join(sharded, 'customers', `date=${day}`, '*.parquet');
      const [[missing, extra, n]] = await rows(`SELECT
          (SELECT count(*) FROM (SELECT * FROM '${flat}' EXCEPT ALL SELECT * FROM read_parquet('${parts}', hive_partitioning=false))),
          (SELECT count(*) FROM (SELECT * FROM read_parquet('${parts}', hive_partitioning=false) EXCEPT ALL SELECT * FROM '${flat}')),
          (SELECT count(*) FROM read_parquet('${parts}', hive_partitioning=false))`);
      expect([missing, extra, n]).toEqual([0n, 0n, 2000n]);
    }
    const events = join(sharded, 'events', '*', '*.parquet');
    const [[missing, extra, n]] = await rows(`SELECT
        (SELECT count(*) FROM (SELECT * FROM '${join(whole, 'events.parquet')}' EXCEPT ALL SELECT * FROM read_parquet('${events}', hive_partitioning=false))),
        (SELECT count(*) FROM (SELECT * FROM read_parquet('${events}', hive_partitioning=false) EXCEPT ALL SELECT * FROM '${join(whole, 'events.parquet')}')),
        (SELECT count(*) FROM read_parquet('${events}', hive_partitioning=false))`);
    expect([missing, extra, n]).toEqual([0n, 0n, 8000n]);
    for (const i of [1, 2, 3]) {
      for (const file of [part(sharded, 'customers', '2024-06-02', i), part(sharded, 'events', '2024-06-02', i)]) {
        const ids = (await rows(`SELECT DISTINCT customer_id FROM '${file}'`)).map((r) => String(r[0]));
        expect(ids.length).toBeGreaterThan(100);
        expect(ids.filter((id) => partitionForKey(id, 3) !== i - 1)).toEqual([]);
      }
      // A part's events are in event-time order, as the unsharded file's are.
      const [[unordered]] = await rows(`SELECT count(*) FROM (SELECT event_time < lag(event_time) OVER (ORDER BY file_row_number) AS back FROM read_parquet('${part(sharded, 'events', '2024-06-02', i)}', file_row_number=true)) WHERE back`);
      expect(unordered).toBe(0n);
    }
  });

  it('the snapshot store reads a partitioned day whole, or only the customers of the assigned partitions', async () => {
    const cols = ['tenure_months', 'f0001'];
    const flat = await loadSnapshot({ day: '2024-06-02', files: [join(whole, 'customers-2024-06-02.parquet')] }, 'customer_id', cols);
    const latest = latestSnapshotDay(sharded, 'customers');
    expect([latest?.day, latest?.parts, latest?.files.length]).toEqual(['2024-06-02', 3, 3]);
    const all = await loadSnapshot(latest!, 'customer_id', cols);
    expect(all.rows).toBe(2000);
    const value = (s: typeof all, id: string, c: string) => s.columns.get(c)![s.index.get(id)!];
    for (const id of [...flat.index.keys()]) for (const c of cols) expect(value(all, id, c)).toBe(value(flat, id, c));

    // As many parts as partitions: whole files are skipped. Another partition count: rows are filtered.
    for (const partitions of [3, 4]) {
      const assigned = new Set([0, 2]);
      const scoped = await loadSnapshot(latest!, 'customer_id', cols, { partitions, assigned });
      const want = [...flat.index.keys()].filter((id) => assigned.has(partitionForKey(id, partitions)));
      expect(want.length).toBeGreaterThan(500);
      expect([...scoped.index.keys()].sort()).toEqual(want.sort());
      for (const id of want) expect(value(scoped, id, 'f0001')).toBe(value(flat, id, 'f0001'));
    }
  });

  it('a store narrowed to a member\'s partitions reloads when they change; a day missing a part is not read', async () => {
    const logs: string[] = [];
    const store = new SnapshotStore(sharded, 'customers', 'customer_id', ['f0001'], 0, (l) => logs.push(l));
    await store.setScope({ partitions: 3, assigned: new Set([1]) });
    const first = store.current!;
    expect(first.rows).toBeLessThan(1000);
    expect([...first.index.keys()].every((id) => partitionForKey(id, 3) === 1)).toBe(true);
    await store.setScope({ partitions: 3, assigned: new Set([1]) });
    expect(store.current).toBe(first); // same scope: no reload
    await store.setScope({ partitions: 3, assigned: new Set([0, 1]) });
    expect([...store.current!.index.keys()].every((id) => partitionForKey(id, 3) <= 1)).toBe(true);
    expect(store.current!.rows).toBeGreaterThan(first.rows);
    expect(logs.at(-1)).toMatch(/of partitions \[0, 1\] of 3/);

    // A load for a new assignment that fails is not taken as done: asked again, it loads.
    const folder = join(sharded, 'customers');
    renameSync(folder, `${folder}.away`);
    try {
      await expect(store.setScope({ partitions: 3, assigned: new Set([2]) })).rejects.toThrow(/no complete snapshot day/);
    } finally {
      renameSync(`${folder}.away`, folder);
    }
    await store.setScope({ partitions: 3, assigned: new Set([2]) });
    expect([...store.current!.index.keys()].every((id) => partitionForKey(id, 3) === 2)).toBe(true);

    // Part 3 of the newest day is still being written: the day before is the latest complete one.
    const p3 = part(sharded, 'customers', '2024-06-02', 3);
    renameSync(p3, `${p3}.partial`);
    try {
      expect(latestSnapshotDay(sharded, 'customers')?.day).toBe('2024-06-01');
    } finally {
      renameSync(`${p3}.partial`, p3);
    }
    expect(latestSnapshotDay(sharded, 'customers')?.day).toBe('2024-06-02');
  });

  it('refuses --shard for the other kinds of data, and a malformed shard, with exit 2', () => {
    const dir = tempDir('sat-shard-');
    const messages = sat('gen', '--dir', dir, '--scenario', 'messages', '--shard', '1/2');
    expect([messages.code, /only the satisfaction scenario/.test(messages.stderr)]).toEqual([2, true]);
    const bad = sat('gen', '--dir', dir, '--shard', '0/2');
    expect([bad.code, /--shard.*expected i\/n/.test(bad.stderr)]).toEqual([2, true]);
    rmSync(dir, { recursive: true, force: true });
  });
});
