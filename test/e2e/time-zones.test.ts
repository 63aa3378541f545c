import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sat, tempDir } from '../helpers.js';

/**
 * Trips with US-style local times in New York across the night the clocks go back (2024-11-03: 01:00
 * to 01:59 happens twice), replayed with every fault kind, run and verified. The README's rule puts
 * the repeated hour at its earlier instant (05:00-05:59Z) and 02:00 local at 07:00Z, so no window
 * in 06:00-06:59Z may hold a record; read as UTC, the same texts fill those hours.
 */
function tripsCsv(dir: string): string {
  const rows = ['trip_id,zone,pickup,fare'];
  for (let i = 0; i < 600; i++) {
    const minute = 20 + i * 0.3; // 00:20 .. 03:19 local
    const h = Math.floor(minute / 60), m = Math.floor(minute % 60), s = (i * 7) % 60;
    const h12 = h % 12 === 0 ? 12 : h % 12;
    const text = `11/03/2024 ${String(h12).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
    rows.push(`t${i},z${i % 4},${text},${(5 + (i % 13) * 1.5).toFixed(2)}`);
  }
  const file = join(dir, 'trips.csv');
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

function scenario(dir: string, zone: string): string {
  const file = join(dir, `trips-${zone.replace('/', '-')}.yaml`);
  writeFileSync(
    file,
    `name: trips
key: zone
event_time: { field: pickup, format: "%m/%d/%Y %I:%M:%S %p", zone: ${zone} }
id: [trip_id]
fields: { trip_id: string, zone: string, pickup: timestamp, fare: float }
window: { tumbling: 15m }
watermark: 5m
aggregations: { trips: count(), fares: sum(fare) }
`,
  );
  return file;
}

function loop(zone: string) {
  const inputs = tempDir('sat-tz-in-');
  const dir = tempDir('sat-tz-');
  const replay = sat('replay', tripsCsv(inputs), '--scenario', scenario(inputs, zone), '--rate', '0', '--malformed', '0.02', '--late', '0.05', '--duplicates', '0.05', '--out-of-order', '0.05', '--boundary', '0.05', '--seed', '5', '--dir', dir, '--json');
  expect(replay.code, replay.stderr).toBe(0);
  const run = sat('run', '--dir', dir, '--json');
  expect(run.code, run.stderr).toBe(0);
  const verify = sat('verify', '--dir', dir, '--json');
  expect(verify.code, JSON.stringify(verify.json?.checks?.filter((c: { pass: boolean }) => !c.pass))).toBe(0);
  const results = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { window_start: string; trips: number });
  return { replay: replay.json, verify: verify.json, results };
}

describe('event time in a zone, end to end', () => {
  it('New York local times over the repeated hour: verify passes and the hour lands at its earlier instant', () => {
    const r = loop('America/New_York');
    expect(r.replay.faults.boundary ?? 0).toBeGreaterThan(0);
    const hours = new Set(r.results.map((x) => x.window_start.slice(11, 13)));
    expect([...hours].sort()).toEqual(['04', '05', '07', '08']);
    expect(r.results.reduce((n, x) => n + x.trips, 0)).toBe(r.verify.counts.counted_expected);
  });

  it('the same texts read as UTC fill the hours New York time leaves empty', () => {
    const r = loop('UTC');
    const hours = new Set(r.results.map((x) => x.window_start.slice(11, 13)));
    expect([...hours].sort()).toEqual(['00', '01', '02', '03']);
  });

  it('Parquet TIMESTAMP and DATE columns: a timestamp is an instant (the zone does not move it), a date a day; both sides agree', async () => {
    const inputs = tempDir('sat-tz-pq-in-');
    const file = join(inputs, 'trips.parquet');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    await db.run(`COPY (SELECT 't' || i AS trip_id, 'z' || (i % 4) AS zone, TIMESTAMP '2024-11-03 04:00:00' + to_milliseconds(i * 17001) AS pickup,
        DATE '2024-10-20' + CAST(i / 40 AS INTEGER) AS day, 5 + (i % 13) * 1.5 AS fare FROM range(600) t(i)) TO '${file}' (FORMAT parquet)`);
    db.closeSync();
    const write = (name: string, eventTime: string, pickupType: string) => {
      const f = join(inputs, `${name}.yaml`);
      writeFileSync(f, `name: ${name}\nkey: zone\nevent_time: ${eventTime}\nid: [trip_id]\nfields: { trip_id: string, zone: string, pickup: ${pickupType}, day: date, fare: float }\nwindow: { tumbling: 1h }\nwatermark: 5m\naggregations: { trips: count(), fares: sum(fare) }\n`);
      return f;
    };
    for (const [name, scenario] of [['by-pickup', write('by-pickup', '{ field: pickup, zone: America/New_York }', 'timestamp')], ['by-day', write('by-day', 'day', 'timestamp')]]) {
      const dir = tempDir(`sat-tz-pq-${name}-`);
      const replay = sat('replay', file, '--scenario', scenario, '--rate', '0', '--late', '0.05', '--duplicates', '0.05', '--malformed', '0.02', '--seed', '9', '--dir', dir, '--json');
      expect(replay.code, replay.stderr).toBe(0);
      expect(sat('run', '--dir', dir).code).toBe(0);
      const verify = sat('verify', '--dir', dir, '--json');
      expect(verify.code, `${name}: ${verify.stderr}${JSON.stringify(verify.json?.checks?.filter((c: { pass: boolean }) => !c.pass))}`).toBe(0);
      expect(verify.json.counts.counted_expected, name).toBeGreaterThan(400);
      const starts = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { window_start: string }).window_start).sort();
      // 04:00 UTC as written in the file, not 04:00 New York time; days from 2024-10-20.
      expect(starts[0], name).toBe(name === 'by-pickup' ? '2024-11-03T04:00:00.000Z' : '2024-10-20T00:00:00.000Z');
    }
  });
});
