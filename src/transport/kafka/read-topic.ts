import { setTimeout as sleep } from 'node:timers/promises';
import { readCommittedCorrectly } from './aborted-filter.js';
import { atKafkaEdge, KafkaError } from './errors.js';
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import { clientOptions } from './client-options.js';
import { type KafkaConnection } from './config.js';
import { partitionCount } from './topics.js';
import { openTransactions } from './transactions.js';

export interface ReadTopicOptions {
  /** How long to wait for open transactions on the topic to end before reading what is stable. */
  settleMs?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * Reads a topic from the beginning up to each partition's last stable offset, committed records only
 * (read_committed), and returns the values. It stops at the offsets it saw when it started.
 *
 * An open transaction (a producer that died mid-transaction, until the broker aborts it) holds the
 * last stable offset at its first record, hiding everything committed after it. So it first waits,
 * up to settleMs, for no transaction to be open; past that it reads what is stable and says which
 * partitions were held back.
 */
export function readTopic(conn: KafkaConnection, topic: string, options: ReadTopicOptions = {}): Promise<Buffer[]> {
  return atKafkaEdge(() => readAll(conn, topic, options));
}

async function readAll(conn: KafkaConnection, topic: string, options: ReadTopicOptions): Promise<Buffer[]> {
  const { settleMs = 60_000, timeoutMs = 60_000, log = () => undefined } = options;
  const partitions = await partitionCount(conn, topic);
  if (partitions === undefined) return [];
  // The client's own read_committed filter lets some aborted records through (aborted-filter.ts).
  const consumer = readCommittedCorrectly(new Consumer({ ...clientOptions(conn, 'sat-verify'), groupId: `sat-verify-${process.pid}-${Date.now()}`, isolationLevel: FetchIsolationLevels.READ_COMMITTED, autocommit: false }));
  const values: Buffer[] = [];
  try {
    const all = Array.from({ length: partitions }, (_, p) => p);
    const end = await settledEnds(consumer, topic, all, settleMs, log);
    if (all.every((p) => (end[p] ?? 0n) === 0n)) return values;
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, isolationLevel: FetchIsolationLevels.READ_COMMITTED, maxWaitTime: 100 });
    const seen = new Map<number, bigint>();
    stream.on('data', (m) => {
      if (m.offset < (end[m.partition] ?? 0n)) values.push(m.value);
      seen.set(m.partition, m.offset);
    });
    const started = performance.now();
    // Done when every partition has been fetched up to its end offset (control records included).
    while (!all.every((p) => (stream.offsetsToFetch.get(`${topic}:${p}`) ?? 0n) >= (end[p] ?? 0n)) || stream.readableLength > 0) {
      if (performance.now() - started > timeoutMs) throw new KafkaError(`reading ${topic} timed out after ${timeoutMs} ms`, true);
      await sleep(50);
    }
    await stream.close();
    return values;
  } finally {
    await (consumer.close(true) as unknown as Promise<void>).catch(() => undefined);
  }
}

/**
 * The end a read_committed reader can reach on each partition: the last stable offsets, once no
 * transaction is open (waiting up to settleMs; past that, the offsets as they are, said in the log).
 */
export async function settledEnds(consumer: Consumer, topic: string, partitions: number[], settleMs: number, log: (line: string) => void): Promise<bigint[]> {
  const settling = performance.now();
  for (let said = false; ; ) {
    const { open, lastStable } = await openTransactions(consumer, topic, partitions);
    if (open.length === 0) return lastStable;
    const waited = performance.now() - settling;
    if (waited > settleMs) {
      log(`${topic}: a transaction is still open on partitions [${open.join(', ')}] after ${Math.round(waited / 1000)} s: reading up to the last stable offsets, so records after them are not seen`);
      return lastStable;
    }
    if (!said) log(`${topic}: waiting for an open transaction on partitions [${open.join(', ')}] to commit or abort`);
    said = true;
    await sleep(250);
  }
}

/** kafka://HOST:PORT[,HOST:PORT]/TOPIC -> brokers and topic, or undefined for a file path. */
export function parseKafkaUrl(url: string): { brokers: string; topic: string } | undefined {
  const m = /^kafka:\/\/([^/]+)\/(.+)$/.exec(url);
  return m ? { brokers: m[1], topic: m[2] } : undefined;
}
