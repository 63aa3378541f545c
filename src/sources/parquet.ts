import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { splitLine } from './split.js';
import type { Source, SourceRow } from './types.js';

const CHUNK = 8192;

export interface ParquetOptions {
  /** Scenario column order, for a value column holding delimited lines. */
  columns: string[];
  /** Column holding one delimited line per row, used when the file lacks the scenario's columns. */
  valueColumn?: string;
  delimiter: string;
}

function cellText(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x));
}

/** Parquet via hyparquet, a few thousand rows at a time (memory bounded by the chunk, not the file). */
export function parquetSource(path: string, opts: ParquetOptions): Source {
  const open = (async () => {
    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    const children = parquetSchema(metadata).children;
    const names = children.map((c) => c.element.name);
    // A DATE column is a calendar day (YYYY-MM-DD), not the instant hyparquet's Date would print.
    const dates = new Set(children.filter((c) => c.element.logical_type?.type === 'DATE' || c.element.converted_type === 'DATE').map((c) => c.element.name));
    const hasFields = opts.columns.every((c) => names.includes(c));
    const splitValue = !hasFields && opts.valueColumn !== undefined && names.includes(opts.valueColumn);
    return { file, metadata, names, splitValue, dates };
  })();

  async function* batches(): AsyncGenerator<SourceRow[]> {
    const { file, metadata, splitValue, dates } = await open;
    const total = Number(metadata.num_rows);
    for (let start = 0; start < total; start += CHUNK) {
      const end = Math.min(total, start + CHUNK);
      const objects = await parquetReadObjects({
        file,
        metadata,
        rowStart: start,
        rowEnd: end,
        columns: splitValue ? [opts.valueColumn as string] : undefined,
      });
      const batch: SourceRow[] = objects.map((o, i) => {
        const row = start + i;
        if (!splitValue) {
          const values: Record<string, string | null> = {};
          for (const [k, v] of Object.entries(o)) values[k] = dates.has(k) && v instanceof Date ? v.toISOString().slice(0, 10) : cellText(v);
          return { row, values };
        }
        const line = cellText(o[opts.valueColumn as string]) ?? '';
        const cells = splitLine(line, opts.delimiter, false);
        if (cells.length !== opts.columns.length) {
          return { row, raw: line, problem: `expected ${opts.columns.length} fields, found ${cells.length}` };
        }
        const values: Record<string, string | null> = {};
        opts.columns.forEach((c, j) => (values[c] = cells[j] === '' ? null : cells[j]));
        return { row, values };
      });
      yield batch;
    }
  }

  return {
    async header() {
      const { names, splitValue } = await open;
      return splitValue ? null : names;
    },
    batches,
  };
}
