import { createWriteStream, renameSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';

export type TableFormat = 'parquet' | 'csv' | 'jsonl';
export type ColumnType = 'string' | 'double' | 'int' | 'boolean' | 'timestamp';
export interface Column {
  name: string;
  type: ColumnType;
  nullable?: boolean;
}
type Cell = string | number | boolean | null;

/**
 * Writes rows to Parquet, CSV or JSONL with flat memory. Parquet rows are buffered by column and
 * written a row group at a time, the group sized so a group holds ~4M cells whatever the width
 * (5,000 feature columns get small groups, narrow tables large ones).
 */
export interface TableWriter {
  write(row: Cell[]): Promise<void> | void;
  close(): Promise<void>;
}

/**
 * The file is written as <path>.partial and renamed when closed, so a reader watching the directory
 * (sat run reloading the newest snapshot) never sees half a file under the final name.
 */
export function openTable(path: string, format: TableFormat, columns: Column[]): TableWriter {
  const partial = `${path}.partial`;
  const t = format === 'parquet' ? parquetTable(partial, columns) : textTable(partial, format, columns);
  return {
    write: (row) => t.write(row),
    async close() {
      await t.close();
      renameSync(partial, path);
    },
  };
}

function parquetTable(path: string, columns: Column[]): TableWriter {
  const groupRows = Math.max(1000, Math.min(100_000, Math.floor(4_000_000 / columns.length)));
  let buffers: Cell[][] = columns.map(() => []);
  const source = (bufs: Cell[][]): ColumnSource[] =>
    columns.map((c, i) => ({
      name: c.name,
      data: c.type === 'timestamp' ? bufs[i].map((v) => (v === null ? null : new Date(v as number))) : c.type === 'int' ? bufs[i].map((v) => (v === null ? null : BigInt(v as number))) : bufs[i],
      type: c.type === 'string' ? 'STRING' : c.type === 'double' ? 'DOUBLE' : c.type === 'int' ? 'INT64' : c.type === 'boolean' ? 'BOOLEAN' : 'TIMESTAMP',
      nullable: c.nullable ?? false,
    }));
  const writer = new ParquetWriter({ writer: fileWriter(path), schema: schemaFromColumnData({ columnData: source(buffers) }) });
  const flush = () => {
    if (buffers[0].length === 0) return;
    writer.write({ columnData: source(buffers), rowGroupSize: groupRows });
    buffers = columns.map(() => []);
  };
  return {
    write(row) {
      for (let i = 0; i < row.length; i++) buffers[i].push(row[i]);
      if (buffers[0].length >= groupRows) flush();
    },
    async close() {
      flush();
      writer.finish();
    },
  };
}

function textTable(path: string, format: 'csv' | 'jsonl', columns: Column[]): TableWriter {
  const out: WriteStream = createWriteStream(path);
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
    const ok = out.write(`${buf.join('\n')}\n`);
    buf = [];
    if (!ok) await once(out, 'drain');
  };
  return {
    write(row) {
      buf.push(line(row));
      if (buf.length >= 4096) return drain();
    },
    async close() {
      await drain();
      out.end();
      await once(out, 'finish');
    },
  };
}
