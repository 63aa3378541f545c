// node bench/results-parquet.mjs: the results' Parquet file written by sat's encoder for it
// (dist/engine/parquet/results-file.js) and by hyparquet-writer (the generic writer it replaced),
// side by side on the same satisfaction-shaped result rows (20k-row groups, as `sat run` hands them
// over), medians of RUNS; both files are read back with hyparquet and must hold the same rows.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetReadObjects } from 'hyparquet';
import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { scratchDir } from './temp.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const { ResultsParquetFile, resultsColumns } = await import(join(ROOT, 'dist', 'engine', 'parquet', 'results-file.js'));
const { emptyRows } = await import(join(ROOT, 'dist', 'engine', 'parquet', 'result-columns.js'));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROWS = Number(process.env.BENCH_RESULT_ROWS ?? 400_000);
const GROUP = 20_000;
const AGGS = [
  { name: 'events', op: 'count' },
  { name: 'avg_rating', op: 'avg' },
  { name: 'total_duration_s', op: 'sum' },
  { name: 'total_amount', op: 'sum' },
  { name: 'max_v01', op: 'max' },
];

// Seeded, so every run encodes the same rows: a minute's window per 60k rows, distinct keys, small
// counts, ratings from 1-5 or NULL, sums with many zeros, a one-decimal maximum and a score.
let seed = 42;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const groups = [];
for (let at = 0; at < ROWS; at += GROUP) {
  const r = emptyRows(AGGS.length);
  for (let i = at; i < Math.min(ROWS, at + GROUP); i++) {
    const end = 1_717_200_000_000 + Math.floor(i / 60_000) * 60_000;
    r.start.push(end - 3_600_000);
    r.end.push(end);
    r.key.push(`C${String(Math.floor(rnd() * 1_250_000)).padStart(9, '0')}`);
    r.emit.push(1_796_000_000_000 + Math.floor(i / 997));
    r.aggs[0].push(1 + Math.floor(rnd() * 4));
    r.aggs[1].push(rnd() < 0.6 ? null : 1 + Math.floor(rnd() * 9) / 2);
    r.aggs[2].push(rnd() < 0.5 ? 0 : Math.round(rnd() * 36_000) / 10);
    r.aggs[3].push(rnd() < 0.5 ? 0 : Math.round(rnd() * 50_000) / 100);
    r.aggs[4].push(Math.round(rnd() * 1000) / 10);
    r.score.push(rnd() * 100);
    r.missing.push(rnd() < 0.01 ? 'online' : '');
    r.snapshotDay.push('2024-06-01');
  }
  groups.push(r);
}

// hyparquet-writer's columns for the same rows, as sat gave them before its own encoder.
const generic = (rows) =>
  resultsColumns(AGGS, true).map((c) => {
    const data = c.values(rows);
    if (c.kind === 'int64') return { name: c.name, data: data.map((v) => BigInt(v ?? 0)), type: 'INT64', nullable: false };
    return { name: c.name, data, type: { timestamp: 'TIMESTAMP', double: 'DOUBLE', string: 'STRING' }[c.kind], nullable: c.nullable };
  });

const dir = scratchDir('sat-bench-results-parquet-');
const files = { generic: join(dir, 'generic.parquet'), sat: join(dir, 'sat.parquet') };
const writers = {
  generic: () => {
    const w = new ParquetWriter({ writer: fileWriter(files.generic), schema: schemaFromColumnData({ columnData: generic(groups[0]) }) });
    for (const g of groups) w.write({ columnData: generic(g), rowGroupSize: g.key.length });
    w.finish();
  },
  sat: () => {
    const f = new ResultsParquetFile(files.sat, AGGS, true);
    for (const g of groups) f.writeGroup(g);
    f.finish();
  },
};
const ms = { generic: [], sat: [] };
for (let i = 0; i < RUNS; i++) {
  for (const [name, write] of Object.entries(writers)) {
    const t = performance.now();
    write();
    ms[name].push(performance.now() - t);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const read = async (f) => parquetReadObjects({ file: new Uint8Array(readFileSync(f)).buffer });
const [a, b] = await Promise.all([read(files.generic), read(files.sat)]);
const text = (rows) => JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? Number(v) : v));
const same = a.length === ROWS && text(a) === text(b);
console.log(`results Parquet file, ${ROWS.toLocaleString('en-US')} satisfaction-shaped rows in ${GROUP.toLocaleString('en-US')}-row groups, medians of ${RUNS}:`);
for (const name of ['generic', 'sat']) {
  const m = median(ms[name]);
  console.log(`  ${name === 'sat' ? "sat's encoder   " : 'hyparquet-writer'} ${m.toFixed(0).padStart(6)} ms  ${((m * 1000) / ROWS).toFixed(2)} µs/row  ${(statSync(files[name]).size / 1e6).toFixed(2)} MB`);
}
console.log(`  ratio ${(median(ms.generic) / median(ms.sat)).toFixed(2)}x; the two files read back ${same ? 'equal' : 'DIFFERENT'}`);
if (!same) process.exit(1);
