import { closeSync, existsSync, openSync, readSync, writeFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { checkZone } from '../../core/zone.js';
import { detectFormat, type SourceFormat } from '../../sources/index.js';
import { delimitedSource } from '../../sources/delimited.js';
import { jsonlSource } from '../../sources/jsonl.js';
import { parquetSource } from '../../sources/parquet.js';
import { splitLine } from '../../sources/split.js';
import type { Source, SourceRow } from '../../sources/types.js';
import { inferScenario, type InferredScenario } from '../../scenario/infer.js';
import { loadScenario } from '../../scenario/load.js';

export interface InferFlags {
  rows: number;
  zone?: string;
  out?: string;
  format?: SourceFormat;
  json?: boolean;
}

/** The first `limit` rows of a source. */
async function sample(source: Source, limit: number): Promise<SourceRow[]> {
  const rows: SourceRow[] = [];
  for await (const batch of source.batches()) {
    for (const r of batch) {
      rows.push(r);
      if (rows.length >= limit) return rows;
    }
  }
  return rows;
}

const looksLikeData = (cell: string) => /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell.trim()) || /^\d{4}-\d{2}-\d{2}/.test(cell.trim());

/** Reads a header and a sample the way replay will, and guesses a scenario from them. */
export async function inferFromFile(file: string, f: InferFlags): Promise<InferredScenario> {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  if (f.zone !== undefined && checkZone(f.zone) !== undefined) throw new UsageError(`--zone: ${checkZone(f.zone)}`);
  const format = f.format ?? detectFormat(file);
  if (format === 'parquet') {
    const source = parquetSource(file, { columns: [], delimiter: ',' });
    const header = (await source.header()) ?? [];
    return inferScenario(file, header, await sample(source, f.rows), { zone: f.zone, quote: true, headerless: false });
  }
  if (format === 'jsonl') {
    const rows = await sample(jsonlSource(file), f.rows);
    const header = [...new Set(rows.flatMap((r) => Object.keys(r.values ?? {})))];
    return inferScenario(file, header, rows, { zone: f.zone, quote: true, headerless: false });
  }
  const delimiter = format === 'tsv' ? '\t' : ',';
  const text = head(file, 1 << 22); // the first 4 MiB: enough for the sample, whatever the file's size
  const firstLine = text.split('\n')[0].replace(/\r$/, '');
  const first = splitLine(firstLine, delimiter, true);
  // A first line of numbers or dates is data: the columns get names col_1.. for the user to rename.
  const headerless = first.some(looksLikeData);
  const columns = headerless ? first.map((_, i) => `col_${i + 1}`) : [];
  const open = (quote: boolean) => delimitedSource(file, { delimiter, encoding: 'utf8', quote, header: headerless ? 'no' : 'yes', columns, headerHints: [] });
  // Quoting on, unless the file's quote characters are data: every line splits into the right number
  // of cells without quoting, and some cell has a quote that does not wrap it (the Amazon reviews
  // TSV: a title like `"quoted" as love`). DuckDB's reader, the oracle's, refuses such a line quoted.
  const lines = text.split('\n').slice(headerless ? 0 : 1, f.rows + 1).map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  const width = first.length;
  const plainFits = lines.every((l) => l.split(delimiter).length === width);
  const strayQuote = lines.some((l) => l.split(delimiter).some((c) => c.includes('"') && !/^"([^"]|"")*"$/.test(c)));
  const quote = !(plainFits && strayQuote);
  const rows = await sample(delimitedSource(file, { delimiter, encoding: 'utf8', quote, header: headerless ? 'no' : 'yes', columns, headerHints: [] }), f.rows);
  const header = headerless ? columns : splitLine(firstLine, delimiter, quote).map((c) => c.trim());
  return inferScenario(file, header, rows, { zone: f.zone, delimiter: format === 'tsv' ? undefined : delimiter, quote, headerless });
}

/** sat scenario infer FILE: prints (or writes) the scenario, and checks that it loads. */
export async function scenarioInferCommand(file: string, f: InferFlags): Promise<number> {
  const r = await inferFromFile(file, f);
  if (f.out !== undefined) {
    writeFileSync(f.out, r.yaml);
    // The guess must at least load when its blanks were filled; say so when they were not.
    if (r.eventTime !== undefined && r.key !== undefined) loadScenario(f.out);
    process.stderr.write(`sat: wrote ${f.out}: key ${r.key ?? '(unset)'}, event time ${r.eventTime ?? '(unset)'}, id [${r.id.join(', ')}]${r.notes.length ? `; check: ${r.notes.length} note(s) at its top` : ''}\n`);
  }
  if (f.json) process.stdout.write(`${JSON.stringify({ key: r.key ?? null, eventTime: r.eventTime ?? null, id: r.id, columns: r.columns, notes: r.notes, yaml: r.yaml })}\n`);
  else if (f.out === undefined) process.stdout.write(r.yaml);
  return 0;
}

/** The first whole lines of a file within `bytes`, as text. */
function head(file: string, bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, buf, 0, bytes, 0);
    // Cut at the last whole line when the file goes on.
    const end = n === bytes ? buf.lastIndexOf(10, n - 1) + 1 : n;
    return buf.subarray(0, end).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
