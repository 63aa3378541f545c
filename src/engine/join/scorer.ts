import { UsageError } from '../../core/errors.js';
import { cachedIso } from '../../core/time.js';
import { compile, references, type Compiled, type Inputs } from '../../scenario/expression.js';
import type { Scenario, ScoreSpec } from '../../scenario/types.js';
import { FiredResult, type WindowResult } from '../operator.js';
import type { FeatureColumns, OnlineFeatures } from './online-client.js';
import { latestSnapshotDay, type Snapshot, type SnapshotStore } from './snapshot.js';

/** What a score lacked, shared by every result that lacked it (never changed): none, batch, online, both. */
const MISSING: readonly string[][] = [[], ['batch'], ['online'], ['batch', 'online']].map((m) => Object.freeze(m) as string[]);

/** A window result with its score and what the score could not use. */
export interface ScoredResult extends WindowResult {
  score: number | null;
  /** Inputs that were not available: "batch" (no snapshot row), "online" (the API failed). */
  missing: string[];
  /** The snapshot day joined, null when there was none. */
  snapshotDay: string | null;
}

export interface ActionRecord {
  window_start: string;
  window_end: string;
  key: string;
  score: number;
  action: string;
}

/** One result's inputs, reused for every row (no allocation per score). */
class RowInputs implements Inputs {
  values: Record<string, number | null> = {};
  /** This result's place in its group, and its snapshot row (-1: none). */
  i = 0;
  row = -1;
  /**
   * The snapshot columns the formula reads, gathered for the group's rows before any is scored:
   * the rows are all over columns of a million customers, and loads that do not wait on each other
   * overlap their cache misses (reading them result by result was a fifth of scoring's time).
   */
  readonly #gathered: Float64Array[] = [];
  readonly #batchAt = new Map<string, number>();

  constructor(readonly batchColumns: readonly string[]) {
    batchColumns.forEach((name, c) => {
      this.#batchAt.set(name, c);
      this.#gathered.push(new Float64Array(1024));
    });
  }

  /** The batch columns' values at `rows` (the group's, n of them; -1: none). */
  gather(snapshot: Snapshot, rows: Int32Array, n: number): void {
    for (let c = 0; c < this.batchColumns.length; c++) {
      const col = snapshot.columns.get(this.batchColumns[c])!;
      let g = this.#gathered[c];
      if (g.length < n) g = this.#gathered[c] = new Float64Array(Math.max(n, g.length * 2));
      for (let i = 0; i < n; i++) {
        const r = rows[i];
        g[i] = r < 0 ? NaN : col[r];
      }
    }
  }
  /** The minute's online features, and this result's row of them (-1: none came back). */
  features: FeatureColumns | undefined;
  at = -1;
  /** Column of each online feature name in `features` (made again when the columns' names change). */
  readonly featureAt = new Map<string, number>();
  #namesOf: readonly string[] | undefined;

  setFeatures(f: FeatureColumns | undefined): void {
    this.features = f;
    if (f === undefined || f.names === this.#namesOf) return;
    this.#namesOf = f.names;
    this.featureAt.clear();
    f.names.forEach((name, j) => this.featureAt.set(name, j));
  }

  window(name: string): number | null {
    return this.values[name] ?? null;
  }
  batch(name: string): number | null {
    if (this.row < 0) return null;
    const v = this.#gathered[this.#batchAt.get(name)!][this.i];
    return Number.isNaN(v) ? null : v;
  }
  online(name: string): number | null {
    const j = this.featureAt.get(name);
    if (this.at < 0 || j === undefined) return null;
    const f = this.features as FeatureColumns;
    const v = f.values[this.at * f.names.length + j];
    return Number.isNaN(v) ? null : v;
  }
}

/** The pure part: a score from the formula, clamped to the range; NULL or NaN is no score. */
export function clampScore(v: number | null, [lo, hi]: [number, number]): number | null {
  if (v === null || Number.isNaN(v)) return null;
  return v < lo ? lo : v > hi ? hi : v;
}

/** The most urgent action whose threshold the score is under (actions sorted by threshold). */
export function actionFor(score: number | null, actions: ScoreSpec['actions']): string | undefined {
  if (score === null) return undefined;
  for (const a of actions) if (score < a.below) return a.name;
  return undefined;
}

/**
 * Joins fired windows with the latest batch snapshot and the online features of their minute, and
 * scores them. The I/O edge of scoring: the snapshot store and the API client do the reading; the
 * formula is compiled once.
 */
export class Scorer {
  readonly spec: ScoreSpec;
  readonly #formula: Compiled;
  readonly #inputs: RowInputs;
  readonly #iso = cachedIso();
  #rows = new Int32Array(1024);
  /**
   * Each key's snapshot row by its id in the window state, and the key it was looked up for (an id
   * is reused for another key once its key holds no state): a customer fires minute after minute,
   * and its row is found by the id, one load, not by hashing its key into a table of millions (a
   * chain of cache misses: ~8% of the engine's thread at a million active customers). Of `#cacheOf`.
   */
  #rowById = new Int32Array(0);
  #keyById: (string | undefined)[] = [];
  #cacheOf: Snapshot | undefined;
  #missRows = new Int32Array(1024);

  constructor(
    scenario: Scenario,
    readonly snapshots: SnapshotStore | undefined,
    readonly online: OnlineFeatures | undefined,
  ) {
    if (scenario.score === undefined) throw new Error('Scorer needs a scenario with a score');
    this.spec = scenario.score;
    this.#formula = compile(this.spec.expr);
    this.#inputs = new RowInputs(Scorer.batchColumns(this.spec));
  }

  /** Online features the formula reads: the columns asked of the API's client. */
  static onlineFeatures(spec: ScoreSpec): string[] {
    return references(spec.expr).online;
  }

  /** Columns the formula reads from the snapshot. */
  static batchColumns(spec: ScoreSpec): string[] {
    return references(spec.expr).batch;
  }

  /**
   * Loads the first snapshot; without one, a batch join is a usage error (nothing to join with).
   * `scoped`: only check that there is one; a Kafka member loads its partitions' customers once it knows them.
   */
  async start(scoped = false): Promise<void> {
    if (this.snapshots === undefined) return;
    const s = scoped ? latestSnapshotDay(this.snapshots.dir, this.snapshots.prefix) : await this.snapshots.refresh(true);
    if (s === undefined) throw new UsageError(`no snapshot ${this.snapshots.prefix}-YYYY-MM-DD.{parquet,csv,jsonl} or ${this.snapshots.prefix}/date=YYYY-MM-DD/part-i-of-n.* in ${this.snapshots.dir} (run sat gen, or pass --snapshots DIR)`);
  }

  async score(rows: WindowResult[]): Promise<{ results: ScoredResult[]; actions: ActionRecord[] }> {
    const snapshot = await this.snapshots?.refresh();
    // One bulk fetch per minute: the rows of one window end share it.
    const byEnd = new Map<number, WindowResult[]>();
    for (const r of rows) {
      const g = byEnd.get(r.windowEnd);
      if (g) g.push(r);
      else byEnd.set(r.windowEnd, [r]);
    }
    const features = new Map<number, FeatureColumns>();
    if (this.online) {
      const fetched = await Promise.all([...byEnd].map(([end, g]) => this.online!.features(Math.floor(end / 60_000), g.map((r) => r.key))));
      [...byEnd.keys()].forEach((end, i) => features.set(end, fetched[i]));
    }
    const results: ScoredResult[] = [];
    const actions: ActionRecord[] = [];
    const x = this.#inputs;
    for (const [end, group] of byEnd) {
      const online = features.get(end);
      x.setFeatures(online);
      // The group's snapshot rows, looked up together (their cache misses overlap).
      if (this.#rows.length < group.length) this.#rows = new Int32Array(Math.max(group.length, this.#rows.length * 2));
      const rows = this.#rows;
      if (snapshot) {
        this.#rowsOf(snapshot, group, rows);
        x.gather(snapshot, rows, group.length);
      }
      for (let i = 0; i < group.length; i++) {
        const r = group[i];
        x.values = r.values;
        x.i = i;
        x.row = snapshot ? rows[i] : -1;
        // The columns hold the group's keys in order (they were asked for in this order).
        x.at = online !== undefined && online.found[i] === 1 ? i : -1;
        const missing = MISSING[(this.snapshots && x.row < 0 ? 1 : 0) + (this.online && x.at < 0 ? 2 : 0)];
        const score = clampScore(this.#formula(x), this.spec.range);
        // A literal, not a spread of r: this runs for every result.
        results.push({ windowStart: r.windowStart, windowEnd: r.windowEnd, key: r.key, values: r.values, score, missing, snapshotDay: snapshot?.day ?? null });
        const action = actionFor(score, this.spec.actions);
        if (action !== undefined) actions.push({ window_start: this.#iso(r.windowStart), window_end: this.#iso(end), key: r.key, score: score as number, action });
      }
    }
    return { results, actions };
  }

  /** The snapshot rows of the group's keys into `rows` (-1: none): cached by key id, the rest looked up together. */
  #rowsOf(snapshot: Snapshot, group: readonly WindowResult[], rows: Int32Array): void {
    if (snapshot !== this.#cacheOf) {
      this.#cacheOf = snapshot;
      this.#keyById.fill(undefined);
    }
    const keyById = this.#keyById;
    const missKeys: string[] = [];
    const missAt: number[] = [];
    for (let i = 0; i < group.length; i++) {
      const r = group[i];
      const id = FiredResult.keyIdOf(r);
      if (id >= 0 && keyById[id] === r.key) rows[i] = this.#rowById[id];
      else {
        missAt.push(i);
        missKeys.push(r.key);
      }
    }
    if (missKeys.length === 0) return;
    if (this.#missRows.length < missKeys.length) this.#missRows = new Int32Array(Math.max(missKeys.length, this.#missRows.length * 2));
    const found = this.#missRows;
    snapshot.index.rowsOf(missKeys, found);
    for (let j = 0; j < missAt.length; j++) {
      const i = missAt[j];
      rows[i] = found[j];
      const id = FiredResult.keyIdOf(group[i]);
      if (id < 0) continue;
      if (id >= this.#rowById.length) this.#growCache(id + 1);
      this.#rowById[id] = found[j];
      this.#keyById[id] = missKeys[j];
    }
  }

  #growCache(n: number): void {
    const len = Math.max(n, 2 * this.#rowById.length, 1024);
    const rows = new Int32Array(len);
    rows.set(this.#rowById);
    this.#rowById = rows;
    // Filled, so the array stays packed (an assignment far past its end would make it a dictionary).
    const keys = new Array<string | undefined>(len).fill(undefined);
    for (let i = 0; i < this.#keyById.length; i++) keys[i] = this.#keyById[i];
    this.#keyById = keys;
  }
}

/**
 * Scores results while the engine reads on: each batch of fired windows is scored as soon as it
 * fires, written in firing order, and at most `maxInFlight` batches wait at once (then the engine
 * waits: backpressure, as Flink's ordered async I/O does).
 */
/** Windows fired at `firedAt`, being scored. */
export interface InFlight {
  rows: WindowResult[];
  firedAt: number;
}

export class ScoringPipeline {
  #chain: Promise<void> = Promise.resolve();
  /** Submitted and not yet written, oldest first: what a checkpoint holds, as Flink's async I/O operator does. */
  #inFlight: InFlight[] = [];
  #error: unknown;

  constructor(
    readonly scorer: Scorer,
    readonly write: (r: { results: ScoredResult[]; actions: ActionRecord[] }, firedAt: number) => void,
    readonly maxInFlight = 4,
  ) {}

  /** Scores windows fired at `firedAt` (ms since the epoch). */
  submit(rows: WindowResult[], firedAt: number): void {
    if (this.#error !== undefined) throw this.#error;
    const scored = this.scorer.score(rows);
    scored.catch(() => undefined); // handled in order below
    this.#inFlight.push({ rows, firedAt });
    this.#chain = this.#chain.then(async () => {
      try {
        this.write(await scored, firedAt);
      } catch (e) {
        this.#error ??= e;
      } finally {
        this.#inFlight.shift();
      }
    });
  }

  /** Something is being scored (API calls in flight). */
  get busy(): boolean {
    return this.#inFlight.length > 0;
  }

  get full(): boolean {
    return this.#inFlight.length >= this.maxInFlight;
  }

  /**
   * The fired windows not yet written, for a checkpoint taken now: a restore submits them again, so
   * a checkpoint need not wait for the API (the outputs it records hold none of them).
   */
  inFlight(): InFlight[] {
    return [...this.#inFlight];
  }

  /** Rethrows the first failure so far. */
  check(): void {
    if (this.#error !== undefined) throw this.#error;
  }

  /** Waits until everything submitted is written; rethrows the first failure. */
  async drain(): Promise<void> {
    await this.#chain;
    if (this.#error !== undefined) throw this.#error;
  }
}
