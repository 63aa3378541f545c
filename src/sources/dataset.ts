import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { completeDays } from '../core/partitioned.js';
import type { Shard } from '../core/workdir.js';
import type { Source } from './types.js';

/**
 * A row of a dataset folder is numbered file * 2^32 + its index in the file, the file's place in the
 * folder's listing: the same number whichever files a shard reads, so the ledger parts of sharded
 * replays and verify's own reading of the files agree.
 */
export const FILE_ROW_SPAN = 2 ** 32;

/**
 * The files of a dataset folder, in the order they are read: a partitioned dataset
 * (date=YYYY-MM-DD/part-i-of-n.*, complete days only) day by day and part by part, else the folder's
 * data files by name. `read`: the indexes a shard reads (only its own part of each day when the
 * dataset has as many parts as there are shards), or all.
 */
export function datasetFiles(dir: string, shard?: Shard): { files: string[]; read: number[] } {
  const days = completeDays(dir);
  if (days.length > 0) {
    const files = days.flatMap((d) => d.files);
    const read: number[] = [];
    let at = 0;
    for (const d of days) {
      d.files.forEach((_, i) => (shard === undefined || shard.count !== d.parts || i === shard.index - 1) && read.push(at + i));
      at += d.files.length;
    }
    return { files, read };
  }
  const files = readdirSync(dir)
    .filter((n) => /\.(parquet|csv|tsv|tab|jsonl|ndjson)$/i.test(n))
    .sort()
    .map((n) => join(dir, n));
  if (files.length === 0) throw new UsageError(`${dir}: no data files (neither date=YYYY-MM-DD/part-i-of-n.* folders nor .parquet/.csv/.tsv/.jsonl files)`);
  return { files, read: files.map((_, i) => i) };
}

export const isFolder = (path: string) => statSync(path).isDirectory();

/** The files at `read` read one after another as one source, rows numbered by FILE_ROW_SPAN. */
export function concatSource(files: string[], read: number[], open: (file: string) => Source): Source {
  return {
    header: () => open(files[read[0] ?? 0]).header(),
    async *batches() {
      for (const i of read) {
        for await (const batch of open(files[i]).batches()) {
          for (const r of batch) r.row += i * FILE_ROW_SPAN;
          yield batch;
        }
      }
    },
    async rows() {
      let sum = 0;
      for (const i of read) {
        const n = await open(files[i]).rows?.();
        if (n === undefined) return undefined;
        sum += n;
      }
      return sum;
    },
  };
}
