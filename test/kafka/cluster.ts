import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { reachable } from '../../src/transport/kafka/reachable.js';
import { ROOT } from '../helpers.js';

/**
 * The three-broker cluster of `scripts/kafka.sh cluster up` (issue 18). Its tests skip with a message
 * when it is not running; in CI (CI=true) .ci/run starts it, so its absence fails the run.
 */
export const CLUSTER = process.env.SAT_TEST_CLUSTER ?? '127.0.0.1:29092,127.0.0.1:29192,127.0.0.1:29292';
const nodes = CLUSTER.split(',');
export const haveCluster = (await Promise.all(nodes.map((b) => reachable(b)))).every(Boolean);
if (!haveCluster) {
  if (process.env.CI === 'true') throw new Error(`CI=true but the three-broker cluster does not answer at ${CLUSTER} (.ci/run starts it with scripts/kafka.sh cluster up)`);
  console.warn(`skipping the replicated-Kafka tests: no three-broker cluster at ${CLUSTER} (start one with scripts/kafka.sh cluster up)`);
}

/** scripts/kafka.sh cluster <what> <node>: kill (SIGKILL), stop, start (waits until it serves again). */
export function node(what: 'kill' | 'start' | 'stop', n: number): void {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'cluster', what, String(n)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kafka.sh cluster ${what} ${n} failed: ${r.stderr}`);
}

/** Node ids 1..3 map to the brokers in CLUSTER in order (the script's node.id). */
export async function leaders(topic: string): Promise<number[]> {
  const { partitionLeaders } = await import('../../src/transport/kafka/topics.js');
  const { kafkaConnection } = await import('../../src/transport/kafka/config.js');
  return (await partitionLeaders(kafkaConnection(CLUSTER), topic)).map((p) => p.leader);
}

/** The records in a topic so far (the sum of its partitions' end offsets; 0 before it exists). */
export async function recordsIn(topic: string): Promise<number> {
  const { partitionCount } = await import('../../src/transport/kafka/topics.js');
  const { endOffsets } = await import('../../src/transport/kafka/written.js');
  const { kafkaConnection } = await import('../../src/transport/kafka/config.js');
  const conn = kafkaConnection(CLUSTER);
  const n = await partitionCount(conn, topic);
  if (n === undefined) return 0;
  return (await endOffsets(conn, topic, Array.from({ length: n }, (_, p) => p))).reduce((a, b) => a + b, 0);
}
