import { Worker } from 'node:worker_threads';
import { SatError } from '../../core/errors.js';
import type { RecordSink } from '../types.js';
import type { KafkaConnection } from './config.js';
import { KafkaError } from './errors.js';
import type { Compression } from './sink.js';

export interface SinkThreadData {
  conn: KafkaConnection;
  topic: string;
  partitions: number;
  compression: Compression;
  shard?: { index: number; count: number };
}

/** An error crossing from the producer thread: a KafkaError and a SatError keep their kind and exit code. */
export interface ThreadError {
  kind: 'kafka' | 'sat' | 'other';
  message: string;
  retriable?: boolean;
  exitCode?: number;
}

const revived = (e: ThreadError): Error =>
  e.kind === 'kafka' ? new KafkaError(e.message, e.retriable ?? false) : e.kind === 'sat' ? new SatError(e.message, e.exitCode ?? 1) : new Error(`the Kafka producer thread failed: ${e.message}`);

/**
 * Batches of 1,000 handed over ahead of their acknowledgement, unpaced: enough to keep several of the
 * sink's requests in flight (32 measured slower than 8 here, 4 no different within the noise).
 */
const UNPACED_IN_FLIGHT = 8;

/**
 * Kafka as a replay sink, on a thread of its own: the producer (`sink.ts`) encodes, compresses and
 * waits on the broker there while the main thread reads, plans and writes the ledger. Batches go
 * over packed in one buffer each (moved, not copied); offsets come back the same way. Several
 * batches may be handed over while requests are in flight: the sink's next request takes what waits.
 */
export function kafkaSink(conn: KafkaConnection, topic: string, partitions: number, compression: Compression, shard?: { index: number; count: number }, log?: (line: string) => void): Promise<RecordSink> {
  const data: SinkThreadData = { conn, topic, partitions, compression, ...(shard && { shard }) };
  const worker = new Worker(new URL('./sink-worker.js', import.meta.url), { workerData: data });
  const waiting = new Map<number, { resolve: (offsets?: Float64Array) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let dead: Error | undefined;
  const call = (op: 'send' | 'finish' | 'close', buf?: ArrayBuffer, n?: number) =>
    new Promise<Float64Array | undefined>((resolve, reject) => {
      if (dead) return reject(dead);
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, op, buf, n }, buf ? [buf] : []);
    });
  return new Promise<RecordSink>((ready, failed) => {
    const die = (e: Error) => {
      dead ??= e;
      for (const w of waiting.values()) w.reject(dead);
      waiting.clear();
      failed(dead);
    };
    worker.on('error', (e) => die(new Error(`the Kafka producer thread failed: ${e.stack ?? e.message}`)));
    worker.on('exit', (code) => die(new Error(`the Kafka producer thread exited (${code})`)));
    worker.on('message', (m: { op?: string; id?: number; line?: string; offsets?: Float64Array; error?: ThreadError; partitions?: number; describe?: string }) => {
      if (m.op === 'log') return log?.(m.line!);
      if (m.op === 'failed') return die(revived(m.error!));
      if (m.op === 'ready') {
        return ready({
          partitions: m.partitions!,
          describe: m.describe!,
          unpacedInFlight: UNPACED_IN_FLIGHT,
          send: async (packed, n) => (await call('send', packed, n))!,
          finish: async () => void (await call('finish')),
          close: async () => {
            try {
              await call('close');
            } finally {
              await worker.terminate();
            }
          },
        });
      }
      const w = waiting.get(m.id!);
      waiting.delete(m.id!);
      if (m.error) w?.reject(revived(m.error));
      else w?.resolve(m.offsets);
    });
  });
}
