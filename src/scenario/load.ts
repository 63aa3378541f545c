import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { RawScenario } from './schema.js';
import { parseDuration, parseDurationRange } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { describeIssues } from './issues.js';
import { parseCondition } from './conditions.js';
import { parseExpression, references, type Expr } from './expression.js';
import { scoreRollupColumns } from './score-rollup.js';
import type { Aggregation, Condition, FieldSpec, FieldType, Rollup, Scenario, ScoreSpec, WindowSpec } from './types.js';
import { AGGREGATION_OPS, type FaultMix } from './types.js';
import { INJECTED_FAULTS } from '../replay/faults/kinds.js';
import { EPOCH_FORMATS, formatProblem } from '../core/time-format.js';
import { checkZone } from '../core/zone.js';

const here = dirname(fileURLToPath(import.meta.url));
/** profiles/ ships with the package: dist/scenario -> ../../profiles. */
export const PROFILES_DIR = resolve(here, '..', '..', 'profiles');

const FIELD_TYPE = /^(string|int|float|timestamp|date)(\?)?$/;
const AGGREGATION = new RegExp(`^\\s*(${AGGREGATION_OPS.join('|')})\\s*\\(\\s*([\\w-]*)\\s*\\)\\s*$`);

/** Finds a scenario by name (profiles/NAME.yaml) or path, then parses and validates it. */
export function loadScenario(nameOrPath: string): Scenario {
  const candidates = [nameOrPath, join(PROFILES_DIR, `${nameOrPath}.yaml`), join(PROFILES_DIR, `${nameOrPath}.yml`)];
  const path = candidates.find((p) => existsSync(p) && p.match(/\.ya?ml$/));
  if (path === undefined) {
    throw new UsageError(`scenario "${nameOrPath}" not found (looked for a file and in ${PROFILES_DIR})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`scenario ${path}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return parseScenario(raw, path);
}

export function parseScenario(raw: unknown, path: string): Scenario {
  const parsed = RawScenario.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(`scenario ${path}: ${describeIssues(parsed.error.issues, RawScenario, raw)}`);
  }
  const r = parsed.data;
  const fail = (msg: string): never => {
    throw new UsageError(`scenario ${path}: ${msg}`);
  };
  const dur = (v: string | number, what: string): number => {
    try {
      return typeof v === 'number' ? v : parseDuration(v, what);
    } catch (e) {
      return fail((e as Error).message);
    }
  };

  const fields: FieldSpec[] = Object.entries(r.fields).map(([name, t]) => {
    const m = FIELD_TYPE.exec(t);
    if (!m) fail(`fields.${name}: unknown type "${t}" (string, int, float, timestamp, date; add ? for nullable)`);
    return { name, type: m![1] as FieldType, nullable: m![2] === '?' };
  });
  const byName = new Map(fields.map((f) => [f.name, f]));
  const field = (name: string, what: string): FieldSpec => byName.get(name) ?? fail(`${what}: "${name}" is not in fields`);
  const numeric = (name: string, what: string): void => {
    const f = field(name, what);
    if (f.type !== 'int' && f.type !== 'float') fail(`${what}: "${name}" is ${f.type}, not a number`);
  };

  const keyType = field(r.key, 'key').type;
  if (keyType !== 'string' && keyType !== 'int') fail(`key: "${r.key}" is ${keyType}; a key is a string or int field`);
  if (field(r.key, 'key').nullable) fail(`key: "${r.key}" cannot be nullable`);
  const time = typeof r.event_time === 'string' ? { field: r.event_time, format: 'iso', zone: 'UTC' } : r.event_time;
  const et = field(time.field, 'event_time');
  if (et.type !== 'timestamp' && et.type !== 'date') fail(`event_time: "${time.field}" must be a timestamp or date field`);
  if (et.nullable) fail(`event_time: "${time.field}" cannot be nullable`);
  const formatProblemText = formatProblem(time.format);
  if (formatProblemText !== undefined) fail(`event_time.format: ${formatProblemText}`);
  const zoneProblem = checkZone(time.zone);
  if (zoneProblem !== undefined) fail(`event_time.zone: ${zoneProblem}`);
  if (time.format in EPOCH_FORMATS && time.zone !== 'UTC') fail(`event_time.zone: an epoch number is an instant already; drop the zone or use a pattern`);
  if (time.format in EPOCH_FORMATS && et.type === 'date') fail(`event_time.format: ${time.format} needs a timestamp field, "${time.field}" is a date`);
  r.id.forEach((f) => field(f, 'id'));

  const window: WindowSpec =
    'tumbling' in r.window
      ? { kind: 'tumbling', size: dur(r.window.tumbling, 'window.tumbling'), slide: 0, emit: r.window.emit }
      : { kind: 'sliding', size: dur(r.window.sliding, 'window.sliding'), slide: dur(r.window.every, 'window.every'), emit: r.window.emit };
  if (window.kind === 'tumbling') window.slide = window.size;
  if (window.size <= 0 || window.slide <= 0) fail('window: size and slide must be positive');
  if (window.size % window.slide !== 0) fail('window: the size must be a multiple of the slide');

  const conditions = (texts: string[], what: string): Condition[] =>
    texts.map((t) => {
      const c = parseCondition(t);
      if (typeof c === 'string') return fail(`${what}: ${c}`);
      const texts = c.set !== undefined && typeof c.set[0] === 'string';
      const f = field(c.field, what);
      if (texts && f.type !== 'string') fail(`${what}: "${t}" compares text, but "${c.field}" is ${f.type} (write the values unquoted)`);
      if (!texts && f.type === 'string') fail(`${what}: "${t}" compares numbers, but "${c.field}" is a string (a string takes =, !=, in and not in, with quoted values: ${c.field} = '${c.set?.[0] ?? c.value}')`);
      if (!texts) numeric(c.field, what);
      return c;
    });

  const aggregations: Aggregation[] = Object.entries(r.aggregations).map(([name, text]) => {
    const m = AGGREGATION.exec(text);
    if (!m) return fail(`aggregations.${name}: "${text}" is not an aggregation (count(), ${AGGREGATION_OPS.filter((o) => o !== 'count').map((o) => `${o}(f)`).join(', ')})`);
    const op = m[1] as Aggregation['op'];
    if (op === 'count') return { name, op };
    if (m[2] === '') fail(`aggregations.${name}: ${op} needs a field`);
    numeric(m[2], `aggregations.${name}`);
    return { name, op, field: m[2] };
  });
  if (aggregations.length === 0) fail('aggregations: at least one is needed');
  if (!aggregations.some((a) => a.op === 'count')) fail('aggregations: one count() is needed (verify checks loss with it)');

  let lateBy: [number, number];
  try {
    lateBy = parseDurationRange(r.faults.late_by, 'faults.late_by');
  } catch (e) {
    return fail((e as Error).message);
  }

  const score = scoreSpec(r, aggregations, fail);
  const rollups = r.batch && rollupSpecs(r.batch.rollups, aggregations, fields, window, Object.keys(r.alerts).length, score, fail);

  return {
    name: r.name,
    description: r.description,
    path,
    key: r.key,
    eventTime: time.field,
    time: { format: time.format, zone: time.zone },
    id: r.id,
    fields,
    source: {
      columns: fields.map((f) => f.name),
      delimiter: r.source.delimiter,
      quote: r.source.quote,
      header: r.source.header,
      encoding: r.source.encoding,
      parquetValueColumn: r.source.parquet_value_column,
      generated: r.source.generated,
    },
    window,
    watermarkDelay: dur(r.watermark, 'watermark'),
    allowedLateness: dur(r.allowed_lateness, 'allowed_lateness'),
    filter: conditions(r.filter, 'filter'),
    aggregations,
    alerts: Object.entries(r.alerts).map(([name, when]) => ({ name, when: conditions(when, `alerts.${name}`) })),
    faults: { ...(Object.fromEntries(INJECTED_FAULTS.map((f) => [f.share, (r.faults as unknown as Record<string, number>)[f.scenarioKey]])) as Omit<FaultMix, 'lateBy'>), lateBy },
    score,
    resultColumns: r.results?.columns,
    rollups,
    reports: r.reports && {
      corrupted: { field: field(r.reports.corrupted.field, 'reports.corrupted.field').name, values: r.reports.corrupted.values, missing: r.reports.corrupted.missing },
      countries: r.reports.countries && { ...r.reports.countries, field: field(r.reports.countries.field, 'reports.countries.field').name },
      pivot: { field: field(r.reports.pivot.field, 'reports.pivot.field').name },
      topUsers: { field: field(r.reports.top_users.field, 'reports.top_users.field').name, n: r.reports.top_users.n },
    },
  };
}

/**
 * Rollups merge the windows' partial aggregates, so each must be mergeable from what a result
 * carries: a count or sum adds; an average is weighted by the count() (exact only when its field is
 * never empty); min and max fold; variance and stddev combine by Chan's formula with the field's
 * average and the count; first and last take the earliest and latest window. count_distinct is not
 * mergeable (a value in two windows counts once), and sliding windows hold a record several times.
 */
function rollupSpecs(
  raw: Record<string, { every: Rollup['every']; aggregations: string[]; segment?: string; top?: { n: number; by: string }; alerts: boolean }>,
  aggregations: Aggregation[],
  fields: FieldSpec[],
  window: WindowSpec,
  alerts: number,
  score: ScoreSpec | undefined,
  fail: (msg: string) => never,
): Rollup[] {
  const byName = new Map(aggregations.map((a) => [a.name, a]));
  return Object.entries(raw).map(([name, r]) => {
    const at = `batch.rollups.${name}`;
    if (r.segment !== undefined) {
      // A score rollup: one score per result, so sliding windows are fine; the unit is the minute scored (the window's last slide).
      if (score === undefined) fail(`${at}.segment: the scenario has no score to roll up`);
      if (score.batch === undefined) fail(`${at}.segment: "${r.segment}" is a snapshot column, but join.batch is not set`);
      if (r.aggregations.length || r.top || r.alerts) fail(`${at}: a score rollup (segment) takes no aggregations, top or alerts`);
      if (!/^[A-Za-z_][\w]*$/.test(r.segment)) fail(`${at}.segment: "${r.segment}" is not a column name`);
      const clash = score.actions.find((a) => ['period', 'key', ...scoreRollupColumns({ ...score, actions: [] })].includes(a.name));
      if (clash) fail(`${at}: the action ${clash.name} would share its column name with a statistic of the rollup; rename the action`);
      if (r.every !== 'all' && 86_400_000 % window.slide !== 0) fail(`${at}.every: ${r.every} needs a slide that divides a day; use every: all`);
      return { name, every: r.every, aggregations: [], alerts: false, segment: r.segment };
    }
    if (r.aggregations.length === 0) fail(`${at}.aggregations: at least one (or segment, for a score rollup)`);
    if (window.kind !== 'tumbling') fail(`${at}: needs tumbling windows (a sliding window holds each record in several results, so their sums count it several times); a score rollup (segment) takes any window`);
    if (r.every !== 'all' && 86_400_000 % window.size !== 0) fail(`${at}.every: ${r.every} needs windows that divide a day (a window would straddle two ${r.every}s); use every: all`);
    const aggs = r.aggregations.map((n) => {
      const a = byName.get(n) ?? fail(`${at}.aggregations: "${n}" is not one of the scenario's aggregations (${aggregations.map((x) => x.name).join(', ')})`);
      if (a.op === 'count_distinct') fail(`${at}.aggregations: ${n} is count_distinct, which windows cannot be merged into (a value seen in two windows counts once)`);
      const f = a.field === undefined ? undefined : fields.find((x) => x.name === a.field);
      if ((a.op === 'avg' || a.op === 'stddev' || a.op === 'variance') && f?.nullable) fail(`${at}.aggregations: ${n} is ${a.op}(${a.field}) of a nullable field: the count() does not say how many values each window averaged`);
      if ((a.op === 'stddev' || a.op === 'variance') && !aggregations.some((x) => x.op === 'avg' && x.field === a.field)) fail(`${at}.aggregations: ${n} needs avg(${a.field}) among the scenario's aggregations to be merged`);
      return a;
    });
    if (r.top && !aggs.some((a) => a.name === r.top!.by)) fail(`${at}.top.by: "${r.top.by}" is not one of this rollup's aggregations`);
    if (r.alerts && alerts === 0) fail(`${at}.alerts: the scenario raises no alerts`);
    if (r.alerts && r.top) fail(`${at}: alerts and top go in separate rollups`);
    return { name, every: r.every, aggregations: aggs, top: r.top, alerts: r.alerts };
  });
}

const ACTION = /^\s*score\s*<\s*(-?\d+(?:\.\d+)?)\s*$/;

/** The score section: the formula must parse and name only aggregates and joined sources it has. */
function scoreSpec(r: z.infer<typeof RawScenario>, aggregations: Aggregation[], fail: (msg: string) => never): ScoreSpec | undefined {
  if (r.score === undefined) {
    if (r.join.batch || r.join.online) fail('join: needs a score section that uses it');
    if (Object.keys(r.actions).length > 0) fail('actions: need a score section');
    return undefined;
  }
  let expr: Expr;
  try {
    expr = parseExpression(r.score.formula);
  } catch (e) {
    return fail(`score.formula: ${(e as Error).message}`);
  }
  const refs = references(expr);
  const aggNames = new Set(aggregations.map((a) => a.name));
  for (const n of refs.window) if (!aggNames.has(n)) fail(`score.formula: "${n}" is not an aggregation (batch.<column>, online.<feature> for the joins)`);
  if (refs.batch.length > 0 && r.join.batch === undefined) fail(`score.formula: uses batch.${refs.batch[0]} but join.batch is not set`);
  if (refs.online.length > 0 && r.join.online === undefined) fail(`score.formula: uses online.${refs.online[0]} but join.online is not set`);
  const [lo, hi] = r.score.range;
  if (!(lo < hi)) fail('score.range: [min, max] with min < max');
  const actions = Object.entries(r.actions)
    .map(([name, text]) => {
      const m = ACTION.exec(text);
      if (!m) return fail(`actions.${name}: "${text}" is not "score < N"`);
      return { name, below: Number(m[1]) };
    })
    .sort((a, b) => a.below - b.below);
  const o = r.join.online;
  return {
    formula: r.score.formula,
    expr,
    range: [lo, hi],
    actions,
    batch: r.join.batch && { prefix: r.join.batch.files, key: r.join.batch.key },
    online: o && { batchSize: o.batch_size, concurrency: o.concurrency, timeoutMs: typeof o.timeout === 'number' ? o.timeout : parseDurationOr(o.timeout, fail), retries: o.retries },
  };
}

function parseDurationOr(text: string, fail: (msg: string) => never): number {
  try {
    return parseDuration(text, 'join.online.timeout');
  } catch (e) {
    return fail((e as Error).message);
  }
}
