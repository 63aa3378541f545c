import { UsageError } from '../../core/errors.js';
import { runEngine, scenarioOfWorkdir } from '../../engine/run.js';
import { loadScenario } from '../../scenario/load.js';
import { say } from '../options.js';

export interface RunFlags {
  dir: string;
  json?: boolean;
  scenario?: string;
  follow?: boolean;
  idleTimeout?: number;
}

export async function runCommand(f: RunFlags): Promise<number> {
  const name = f.scenario ?? scenarioOfWorkdir(f.dir);
  if (name === undefined) throw new UsageError(`--scenario is needed (no replay found in ${f.dir})`);
  const scenario = loadScenario(name);
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const s = await runEngine({ scenario, dir: f.dir, follow: f.follow ?? false, idleTimeoutMs: f.idleTimeout, signal: ac.signal });
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (f.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  say(
    f.json,
    `ran ${scenario.name} over ${s.records} records in ${s.elapsedMs} ms (${s.recordsPerSecond}/s): ` +
      `${s.counted} counted, ${s.filtered} filtered, ${s.late} late, ${s.duplicates} duplicates, ${s.deadLettered} dead letters; ` +
      `${s.results} results, ${s.alerts} alerts in ${f.dir}`,
  );
  return 0;
}
