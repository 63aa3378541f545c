import type { Encoding } from './lines.js';

/** One data row of a source file, in file order. */
export interface SourceRow {
  /** 0-based index among the file's data rows (header and blank lines not counted). */
  row: number;
  /** Cell text by column name; null for an empty cell. Absent when the row has the wrong shape. */
  values?: Record<string, string | null>;
  /** The row as it stood in the file, when it could not be split into the expected columns. */
  raw?: string;
  /** Why the row could not be split (e.g. "expected 15 fields, found 14"). */
  problem?: string;
}

/** A source reads a file as batches of rows, streaming: memory stays flat however large the file. */
export interface Source {
  /** Column names from the file's own header, or null when it has none (scenario order applies). */
  header(): Promise<string[] | null>;
  batches(): AsyncIterable<SourceRow[]>;
  /** How many data rows, where the file says without being read (Parquet's footer): replay sizes its arrays by it. */
  rows?(): Promise<number | undefined>;
}

export interface DelimitedOptions {
  delimiter: string;
  encoding: Encoding;
  /** false: quote characters are plain data. */
  quote: boolean;
  header: 'auto' | 'yes' | 'no';
  /** Names for headerless files, in column order. */
  columns: string[];
  /** Names that mark a first line as a header in 'auto' mode. */
  headerHints: string[];
}
