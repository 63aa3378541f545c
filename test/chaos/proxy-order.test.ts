import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createProxy } from '../../src/chaos/proxy.js';

const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

describe('sat chaos proxy keeps a stream in order', () => {
  it('with jitter, and an event loop that now and then stalls (timers fire late), every byte arrives once and in order', async () => {
    const received: Buffer[] = [];
    let chunks = 0;
    const done = new Promise<void>((resolve) => {
      const sink = createServer((s) => {
        s.on('data', (d: Buffer) => {
          received.push(d);
          // A stall, as a busy process has: the proxy's timers fire late, while more data waits.
          if (++chunks % 40 === 0) for (const until = Date.now() + 25; Date.now() < until; );
        });
        s.on('end', () => {
          sink.close();
          resolve();
        });
      });
      void listen(sink).then((port) => start(port));
      let proxyServer: Server;
      const start = async (port: number) => {
        const { server } = createProxy({ listenPort: 0, listenHost: '127.0.0.1', targetHost: '127.0.0.1', targetPort: port, latency: [0, 20], bandwidth: 0, cutRate: 0, seed: 7 });
        proxyServer = server;
        const proxyPort = await listen(server);
        const c = connect(proxyPort, '127.0.0.1');
        await new Promise((r) => c.once('connect', r));
        for (let i = 0; i < 3000; i++) {
          c.write(Buffer.from(`${String(i).padStart(6, '0')}:${'x'.repeat(90)}\n`));
          if (i % 3 === 0) await new Promise((r) => setTimeout(r, 1));
        }
        c.end();
        await done;
        proxyServer.close();
      };
    });
    await done;
    const lines = Buffer.concat(received).toString('utf8').split('\n').filter((l) => l !== '');
    expect(lines.length).toBe(3000);
    const outOfPlace = lines.findIndex((l, i) => !l.startsWith(`${String(i).padStart(6, '0')}:`));
    expect(outOfPlace, `line ${outOfPlace}: ${lines[outOfPlace]?.slice(0, 20)}`).toBe(-1);
  }, 60_000);
});
