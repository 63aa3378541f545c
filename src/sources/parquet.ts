import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetReadObjects, parquetSchema } from 'hyparquet';
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
    // Nested columns (lists, structs) are read as assembled objects; flat ones column by column.
    const nested = children.some((c) => c.children.length > 0);
    return { file, metadata, names, splitValue, dates, nested };
  })();

  async function* batches(): AsyncGenerator<SourceRow[]> {
    const { file, metadata, names, splitValue, dates, nested } = await open;
    const read = splitValue ? [opts.valueColumn as string] : names;
    // A row group at a time, each column decoded once, then handed on CHUNK rows at a time. Reading
    // CHUNK rows per call decoded the whole row group's pages for every call (hyparquet slices after
    // decoding): a 100k-row group was decoded 13 times, and replay read sat gen's events at ~10k rows/s.
    let groupStart = 0;
    for (const group of metadata.row_groups) {
      const groupEnd = groupStart + Number(group.num_rows);
      const columns = new Map<string, unknown[]>(read.map((c) => [c, new Array(groupEnd - groupStart)]));
      if (nested) {
        const objects = await parquetReadObjects({ file, metadata, columns: read, rowStart: groupStart, rowEnd: groupEnd });
        for (const [c, col] of columns) for (let i = 0; i < objects.length; i++) col[i] = objects[i][c];
      } else await parquetRead({
        file,
        metadata,
        columns: read,
        rowStart: groupStart,
        rowEnd: groupEnd,
        onChunk: ({ columnName, columnData, rowStart }) => {
          const out = columns.get(columnName);
          if (out === undefined) return;
          const from = Math.max(groupStart, rowStart);
          const to = Math.min(groupEnd, rowStart + columnData.length);
          for (let r = from; r < to; r++) out[r - groupStart] = columnData[r - rowStart];
        },
      });
      const cols = read.map((c) => [c, columns.get(c) as unknown[]] as const);
      for (let start = groupStart; start < groupEnd; start += CHUNK) {
        const end = Math.min(groupEnd, start + CHUNK);
        const batch: SourceRow[] = [];
        for (let row = start; row < end; row++) batch.push(toRow(row, row - groupStart, cols, splitValue, dates));
        yield batch;
      }
      groupStart = groupEnd;
    }
  }

  function toRow(row: number, i: number, cols: readonly (readonly [string, unknown[]])[], splitValue: boolean, dates: Set<string>): SourceRow {
    if (!splitValue) {
      const values: Record<string, string | null> = {};
      for (const [k, col] of cols) {
        const v = col[i];
        values[k] = dates.has(k) && v instanceof Date ? v.toISOString().slice(0, 10) : cellText(v);
      }
      return { row, values };
    }
    const line = cellText(cols[0][1][i]) ?? '';
    const cells = splitLine(line, opts.delimiter, false);
    if (cells.length !== opts.columns.length) {
      return { row, raw: line, problem: `expected ${opts.columns.length} fields, found ${cells.length}` };
    }
    const values: Record<string, string | null> = {};
    opts.columns.forEach((c, j) => (values[c] = cells[j] === '' ? null : cells[j]));
    return { row, values };
  }

  return {
    async header() {
      const { names, splitValue } = await open;
      return splitValue ? null : names;
    },
    batches,
  };
}
