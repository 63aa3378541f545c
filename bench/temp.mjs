// A bench's scratch directories, removed when its process exits (a normal end, process.exit or a
// throw): the benches wrote ~1 GB a run into the temp dir and left it there. BENCH_KEEP=1 keeps them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = [];
process.on('exit', () => {
  if (process.env.BENCH_KEEP === '1') return;
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A new directory under the temp dir, named from `prefix`, gone when the process exits. */
export function scratchDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
