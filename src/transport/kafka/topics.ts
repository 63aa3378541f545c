import { Admin, Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import { clientOptions } from './client-options.js';
import { type KafkaConnection } from './config.js';

/** Topic names of one pipeline: the input and what `sat run` writes beside it. */
export const topicsOf = (input: string) => ({
  input,
  results: `${input}-results`,
  deadLetters: `${input}-dead-letters`,
  late: `${input}-late`,
  alerts: `${input}-alerts`,
  /** Scored scenarios: an action per customer under a threshold. */
  actions: `${input}-actions`,
  /** Scenarios with batch reports: corrupted rows, and each partition's report rows once its input ends. */
  corrupted: `${input}-corrupted`,
  pivot: `${input}-pivot`,
  topUsers: `${input}-top-users`,
  reconciliation: `${input}-reconciliation`,
  /** Per input partition, the offset each commit reached: written in the same transaction as the results. */
  progress: (group: string) => `${input}-${group}-progress`,
});

/** Number of partitions of a topic, or undefined when it does not exist. */
export async function partitionCount(conn: KafkaConnection, topic: string): Promise<number | undefined> {
  const admin = new Admin(clientOptions(conn, 'sat-admin'));
  try {
    if (!(await admin.listTopics({ includeInternals: false })).includes(topic)) return undefined;
    return (await admin.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount;
  } finally {
    await admin.close();
  }
}

/** Each partition's leader (a node id; -1 while it has none) and in-sync replicas, fresh from the cluster. */
export async function partitionLeaders(conn: KafkaConnection, topic: string): Promise<{ leader: number; isr: number[] }[]> {
  const admin = new Admin(clientOptions(conn, 'sat-admin'));
  try {
    const t = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic);
    return (t?.partitions ?? []).map((p) => ({ leader: p.leader, isr: [...p.isr] }));
  } finally {
    await admin.close();
  }
}

/** Creates the topics that are missing (replication factor 1 unless the cluster says otherwise). */
export async function ensureTopics(conn: KafkaConnection, topics: { name: string; partitions: number; compact?: boolean }[]): Promise<void> {
  const admin = new Admin(clientOptions(conn, 'sat-admin'));
  try {
    // One listing: asking metadata for a missing topic makes the client retry for seconds.
    const existing = new Set(await admin.listTopics({ includeInternals: false }));
    const created: string[] = [];
    for (const t of topics) {
      if (existing.has(t.name)) continue;
      created.push(t.name);
      await admin
        .createTopics({
          topics: [t.name],
          partitions: t.partitions,
          replicas: -1,
          configs: t.compact ? [{ name: 'cleanup.policy', value: 'compact' }, { name: 'max.message.bytes', value: String(16 << 20) }] : [],
        })
        .catch((e: Error & { errors?: Error[] }) => {
          // Another process may have created it meanwhile: that is fine.
          if (!/already exists/i.test(`${e.message} ${e.errors?.map((x) => x.message).join(' ') ?? ''}`)) throw e;
        });
    }
    if (created.length > 0) await untilLed(conn, created);
  } finally {
    await admin.close();
  }
}

/**
 * Waits until every partition of new topics answers at its leader. A broker publishes a new topic
 * in its metadata a moment before it acts as the partitions' leader; a Produce in between is
 * refused (NOT_LEADER_OR_FOLLOWER), which fails a transaction's commit that has no retry. A
 * ListOffsets at the leader answers only once it leads.
 */
async function untilLed(conn: KafkaConnection, topics: string[]): Promise<void> {
  // No retries of its own: the client's wait between them (CLIENT_RETRY_DELAY_MS) is most of the wait.
  const consumer = new Consumer({ ...clientOptions(conn, 'sat-admin'), retries: 0, groupId: `sat-admin-${process.pid}` });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      // Not in the metadata yet ("Unknown topic"), no leader named yet, or not leading yet: ask again shortly.
      let why: unknown;
      try {
        // Fresh metadata each time, and no request to a leader it does not name yet (-1): the client
        // looks such a broker up unchecked and throws from a callback (see FastProducer).
        const md = await consumer.metadata({ topics, forceUpdate: true });
        const named = topics.every((name) => {
          const t = md.topics.get(name);
          return t !== undefined && Array.from({ length: t.partitionsCount }, (_, p) => t.partitions[p]?.leader ?? -1).every((l) => md.brokers.has(l));
        });
        if (named) {
          await consumer.listOffsets({ topics, timestamp: ListOffsetTimestamps.LATEST });
          return;
        }
      } catch (e) {
        why = e;
      }
      if (Date.now() > deadline) throw why ?? new Error(`topics ${topics.join(', ')} have partitions with no leader after 60 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await consumer.close();
  }
}
