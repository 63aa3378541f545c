import { closeSync, writeSync } from 'node:fs';
import { openEmpty } from '../../core/open-empty.js';
import { ENGINE_AGGREGATIONS } from '../aggregations/index.js';
import type { Aggregation } from '../../scenario/types.js';
import { Bytes } from '../../core/byte-buffer.js';
import { ColumnChunk, type ChunkMeta } from './column-chunk.js';
import type { ResultRows } from './result-columns.js';
import { CompactWriter, TType } from './thrift-compact.js';

/** How a results column is stored: INT64 (TIMESTAMP_MILLIS for timestamps), DOUBLE or BYTE_ARRAY (UTF8). */
export type ColumnKind = 'timestamp' | 'int64' | 'double' | 'string';

export interface ResultsColumn {
  name: string;
  kind: ColumnKind;
  nullable: boolean;
  values: (r: ResultRows) => ArrayLike<number | string | null>;
}

const PHYSICAL_TYPE: Record<ColumnKind, number> = { timestamp: 2, int64: 2, double: 5, string: 6 };
const CONVERTED_TYPE: Partial<Record<ColumnKind, number>> = { timestamp: 9, string: 0 };

/**
 * The results' columns, in file order: timestamps in ms, counts INT64, other aggregates DOUBLE, the
 * score, what was missing for it ("", "online", "batch" or "batch,online") and the snapshot day.
 */
export function resultsColumns(aggs: Pick<Aggregation, 'name' | 'op'>[], scored: boolean): ResultsColumn[] {
  return [
    { name: 'window_start', kind: 'timestamp', nullable: false, values: (r) => r.start },
    { name: 'window_end', kind: 'timestamp', nullable: false, values: (r) => r.end },
    { name: 'key', kind: 'string', nullable: false, values: (r) => r.key },
    ...aggs.map((a, i): ResultsColumn =>
      ENGINE_AGGREGATIONS[a.op].integer
        ? { name: a.name, kind: 'int64', nullable: false, values: (r) => r.aggs[i] }
        : { name: a.name, kind: 'double', nullable: true, values: (r) => r.aggs[i] },
    ),
    ...(scored
      ? ([
          { name: 'score', kind: 'double', nullable: true, values: (r) => r.score },
          { name: 'missing', kind: 'string', nullable: false, values: (r) => r.missing },
          { name: 'snapshot_day', kind: 'string', nullable: true, values: (r) => r.snapshotDay },
        ] satisfies ResultsColumn[])
      : []),
    { name: 'emit_time', kind: 'timestamp', nullable: false, values: (r) => r.emit },
  ];
}

interface RowGroupMeta {
  rows: number;
  offset: number;
  compressed: number;
  uncompressed: number;
  chunks: ChunkMeta[];
}

/**
 * The results' Parquet file, written a row group at a time. The schema is fixed and flat, so each
 * column chunk is one page encoded straight from the row arrays (dictionary where values repeat,
 * plain otherwise, Snappy), with its statistics: a generic writer spent ~2.5 µs a row on it, and
 * the run shared its two cores with that (see the README's performance notes).
 */
export class ResultsParquetFile {
  readonly #fd: number;
  readonly #columns: ResultsColumn[];
  readonly #chunk = new ColumnChunk();
  readonly #group = new Bytes(1 << 20);
  readonly #groups: RowGroupMeta[] = [];
  #offset = 0;
  #rows = 0;

  constructor(path: string, aggs: Pick<Aggregation, 'name' | 'op'>[], scored: boolean) {
    this.#columns = resultsColumns(aggs, scored);
    this.#fd = openEmpty(path);
    this.#write(Buffer.from('PAR1'));
  }

  /** One row group of all `rows`. */
  writeGroup(rows: ResultRows): void {
    const n = rows.key.length;
    if (n === 0) return;
    const g = this.#group;
    g.reset();
    const chunks = this.#columns.map((c) => this.#chunk.encode(g, this.#offset, c.kind, c.nullable, c.values(rows), n));
    let uncompressed = 0;
    for (const c of chunks) uncompressed += c.uncompressed;
    this.#groups.push({ rows: n, offset: this.#offset, compressed: g.len, uncompressed, chunks });
    this.#rows += n;
    this.#write(g.view());
  }

  /** The footer (schema, row groups, statistics); closes the file. */
  finish(): void {
    const out = new Bytes();
    const t = new CompactWriter(out);
    t.element();
    t.i32(1, 2);
    t.list(2, TType.Struct, this.#columns.length + 1);
    t.element();
    t.string(4, 'root');
    t.i32(5, this.#columns.length);
    t.end();
    for (const c of this.#columns) {
      t.element();
      t.i32(1, PHYSICAL_TYPE[c.kind]);
      t.i32(3, c.nullable ? 1 : 0);
      t.string(4, c.name);
      if (CONVERTED_TYPE[c.kind] !== undefined) t.i32(6, CONVERTED_TYPE[c.kind]!);
      t.end();
    }
    t.i64(3, this.#rows);
    t.list(4, TType.Struct, this.#groups.length);
    for (const g of this.#groups) this.#rowGroup(t, g);
    t.string(6, 'sat');
    // Column orders: every column's min and max are in its type's defined order (UTF-8 bytes for strings).
    t.list(7, TType.Struct, this.#columns.length);
    for (let i = 0; i < this.#columns.length; i++) {
      t.element();
      t.struct(1);
      t.end();
      t.end();
    }
    t.end();
    const footerLength = out.len;
    out.u32(footerLength);
    out.bytes(Buffer.from('PAR1'));
    this.#write(out.view());
    closeSync(this.#fd);
  }

  #rowGroup(t: CompactWriter, g: RowGroupMeta): void {
    t.element();
    t.list(1, TType.Struct, g.chunks.length);
    g.chunks.forEach((c, i) => {
      const col = this.#columns[i];
      t.element();
      t.i64(2, c.start);
      t.struct(3);
      t.i32(1, PHYSICAL_TYPE[col.kind]);
      t.list(2, TType.I32, c.encodings.length);
      for (const e of c.encodings) t.i32Element(e);
      t.list(3, TType.Binary, 1);
      t.stringElement(col.name);
      t.i32(4, 1); // SNAPPY
      t.i64(5, g.rows);
      t.i64(6, c.uncompressed);
      t.i64(7, c.compressed);
      t.i64(9, c.dataOffset);
      if (c.dictionaryOffset >= 0) t.i64(11, c.dictionaryOffset);
      t.struct(12);
      t.i64(3, c.nulls);
      if (c.min && c.max) {
        t.binary(5, c.max);
        t.binary(6, c.min);
        t.bool(7, true);
        t.bool(8, true);
      }
      t.end();
      t.end();
      t.end();
    });
    t.i64(2, g.uncompressed);
    t.i64(3, g.rows);
    t.i64(5, g.offset);
    t.i64(6, g.compressed);
    t.end();
  }

  #write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.#fd, b, done, b.length - done);
    this.#offset += b.length;
  }
}
