import { UsageError, VerificationFailed } from '../../core/errors.js';
import { scenarioOfWorkdir } from '../../engine/run.js';
import { loadScenario } from '../../scenario/load.js';
import { parseColumnMap, type OutputMode } from '../../verify/actual.js';
import { diffResults } from '../../verify/diff.js';
import { materialize, verify, type Engine } from '../../verify/verify.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { say } from '../options.js';

export interface DiffFlags {
  dir?: string;
  scenario?: string;
  mapA?: string;
  mapB?: string;
  modeA?: OutputMode;
  modeB?: OutputMode;
  engineA?: Engine;
  engineB?: Engine;
  sparkCheckpointA?: string;
  sparkCheckpointB?: string;
  flinkWatermarksA?: string;
  flinkWatermarksB?: string;
  tolerance: number;
  json?: boolean;
}

/**
 * sat diff A B: two engines' results compared directly. Given the replay's --dir and each side's
 * engine, each side is also judged by verify under its own engine's rules, so that a difference
 * both engines' rules allow (Spark's micro-batches against sat's per-partition watermark) is told
 * apart from one that points at a side.
 */
export async function diffCommand(a: string, b: string, f: DiffFlags): Promise<number> {
  const name = f.scenario ?? (f.dir ? scenarioOfWorkdir(f.dir) : undefined);
  if (name === undefined) throw new UsageError('sat diff needs --scenario, or --dir with a replay (whose scenario it takes)');
  const scenario = loadScenario(name);
  if ((f.engineA || f.engineB) && !f.dir) throw new UsageError('--engine-a/--engine-b judge each side against the replay: give its --dir');
  if (f.dir && !(f.engineA && f.engineB)) throw new UsageError('with --dir, name both engines (--engine-a, --engine-b): each side is judged by its own engine\'s rules');
  // kafka://HOST:PORT/TOPIC (sat run on Kafka writes its results to <topic>-results): read once, here.
  const scratch = mkdtempSync(join(tmpdir(), 'sat-diff-'));
  const local = async (p: string) => (p.startsWith('kafka://') ? materialize(p, scratch) : p);
  let d: Awaited<ReturnType<typeof diffResults>>;
  let verdicts: { side: 'A' | 'B'; engine: Engine; pass: boolean; failed: string[]; causes: string[] }[] | undefined;
  try {
    const sides = [
      { path: await local(a), map: parseColumnMap(f.mapA), mode: f.modeA },
      { path: await local(b), map: parseColumnMap(f.mapB), mode: f.modeB },
    ] as const;
    d = await diffResults(scenario, sides[0], sides[1], f.tolerance);
    if (f.dir) {
      verdicts = [];
      for (const [side, engine, ckpt, audit, s] of [['A', f.engineA!, f.sparkCheckpointA, f.flinkWatermarksA, sides[0]], ['B', f.engineB!, f.sparkCheckpointB, f.flinkWatermarksB, sides[1]]] as const) {
        const r = await verify({ scenario, dir: f.dir, actual: s.path, engine, sparkCheckpoint: ckpt, flinkWatermarks: audit, map: s.map, outputMode: s.mode, tolerance: f.tolerance, noReportFile: true });
        verdicts.push({ side, engine, pass: r.pass, failed: r.failed, causes: (r.diagnosis ?? []).map((x) => `${x.cause}: ${x.detail}`) });
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const same = d.onlyA + d.onlyB + d.differ === 0;
  const wrong = verdicts?.filter((v) => !v.pass) ?? [];
  const explained = !same && verdicts !== undefined && wrong.length === 0;
  const conclusion = same
    ? 'the same results'
    : verdicts === undefined
      ? 'they differ (give --dir and --engine-a/--engine-b to tell which side the rules allow)'
      : explained
        ? "they differ, and each side is what its own engine's rules give on this stream: the differences are explained by the engines' rules (batches, watermarks), not a bug"
        : `the differences point at ${wrong.map((v) => `${v.side} (${v.engine}: ${v.failed.join('; ')})`).join(' and ')}`;

  if (f.json) process.stdout.write(`${JSON.stringify({ scenario: scenario.name, ...d, verdicts, same, explained, conclusion })}\n`);
  const lines = [
    `${same ? 'SAME  ' : 'DIFFER'} ${scenario.name}: ${d.a.toLocaleString('en-US')} results in A, ${d.b.toLocaleString('en-US')} in B; ${d.onlyA} only in A, ${d.onlyB} only in B, ${d.differ} with other values`,
    ...(verdicts ?? []).map((v) => `  ${v.side} judged as ${v.engine}: ${v.pass ? 'PASS' : `FAIL (${v.failed.join('; ')})`}${v.causes.length ? `; likely cause: ${v.causes.join('; ')}` : ''}`),
    `  => ${conclusion}`,
    ...d.examples.map((e) => `  ${JSON.stringify(e)}`),
  ];
  say(f.json, lines.join('\n'));
  if (same || explained) return 0;
  throw new VerificationFailed(conclusion);
}
