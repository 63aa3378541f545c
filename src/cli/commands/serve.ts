import { once } from 'node:events';
import { createOnlineServer, type OnlineServerOptions } from '../../serve/online.js';
import { say } from '../options.js';

export interface ServeFlags extends OnlineServerOptions {
  json?: boolean;
  port: number;
  host: string;
}

/** Runs the online-features API until SIGINT/SIGTERM; then prints what it served and injected. */
export async function serveOnlineCommand(f: ServeFlags): Promise<number> {
  const { server, stats } = createOnlineServer(f);
  server.listen(f.port, f.host);
  await once(server, 'listening');
  const addr = server.address();
  const url = `http://${f.host}:${typeof addr === 'object' && addr ? addr.port : f.port}`;
  // The first line on stdout says where it listens, so scripts and tests can wait for it.
  process.stdout.write(f.json ? `${JSON.stringify({ listening: url })}\n` : `listening on ${url}\n`);
  say(f.json, `sat serve online: POST ${url}/online {"minute": M, "customers": [...]}; faults: ${f.errorRate} errors, ${f.timeoutRate} timeouts, ${f.truncateRate} truncated, latency ${f.latency[0]}..${f.latency[1]} ms`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.closeAllConnections();
  server.close();
  if (f.json) process.stdout.write(`${JSON.stringify(stats)}\n`);
  say(f.json, `served ${stats.requests} requests (${stats.ids} customer lookups): ${stats.ok} ok, ${stats.errors} 503, ${stats.timeouts} unanswered, ${stats.truncated} truncated, ${stats.bad} bad`);
  return 0;
}
