import { readLines, type Encoding } from './lines.js';
import type { Source, SourceRow } from './types.js';

/** JSON Lines: one object per line; values become text (the scenario types them again). */
export function jsonlSource(path: string, encoding: Encoding = 'utf8'): Source {
  async function* batches(): AsyncGenerator<SourceRow[]> {
    let batch: SourceRow[] = [];
    let row = 0;
    for await (const l of readLines(path, encoding)) {
      const line = l.text.endsWith('\r') ? l.text.slice(0, -1) : l.text;
      if (line.trim() === '') continue;
      if (l.invalidAt !== undefined) {
        batch.push({ row: row++, raw: line, problem: `not UTF-8 (byte ${l.invalidAt} of the line)` });
        continue;
      }
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        obj = undefined;
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        batch.push({ row, raw: line, problem: 'not a JSON object' });
      } else {
        const values: Record<string, string | null> = {};
        for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
          values[k] = v === null || v === '' ? null : typeof v === 'string' ? v : JSON.stringify(v);
        }
        batch.push({ row, values });
      }
      row++;
      if (batch.length >= 2048) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
  return { header: async () => null, batches };
}
