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
