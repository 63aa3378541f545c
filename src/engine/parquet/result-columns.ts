/** A row group of results as plain arrays (what the engine's thread collects and hands over). */
export interface ResultRows {
  start: number[];
  end: number[];
  key: string[];
  emit: number[];
  aggs: (number | null)[][];
  score: (number | null)[];
  missing: string[];
  snapshotDay: (string | null)[];
}

export function emptyRows(aggs: number): ResultRows {
  return { start: [], end: [], key: [], emit: [], aggs: Array.from({ length: aggs }, () => []), score: [], missing: [], snapshotDay: [] };
}
