import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.js';

/**
 * The README's way to put sat on PATH: a packed tarball installed globally (here into a prefix of its
 * own), then `sat` from any directory, with its scenarios and bundled datasets inside the package.
 */
describe('sat installed from a packed tarball', { timeout: 300_000 }, () => {
  it('npm pack, npm install -g, then sat runs the loop from another directory', () => {
    const dir = tempDir('sat-install-');
    const npm = (args: string[], cwd: string) => spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' } });
    // --ignore-scripts: dist is built already (npm test builds first), and rebuilding it here would
    // rewrite files other tests' sat processes are loading.
    const pack = npm(['pack', '--ignore-scripts', '--pack-destination', dir, '--json'], ROOT);
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = join(dir, JSON.parse(pack.stdout)[0].filename);
    const prefix = join(dir, 'prefix');
    const install = npm(['install', '-g', '--ignore-scripts', '--prefix', prefix, tarball], dir);
    expect(install.status, install.stderr).toBe(0);
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
    const run = (...args: string[]) => spawnSync('sat', args, { cwd: dir, encoding: 'utf8', env });
    expect(run('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    // A scenario by name and a bundled dataset, from a directory that is not the clone.
    const demo = run('demo', '--scenario', 'iot', '--dir', join(dir, 'w'), '--json');
    expect(demo.status, demo.stderr).toBe(0);
    expect(JSON.parse(demo.stdout.trim().split('\n').pop() as string).pass).toBe(true);
  });
});
