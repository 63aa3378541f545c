// The online-features client's own thread (see online-thread.ts): requests, retries and the parsing
// of the answers run here, beside the engine on the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { OnlineSpec } from '../../scenario/types.js';
import { OnlineClient } from './online-client.js';
import type { OnlineRequest, OnlineReply, OnlineThreadData } from './online-thread.js';

const port = parentPort!;
const o = workerData as OnlineThreadData;
const client = new OnlineClient(o.url, o.spec as OnlineSpec, (line) => port.postMessage({ log: line } satisfies OnlineReply));

port.on('message', (m: OnlineRequest) => {
  client.columns(m.minute, m.ids, o.names).then(
    (c) => port.postMessage({ id: m.id, values: c.values, found: c.found, stats: client.stats } satisfies OnlineReply, [c.values.buffer as ArrayBuffer, c.found.buffer as ArrayBuffer]),
    (e: unknown) => port.postMessage({ id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e), stats: client.stats } satisfies OnlineReply),
  );
});
