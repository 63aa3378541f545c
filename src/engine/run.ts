import { claimWorkdir, lockHolder, lockWorkdir, writeJsonAtomic } from '../core/workdir-guard.js';
import { killSwitch } from '../chaos/kill-switch.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError, readJson } from '../core/errors.js';
import { paths, replayParts } from '../core/workdir.js';
import type { Scenario } from '../scenario/types.js';
import { LogReader } from '../transport/log/reader.js';
import { Latency, type LatencySummary } from '../report/latency.js';
import type { MetricsSink } from '../report/metrics.js';
import { peakRssMb, publishRunMetrics, type RunFigures } from './run-figures.js';
import { openScorer, type ScoringOptions } from './join/open.js';
import { ScoringPipeline } from './join/scorer.js';
import { scoringTally, type ScoringSummary } from './join/tally.js';
import { ReportBuilder } from './reports.js';
import { policyFromEnv, WindowOperator } from './operator.js';
import { RunCheckpoints } from './checkpoint/run-checkpoints.js';
import { JsonlSink, ResultSink, type SinkState } from './sinks.js';
import { createProcessor, type Outputs } from './process.js';
import { Task } from './task.js';

export interface RunOptions {
  scenario: Scenario;
  dir: string;
  /** Keep tailing the log after the replay has finished. */
  follow: boolean;
  /** Stop after this many ms without new records while following (0: never). */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Joins and scoring, for a scenario with a score. */
  scoring?: Omit<ScoringOptions, 'snapshotsDir' | 'log'> & { snapshotsDir?: string };
  log?: (line: string) => void;
  /** Publishes live figures (sat run --metrics-port). */
  metrics?: MetricsSink;
  /** Checkpoint every this many records (default 20,000) or this often (default 2 s). */
  checkpointEvery?: number;
  checkpointIntervalMs?: number;
  /** Ignore (and delete) checkpoints: start from the beginning. */
  fresh?: boolean;
}

export interface RunSummary extends RunFigures {
  /** Scenarios with reports: input = valid + corrupted + malformed, as this run counted them. */
  reconciliation?: Reconciliation;
  /** Set when this run continued from a checkpoint of a run that was stopped or killed. */
  resumedFrom?: { checkpoint: string; records: number };
  /** Corrupt checkpoints this run skipped. */
  corruptCheckpoints?: string[];
  /** Stopped by SIGINT/SIGTERM before the end: checkpointed, nothing fired early; the next start resumes. */
  interrupted?: boolean;
  /** Stopped because the log's writer died before its end marker (after reading all there was). */
  writerGone?: boolean;
}

/** The engine's I/O edge: reads the embedded log, feeds the pure operator, writes every output. */
export async function runEngine(o: RunOptions): Promise<RunSummary> {
  claimWorkdir(o.dir);
  lockWorkdir(o.dir, 'run', 'sat run');
  const p = paths(o.dir);
  if (!existsSync(p.log)) throw new UsageError(`no embedded log in ${o.dir} (run sat replay first, or pass --dir)`);
  const reader = new LogReader(p.log);
  const log = o.log ?? (() => undefined);
  // Resume from the newest good checkpoint unless told to start afresh.
  const cps = new RunCheckpoints(p.checkpoints);
  if (o.fresh) cps.clear();
  const found = o.fresh ? { corrupt: [] as string[] } : cps.latest();
  const cp = found.checkpoint;
  if (found.corrupt.length) log(`checkpoint ${found.corrupt.join(', ')} is corrupt or half-written: ${cp ? `using ${basename(found.file!)}` : 'starting from the beginning'}`);
  if (cp) {
    reader.seek(cp.reader);
    log(`resuming from ${basename(found.file!)} at record ${cp.records}${cp.inFlight?.length ? `, scoring ${cp.inFlight.length} fired windows again` : ''}`);
  }
  const sink = (name: string) => cp?.sinks[name];
  const reports = o.scenario.reports && new ReportBuilder(o.scenario.reports);
  if (cp?.reports !== undefined) reports?.restore(cp.reports);
  const corrupted = reports && new JsonlSink(p.corrupted, sink('corrupted'));
  const processor = createProcessor(o.scenario, reports);
  if (cp) Object.assign(processor.deadLetterKinds, cp.deadLetterKinds);
  let validCount = cp?.validCount ?? 0;
  const policy = policyFromEnv();
  const op = cp ? WindowOperator.restore(o.scenario, cp.operator, policy, cp.changes) : new WindowOperator(o.scenario, policy);
  const results = new ResultSink(p.results, p.resultsParquet, o.scenario, sink('results'));
  const deadLetters = new JsonlSink(p.deadLetters, sink('deadLetters'));
  const late = new JsonlSink(p.late, sink('late'));
  const alerts = new JsonlSink(p.alerts, sink('alerts'));
  const scorer = await openScorer(o.scenario, { ...o.scoring, snapshotsDir: o.scoring?.snapshotsDir ?? datasetDir(o.dir), log });
  const actions = scorer && new JsonlSink(p.actions, sink('actions'));
  const { tally, add } = scoringTally();
  if (cp?.scoring) Object.assign(tally, cp.scoring);
  const latency = new Latency('run send-to-processed');
  const resultLatency = new Latency('run window-fired-to-result');
  const scoring =
    scorer &&
    new ScoringPipeline(scorer, (r, firedAt) => {
      const written = Date.now();
      for (let i = 0; i < r.results.length; i++) resultLatency.record(written - firedAt);
      results.write(r.results, written);
      for (const a of r.actions) actions!.write(a);
      add(r);
    });
  // What was being scored at the checkpoint goes first: its results were not written by then.
  for (const x of cp?.inFlight ?? []) scoring?.submit(x.rows, x.firedAt);
  const out: Outputs = {
    corrupted: (row) => corrupted?.write(row),
    valid: (r) => {
      validCount++;
      reports?.add(r);
    },
    deadLetter: (row) => deadLetters.write(row),
    late: (row) => late.write(row),
    alert: (row) => alerts.write(row),
    results: (rows, emitTime) => {
      if (scoring) return scoring.submit(rows, emitTime);
      results.write(rows, emitTime);
      for (let i = 0; i < rows.length; i++) resultLatency.record(Date.now() - emitTime);
    },
  };
  // The merged log is one input: one task, one watermark over all partitions in send order.
  const task = new Task(-1, op, out, processor);
  let records = cp?.records ?? 0;
  const killPoint = killSwitch(); // sat chaos kill --after-records
  let checkpoints = 0;
  let lastCheckpoint = { records, at: performance.now() };
  /** Flushes every output and saves state, reader position and output lengths together. */
  let checkpointMs = 0;
  const checkpoint = async () => {
    const t0 = performance.now();
    // Windows still being scored are saved as such, not waited for: their results are not in the
    // outputs' lengths below, and a resume scores them again (a failure so far surfaces here).
    scoring?.check();
    const sinks: Record<string, SinkState> = { results: results.state(), deadLetters: deadLetters.state(), late: late.state(), alerts: alerts.state() };
    if (actions) sinks.actions = actions.state();
    if (corrupted) sinks.corrupted = corrupted.state();
    cps.write({ records, validCount, reader: reader.position(), sinks, deadLetterKinds: { ...processor.deadLetterKinds }, reports: reports?.snapshot(), scoring: scorer ? { ...tally } : undefined, inFlight: scoring?.inFlight() }, op);
    checkpoints++;
    lastCheckpoint = { records, at: performance.now() };
    checkpointMs += lastCheckpoint.at - t0;
  };
  if (o.metrics)
    publishRunMetrics(o.metrics, {
      operators: () => [op],
      counters: {
        get records() { return records; },
        get results() { return results.count; },
        get deadLettered() { return deadLetters.count; },
        get alerts() { return alerts.count; },
        get checkpoints() { return checkpoints; },
      },
      latency,
      resultLatency,
      scoring: scorer && (() => tally),
    });
  let idleSince = performance.now();
  const start = performance.now();

  let interrupted = false;
  let writerGone = false;
  for (;;) {
    const rec = reader.next();
    if (rec === undefined) {
      if (o.signal?.aborted) {
        interrupted = true;
        break;
      }
      if (!o.follow && reader.isDone()) break;
      // Everything there is has been read, no end marker, and the replay that writes the log is gone
      // (SIGKILL, disk full): waiting would be for ever. Stop here, resumable, and say why.
      if (!o.follow && lockHolder(o.dir, 'replay') === undefined && !reader.isDone()) {
        writerGone = true;
        interrupted = true;
        break;
      }
      if (o.follow && o.idleTimeoutMs && performance.now() - idleSince > o.idleTimeoutMs) break;
      results.flush();
      await sleep(20);
      continue;
    }
    idleSince = performance.now();
    records++;
    task.record(rec.offset, rec.value, rec.partition);
    killPoint?.();
    latency.record(performance.timeOrigin + performance.now() - rec.timestamp);
    // Yield now and then, so a signal (SIGINT, SIGTERM) or a metrics scrape gets in under backlog.
    if ((records & 4095) === 0) {
      await new Promise(setImmediate);
      if (o.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
    if (records - lastCheckpoint.records >= (o.checkpointEvery ?? 20_000) || (records % 256 === 0 && performance.now() - lastCheckpoint.at >= (o.checkpointIntervalMs ?? 2000))) await checkpoint();
    if (scoring?.busy) {
      if (scoring.full) await scoring.drain();
      // Let API responses in: a loop that never yields makes their timeouts fire on answers already there.
      else if (records % 1024 === 0) await new Promise(setImmediate);
    }
  }
  // An interruption is not the end of the stream: nothing fires early, and a checkpoint of exactly
  // this point lets the next start resume where this one stopped.
  if (interrupted) await checkpoint();
  reader.close();
  if (!interrupted) task.end();
  else task.emit();
  await scoring?.drain();
  await Promise.all([results.close(), deadLetters.close(), late.close(), alerts.close(), actions?.close(), corrupted?.close()]);
  const reconciliation = reports && writeReports(o.scenario, reports, o.dir, { input: records, valid: validCount, corrupted: corrupted!.count, malformed: deadLetters.count });
  const elapsedMs = performance.now() - start;
  const summary: RunSummary = {
    scenario: o.scenario.name,
    records,
    deadLettered: deadLetters.count,
    ...op.stats,
    results: results.count,
    alerts: alerts.count,
    elapsedMs: Math.round(elapsedMs),
    recordsPerSecond: Math.round(records / Math.max(elapsedMs / 1000, 1e-9)),
    peakRssMb: peakRssMb(),
    latency: latency.summary(),
    resultLatency: resultLatency.summary(),
    deadLetterReasons: processor.deadLetterKinds,
    scoring: scorer && { ...tally, online: scorer.online?.stats },
    reconciliation,
    resumedFrom: cp ? { checkpoint: basename(found.file!), records: cp.records } : undefined,
    checkpoints,
    checkpointMs: Math.round(checkpointMs),
    corruptCheckpoints: found.corrupt.length ? found.corrupt : undefined,
    interrupted: interrupted || undefined,
    writerGone: writerGone || undefined,
  };
  writeJsonAtomic(p.run, summary);
  // Finished and written: a later run starts afresh rather than resuming.
  if (!interrupted) cps.clear();
  latency.save(p.runLatency);
  return summary;
}

export interface Reconciliation {
  input: number;
  valid: number;
  corrupted: number;
  malformed: number;
  /** Valid records left once duplicates (same natural id) keep only the earliest. */
  distinct: number;
  balanced: boolean;
}

/** Writes pivot.jsonl and top-users.jsonl (the countries table joined in) and returns the reconciliation. */
function writeReports(s: Scenario, b: ReportBuilder, dir: string, n: { input: number; valid: number; corrupted: number; malformed: number }): Reconciliation {
  const p = paths(dir);
  const countries = new Map<string, string>();
  const c = s.reports?.countries;
  if (c) {
    const file = join(datasetDir(dir), c.file);
    if (!existsSync(file)) throw new UsageError(`reports.countries: ${file} not found (sat gen --scenario messages writes it beside the events)`);
    const [head, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
    const cols = head.split(',');
    const [ki, ni] = [cols.indexOf(c.key), cols.indexOf(c.name)];
    if (ki < 0 || ni < 0) throw new UsageError(`reports.countries: ${file} lacks ${c.key} or ${c.name}`);
    for (const l of lines) {
      const f = l.split(',');
      countries.set(f[ki], f[ni]);
    }
  }
  writeFileSync(p.pivot, b.pivot().map((r) => JSON.stringify({ day: r.day, [s.key]: r.key, ...Object.fromEntries(Object.entries(r.counts).sort(([a], [b]) => a.localeCompare(b))) })).join('\n') + '\n');
  writeFileSync(p.topUsers, b.topUsers(countries).map((r) => JSON.stringify({ [s.key]: r.key, rank: r.rank, [s.reports!.topUsers.field]: r.user, events: r.events, [c?.name ?? 'country']: r.country })).join('\n') + '\n');
  return { ...n, distinct: b.distinct, balanced: n.valid + n.corrupted + n.malformed === n.input };
}

/** Where the replay in this directory read its data (sat gen writes snapshots beside the events). */
export function datasetDir(dir: string): string {
  const f = replayParts(dir)[0]?.replay;
  if (f === undefined || !existsSync(f)) return dir;
  const file = readJson<{ file?: string }>(f, (x) => readFileSync(x, 'utf8')).file;
  return file ? dirname(file) : dir;
}

/** The scenario the replay in this directory used, so `sat run` and `sat verify` need no flag. */
export function scenarioOfWorkdir(dir: string): string | undefined {
  const f = replayParts(dir)[0]?.replay;
  if (f === undefined || !existsSync(f)) return undefined;
  return readJson<{ scenarioPath?: string }>(f, (x) => readFileSync(x, 'utf8')).scenarioPath;
}
