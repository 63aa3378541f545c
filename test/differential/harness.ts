import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WindowOperator, type EnginePolicy } from '../../src/engine/operator.js';
import { createProcessor, type Outputs } from '../../src/engine/process.js';
import { ReportBuilder } from '../../src/engine/reports.js';
import { scanColumns } from '../../src/engine/scan-record.js';
import { engineScanSteps, scanSpecOf } from '../../src/engine/scan-spec.js';
import { LEDGER_COLUMNS } from '../../src/replay/ledger.js';
import { toOutgoing } from '../../src/replay/convert.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/types.js';
import { runOracle } from '../../src/verify/oracle.js';

/**
 * The engine's operator and the oracle, side by side in one process, on one small stream: what every
 * delivery became and what every window holds must be the same. A case is a scenario (window,
 * watermark, lateness, filter, alert, emit, corrupted rows) and a stream in send order.
 */
export const U = 1000;
/** A day boundary, so windows of any size in whole seconds align with it. */
export const BASE = Date.UTC(2024, 0, 1);

export interface CaseScenario {
  window: { tumbling: number } | { sliding: number; every: number; active: boolean };
  /** Watermark delay and allowed lateness in ms. */
  delay: number;
  lateness: number;
  /** Records with v > filterAbove are aggregated; undefined: no filter. */
  filterAbove?: number;
  /** An alert for v < alertBelow. */
  alertBelow?: number;
  /** Rows whose c is empty or NONE are corrupted (split off before windowing). */
  corrupted: boolean;
  /** A set or text condition (on c or v), added to the filter and as a second alert. */
  setCondition?: string;
  /** The key is an int field (its text may carry leading zeros or a sign: one key all the same). */
  intKey?: boolean;
  /** The id is a float field, its text written several ways (7, 7.0, 7.00, -0 for 0: one id all the same). */
  floatId?: boolean;
}

export interface CaseRow {
  key: number;
  /** Event time, ms after BASE. */
  t: number;
  id: number;
  /** A float value, null (empty) or text that is not a number (a bad source row). */
  v: number | null | 'bad';
  /** The corruption marker column: 'ok', '' (missing) or 'NONE'. */
  c: 'ok' | '' | 'NONE';
}

export interface CaseDelivery {
  row: number;
  /** Replaced by garbage bytes on the way (replay's malformed fault). */
  malformed: boolean;
}

export interface Stream {
  rows: CaseRow[];
  /** Send order; a row may be delivered several times. */
  deliveries: CaseDelivery[];
}

/**
 * One scenario and several streams, sent one after the other: each stream's event times, keys and
 * ids are shifted far apart, so a stream's first record moves the watermark past every window of
 * the streams before it (as the end of input would). One oracle run then judges them all, which
 * makes a case ~20x cheaper than one DuckDB run per stream.
 */
export interface DiffCase {
  scenario: CaseScenario;
  streams: Stream[];
  model: 'global' | 'partition';
  partitions: number;
}

/** Event-time distance between streams: beyond any window, delay and lateness the arbitraries make. */
const SHIFT = 100 * U;

function flatten(c: DiffCase): Stream {
  const rows: CaseRow[] = [];
  const deliveries: CaseDelivery[] = [];
  c.streams.forEach((st, i) => {
    const first = rows.length;
    for (const r of st.rows) rows.push({ ...r, t: r.t + i * SHIFT, key: r.key + i * 3, id: r.id + i * 100 });
    for (const d of st.deliveries) deliveries.push({ row: first + d.row, malformed: d.malformed });
  });
  return { rows, deliveries };
}

export function buildScenario(c: CaseScenario): Scenario {
  const w = 'tumbling' in c.window ? { tumbling: c.window.tumbling } : { sliding: c.window.sliding, every: c.window.every, emit: c.window.active ? 'active' : 'all' };
  return parseScenario(
    {
      name: 'diff',
      key: 'k',
      event_time: 'ts',
      id: ['id'],
      fields: { id: c.floatId ? 'float' : 'string', k: c.intKey ? 'int' : 'string', ts: 'timestamp', v: 'float?', c: 'string?' },
      window: w,
      watermark: c.delay,
      allowed_lateness: c.lateness,
      filter: [...(c.filterAbove === undefined ? [] : [`v > ${c.filterAbove}`]), ...(c.setCondition === undefined ? [] : [c.setCondition])],
      aggregations: { n: 'count()', total: 'sum(v)', mean: 'avg(v)', lo: 'min(v)', hi: 'max(v)', sd: 'stddev(v)', var: 'variance(v)', nd: 'count_distinct(v)', head: 'first(v)', tail: 'last(v)' },
      alerts: { ...(c.alertBelow === undefined ? {} : { low: [`v < ${c.alertBelow}`] }), ...(c.setCondition === undefined ? {} : { set: [c.setCondition] }) },
      ...(c.corrupted ? { reports: { corrupted: { field: 'c', values: ['NONE'], missing: true }, pivot: { field: 'c' }, top_users: { field: 'k', n: 1 } } } : {}),
    },
    'differential case',
  );
}

/** What one delivery became, by (partition, offset). */
export type Fate = 'dead' | 'corrupted' | 'late' | 'duplicate' | 'filtered' | 'counted';

export interface Outcome {
  fates: string[];
  alerts: string[];
  /** "ws|key|n|total|mean|lo|hi", sorted. */
  windows: string[];
}

const cell = (v: number | null | 'bad') => (v === null ? '' : v === 'bad' ? 'x1' : String(v));
/** A key's text: k<n>, or for an int key n written three ways (as one key) by its id's parity. */
const idText = (c: DiffCase, r: CaseRow) => (c.scenario.floatId ? (r.id === 0 ? ['0', '-0', '0.0'] : [`${r.id}`, `${r.id}.0`, `${r.id}.00`])[r.key % 3] : `i${r.id}`);
const keyText = (c: DiffCase, r: CaseRow) => (c.scenario.intKey ? [`${r.key}`, `00${r.key}`, `+${r.key}`][r.id % 3] : `k${r.key}`);
const iso = (t: number) => new Date(BASE + t).toISOString();

interface Placed {
  seq: number;
  row: number;
  partition: number;
  offset: number;
  malformed: boolean;
}

function place(c: DiffCase, f: Stream): Placed[] {
  const next = new Array<number>(c.partitions).fill(0);
  return f.deliveries.map((d, seq) => {
    const partition = f.rows[d.row].key % c.partitions;
    return { seq, row: d.row, partition, offset: next[partition]++, malformed: d.malformed };
  });
}

// Ten significant digits: the engine's variance (Welford, merged per pane) and DuckDB's agree far
// closer than that, but not always to the last bit; read back as a number, so that a value a bit off
// an integer prints as the integer does ("1", not "1.000000000").
const fmt = (x: number | null | undefined) => (x === null || x === undefined ? 'null' : Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(10))));

/** The engine's side: the same validator, processor and operator sat run uses, per task. */
export function runEngine(c: DiffCase, s: Scenario = buildScenario(c.scenario), policy?: EnginePolicy): Outcome {
  const processor = createProcessor(s, s.reports ? new ReportBuilder(s.reports) : undefined);
  // Every other record is scanned as sat run's readers scan it (the key through the intern cache,
  // an id read by nothing else as a span of the bytes), the rest by the validator's own scanner.
  const steps = engineScanSteps(scanSpecOf(s));
  const cols = scanColumns(1, s.fields.length);
  const ops = new Map<number, WindowOperator>();
  const opFor = (p: number) => {
    const key = c.model === 'partition' ? p : 0;
    let op = ops.get(key);
    if (!op) ops.set(key, (op = new WindowOperator(s, policy)));
    return op;
  };
  const fates: string[] = [];
  const alerts: string[] = [];
  const windows: string[] = [];
  let fate: Fate = 'dead';
  const out: Outputs = {
    deadLetter: () => (fate = 'dead'),
    late: () => (fate = 'late'),
    alert: (alert, partition, offset) => alerts.push(`${partition}|${offset}|${alert}`),
    results: (rows) => {
      for (const r of rows) windows.push([r.windowStart, r.key, ...s.aggregations.map((a) => fmt(r.values[a.name]))].join('|'));
    },
    corrupted: () => (fate = 'corrupted'),
  };
  const f = flatten(c);
  for (const p of place(c, f)) {
    const row = f.rows[p.row];
    const payload = p.malformed ? '{"id": "trunc' : toOutgoing({ row: p.row, values: { id: idText(c, row), k: keyText(c, row), ts: iso(row.t), v: cell(row.v) || null, c: row.c || null } }, s).payload;
    const op = opFor(p.partition);
    const before = { ...op.stats };
    fate = 'dead';
    const bytes = new TextEncoder().encode(payload);
    const scanned = steps === undefined || p.offset % 2 === 1 ? undefined : steps.walk(bytes, cols, 0) ? steps.values(bytes, cols, 0) : null;
    processor.handle(op, p.partition, p.offset, bytes, out, scanned);
    if (op.stats.counted > before.counted) fate = 'counted';
    else if (op.stats.filtered > before.filtered) fate = 'filtered';
    else if (op.stats.duplicates > before.duplicates) fate = 'duplicate';
    fates.push(`${p.partition}|${p.offset}|${fate}`);
  }
  for (const op of ops.values()) {
    op.flush();
    out.results(op.takeResults(), 0);
  }
  return { fates: fates.sort(), alerts: alerts.sort(), windows: windows.sort() };
}

/** The oracle's side: the dataset as a CSV file and the ledger, through runOracle in DuckDB. */
export async function runOracleOn(db: DuckDBConnection, dir: string, c: DiffCase, s: Scenario = buildScenario(c.scenario)): Promise<Outcome> {
  const file = join(dir, 'data.csv');
  const header = ['id', 'k', 'ts', 'v', 'c'];
  const f = flatten(c);
  writeFileSync(file, `${header.join(',')}\n${f.rows.map((r) => `${idText(c, r)},${keyText(c, r)},${iso(r.t)},${cell(r.v)},${r.c}`).join('\n')}\n`);
  const ledger = join(dir, 'ledger.csv');
  const lines = place(c, f).map((p) => {
    const r = f.rows[p.row];
    return `${p.seq},${p.row},${p.partition},${p.offset},"${c.scenario.intKey ? r.key : `k${r.key}`}",${BASE + r.t},"i${r.id}",${p.malformed ? 'malformed' : 'none'},"",0,0`;
  });
  writeFileSync(ledger, `${LEDGER_COLUMNS}\n${lines.join('\n')}\n`);
  await runOracle(db, s, { file, format: 'csv', header }, ledger, c.model);
  const fates = (await db.runAndReadAll(`SELECT partition, "offset", class FROM cls`)).getRows().map(([p, o, k]) => `${p}|${o}|${k}`);
  const alerts = (await db.runAndReadAll(`SELECT partition, "offset", unnest(string_split(CAST(alerted AS VARCHAR), ',')) FROM cls WHERE alerted IS NOT NULL`)).getRows().map(([p, o, a]) => `${p}|${o}|${a}`);
  const aggs = s.aggregations.map((a) => `"${a.name}"`).join(', ');
  const windows = (await db.runAndReadAll(`SELECT ws, k, ${aggs} FROM expected`)).getRows().map((r) => [String(r[0]), String(r[1]), ...r.slice(2).map((x) => fmt(x === null ? null : Number(x)))].join('|'));
  return { fates: fates.sort(), alerts: alerts.sort(), windows: windows.sort() };
}

export async function openDb(): Promise<{ db: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run(`SET TimeZone = 'UTC'`);
  await db.run(`SET threads = 1`);
  return { db, close: () => (db.closeSync(), instance.closeSync()) };
}
