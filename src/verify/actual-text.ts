import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { readLines } from '../sources/lines.js';
import { isUtf8File, utf8Copy } from './source-text.js';

export interface ResultsView {
  /** The results to read: the given path, or a UTF-8 copy of it. */
  path: string;
  /** Lines that are not UTF-8, and the first of them. */
  notUtf8: number;
  example?: string;
  done: () => void;
}

/**
 * An engine's text results (CSV, JSONL) with bytes that are not UTF-8 make DuckDB stop (CSV) or
 * silently drop the line (JSON with ignore_errors). Such results are read from a UTF-8 copy (the
 * bad bytes as U+FFFD, so a key with one matches nothing), and the bad lines are counted so that
 * the "results are well-formed" check names them. A directory is copied whole, so that Spark's
 * key=value folders still become columns.
 */
export async function utf8Results(path: string, files: string[], format: string | undefined): Promise<ResultsView> {
  const bad: string[] = [];
  // Parquet stores its own encoding; CSV and JSON (with or without an extension: Flink's part files) are text.
  if (format !== 'parquet') for (const f of files) if (!(await isUtf8File(f))) bad.push(f);
  if (bad.length === 0) return { path, notUtf8: 0, done: () => undefined };
  let notUtf8 = 0;
  let example: string | undefined;
  for (const f of bad) {
    let n = 0;
    for await (const line of readLines(f, 'utf8')) {
      n++;
      if (line.invalidAt === undefined) continue;
      notUtf8++;
      example ??= `line ${n} of ${f}, byte ${line.invalidAt}`;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'sat-results-'));
  const isDir = statSync(path).isDirectory();
  const root = join(dir, basename(path)); // the same name: an extensionless part file stays one
  if (isDir) cpSync(path, root, { recursive: true });
  for (const f of bad) await utf8Copy(f, 'utf8', isDir ? join(root, relative(path, f)) : root);
  return { path: root, notUtf8, example, done: () => rmSync(dir, { recursive: true, force: true }) };
}
