import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRng } from '../core/rng.js';
import { onlineFeatures } from '../gen/satisfaction/online.js';

export interface OnlineServerOptions {
  /** Share of requests answered 503. */
  errorRate: number;
  /** Share of requests never answered (the client must time out). */
  timeoutRate: number;
  /** Share of requests whose body is cut off mid-way (the connection is then destroyed). */
  truncateRate: number;
  /** Added latency per request: uniform in [min, max] ms. */
  latency: [number, number];
  seed: number;
  /** Largest number of customer ids in one request. */
  maxIds: number;
}

export interface OnlineServerStats {
  requests: number;
  ok: number;
  errors: number;
  timeouts: number;
  truncated: number;
  bad: number;
  ids: number;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The answer to a request: {"minute", "features": {id: {...}}}, each id once. The features object
 * has no prototype, so an id such as "__proto__" is a property like any other (on a plain object
 * it set the prototype and was missing from the answer).
 */
export function answerText(minute: number, ids: readonly string[]): string {
  const features = Object.create(null) as Record<string, unknown>;
  for (const id of ids) features[id] = onlineFeatures(id, minute);
  return JSON.stringify({ minute, features });
}

/**
 * The online-features API: POST /online {"minute": <epoch minute>, "customers": [ids]} answers
 * {"minute", "features": {id: {...}}} for many customers at once; GET /health answers ok. Values
 * come from the pure onlineFeatures(customer, minute), so any consumer can recompute them. Faults
 * are drawn per request from the seed: 503s, requests left unanswered, bodies cut short, latency.
 */
export function createOnlineServer(o: OnlineServerOptions): { server: Server; stats: OnlineServerStats } {
  const rng = createRng(o.seed);
  const stats: OnlineServerStats = { requests: 0, ok: 0, errors: 0, timeouts: 0, truncated: 0, bad: 0, ids: 0 };
  const server = createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === '/health') return json(res, 200, { ok: true });
    if (req.url !== '/online' || req.method !== 'POST') return json(res, 404, { error: 'POST /online or GET /health' });
    stats.requests++;
    let minute: number;
    let ids: string[];
    try {
      const body = JSON.parse(await readBody(req, 64 << 20)) as { minute?: unknown; customers?: unknown };
      if (!Number.isInteger(body.minute)) throw new Error('"minute" must be an integer (minutes since the epoch)');
      if (!Array.isArray(body.customers) || body.customers.some((c) => typeof c !== 'string')) throw new Error('"customers" must be an array of ids');
      if (body.customers.length > o.maxIds) throw new Error(`at most ${o.maxIds} customers per request`);
      minute = body.minute as number;
      ids = body.customers as string[];
    } catch (e) {
      stats.bad++;
      return json(res, 400, { error: (e as Error).message });
    }
    const u = rng.next();
    const wait = o.latency[0] + rng.next() * (o.latency[1] - o.latency[0]);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (u < o.errorRate) {
      stats.errors++;
      return json(res, 503, { error: 'injected: service unavailable' });
    }
    if (u < o.errorRate + o.timeoutRate) {
      stats.timeouts++;
      // Never answer: the client's timeout decides. The socket is dropped when it gives up.
      req.socket.setTimeout(120_000, () => req.socket.destroy());
      return;
    }
    stats.ids += ids.length;
    const text = answerText(minute, ids);
    if (u < o.errorRate + o.timeoutRate + o.truncateRate) {
      stats.truncated++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      setTimeout(() => res.destroy(), 5);
      return;
    }
    stats.ok++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  server.keepAliveTimeout = 30_000;
  return { server, stats };
}
