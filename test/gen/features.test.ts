import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { drawBlock, FeatureDrawer, featureShapes, type DrawnBlock } from '../../src/gen/satisfaction/features.js';
import { openTable, type Column } from '../../src/gen/table-writer.js';
import { tempDir } from '../helpers.js';

/**
 * A customer's values as the snapshot writer drew them one row at a time with createRng, before the
 * block drawer: the reference the inlined mulberry32 must keep matching.
 */
function referenceRow(seed: number, features: number, shapes: ReturnType<typeof featureShapes>, plans: number, devices: number) {
  const rng = createRng(seed);
  const plan = rng.int(0, plans - 1);
  const device = rng.int(0, devices - 1);
  const spend = Math.round((10 + rng.next() * 140) * 100) / 100;
  const values: (number | boolean)[] = [];
  for (let j = 0; j < features; j++) {
    if (j % 5 === 4) {
      values.push(rng.next() < 0.3);
      continue;
    }
    const u = rng.next() || 1e-12;
    const v = rng.next();
    const { kinds, as, bs } = shapes;
    if (kinds[j] === 2) values.push(as[j] * v);
    else {
      const gauss = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      values.push(kinds[j] === 0 ? as[j] + bs[j] * gauss : Math.exp(Math.log(1 + as[j]) / 4 + gauss * 0.5));
    }
  }
  return { plan, device, spend, values };
}

/** Row r of a block, in feature order. */
function blockRow(b: DrawnBlock, r: number, features: number) {
  const values: (number | boolean)[] = [];
  let number = 0;
  let flag = 0;
  for (let j = 0; j < features; j++) values.push(j % 5 === 4 ? b.flags[flag++ * b.rows + r] === 1 : b.numbers[number++ * b.rows + r]);
  return { plan: b.plan[r], device: b.device[r], spend: b.spend[r], values };
}

const seedsOf = (n: number, salt: number) => Uint32Array.from({ length: n }, (_, i) => (Math.imul(i + 1, 0x9e3779b1) ^ salt) >>> 0);

describe('the snapshot feature drawer', () => {
  it('draws what createRng draws row by row, for any width (flags, numbers, a block partly filled)', async () => {
    for (const features of [0, 1, 4, 5, 9, 10, 13, 57]) {
      const shapes = featureShapes(features + 3, features);
      const drawer = new FeatureDrawer(shapes, 7, 7, 16, false);
      const seeds = seedsOf(16, features);
      const expected = Array.from(seeds.subarray(0, 11), (s) => referenceRow(s, features, shapes, 7, 7));
      const block = await drawer.draw(seeds, 11);
      expect(Array.from({ length: 11 }, (_, r) => blockRow(block, r, features))).toEqual(expected);
    }
  });

  it('a worker thread draws the same numbers as this thread, block after block, reusing released blocks', async () => {
    const features = 203;
    const shapes = featureShapes(11, features);
    const here = new FeatureDrawer(shapes, 7, 7, 64, false);
    const worker = new FeatureDrawer(shapes, 7, 7, 64, true);
    try {
      for (let k = 0; k < 4; k++) {
        const n = k === 3 ? 17 : 64;
        const a = await here.draw(seedsOf(64, k), n);
        const b = await worker.draw(seedsOf(64, k), n);
        expect(Array.from({ length: n }, (_, r) => blockRow(b, r, features))).toEqual(Array.from({ length: n }, (_, r) => blockRow(a, r, features)));
        here.release(a);
        worker.release(b);
      }
      // Two blocks in flight at once come back in order.
      const [x, y] = await Promise.all([worker.draw(seedsOf(64, 7), 64), worker.draw(seedsOf(64, 8), 64)]);
      const ref = new FeatureDrawer(shapes, 7, 7, 64, false);
      const rx = await ref.draw(seedsOf(64, 7), 64);
      expect(blockRow(x, 63, features)).toEqual(blockRow(rx, 63, features));
      expect(blockRow(y, 0, features)).not.toEqual(blockRow(x, 0, features));
    } finally {
      await worker.close();
    }
  });

  it('drawBlock alone fills only the rows asked for', () => {
    const shapes = featureShapes(5, 10);
    const block: DrawnBlock = { rows: 4, plan: new Uint8Array(4), device: new Uint8Array(4), spend: new Float64Array(4), numbers: new Float64Array(4 * 8), flags: new Uint8Array(4 * 2) };
    drawBlock(seedsOf(4, 1), 2, 7, 7, shapes.kinds, shapes.as, shapes.bs, block);
    expect([block.spend[2], block.spend[3], block.numbers[2], block.numbers[7]]).toEqual([0, 0, 0, 0]);
    expect(block.spend[0]).toBeGreaterThan(0);
  });
});

describe('table writer, column by column', () => {
  const columns: Column[] = [
    { name: 'id', type: 'string' },
    { name: 'n', type: 'int' },
    { name: 'x', type: 'double' },
    { name: 'flag', type: 'boolean' },
  ];
  const rows = [
    ['a', 1, 1.5, true],
    ['b', 2, -2.25, false],
    ['c', 3, 1e-300, true],
  ] as const;

  it('writeColumns writes what write(row) writes, in Parquet, CSV and JSONL, after rows written one by one', async () => {
    const dir = tempDir('sat-cols-');
    for (const format of ['parquet', 'csv', 'jsonl'] as const) {
      const byRow = openTable(join(dir, `rows.${format}`), format, columns);
      for (const r of [...rows, ...rows]) await byRow.write([...r]);
      await byRow.close();
      const byColumn = openTable(join(dir, `cols.${format}`), format, columns);
      for (const r of rows) await byColumn.write([...r]);
      // Longer columns than n: only the first n rows are written.
      await byColumn.writeColumns(3, [['a', 'b', 'c', 'z'], [1, 2, 3, 9], Float64Array.of(1.5, -2.25, 1e-300, 9), Uint8Array.of(1, 0, 1, 0)]);
      await byColumn.close();
      if (format === 'parquet') {
        const read = async (f: string) => parquetReadObjects({ file: new Uint8Array(readFileSync(join(dir, f))).buffer });
        expect(await read('cols.parquet')).toEqual(await read('rows.parquet'));
      } else {
        expect(readFileSync(join(dir, `cols.${format}`), 'utf8')).toBe(readFileSync(join(dir, `rows.${format}`), 'utf8'));
      }
    }
  });
});
