import { createServer } from 'node:net';
import { ConnectionPool } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { guardBrokerLeft } from '../../src/transport/kafka/broker-left.js';

type Get = (broker: unknown, callback?: (error: Error | null, connection?: unknown) => void) => Promise<unknown> | undefined;

describe('a broker that left the cluster metadata (the client asks the pool for undefined)', () => {
  it('throws inside the client unguarded; guarded, the pool answers an error that is not retried, by callback and by promise', async () => {
    const pool = new ConnectionPool('sat-test');
    const get = (broker: unknown, callback?: (error: Error | null, connection?: unknown) => void) => (pool.get as unknown as Get).call(pool, broker, callback);
    // What @platformatic/kafka does on its own: a TypeError thrown where the client cannot catch it.
    expect(() => get(undefined, () => {})).toThrow(TypeError);
    guardBrokerLeft();
    const answered = await new Promise<Error | null>((resolve) => get(undefined, (e) => resolve(e)));
    expect(answered?.message).toMatch(/not in the cluster metadata/);
    expect((answered as unknown as { findBy: (k: string, v: boolean) => unknown }).findBy('canRetry', false)).toBeTruthy();
    await expect(get(undefined)).rejects.toThrow(/not in the cluster metadata/);
    // A broker that is there is still connected to (a real socket on 127.0.0.1).
    const server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const connection = await new Promise<unknown>((resolve, reject) => get({ host: '127.0.0.1', port }, (e, c) => (e ? reject(e) : resolve(c))));
    expect(connection).toBeDefined();
    await pool.close();
    server.close();
  });
});
