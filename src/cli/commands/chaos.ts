import { chaosKill } from '../../chaos/kill.js';
import { VerificationFailed } from '../../core/errors.js';
import { say } from '../options.js';

export async function chaosKillCommand(command: string[], f: { every: [number, number]; times: number; seed: number; verify: boolean; json?: boolean }): Promise<number> {
  const s = await chaosKill({ command, every: f.every, times: f.times, seed: f.seed, verify: f.verify, log: (l) => say(false, `sat chaos kill: ${l}`) });
  if (f.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  say(f.json, `sat chaos kill: ${s.kills} kills, ${s.starts} starts (${s.resumes} resumed from a checkpoint), final exit ${s.finalExitCode}${s.verify ? `, verify ${s.verify.pass ? 'passed' : 'FAILED'}` : ''} in ${(s.elapsedMs / 1000).toFixed(1)} s`);
  if (s.finalExitCode !== 0) return s.finalExitCode ?? 1;
  if (s.verify && !s.verify.pass) throw new VerificationFailed('verification failed after the kills');
  return 0;
}
