import { Consumer, FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientOptions } from './client-options.js';
import { type KafkaConnection } from './config.js';
import { KafkaError } from './errors.js';

/** A record as written: its offset, value and send-time header (the replay's identity of a send). */
export interface WrittenRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer;
  sendTime: string | undefined;
}

/**
 * What a partition holds from `from` to its end (read_uncommitted): after a producer is replaced,
 * the replay reads back what its failed request may have written, so it sends again only what is
 * not there (a new producer has a new id, and the broker could not drop its duplicates).
 */
export async function readPartitionTail(conn: KafkaConnection, topic: string, partition: number, from: number, sendTimeHeader: string, timeoutMs = 60_000): Promise<WrittenRecord[]> {
  const end = (await endOffsets(conn, topic, [partition]))[0];
  if (end <= from) return [];
  const consumer = checker(conn);
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'manual', offsets: [{ topic, partition, offset: BigInt(from) }], autocommit: false, isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED, maxWaitTime: 100 });
    const out: WrittenRecord[] = [];
    stream.on('data', (m) => {
      if (m.partition !== partition || m.offset >= BigInt(end)) return;
      out.push({ offset: Number(m.offset), key: m.key ?? null, value: m.value, sendTime: headerText(m.headers, sendTimeHeader) });
    });
    const started = performance.now();
    while ((stream.offsetsToFetch.get(`${topic}:${partition}`) ?? 0n) < BigInt(end) || stream.readableLength > 0) {
      if (performance.now() - started > timeoutMs) throw new KafkaError(`reading back ${topic}:${partition} timed out after ${timeoutMs} ms`, true);
      await sleep(20);
    }
    await stream.close();
    return out;
  } finally {
    await (consumer.close(true) as unknown as Promise<void>).catch(() => undefined);
  }
}

const checker = (conn: KafkaConnection) => new Consumer({ ...clientOptions(conn, 'sat-replay-check'), groupId: `sat-replay-check-${process.pid}-${Date.now()}`, autocommit: false });

/** The given partitions' end offsets now (read_uncommitted), in the order given. */
export async function endOffsets(conn: KafkaConnection, topic: string, partitions: number[]): Promise<number[]> {
  const consumer = checker(conn);
  try {
    const ends = (await consumer.listOffsets({ topics: [topic], partitions: { [topic]: partitions }, isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED, timestamp: ListOffsetTimestamps.LATEST })).get(topic) ?? [];
    return partitions.map((p) => Number(ends[p] ?? 0n));
  } finally {
    await (consumer.close(true) as unknown as Promise<void>).catch(() => undefined);
  }
}

function headerText(headers: Map<unknown, unknown>, name: string): string | undefined {
  for (const [k, v] of headers) if (String(k) === name) return String(v);
  return undefined;
}

/**
 * Which of the records a failed request carried are in the partition's tail, in order: each is looked
 * for after the last one found, by its value and send time (a tail may hold other writers' records,
 * e.g. another shard's, in between). Returns the offset found for each, or -1.
 */
export function matchWritten(sent: { value: Uint8Array; sendTime: string }[], tail: WrittenRecord[]): number[] {
  const found = new Array<number>(sent.length).fill(-1);
  let at = 0;
  for (let i = 0; i < sent.length; i++) {
    for (let j = at; j < tail.length; j++) {
      if (tail[j].sendTime === sent[i].sendTime && tail[j].value.equals(sent[i].value)) {
        found[i] = tail[j].offset;
        at = j + 1;
        break;
      }
    }
    // A batch is written whole or not at all: once one is missing, the rest are too.
    if (found[i] < 0) break;
  }
  return found;
}
