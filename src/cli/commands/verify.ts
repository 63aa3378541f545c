import { UsageError, VerificationFailed, readJson } from '../../core/errors.js';
import { scenarioOfWorkdir } from '../../engine/run.js';
import { loadScenario } from '../../scenario/load.js';
import { parseColumnMap } from '../../verify/actual.js';
import { verify, type Engine, type VerifyReport, type WatermarkModel } from '../../verify/verify.js';
import { renderJunit, renderTerminal } from '../../report/verify-report.js';
import { renderHtml } from '../../report/html.js';
import { paths } from '../../core/workdir.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { say } from '../options.js';

export interface VerifyFlags {
  dir: string;
  /** true: the JSON report on stdout; a string: into that file. */
  json?: boolean | string;
  junit?: string;
  html?: string;
  scenario?: string;
  actual?: string;
  deadLetters?: string;
  late?: string;
  alerts?: string;
  tolerance: number;
  watermark?: WatermarkModel;
  watermarkModel?: WatermarkModel;
  batchSpan?: number;
  kafkaConfig?: string;
  actions?: string;
  snapshots?: string;
  maxMissingOnline?: number;
  map?: string;
  pivot?: string;
  topUsers?: string;
  corrupted?: string;
  outputMode?: 'append' | 'update';
  allowVacuous?: boolean;
  engine?: Engine;
  sparkCheckpoint?: string;
  flinkWatermarks?: string;
  memoryLimit?: string;
  actualBatch?: string;
}

export async function verifyCommand(f: VerifyFlags): Promise<number> {
  const name = f.scenario ?? scenarioOfWorkdir(f.dir);
  if (name === undefined) throw new UsageError(`--scenario is needed (no replay found in ${f.dir})`);
  const r = await verify({
    scenario: loadScenario(name), dir: f.dir, actual: f.actual, deadLetters: f.deadLetters, late: f.late, alerts: f.alerts, tolerance: f.tolerance, watermark: f.watermarkModel ?? f.watermark, batchSpanMs: f.batchSpan, kafkaConfig: f.kafkaConfig,
    actions: f.actions, snapshots: f.snapshots, maxMissingOnline: f.maxMissingOnline,
    map: parseColumnMap(f.map), outputMode: f.outputMode, pivot: f.pivot, topUsers: f.topUsers, corrupted: f.corrupted, allowVacuous: f.allowVacuous, engine: f.engine, sparkCheckpoint: f.sparkCheckpoint, flinkWatermarks: f.flinkWatermarks, memoryLimit: f.memoryLimit, actualBatch: f.actualBatch,
  });
  return emitReport(r, f);
}

/** Prints and writes a report as asked; exit 1 (VerificationFailed) when a check failed. */
function emitReport(r: VerifyReport, f: { json?: boolean | string; junit?: string; html?: string }): number {
  const toStdout = f.json === true;
  if (typeof f.json === 'string') writeFileSync(f.json, JSON.stringify(r, null, 2));
  if (f.junit) writeFileSync(f.junit, renderJunit(r));
  if (f.html) writeFileSync(f.html, renderHtml(r));
  if (toStdout) process.stdout.write(`${JSON.stringify(r)}\n`);
  else say(false, renderTerminal(r));
  if (!r.pass) throw new VerificationFailed(`verification failed: ${r.failed.join('; ')}`);
  return 0;
}

/** sat report DIR: the last verify's report, rendered again from verify.json. */
export async function reportCommand(dir: string, f: { json?: boolean | string; junit?: string; html?: string }): Promise<number> {
  const file = paths(dir).report;
  if (!existsSync(file)) throw new UsageError(`no verify report in ${dir} (run sat verify --dir ${dir} first)`);
  return emitReport(readJson<VerifyReport>(file, (x) => readFileSync(x, 'utf8')), f);
}
