import type { Scenario } from '../scenario/types.js';
import type { Encoding } from '../sources/lines.js';
import { ident, lit } from './sql.js';

export interface DatasetInfo {
  file: string;
  /** A folder's files in listing order (replay.json): row r is row r mod 2^32 of files[floor(r / 2^32)]. */
  files?: string[];
  format: 'csv' | 'tsv' | 'parquet' | 'jsonl';
  header: string[] | null;
  /** As replay read it (older replay.json files lack these: the scenario's then). */
  quote?: boolean;
  encoding?: Encoding;
}

/**
 * SQL that reads the replayed file with DuckDB's own readers (not sat's) into `src`: one VARCHAR
 * column per field the file has, NULL for empty cells, and __row, the data row's index in the file.
 * Returns the fields the file lacks (e.g. a renamed header column).
 */
export function datasetSql(s: Scenario, d: DatasetInfo, parquetColumns: Map<string, string>): { sql: string; present: Set<string> } {
  const fields = s.fields.map((f) => f.name);
  if (d.format === 'csv' || d.format === 'tsv') {
    const delim = s.source.delimiter ?? (d.format === 'tsv' ? '\t' : ',');
    const quoted = d.quote ?? s.source.quote;
    const quote = quoted ? `quote='"', escape='"'` : `quote='', escape=''`;
    const cols = d.header ?? s.source.columns;
    const present = new Set(fields.filter((f) => cols.includes(f)));
    const columns = `{${cols.map((c, i) => `${lit(`c${i}`)}: 'VARCHAR'`).join(', ')}}`;
    // Columns by position (c0, c1, ...), renamed to the header's names: duplicates or odd names cannot clash.
    const byName = new Map(cols.map((c, i) => [c, `c${i}`]));
    const select = [...present].map((f) => `NULLIF(${byName.get(f)}, '') AS ${ident(f)}`).join(', ');
    if (!quoted) {
      // Quoting off: a row is its line split on the delimiter, as sat's reader splits it. Lines are
      // taken whole (read_text), so a row of the wrong shape (or a garbage line) is a row with no
      // fields instead of a parse error; blank lines are skipped, CRLF tolerated.
      const n = cols.length;
      const cells = [...present].map((f) => `CASE WHEN len(__f) = ${n} THEN NULLIF(__f[${cols.indexOf(f) + 1}], '') END AS ${ident(f)}`).join(', ');
      return {
        present,
        sql: `SELECT __row, ${cells} FROM (
            SELECT row_number() OVER (ORDER BY __i) - ${d.header !== null ? 2 : 1} AS __row, string_split(__line, ${lit(delim)}) AS __f
            FROM (SELECT rtrim(__l, chr(13)) AS __line, __i FROM (
              SELECT unnest(string_split(content, chr(10))) AS __l, generate_subscripts(string_split(content, chr(10)), 1) AS __i FROM read_text(${lit(d.file)})))
            WHERE trim(__line) <> '')
          WHERE __row >= 0`,
      };
    }
    return {
      present,
      sql: `SELECT row_number() OVER () - 1 AS __row, ${select} FROM read_csv(${lit(d.file)}, delim=${lit(delim)}, ${quote}, header=${d.header !== null}, columns=${columns}, auto_detect=false, parallel=false)`,
    };
  }
  if (d.format === 'parquet') {
    const valueCol = s.source.parquetValueColumn;
    if (d.header === null && valueCol !== undefined) {
      const delim = s.source.delimiter ?? '\t';
      const present = new Set(fields);
      const n = s.source.columns.length;
      const select = s.source.columns
        .map((c, i) => `CASE WHEN len(__f) = ${n} THEN NULLIF(__f[${i + 1}], '') END AS ${ident(c)}`)
        .join(', ');
      return {
        present,
        sql: `SELECT __row, ${select} FROM (SELECT file_row_number AS __row, string_split(CAST(${ident(valueCol)} AS VARCHAR), ${lit(delim)}) AS __f FROM read_parquet(${lit(d.file)}, file_row_number=true))`,
      };
    }
    const present = new Set(fields.filter((f) => parquetColumns.has(f)));
    // A Parquet timestamp is an instant: written as ISO-8601 in UTC with milliseconds and a Z (README,
    // "Event time"), so a scenario's zone does not apply to it; a DATE is YYYY-MM-DD.
    const text = (f: string) => (/^TIMESTAMP/.test(parquetColumns.get(f)!) ? `strftime(${ident(f)}, '%Y-%m-%dT%H:%M:%S.%g') || 'Z'` : `CAST(${ident(f)} AS VARCHAR)`);
    const select = [...present].map((f) => `NULLIF(${text(f)}, '') AS ${ident(f)}`).join(', ');
    return { present, sql: `SELECT file_row_number AS __row, ${select} FROM read_parquet(${lit(d.file)}, file_row_number=true)` };
  }
  const present = new Set(fields);
  const select = fields.map((f) => `NULLIF(json_extract_string(json, ${lit(`$."${f}"`)}), '') AS ${ident(f)}`).join(', ');
  return {
    present,
    sql: `SELECT row_number() OVER () - 1 AS __row, ${select} FROM read_json_objects(${lit(d.file)}, format='newline_delimited')`,
  };
}
