import { parentPort, workerData } from 'node:worker_threads';
import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import type { Aggregation } from '../../scenario/types.js';
import { emptyRows, resultColumns, type ResultRows } from './result-columns.js';

/**
 * Encodes the results' Parquet file on a thread of its own: the engine hands over each row group as
 * plain arrays and goes on (encoding, statistics and compression were a sixth of its time on
 * reviews). The first failure is kept and answered at the end, naming its errno.
 */
const o = workerData as { path: string; aggs: Pick<Aggregation, 'name' | 'op'>[]; scored: boolean };
let writer: ParquetWriter | undefined;
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
  writer = new ParquetWriter({ writer: fileWriter(o.path), schema: schemaFromColumnData({ columnData: resultColumns(emptyRows(o.aggs.length), o.aggs, o.scored) }) });
});

parentPort!.on('message', (m: { rows?: ResultRows; finish?: true }) => {
  if (m.rows) {
    const rows = m.rows;
    attempt(() => writer!.write({ columnData: resultColumns(rows, o.aggs, o.scored), rowGroupSize: rows.key.length }));
    parentPort!.postMessage({ wrote: rows.key.length });
  }
  if (m.finish) {
    attempt(() => writer!.finish());
    parentPort!.postMessage({ done: true, failed });
    parentPort!.close();
  }
});
