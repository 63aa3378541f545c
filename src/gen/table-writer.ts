import { renameSync } from 'node:fs';
import { fsError, NamedWriteStream } from '../core/fs-errors.js';
import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';

export type TableFormat = 'parquet' | 'csv' | 'jsonl';
export type ColumnType = 'string' | 'double' | 'int' | 'boolean' | 'timestamp';
export interface Column {
  name: string;
  type: ColumnType;
  nullable?: boolean;
  /** Random doubles that snappy would not shrink: written uncompressed (a 'double' column only). */
  incompressible?: boolean;
  /** Doubles of few distinct values (one decimal in a range): dictionary-encoded (a 'double' column only). */
  fewValues?: boolean;
}
type Cell = string | number | boolean | null;
/** n rows of one column: cells, or unboxed doubles (a non-null 'double' column), or 0/1 bytes (a non-null 'boolean' column). */
export type ColumnData = Cell[] | Float64Array | Uint8Array;

/**
 * Writes rows to Parquet, CSV or JSONL with flat memory. Parquet rows are buffered by column and
 * written a row group at a time, the group sized so a group holds ~4M cells whatever the width
 * (5,000 feature columns get small groups, narrow tables large ones).
 */
export interface TableWriter {
  /** Rows per Parquet row group: the block size `writeColumns` writes best. */
  readonly groupRows: number;
  write(row: Cell[]): Promise<void> | void;
  /** Writes n rows given column by column (each column at least n long), after the rows written before. */
  writeColumns(n: number, data: ColumnData[]): Promise<void> | void;
  close(): Promise<void>;
}

/**
 * The file is written as <path>.partial and renamed when closed, so a reader watching the directory
 * (sat run reloading the newest snapshot) never sees half a file under the final name.
 */
export function openTable(path: string, format: TableFormat, columns: Column[]): TableWriter {
  const partial = `${path}.partial`;
  // A failure (a full disk) names the file being made, as the user asked for it.
  const named = <T>(f: () => T): T => {
    try {
      const r = f();
      return r instanceof Promise ? (r.catch((e: unknown) => Promise.reject(fsError(e, path))) as T) : r;
    } catch (e) {
      throw fsError(e, path);
    }
  };
  const t = named(() => (format === 'parquet' ? parquetTable(partial, columns) : textTable(partial, path, format, columns)));
  return {
    groupRows: t.groupRows,
    write: (row) => named(() => t.write(row)),
    writeColumns: (n, data) => named(() => t.writeColumns(n, data)),
    async close() {
      await named(() => t.close());
      named(() => renameSync(partial, path));
    },
  };
}

/**
 * Cells per Parquet row group: 32M (a 5,000-column group of ~6,400 rows, 256 MB of doubles; Parquet
 * suggests groups of 512 MB to 1 GB). Few, large groups keep the footer small: the writer holds every
 * column chunk's metadata until the file is finished, and every reader parses all of it. 1M rows of
 * 5,000 columns in groups of 1,000 rows made 5M chunks (~3 GB in the writer); in groups of 3,200 the
 * snapshot store peaked at 1.9 GB reading four columns back.
 */
const GROUP_CELLS = 32_000_000;

/**
 * The writer keeps each column chunk's metadata for the footer (~600 bytes each). Each row group's
 * chunks get their own `encodings` and `path_in_schema` arrays, equal for a column in every group:
 * sharing the first group's halves what a wide file holds, and chunks with no page index to write
 * need no entry of their own in the pending indexes.
 */
function compactMetadata(writer: ParquetWriter, from: number): void {
  const groups = writer.row_groups;
  const first = groups[0]?.columns;
  for (let g = Math.max(1, from); g < groups.length; g++) {
    const cols = groups[g].columns;
    if (first === undefined || cols.length !== first.length) continue;
    for (let j = 0; j < cols.length; j++) {
      const m = cols[j].meta_data;
      const f = first[j].meta_data;
      if (m === undefined || f === undefined) continue;
      if (sameStrings(m.encodings, f.encodings)) m.encodings = f.encodings;
      if (sameStrings(m.path_in_schema, f.path_in_schema)) m.path_in_schema = f.path_in_schema;
    }
  }
  writer.pendingIndexes = writer.pendingIndexes.filter((x) => x.columnIndex || x.offsetIndex || x.bloomFilter);
}

/** Writes one or more row groups, then compacts their metadata. */
function writeGroups(writer: ParquetWriter, columnData: ColumnSource[], rowGroupSize: number): void {
  const from = writer.row_groups.length;
  writer.write({ columnData, rowGroupSize });
  compactMetadata(writer, from);
}

const sameStrings = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function parquetTable(path: string, columns: Column[]): TableWriter {
  const groupRows = Math.max(1000, Math.min(100_000, Math.floor(GROUP_CELLS / columns.length)));
  // Non-null doubles are buffered unboxed (a 5,000-column table is mostly doubles: boxed, GC was a
  // quarter of the time) and written PLAIN: continuous values never win a dictionary, and sampling
  // one per column chunk cost 15%. No min/max statistics for them either (12% of the time): on
  // random features they prune no row group.
  const unboxed = columns.map((c) => c.type === 'double' && !c.nullable);
  const fresh = (): (Cell[] | Float64Array)[] => columns.map((_, i) => (unboxed[i] ? new Float64Array(groupRows) : []));
  let buffers = fresh();
  let rows = 0;
  const source = (bufs: ColumnData[], n: number): ColumnSource[] =>
    columns.map((c, i) => {
      const b = bufs[i];
      if (b instanceof Float64Array) return { name: c.name, data: b.subarray(0, n), type: 'DOUBLE', nullable: false, encoding: c.fewValues ? 'RLE_DICTIONARY' : 'PLAIN', statistics: false, ...(c.incompressible && { codec: 'UNCOMPRESSED' as const }) };
      // Flags: true and false in every group, so min/max prune nothing either.
      if (b instanceof Uint8Array) return { name: c.name, data: Array.from(b.subarray(0, n), (v) => v === 1), type: 'BOOLEAN', nullable: false, statistics: false };
      const cells = b.length === n ? b : b.slice(0, n);
      return {
        name: c.name,
        data: c.type === 'timestamp' ? cells.map((v) => (v === null ? null : new Date(v as number))) : c.type === 'int' ? cells.map((v) => (v === null ? null : BigInt(v as number))) : cells,
        type: c.type === 'string' ? 'STRING' : c.type === 'double' ? 'DOUBLE' : c.type === 'int' ? 'INT64' : c.type === 'boolean' ? 'BOOLEAN' : 'TIMESTAMP',
        nullable: c.nullable ?? false,
      };
    });
  const writer = new ParquetWriter({ writer: fileWriter(path), schema: schemaFromColumnData({ columnData: source(buffers, 0) }) });
  const flush = () => {
    if (rows === 0) return;
    writeGroups(writer, source(buffers, rows), groupRows);
    buffers = fresh();
    rows = 0;
  };
  return {
    groupRows,
    write(row) {
      for (let i = 0; i < row.length; i++) {
        const b = buffers[i];
        if (b instanceof Float64Array) b[rows] = row[i] as number;
        else b.push(row[i]);
      }
      if (++rows >= groupRows) flush();
    },
    writeColumns(n, data) {
      flush();
      if (n > 0) writeGroups(writer, source(data, n), groupRows);
    },
    async close() {
      flush();
      writer.finish();
    },
  };
}

function textTable(path: string, shown: string, format: 'csv' | 'jsonl', columns: Column[]): TableWriter {
  const out = new NamedWriteStream(path, shown);
  let buf: string[] = [];
  const names = columns.map((c) => c.name);
  const csvCell = (v: Cell, c: Column) => {
    if (v === null) return '';
    if (c.type === 'timestamp') return new Date(v as number).toISOString();
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const line =
    format === 'csv'
      ? (row: Cell[]) => row.map((v, i) => csvCell(v, columns[i])).join(',')
      : (row: Cell[]) => {
          const o: Record<string, Cell | string> = {};
          for (let i = 0; i < row.length; i++) o[names[i]] = columns[i].type === 'timestamp' && row[i] !== null ? new Date(row[i] as number).toISOString() : row[i];
          return JSON.stringify(o);
        };
  if (format === 'csv') buf.push(names.join(','));
  const drain = async () => {
    if (buf.length === 0) return;
    const text = `${buf.join('\n')}\n`;
    buf = [];
    await out.write(text);
  };
  const cell = (d: ColumnData, r: number, c: Column): Cell => (d instanceof Uint8Array && c.type === 'boolean' ? d[r] === 1 : d[r]);
  return {
    groupRows: 4096,
    write(row) {
      buf.push(line(row));
      if (buf.length >= 4096) return drain();
    },
    async writeColumns(n, data) {
      const row: Cell[] = new Array(columns.length);
      for (let r = 0; r < n; r++) {
        for (let i = 0; i < columns.length; i++) row[i] = cell(data[i], r, columns[i]);
        buf.push(line(row));
        if (buf.length >= 4096) await drain();
      }
    },
    async close() {
      await drain();
      await out.end();
    },
  };
}
