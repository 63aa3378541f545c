import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { OnlineThread as Thread } from '../../src/engine/join/online-thread.js';
import type { OnlineSpec } from '../../src/scenario/types.js';
import { serve, stopServers } from '../helpers.js';

const SPEC: OnlineSpec = { batchSize: 7, concurrency: 3, timeoutMs: 2000, retries: 1 };
const NAMES = ['dropped_calls', 'app_errors', 'network_latency_ms'];

/** An API on 127.0.0.1 that answers with what `answer` makes of the requested ids. */
async function fakeApi(answer: (ids: string[]) => Record<string, unknown>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const { minute, customers } = JSON.parse(body) as { minute: number; customers: string[] };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ minute, features: answer(customers) }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

// The thread runs compiled code: the build's (npm test builds first).
const built = '../../dist/engine/join/online-thread.js';
const { OnlineThread } = (await import(built)) as typeof import('../../src/engine/join/online-thread.js');
// The built SatError: the one the thread's module throws.
const { SatError } = (await import('../../dist/core/errors.js' as string)) as typeof import('../../src/core/errors.js');

const threads: Thread[] = [];
afterEach(async () => {
  stopServers();
  for (const t of threads.splice(0)) await t.close();
});
afterAll(stopServers);

describe('the online-features client on its own thread', () => {
  it('answers what the API answers, as columns in the order the ids were asked, against sat serve online', async () => {
    const { url } = await serve();
    const ids = Array.from({ length: 50 }, (_, i) => `C${String(i * 37).padStart(6, '0')}`);
    const minute = 28_400_000;
    const thread = new OnlineThread(url, SPEC, NAMES);
    threads.push(thread);
    // The API asked directly, all ids in one request: what the thread's batches must add up to.
    const direct = (await (await fetch(`${url}/online`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ minute, customers: ids }) })).json()) as { features: Record<string, Record<string, unknown>> };
    const cols = await thread.features(minute, ids);
    expect(cols.names).toEqual(NAMES);
    expect(cols.values.length).toBe(ids.length * NAMES.length);
    let numbers = 0;
    ids.forEach((id, i) => {
      expect(cols.found[i], id).toBe(1);
      NAMES.forEach((name, j) => {
        const v = direct.features[id][name];
        const got = cols.values[i * NAMES.length + j];
        if (typeof v === 'number') {
          numbers++;
          expect(got, `${id} ${name}`).toBe(v);
        } else expect(got, `${id} ${name}`).toBeNaN();
      });
    });
    expect(numbers).toBeGreaterThan(ids.length); // the comparison compared values, not only NaNs
    // Its counts come over with each answer: 50 ids in batches of 7.
    expect(thread.stats).toMatchObject({ idsRequested: 50, requests: 8, failedBatches: 0, idsMissing: 0 });
  });

  it('marks an id the API left out as not found, and a feature that is not a number as NaN (no score input)', async () => {
    const { url, server } = await fakeApi((ids) => {
      const out: Record<string, unknown> = {};
      for (const id of ids) {
        if (id === 'gone' || id === 'constructor') continue;
        out[id] = id === 'nothing' ? null : id === 'text' ? { dropped_calls: '3', app_errors: 2 } : { dropped_calls: 1, app_errors: 2, network_latency_ms: 60.5 };
      }
      return out;
    });
    try {
      const thread = new OnlineThread(url, SPEC, NAMES);
      threads.push(thread);
      // "constructor" is not an own key of the answer: not found, not Object.prototype's constructor.
      const ids = ['a', 'gone', 'nothing', 'text', 'constructor'];
      const c = await thread.features(1, ids);
      expect([...c.found]).toEqual([1, 0, 1, 1, 0]);
      expect([...c.values.subarray(0, 3)]).toEqual([1, 2, 60.5]);
      expect([...c.values.subarray(6, 9)].every(Number.isNaN)).toBe(true);
      expect(Number.isNaN(c.values[9])).toBe(true);
      expect(c.values[10]).toBe(2);
      expect(thread.stats).toMatchObject({ idsRequested: 5, idsMissing: 2 });
    } finally {
      server.close();
    }
  });

  it('gives every row that asks for an id its features, an id asked twice in a minute too (the answer names it once)', async () => {
    const { url } = await serve();
    const thread = new OnlineThread(url, { ...SPEC, batchSize: 100 }, NAMES);
    threads.push(thread);
    const once = await thread.features(28_400_000, ['C000001', 'C000002']);
    const twice = await thread.features(28_400_000, ['C000001', 'C000002', 'C000001']);
    expect([...twice.found]).toEqual([1, 1, 1]);
    expect([...twice.values.subarray(0, 6)]).toEqual([...once.values]);
    expect([...twice.values.subarray(6, 9)]).toEqual([...once.values.subarray(0, 3)]);
    expect(once.values.some((v) => v > 0)).toBe(true);
  });

  it('gives up on an API that does not answer after its retries: every id not found, counted, no error', async () => {
    const { url, server } = await fakeApi(() => ({}));
    server.close();
    await new Promise((ok) => server.once('close', ok));
    const thread = new OnlineThread(url, { ...SPEC, retries: 1 }, NAMES);
    threads.push(thread);
    const c = await thread.features(1, ['a', 'b', 'c']);
    expect([...c.found]).toEqual([0, 0, 0]);
    expect(thread.stats).toMatchObject({ failedBatches: 1, failedAttempts: 2, idsMissing: 3 });
  });

  it('retries a 503, an answer cut off and an answer that never comes, then gives up on the batch: not found, counted, no error', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `C${String(i).padStart(6, '0')}`); // two batches of up to 7
    // A short timeout only where nothing answers: a busy machine must not turn a 503 into a timeout.
    for (const [flag, why, timeoutMs] of [['--error-rate', 'status', 10_000], ['--truncate-rate', 'body', 10_000], ['--timeout-rate', 'timeout', 300]] as const) {
      const { url } = await serve(flag, '1');
      const logged: string[] = [];
      const thread = new OnlineThread(url, { ...SPEC, retries: 1, timeoutMs }, NAMES, (line) => logged.push(line));
      threads.push(thread);
      const c = await thread.features(28_400_000, ids);
      expect({ flag, found: [...c.found] }).toEqual({ flag, found: ids.map(() => 0) });
      expect(logged.join('\n')).toContain(`a request failed (${why})`);
      expect({ flag, ...thread.stats }).toMatchObject({ flag, requests: 4, failedAttempts: 4, failedBatches: 2, idsMissing: 10 });
    }
    // And where the API answers, every id is found, the same features each time.
    const { url } = await serve();
    const thread = new OnlineThread(url, SPEC, NAMES);
    threads.push(thread);
    const first = await thread.features(28_400_000, ids);
    const again = await thread.features(28_400_000, ids);
    expect([...first.found]).toEqual(ids.map(() => 1));
    expect([...again.values]).toEqual([...first.values]);
  });

  it('out of its heap, it fails the run with one line naming the settings to lower (not an internal error)', async () => {
    const wide = Object.fromEntries(Array.from({ length: 200 }, (_, j) => [`f${j}`, j + 0.5]));
    const { url, server } = await fakeApi((ids) => Object.fromEntries(ids.map((id) => [id, wide])));
    try {
      const thread = new OnlineThread(url, { ...SPEC, batchSize: 20_000, concurrency: 4 }, NAMES, undefined, 8);
      threads.push(thread);
      const ids = Array.from({ length: 80_000 }, (_, i) => `c${i}`);
      const failed = await thread.features(1, ids).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failed).toBeInstanceOf(SatError);
      expect((failed as Error).message).toMatch(/ran out of its 8 MB heap: join\.online\.batch_size × concurrency/);
      expect((failed as InstanceType<typeof SatError>).exitCode).toBe(3);
    } finally {
      server.close();
    }
  });

  it('refuses requests once closed', async () => {
    const thread = new OnlineThread('http://127.0.0.1:9', SPEC, NAMES);
    await thread.close();
    await expect(thread.features(1, ['a'])).rejects.toThrow(/closed/);
  });
});
