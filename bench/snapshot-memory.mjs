// Run as a child by satisfaction.mjs: loads one snapshot file the way sat run does (key + the given
// columns) and prints load time and the memory the loaded snapshot holds (after GC) as JSON.
import { peakRssMb } from '../dist/core/peak-rss.js';
import { loadSnapshot } from '../dist/engine/join/snapshot.js';

const [file, list] = process.argv.slice(2);
const columns = list.split(',');
global.gc();
const before = process.memoryUsage();
const t0 = performance.now();
const s = await loadSnapshot({ day: 'bench', files: [file] }, 'customer_id', columns);
const loadMs = performance.now() - t0;
for (let i = 0; i < 3; i++) {
  await new Promise((r) => setTimeout(r, 20));
  global.gc();
}
const after = process.memoryUsage();
const mb = (x) => Math.round(x / 2 ** 20);
console.log(JSON.stringify({
  rows: s.rows,
  columns: columns.length,
  loadMs: Math.round(loadMs),
  heldMb: mb(after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers),
  // The rest is in typed arrays: the columns and the key → row index (bytes, hashes, slots).
  heapMb: mb(after.heapUsed - before.heapUsed),
  peakRssMb: peakRssMb(),
}));
