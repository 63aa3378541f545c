import { afterEach, describe, expect, it } from 'vitest';
import { onlineFeatures } from '../../src/gen/satisfaction/online.js';
import { serve, stopServers } from '../helpers.js';
import { answerText } from '../../src/serve/online.js';

afterEach(stopServers);

const ask = (url: string, minute: number, customers: string[], signal?: AbortSignal) =>
  fetch(`${url}/online`, { method: 'POST', body: JSON.stringify({ minute, customers }), signal });

describe("sat serve online's answer", () => {
  it('is the JSON of each asked id once with its features, whatever the ids hold', () => {
    const pool = ['C000000001', 'C000000002', '42', '7', '__proto__', 'constructor', 'a"b', 'back\\slash', 'é€😀', '', 'tab\there', '\u0000'];
    for (let t = 0; t < 200; t++) {
      const ids = Array.from({ length: t % 17 }, (_, i) => pool[(i * 7 + t * 3) % pool.length]);
      const minute = 28_600_000 + t;
      const want = { minute, features: Object.fromEntries(ids.map((id) => [id, onlineFeatures(id, minute)])) };
      const text = answerText(minute, ids);
      expect(JSON.parse(text)).toEqual(want);
      // Each id once (JSON.parse would hide a second): the client's reader takes an id named twice as another shape.
      expect(text.split('{"network_latency_ms"')).toHaveLength(new Set(ids).size + 1);
    }
  });
});

describe('sat serve online: a real HTTP server on 127.0.0.1', () => {
  it('answers bulk requests with the online features of each customer for the minute', async () => {
    const { url } = await serve();
    const ids = Array.from({ length: 500 }, (_, i) => `C${String(i).padStart(9, '0')}`);
    const res = await ask(url, 28_600_000, ids);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { minute: number; features: Record<string, unknown> };
    expect(body.minute).toBe(28_600_000);
    expect(Object.keys(body.features)).toHaveLength(500);
    expect(body.features.C000000042).toEqual(onlineFeatures('C000000042', 28_600_000));
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('refuses a malformed request with 400 and a reason', async () => {
    const { url } = await serve('--max-ids', '10');
    const bad = await fetch(`${url}/online`, { method: 'POST', body: '{"minute": 1.5, "customers": []}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/minute/);
    const many = await ask(url, 1, Array.from({ length: 11 }, (_, i) => `C${i}`));
    expect(many.status).toBe(400);
  });

  it('injects 503s at about the requested rate', async () => {
    const { url } = await serve('--error-rate', '0.3', '--seed', '9');
    const codes: number[] = [];
    for (let i = 0; i < 200; i++) codes.push((await ask(url, i, ['C1'])).status);
    const errors = codes.filter((c) => c === 503).length;
    expect(errors).toBeGreaterThan(35);
    expect(errors).toBeLessThan(85);
    expect(codes.every((c) => c === 200 || c === 503)).toBe(true);
  });

  it('leaves requests unanswered (the client times out) and cuts bodies short', async () => {
    const t = await serve('--timeout-rate', '1');
    await expect(ask(t.url, 1, ['C1'], AbortSignal.timeout(300))).rejects.toThrow(/abort|timeout/i);
    const c = await serve('--truncate-rate', '1');
    await expect(ask(c.url, 1, ['C1', 'C2', 'C3']).then((r) => r.json())).rejects.toThrow();
  });

  it('adds the requested latency', async () => {
    const { url } = await serve('--latency', '150ms');
    const t0 = performance.now();
    expect((await ask(url, 1, ['C1'])).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('reports what it served and injected when stopped', async () => {
    const s = await serve('--error-rate', '0.5', '--seed', '3');
    for (let i = 0; i < 20; i++) await ask(s.url, i, ['C1', 'C2']);
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.kill('SIGTERM');
    await exited;
    const stats = JSON.parse(s.out().trim().split('\n').pop() as string);
    expect(stats.requests).toBe(20);
    expect(stats.ok + stats.errors).toBe(20);
    expect(stats.errors).toBeGreaterThan(0);
  });
});
