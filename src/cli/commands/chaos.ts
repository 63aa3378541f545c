import { once } from 'node:events';
import { chaosKill } from '../../chaos/kill.js';
import { UsageError, VerificationFailed } from '../../core/errors.js';
import { say } from '../options.js';

export async function chaosKillCommand(command: string[], f: { every: [number, number]; times: number; seed: number; verify: boolean; afterCheckpoint?: boolean; afterRecords?: [number, number]; json?: boolean }): Promise<number> {
  const s = await chaosKill({ command, every: f.every, times: f.times, seed: f.seed, verify: f.verify, afterCheckpoint: f.afterCheckpoint, afterRecords: f.afterRecords, log: (l) => say(false, `sat chaos kill: ${l}`) });
  if (f.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  say(f.json, `sat chaos kill: ${s.kills} kills, ${s.starts} starts (${s.resumes} resumed from a checkpoint), final exit ${s.finalExitCode}${s.verify ? `, verify ${s.verify.pass ? 'passed' : 'FAILED'}` : ''} in ${(s.elapsedMs / 1000).toFixed(1)} s`);
  if (s.finalExitCode !== 0) return s.finalExitCode ?? 1;
  if (s.verify && !s.verify.pass) throw new VerificationFailed('verification failed after the kills');
  return 0;
}

/** Runs the proxy until SIGINT/SIGTERM; the first stdout line says where it listens. */
export async function chaosProxyCommand(f: { target: string; listen: number; host: string; latency: [number, number]; bandwidth: number; cutRate: number; seed: number; json?: boolean }): Promise<number> {
  const m = /^([^:]+):(\d+)$/.exec(f.target);
  if (!m) throw new UsageError(`--target ${f.target}: expected host:port`);
  const { createProxy } = await import('../../chaos/proxy.js');

  const { server, stats } = createProxy({ listenPort: f.listen, listenHost: f.host, targetHost: m[1], targetPort: Number(m[2]), latency: f.latency, bandwidth: f.bandwidth, cutRate: f.cutRate, seed: f.seed });
  server.listen(f.listen, f.host);
  await once(server, 'listening');
  const addr = server.address();
  const at = `${f.host}:${typeof addr === 'object' && addr ? addr.port : f.listen}`;
  process.stdout.write(f.json ? `${JSON.stringify({ listening: at })}\n` : `listening on ${at}\n`);
  say(f.json, `sat chaos proxy: ${at} -> ${f.target}; latency ${f.latency[0]}..${f.latency[1]} ms, bandwidth ${f.bandwidth || 'unlimited'} B/s, cut rate ${f.cutRate}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.close();
  if (f.json) process.stdout.write(`${JSON.stringify(stats)}\n`);
  say(f.json, `proxied ${stats.connections} connections, ${stats.bytes} bytes, ${stats.cuts} cut`);
  return 0;
}
