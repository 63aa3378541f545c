import { parentPort, workerData } from 'node:worker_threads';
import type { Aggregation } from '../../scenario/types.js';
import type { ResultRows } from './result-columns.js';
import { ResultsParquetFile } from './results-file.js';

/**
 * Encodes the results' Parquet file on a thread of its own: the engine hands over each row group as
 * plain arrays and goes on (encoding, statistics and compression were a sixth of its time on
 * reviews). The first failure is kept and answered at the end, naming its errno.
 */
const o = workerData as { path: string; aggs: Pick<Aggregation, 'name' | 'op'>[]; scored: boolean };
let writer: ResultsParquetFile | undefined;
let failed: { message: string; code?: string } | undefined;

function attempt(f: () => void): void {
  if (failed) return;
  try {
    f();
  } catch (e) {
    failed = { message: (e as Error).message, code: (e as NodeJS.ErrnoException).code };
  }
}

attempt(() => {
  writer = new ResultsParquetFile(o.path, o.aggs, o.scored);
});

parentPort!.on('message', (m: { rows?: ResultRows; finish?: true }) => {
  if (m.rows) {
    const rows = m.rows;
    attempt(() => writer!.writeGroup(rows));
    parentPort!.postMessage({ wrote: rows.key.length });
  }
  if (m.finish) {
    attempt(() => writer!.finish());
    parentPort!.postMessage({ done: true, failed });
    parentPort!.close();
  }
});
