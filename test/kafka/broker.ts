import { reachable } from '../../src/transport/kafka/reachable.js';

/** The broker the Kafka tests use: SAT_TEST_BROKERS, or the one scripts/kafka.sh starts. */
export const BROKERS = process.env.SAT_TEST_BROKERS ?? '127.0.0.1:9092';

/**
 * Kafka tests run against a real broker. Locally they skip with a message when none answers; in CI
 * (CI=true) .ci/run starts one, so its absence fails the run instead of skipping.
 */
export const haveBroker = await reachable(BROKERS.split(',')[0]);
if (!haveBroker) {
  if (process.env.CI === 'true') throw new Error(`CI=true but no Kafka broker answers at ${BROKERS} (.ci/run starts one with scripts/kafka.sh up)`);
  console.warn(`skipping Kafka tests: no broker at ${BROKERS} (start one with scripts/kafka.sh up)`);
}

export const uniqueTopic = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}`;

/** Partitions of a topic where a transaction is open (last stable offset behind the high watermark). */
export async function openTransactions(topic: string): Promise<number[]> {
  const { Consumer } = await import('@platformatic/kafka');
  const { partitionCount } = await import('../../src/transport/kafka/topics.js');
  const { clientOptions, kafkaConnection } = await import('../../src/transport/kafka/config.js');
  const { openTransactions: openOn } = await import('../../src/transport/kafka/transactions.js');
  const conn = kafkaConnection(BROKERS);
  const all = Array.from({ length: (await partitionCount(conn, topic)) ?? 0 }, (_, p) => p);
  const consumer = new Consumer({ ...clientOptions(conn, 'sat-test'), groupId: `sat-test-${process.pid}-${Date.now()}` });
  try {
    return (await openOn(consumer, topic, all)).open;
  } finally {
    await consumer.close(true);
  }
}
