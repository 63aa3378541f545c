import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { flatRowGroups, type RowGroup } from './parquet-groups.js';
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
    // A row group at a time, each column decoded once (flatRowGroups), then handed on CHUNK rows at a time.
    const groups = nested ? nestedRowGroups(file, metadata, read) : flatRowGroups(file, metadata, read);
    for await (const group of groups) {
      const cols = read.map((c) => [c, group.columns.get(c) as ArrayLike<unknown>] as const);
      for (let start = 0; start < group.rows; start += CHUNK) {
        const end = Math.min(group.rows, start + CHUNK);
        const batch: SourceRow[] = [];
        for (let i = start; i < end; i++) batch.push(toRow(group.row + i, i, cols, splitValue, dates));
        yield batch;
      }
    }
  }

  function toRow(row: number, i: number, cols: readonly (readonly [string, ArrayLike<unknown>])[], splitValue: boolean, dates: Set<string>): SourceRow {
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
    rows: async () => Number((await open).metadata.num_rows),
  };
}

/** Nested columns (lists, structs): a row group at a time as assembled objects, each column's cells taken from them. */
async function* nestedRowGroups(file: AsyncBuffer, metadata: FileMetaData, columns: string[]): AsyncGenerator<RowGroup> {
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const rows = Number(group.num_rows);
    const objects = await parquetReadObjects({ file, metadata, columns, rowStart: groupStart, rowEnd: groupStart + rows });
    yield { row: groupStart, rows, columns: new Map(columns.map((c) => [c, objects.map((o) => o[c])])) };
    groupStart += rows;
  }
}
