import { createServer, connect, type Server, type Socket } from 'node:net';
import { createRng } from '../core/rng.js';

export interface ProxyOptions {
  listenPort: number;
  listenHost: string;
  targetHost: string;
  targetPort: number;
  /** Added latency per chunk, uniform in [min, max] ms (jitter = the spread). */
  latency: [number, number];
  /** Bytes per second per direction and connection (0: unlimited). */
  bandwidth: number;
  /** Chance per chunk that the connection is cut (both sides destroyed). */
  cutRate: number;
  seed: number;
}

export interface ProxyStats {
  connections: number;
  cuts: number;
  bytes: number;
}

/**
 * A TCP proxy with the faults Toxiproxy offers: latency with jitter, a bandwidth limit, and
 * connections cut at random (seeded). Order within a connection is kept: delayed chunks go out in
 * sequence, never overtaking each other.
 */
export function createProxy(o: ProxyOptions): { server: Server; stats: ProxyStats } {
  const rng = createRng(o.seed);
  const stats: ProxyStats = { connections: 0, cuts: 0, bytes: 0 };
  const pipe = (from: Socket, to: Socket, cut: () => void) => {
    let ready = Date.now();
    from.on('data', (chunk: Buffer) => {
      stats.bytes += chunk.length;
      if (o.cutRate > 0 && rng.next() < o.cutRate) return cut();
      const delay = o.latency[0] + rng.next() * (o.latency[1] - o.latency[0]);
      const transfer = o.bandwidth > 0 ? (chunk.length / o.bandwidth) * 1000 : 0;
      ready = Math.max(ready, Date.now() + delay) + transfer; // in order, and no faster than the bandwidth
      const wait = ready - Date.now();
      if (wait <= 0) to.write(chunk);
      else setTimeout(() => to.destroyed || to.write(chunk), wait);
    });
    from.on('end', () => setTimeout(() => to.end(), Math.max(0, ready - Date.now())));
  };
  const server = createServer((client) => {
    stats.connections++;
    const upstream = connect(o.targetPort, o.targetHost);
    const cut = () => {
      stats.cuts++;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    pipe(client, upstream, cut);
    pipe(upstream, client, cut);
  });
  return { server, stats };
}
