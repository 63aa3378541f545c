// The Kafka replay sink's own thread (see sink-thread.ts): the producer, its retries and read-backs
// run here, beside the replay's reading, planning and ledger on the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { SatError } from '../../core/errors.js';
import { KafkaError } from './errors.js';
import { kafkaSinkInThread } from './sink.js';
import type { SinkThreadData, ThreadError } from './sink-thread.js';

const port = parentPort!;
const o = workerData as SinkThreadData;

function described(e: unknown): ThreadError {
  if (e instanceof KafkaError) return { kind: 'kafka', message: e.message.replace(/^Kafka: /, ''), retriable: e.retriable };
  if (e instanceof SatError) return { kind: 'sat', message: e.message, exitCode: e.exitCode };
  return { kind: 'other', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

try {
  const sink = await kafkaSinkInThread(o.conn, o.topic, o.partitions, o.compression, o.shard, (line) => port.postMessage({ op: 'log', line }));
  port.on('message', (m: { id: number; op: 'send' | 'finish' | 'close'; buf?: ArrayBuffer; n?: number }) => {
    const done =
      m.op === 'send'
        ? sink.send(m.buf!, m.n!).then((offsets) => port.postMessage({ id: m.id, offsets }, [offsets.buffer as ArrayBuffer]))
        : (m.op === 'finish' ? sink.finish() : sink.close()).then(() => port.postMessage({ id: m.id }));
    done.catch((e: unknown) => port.postMessage({ id: m.id, error: described(e) }));
  });
  port.postMessage({ op: 'ready', partitions: sink.partitions, describe: sink.describe });
} catch (e) {
  port.postMessage({ op: 'failed', error: described(e) });
}
