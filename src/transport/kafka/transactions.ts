import { FetchIsolationLevels, ListOffsetTimestamps, type Consumer } from '@platformatic/kafka';

/**
 * Where a topic has an open transaction: an open transaction holds the last stable offset (the end
 * a read_committed reader sees) at its first record, behind the high watermark. Returns the last
 * stable offsets too, the end up to which such a reader can read now.
 */
export async function openTransactions(consumer: Consumer, topic: string, parts: number[]): Promise<{ open: number[]; lastStable: bigint[] }> {
  const latest = async (isolationLevel: number) =>
    (await consumer.listOffsets({ topics: [topic], partitions: { [topic]: parts }, isolationLevel, timestamp: ListOffsetTimestamps.LATEST })).get(topic) ?? [];
  const lastStable = await latest(FetchIsolationLevels.READ_COMMITTED);
  const highWatermark = await latest(FetchIsolationLevels.READ_UNCOMMITTED);
  return { open: parts.filter((p) => (lastStable[p] ?? 0n) !== (highWatermark[p] ?? 0n)), lastStable };
}
