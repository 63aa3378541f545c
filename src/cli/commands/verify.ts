import { UsageError, VerificationFailed } from '../../core/errors.js';
import { scenarioOfWorkdir } from '../../engine/run.js';
import { loadScenario } from '../../scenario/load.js';
import { parseColumnMap } from '../../verify/actual.js';
import { verify } from '../../verify/verify.js';
import { say } from '../options.js';

export interface VerifyFlags {
  dir: string;
  json?: boolean;
  scenario?: string;
  actual?: string;
  deadLetters?: string;
  late?: string;
  alerts?: string;
  tolerance: number;
  watermark?: 'global' | 'partition';
  kafkaConfig?: string;
  actions?: string;
  snapshots?: string;
  maxMissingOnline?: number;
  map?: string;
  outputMode?: 'append' | 'update';
}

export async function verifyCommand(f: VerifyFlags): Promise<number> {
  const name = f.scenario ?? scenarioOfWorkdir(f.dir);
  if (name === undefined) throw new UsageError(`--scenario is needed (no replay found in ${f.dir})`);
  const r = await verify({
    scenario: loadScenario(name), dir: f.dir, actual: f.actual, deadLetters: f.deadLetters, late: f.late, alerts: f.alerts, tolerance: f.tolerance, watermark: f.watermark, kafkaConfig: f.kafkaConfig,
    actions: f.actions, snapshots: f.snapshots, maxMissingOnline: f.maxMissingOnline,
    map: parseColumnMap(f.map), outputMode: f.outputMode,
  });
  if (f.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  if (!f.json) {
    for (const c of r.checks) {
      say(false, `${c.skipped ? 'SKIP' : c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
      for (const e of c.examples ?? []) say(false, `        e.g. ${JSON.stringify(e)}`);
    }
    say(false, Object.entries(r.counts).map(([k, v]) => `${k}=${v}`).join(' '));
  }
  if (!r.pass) throw new VerificationFailed(`verification failed: ${r.failed.join('; ')}`);
  say(f.json, `verification passed (${r.checks.filter((c) => !c.skipped).length} checks)`);
  return 0;
}
