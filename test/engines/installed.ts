import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Whether a reference engine is installed in sat's cache (scripts/spark.sh, scripts/flink.sh): its
 * tests skip with a message where it is not, and fail under CI=true, where .ci/run installs it.
 */
export function engineInstalled(engine: 'spark' | 'flink'): boolean {
  const bin = join(process.env.SAT_CACHE ?? join(homedir(), '.cache', 'sat'), `${engine}-venv`, 'bin', engine === 'spark' ? 'spark-submit' : 'python');
  const name = engine === 'spark' ? 'PySpark' : 'PyFlink';
  if (existsSync(bin)) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${name} is not installed (${bin}): .ci/run runs scripts/${engine}.sh install`);
  console.warn(`skipping the ${name} tests: ${bin} not found (scripts/${engine}.sh install)`);
  return false;
}
