import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka';
import { clientOptions, type KafkaConnection } from './config.js';
import { partitionCount } from './topics.js';

/**
 * Reads a topic from the beginning up to each partition's last stable offset, committed records only
 * (read_committed), and returns the values. It stops at the offsets it saw when it started.
 */
export async function readTopic(conn: KafkaConnection, topic: string, timeoutMs = 60_000): Promise<Buffer[]> {
  const partitions = await partitionCount(conn, topic);
  if (partitions === undefined) return [];
  const consumer = new Consumer({ ...clientOptions(conn, 'sat-verify'), groupId: `sat-verify-${process.pid}-${Date.now()}`, isolationLevel: FetchIsolationLevels.READ_COMMITTED, autocommit: false });
  const values: Buffer[] = [];
  try {
    const all = Array.from({ length: partitions }, (_, p) => p);
    const end = (await consumer.listOffsets({ topics: [topic], partitions: { [topic]: all }, isolationLevel: FetchIsolationLevels.READ_COMMITTED, timestamp: ListOffsetTimestamps.LATEST })).get(topic) ?? [];
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
      if (performance.now() - started > timeoutMs) throw new Error(`reading ${topic} timed out after ${timeoutMs} ms`);
      await sleep(50);
    }
    await stream.close();
    return values;
  } finally {
    await (consumer.close(true) as unknown as Promise<void>).catch(() => undefined);
  }
}

/** kafka://HOST:PORT[,HOST:PORT]/TOPIC -> brokers and topic, or undefined for a file path. */
export function parseKafkaUrl(url: string): { brokers: string; topic: string } | undefined {
  const m = /^kafka:\/\/([^/]+)\/(.+)$/.exec(url);
  return m ? { brokers: m[1], topic: m[2] } : undefined;
}
