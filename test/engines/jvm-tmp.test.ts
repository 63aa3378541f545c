import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.js';

/**
 * scripts/jvm-tmp.sh, which flink.sh and spark.sh source: each job's JVM and Python temp folder is
 * its own under the cache, and the next job removes those of jobs no longer alive (Flink left a
 * ~20 MB jar and a minicluster folder in /tmp at every run, 3.4 GB over a few days of tests).
 */
const alive = spawn('sleep', ['600']);
afterAll(() => alive.kill());

it("makes the job's own empty folder and removes only the folders of jobs that are gone", () => {
  const cache = tempDir('sat-jvm-tmp-');
  const root = join(cache, 'tmp', 'flink');
  // A pid no process can have (above the largest Linux allows, 4,194,304), one alive, and a stray file.
  for (const pid of ['4194999', String(alive.pid)]) {
    mkdirSync(join(root, pid, 'minicluster_x'), { recursive: true });
    writeFileSync(join(root, pid, 'flink-rpc-akka.jar'), 'jar');
  }
  writeFileSync(join(root, 'stray'), '');
  const r = spawnSync('bash', ['-c', `set -euo pipefail; CACHE="$1"; . "$2"; d=$(jvm_tmp flink); echo "$d"; echo "$$"`, 'sh', cache, join(ROOT, 'scripts', 'jvm-tmp.sh')], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const [made, pid] = r.stdout.trim().split('\n');
  expect(made).toBe(join(root, pid));
  expect(readdirSync(made)).toEqual([]);
  expect(existsSync(join(root, '4194999'))).toBe(false);
  expect(readdirSync(join(root, String(alive.pid))).sort()).toEqual(['flink-rpc-akka.jar', 'minicluster_x']);
  expect(existsSync(join(root, 'stray'))).toBe(true);
});
