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
  const { kafkaConnection } = await import('../../src/transport/kafka/config.js');
  const { clientOptions } = await import('../../src/transport/kafka/client-options.js');
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

/**
 * A broker of a test file's own (scripts/kafka.sh on other ports and its own data folder), for tests
 * that stop it or change how it advertises itself; `advertise` adds an EXTERNAL listener on port+2
 * that tells clients the broker is at that address (a proxy there then carries every connection).
 */
export async function ownBroker(port: number, advertise?: string) {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { join } = await import('node:path');
  const { ROOT, tempDir } = await import('../helpers.js');
  const runDir = tempDir('sat-broker-');
  const env = { ...process.env, SAT_KAFKA_PORT: String(port), SAT_KAFKA_CONTROLLER_PORT: String(port + 1), SAT_KAFKA_RUN: runDir, ...(advertise && { SAT_KAFKA_ADVERTISE_EXTERNAL: advertise }) };
  const kafkaSh = async (command: string) => (await promisify(execFile)('bash', [join(ROOT, 'scripts', 'kafka.sh'), command], { env })).stderr.trim();
  return { broker: `127.0.0.1:${port}`, runDir, kafkaSh };
}

/** Verify passes and is exact: nothing lost, double-counted or repeated; dead letters and late rows as expected. */
export async function expectExact(dir: string): Promise<Record<string, number>> {
  const { expect } = await import('vitest');
  const { sat } = await import('../helpers.js');
  const v = sat('verify', '--dir', dir, '--json');
  expect(v.code, `${v.stderr} ${JSON.stringify(v.json?.checks?.filter((c: { pass: boolean }) => !c.pass))}`).toBe(0);
  const c = v.json.counts;
  expect(c.records_lost).toBe(0);
  expect(c.records_double_counted).toBe(0);
  expect(c.results_repeated).toBe(0);
  expect(c.dead_lettered).toBe(c.dead_letters_expected);
  expect(c.late_output).toBe(c.late_expected);
  return c;
}
