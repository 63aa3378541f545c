import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Outgoing, SpilledBytes } from '../../src/replay/convert.js';
import { FaultPlan, type Delivery } from '../../src/replay/faults/plan.js';
import { scanSource, spilledInput } from '../../src/replay/stream/scan.js';
import { removeSpill, SpillWriter } from '../../src/replay/stream/spill.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { Source, SourceRow } from '../../src/sources/types.js';
import { tempDir } from '../helpers.js';
import { orderByEventTime, planFaults as planFaultsV1 } from './reference/plan-v1.js';

const iot = loadScenario('iot');

/** A source over rows in memory, in batches (a unit-test stand-in for the CSV and Parquet readers). */
const rowsSource = (rows: SourceRow[]): Source => ({
  header: async () => null,
  async *batches() {
    for (let i = 0; i < rows.length; i += 97) yield rows.slice(i, i + 97);
  },
});

const row = (i: number, t: number | undefined, dev: string, broken: boolean): SourceRow =>
  broken
    ? { row: i, problem: 'expected 11 fields, found 2', raw: `garbage\t${dev}` }
    : { row: i, values: { time: String(t ?? 0), readable_time: t === undefined ? 'not a time' : new Date(t).toISOString(), acceleration: '1010.5', acceleration_x: '-44', acceleration_y: '300', acceleration_z: '964', battery: '3007', humidity: '35', pressure: '1009.16', temperature: '27.85', 'dev-id': dev } };

/** Reads rows the way replay does (scan, spill, order) and plans them; the deliveries in send order. */
async function streamed(rows: SourceRow[], mix: Parameters<typeof planFaultsV1>[2], seed: number, keep: (o: Outgoing) => boolean = () => true): Promise<Delivery[]> {
  const spill = join(tempDir('sat-spill-'), 'spill');
  // Small segments: every case reads across many segment files (1 GiB each in a real replay).
  const scanned = await scanSource(rowsSource(rows), iot, new SpillWriter(spill, 4096), keep);
  const input = spilledInput(scanned, spill);
  const plan = new FaultPlan(input, iot, mix, seed);
  const out: Delivery[] = [];
  for (let d = plan.next(); d !== undefined; d = plan.next()) out.push(d);
  input.close();
  expect(out).toHaveLength(plan.total);
  return out;
}

// The key as sent: its bytes from the spill where there are any (they must be the key's own).
const keySent = (o: Outgoing): string | null => {
  if (o.src === undefined) return o.key;
  const r = o as Outgoing & SpilledBytes;
  return r.keyLength < 0 ? null : Buffer.from(r.src.subarray(r.keyAt, r.keyAt + r.keyLength)).toString();
};
const shape = (ds: Delivery[]) => ds.map((d) => `${d.item.row}|${keySent(d.item)}|${d.item.id}|${d.item.eventTime}|${d.item.problem}|${d.item.payload}|${d.fault}|${d.detail}|${d.payload ? Buffer.from(d.payload).toString('base64') : ''}`);

describe('replay reads through a spill file, in event-time order', () => {
  it('orders by event time, stably, keeping untimed rows after their predecessor', async () => {
    const t0 = Date.UTC(2018, 3, 9);
    const rows = [30, 10, undefined, 10, 20].map((s, i) => row(i, s === undefined ? undefined : t0 + s * 1000, 'a', false));
    const none = { malformed: 0, late: 0, outOfOrder: 0, duplicates: 0, boundary: 0, lateBy: [0, 0] as [number, number] };
    expect((await streamed(rows, none, 1)).map((d) => d.item.row)).toEqual([1, 2, 3, 4, 0]);
  });

  it('gives the plan sat 0.x gave with the whole file in memory, for shuffled files with broken rows, any mix and seed', async () => {
    const t0 = Date.UTC(2018, 3, 9);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ t: fc.option(fc.integer({ min: 0, max: 3_600_000 }), { freq: 30 }), dev: fc.constantFrom('a', 'b', 'ä-ü', '"q"'), broken: fc.integer({ min: 0, max: 40 }).map((x) => x === 0) }), { maxLength: 800, size: 'max' }),
        fc.boolean(),
        fc.record({ malformed: fc.double({ min: 0, max: 0.2, noNaN: true }), late: fc.double({ min: 0, max: 0.2, noNaN: true }), outOfOrder: fc.double({ min: 0, max: 0.2, noNaN: true }), duplicates: fc.double({ min: 0, max: 0.3, noNaN: true }), boundary: fc.constant(0), lateBy: fc.constant([0, 120_000] as [number, number]) }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        async (spec, sorted, mix, seed) => {
          const times = sorted ? [...spec].sort((a, b) => (a.t ?? 0) - (b.t ?? 0)) : spec;
          const rows = times.map((x, i) => row(i, x.t === null ? undefined : t0 + x.t, x.dev, x.broken));
          const { toOutgoing } = await import('../../src/replay/convert.js');
          const v1 = planFaultsV1(orderByEventTime(rows.map((r) => toOutgoing(r, iot))), iot, mix, seed);
          expect(shape(await streamed(rows, mix, seed))).toEqual(shape(v1.deliveries));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('deletes each spill segment once read past in order, keeps them for reads out of order, and removes them all at the end', async () => {
    const t0 = Date.UTC(2018, 3, 9);
    const files = (dir: string) => readdirSync(dir).sort();
    for (const ordered of [true, false]) {
      const dir = tempDir('sat-spill-');
      const spill = join(dir, 'spill');
      const rows = Array.from({ length: 300 }, (_, i) => row(i, t0 + (ordered ? i : (i * 7919) % 300) * 1000, 'a', false));
      const scanned = await scanSource(rowsSource(rows), iot, new SpillWriter(spill, 4096), () => true);
      const segments = files(dir).length;
      expect(segments).toBeGreaterThan(10);
      expect(scanned.segments).toHaveLength(segments);
      const input = spilledInput(scanned, spill);
      const seen: number[] = [];
      for (let k = 0; k < input.n; k++) {
        seen.push(input.item(k).row);
        if (k === 150) expect(files(dir).length, ordered ? 'half read: the first half is gone' : 'read out of order: all kept').toBe(ordered ? Math.ceil(segments / 2) : segments);
      }
      expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => (ordered ? i : rows.findIndex((r) => r.values!.time === String(t0 + i * 1000)))));
      input.close();
      removeSpill(spill);
      expect(files(dir)).toEqual([]);
    }
  });

  it('reports rows read while reading, and the sort when the file is out of order', async () => {
    const t0 = Date.UTC(2018, 3, 9);
    const rows = Array.from({ length: 1000 }, (_, i) => row(i, t0 + ((i * 7919) % 1000) * 1000, 'a', false));
    const seen: string[] = [];
    await scanSource(rowsSource(rows), iot, new SpillWriter(join(tempDir('sat-spill-'), 'spill')), () => true, (p) => seen.push(`${p.phase}:${p.rows}`), 0);
    expect(seen.slice(0, 2)).toEqual(['read:97', 'read:194']);
    expect(seen.at(-1)).toBe('sort:1000');
  });
});
