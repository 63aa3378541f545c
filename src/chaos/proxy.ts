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
  // One queue per direction, written from the front only: a chunk due now never overtakes one whose
  // timer has not fired yet (a busy event loop fires timers late; writing due chunks at once while
  // an earlier one still waited on its timer reordered the bytes of a TCP stream).
  const pipe = (from: Socket, to: Socket, cut: () => void) => {
    let ready = Date.now();
    const queue: { at: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const drain = () => {
      timer = undefined;
      const now = Date.now();
      while (queue.length > 0 && queue[0].at <= now) {
        const { chunk } = queue.shift()!;
        if (!to.destroyed) to.write(chunk);
      }
      if (queue.length > 0) timer = setTimeout(drain, queue[0].at - now);
      else if (ended && !to.destroyed) to.end();
    };
    from.on('data', (chunk: Buffer) => {
      stats.bytes += chunk.length;
      if (o.cutRate > 0 && rng.next() < o.cutRate) return cut();
      const delay = o.latency[0] + rng.next() * (o.latency[1] - o.latency[0]);
      const transfer = o.bandwidth > 0 ? (chunk.length / o.bandwidth) * 1000 : 0;
      ready = Math.max(ready, Date.now() + delay) + transfer; // in order, and no faster than the bandwidth
      queue.push({ at: ready, chunk });
      if (timer === undefined) drain();
    });
    from.on('end', () => {
      ended = true;
      if (timer === undefined) drain();
    });
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
