import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Scenario } from '../scenario/types.js';
import type { Shard } from '../core/workdir.js';
import { concatSource, datasetFiles, isFolder } from './dataset.js';
import { delimitedSource } from './delimited.js';
import { jsonlSource } from './jsonl.js';
import { parquetSource } from './parquet.js';
import type { Encoding } from './lines.js';
import type { Source } from './types.js';

export type SourceFormat = 'csv' | 'tsv' | 'parquet' | 'jsonl';
export type { Source, SourceRow } from './types.js';

export function detectFormat(path: string): SourceFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.parquet') return 'parquet';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new UsageError(`${path}: unknown file type "${ext}" (use .csv, .tsv, .parquet or .jsonl, or --format)`);
}

export interface SourceOverrides {
  format?: SourceFormat;
  header?: 'auto' | 'yes' | 'no';
  quote?: boolean;
  encoding?: Encoding;
}

/**
 * Opens a file with the reader its format needs and the scenario's schema; a folder is a dataset read
 * file after file (see datasetFiles), and a shard reads only its own parts when the dataset has n of them.
 */
export function openSource(path: string, scenario: Scenario, o: SourceOverrides = {}, shard?: Shard): { source: Source; format: SourceFormat; files?: string[] } {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file`);
  if (isFolder(path)) {
    const { files, read } = datasetFiles(path, shard);
    const format = o.format ?? detectFormat(files[0]);
    return { format, files, source: concatSource(files, read, (file) => openFile(file, format, scenario, o)) };
  }
  const format = o.format ?? detectFormat(path);
  return { format, source: openFile(path, format, scenario, o) };
}

function openFile(path: string, format: SourceFormat, scenario: Scenario, o: SourceOverrides): Source {
  const s = scenario.source;
  const delimiter = s.delimiter ?? (format === 'tsv' ? '\t' : ',');
  switch (format) {
    case 'csv':
    case 'tsv':
      return delimitedSource(path, {
        delimiter: format === 'tsv' && s.delimiter === undefined ? '\t' : delimiter,
        encoding: o.encoding ?? s.encoding,
        quote: o.quote ?? s.quote,
        header: o.header ?? s.header,
        columns: s.columns,
        headerHints: [scenario.key, scenario.eventTime, ...scenario.id],
      });
    case 'parquet':
      return parquetSource(path, { columns: s.columns, valueColumn: s.parquetValueColumn, delimiter });
    case 'jsonl':
      return jsonlSource(path, o.encoding ?? s.encoding);
  }
}
