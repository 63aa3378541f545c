import { claimWorkdir, lockWorkdir, writeJsonAtomic } from '../core/workdir-guard.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { UsageError, readJson } from '../core/errors.js';
import { paths, replayParts } from '../core/workdir.js';
import type { Scenario } from '../scenario/types.js';
import { Latency } from '../report/latency.js';
import type { MetricsSink } from '../report/metrics.js';
import type { RunFigures } from './run-figures.js';
import { Driver } from './driver.js';
import { inFlightCount } from './join/in-flight.js';
import { openScorer, type ScoringOptions } from './join/open.js';
import { loadCountries, pivotLines, ReportBuilder, topUserLines } from './reports.js';
import { policyFromEnv, WindowOperator } from './operator.js';
import { RunCheckpoints } from './checkpoint/run-checkpoints.js';
import { ThreadWriter } from './checkpoint/writer.js';
import { createProcessor } from './process.js';
import { scanSpecOf } from './scan-spec.js';
import { Task } from './task.js';
import { LogSource } from './log/source.js';
import { openLogReader } from './log/read-thread.js';
import { FileOutputs } from './log/outputs.js';

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
  /** Checkpoint every this many records (default 50,000) or this often (default 2 s). */
  checkpointEvery?: number;
  checkpointIntervalMs?: number;
  /** Ignore (and delete) checkpoints: start from the beginning. */
  fresh?: boolean;
  /** Also write the outputs as date-partitioned Parquet datasets, cut at each checkpoint. */
  partitioned?: boolean;
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

/** The engine on the embedded log: the log as the source, files as the outputs, the driver between. */
export async function runEngine(o: RunOptions): Promise<RunSummary> {
  claimWorkdir(o.dir);
  lockWorkdir(o.dir, 'run', 'sat run');
  const p = paths(o.dir);
  if (!existsSync(p.log)) throw new UsageError(`no embedded log in ${o.dir} (run sat replay first, or pass --dir)`);
  const reader = openLogReader(p.log, scanSpecOf(o.scenario));
  const log = o.log ?? (() => undefined);
  // Resume from the newest good checkpoint unless told to start afresh.
  const cps = new RunCheckpoints(p.checkpoints, new ThreadWriter());
  if (o.fresh) cps.clear();
  const found = o.fresh ? { corrupt: [] as string[] } : cps.latest();
  const cp = found.checkpoint;
  if (found.corrupt.length) log(`checkpoint ${found.corrupt.join(', ')} is corrupt or half-written: ${cp ? `using ${basename(found.file!)}` : 'starting from the beginning'}`);
  if (cp) {
    reader.seek(cp.reader);
    log(`resuming from ${basename(found.file!)} at record ${cp.records}${inFlightCount(cp) > 0 ? `, scoring ${inFlightCount(cp)} fired windows again` : ''}`);
  }
  const reports = o.scenario.reports && new ReportBuilder(o.scenario.reports);
  if (cp?.reports !== undefined) reports?.restore(cp.reports);
  const processor = createProcessor(o.scenario, reports);
  if (cp) Object.assign(processor.deadLetterKinds, cp.deadLetterKinds);
  const policy = policyFromEnv();
  const op = cp ? WindowOperator.restore(o.scenario, cp.operator, policy, cp.changes) : new WindowOperator(o.scenario, policy);
  const scorer = await openScorer(o.scenario, { ...o.scoring, snapshotsDir: o.scoring?.snapshotsDir ?? datasetDir(o.dir), log });
  const resultLatency = new Latency('run window-fired-to-result');
  const files = new FileOutputs(
    { scenario: o.scenario, dir: o.dir, every: o.checkpointEvery ?? 50_000, intervalMs: o.checkpointIntervalMs ?? 2000, resultLatency, scorer, reports, partitioned: o.partitioned },
    reader,
    cps,
    processor.deadLetterKinds as Record<string, number>,
    cp,
  );
  // The merged log is one input: one task, one watermark over all partitions in send order.
  const task = (files.task = new Task(-1, op, files.outputs, processor));
  const source = new LogSource(reader, task, { dir: o.dir, follow: o.follow, idleTimeoutMs: o.idleTimeoutMs });
  const driver = new Driver(source, files, { signal: o.signal, records: cp?.records, metrics: o.metrics, resultLatency, scoring: scorer && (() => files.tally) });
  try {
    const d = await driver.run();
    // An interruption is not the end of the stream: nothing fires early, and a checkpoint of exactly
    // this point lets the next start resume where this one stopped.
    const interrupted = d.stop === 'interrupted' || source.writerGone;
    if (interrupted) await files.commit(d.records);
    reader.close();
    if (!interrupted) task.end();
    else task.emit();
    const closing = performance.now();
    await files.close();
    const closed = performance.now();
    // Every checkpoint on disk (a write that failed is raised here, before the summary says done).
    await cps.flush();
    if (process.env.SAT_DEBUG) log(`timing: started ${Math.round(d.start)} ms after the process, first record ${Math.round((d.firstRecordAt ?? 0) - d.start)} ms, last ${Math.round(d.lastRecordAt - d.start)} ms, outputs closed ${Math.round(closed - closing)} ms, checkpoints on disk ${Math.round(performance.now() - closed)} ms`);
    const reconciliation = reports && writeReports(o.scenario, reports, o.dir, { input: d.records, valid: files.validCount, corrupted: files.corrupted!.count, malformed: files.counts.deadLettered });
    const summary: RunSummary = {
      ...driver.figures(o.scenario.name, d, { ...op.stats }, processor.deadLetterKinds, scorer && { ...files.tally, online: scorer.online?.stats }),
      reconciliation,
      resumedFrom: cp ? { checkpoint: basename(found.file!), records: cp.records } : undefined,
      corruptCheckpoints: found.corrupt.length ? found.corrupt : undefined,
      interrupted: interrupted || undefined,
      writerGone: source.writerGone || undefined,
    };
    writeJsonAtomic(p.run, summary);
    // Finished and written: a later run starts afresh rather than resuming.
    if (!interrupted) cps.clear();
    driver.latency.save(p.runLatency);
    return summary;
  } finally {
    // A run failing (a full disk, a bad answer) leaves no checkpoint half-written behind it.
    await cps.settle();
    reader.close();
    await scorer?.online?.close();
  }
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
  const lines = (l: string[]) => l.join('\n') + '\n';
  writeFileSync(p.pivot, lines(pivotLines(s, b)));
  writeFileSync(p.topUsers, lines(topUserLines(s, b, loadCountries(s, datasetDir(dir)))));
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
