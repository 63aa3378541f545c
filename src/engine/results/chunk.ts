/**
 * Results as the engine's thread hands them to the results thread: the numbers in typed arrays,
 * moved rather than copied, with a flag per aggregate or score that is null; keys and texts in
 * arrays. Arrays of numbers grown a push at a time and then structured-cloned into the other heap
 * were a quarter of what the engine's thread allocated on reviews (about one result per record),
 * and their clone ~4% of its time.
 */
export interface ResultChunk {
  /** Rows filled. */
  n: number;
  /** Rows there is room for: aggregate j of row i is at j * capacity + i. */
  capacity: number;
  start: Float64Array;
  end: Float64Array;
  emit: Float64Array;
  key: string[];
  aggs: Float64Array;
  /** 1 where that aggregate is null. */
  nulls: Uint8Array;
  /**
   * Scored results: the score (scoreNull 1: null); the missing sources comma-joined and the
   * snapshot's day, each as its index in `texts`. They repeat (a few combinations of sources, a
   * day or two), and two arrays of a string per row cloned into the results thread were two thirds
   * of a chunk's handing over (~75 of ~115 µs a chunk of 1,024) and of the strings that thread made.
   */
  score: Float64Array;
  scoreNull: Uint8Array;
  missing: Int32Array;
  snapshotDay: Int32Array;
  /** The distinct texts of `missing` and `snapshotDay` in this chunk (null: a snapshot day that is null). */
  texts: (string | null)[];
}

export function emptyChunk(aggs: number, scored: boolean, capacity = 1024): ResultChunk {
  const s = scored ? capacity : 0;
  return {
    n: 0,
    capacity,
    start: new Float64Array(capacity),
    end: new Float64Array(capacity),
    emit: new Float64Array(capacity),
    key: [],
    aggs: new Float64Array(aggs * capacity),
    nulls: new Uint8Array(aggs * capacity),
    score: new Float64Array(s),
    scoreNull: new Uint8Array(s),
    missing: new Int32Array(s),
    snapshotDay: new Int32Array(s),
    texts: [],
  };
}

/** Aggregate j of row i (null where it is null). */
export const aggAt = (c: ResultChunk, j: number, i: number): number | null => (c.nulls[j * c.capacity + i] === 1 ? null : c.aggs[j * c.capacity + i]);
export const scoreAt = (c: ResultChunk, i: number): number | null => (c.scoreNull[i] === 1 ? null : c.score[i]);
export const missingAt = (c: ResultChunk, i: number): string => c.texts[c.missing[i]]!;
export const snapshotDayAt = (c: ResultChunk, i: number): string | null => c.texts[c.snapshotDay[i]];

/** Fills chunks row by row; a full chunk is copied into one twice its size (a sink hands its chunks over before they fill). */
export class ChunkBuilder {
  chunk: ResultChunk;
  /** The chunk's texts, by their index. */
  readonly #texts = new Map<string | null, number>();

  constructor(
    readonly aggs: number,
    readonly scored: boolean,
    readonly capacity = 1024,
  ) {
    this.chunk = emptyChunk(aggs, scored, capacity);
  }

  /** Starts a row; its aggregates (and score) are set next. Answers its index. */
  row(start: number, end: number, key: string, emit: number): number {
    let c = this.chunk;
    if (c.n === c.capacity) c = this.chunk = grown(c, this.aggs, this.scored);
    const i = c.n++;
    c.start[i] = start;
    c.end[i] = end;
    c.emit[i] = emit;
    c.key.push(key);
    return i;
  }

  agg(j: number, i: number, v: number | null): void {
    const c = this.chunk;
    const at = j * c.capacity + i;
    if (v === null) c.nulls[at] = 1;
    else c.aggs[at] = v;
  }

  scoredRow(i: number, score: number | null, missing: string, snapshotDay: string | null): void {
    const c = this.chunk;
    if (score === null) c.scoreNull[i] = 1;
    else c.score[i] = score;
    c.missing[i] = this.#text(missing);
    c.snapshotDay[i] = this.#text(snapshotDay);
  }

  /** A text's index in the chunk's texts (added the first time). */
  #text(t: string | null): number {
    let k = this.#texts.get(t);
    if (k === undefined) {
      k = this.chunk.texts.push(t) - 1;
      this.#texts.set(t, k);
    }
    return k;
  }

  /** The chunk filled so far, a new one begun. */
  take(): ResultChunk {
    const c = this.chunk;
    this.chunk = emptyChunk(this.aggs, this.scored, this.capacity);
    this.#texts.clear();
    return c;
  }
}

function grown(c: ResultChunk, aggs: number, scored: boolean): ResultChunk {
  const g = emptyChunk(aggs, scored, c.capacity * 2);
  g.n = c.n;
  g.start.set(c.start);
  g.end.set(c.end);
  g.emit.set(c.emit);
  g.key = c.key;
  for (let j = 0; j < aggs; j++) {
    g.aggs.set(c.aggs.subarray(j * c.capacity, (j + 1) * c.capacity), j * g.capacity);
    g.nulls.set(c.nulls.subarray(j * c.capacity, (j + 1) * c.capacity), j * g.capacity);
  }
  g.score.set(c.score);
  g.scoreNull.set(c.scoreNull);
  g.missing.set(c.missing);
  g.snapshotDay.set(c.snapshotDay);
  g.texts = c.texts;
  return g;
}

/** The buffers of a chunk, moved (not copied) to the results thread. */
export const chunkTransfers = (c: ResultChunk): ArrayBuffer[] => [c.start, c.end, c.emit, c.aggs, c.nulls, c.score, c.scoreNull, c.missing, c.snapshotDay].map((a) => a.buffer as ArrayBuffer);
