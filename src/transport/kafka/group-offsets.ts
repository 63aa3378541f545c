import { Admin } from '@platformatic/kafka';
import { clientOptions, type KafkaConnection } from './config.js';

/** Committed offsets of a group for a topic (stable: waits out pending transactional commits); -1 where none. */
export async function committedOffsets(admin: Admin, group: string, topic: string, partitions: number[]): Promise<Map<number, bigint>> {
  const groups = await admin.listConsumerGroupOffsets({ groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: partitions }] }], requireStable: true });
  const out = new Map<number, bigint>(partitions.map((p) => [p, -1n]));
  for (const t of groups[0]?.topics ?? []) for (const p of t.partitions) out.set(p.partitionIndex, p.committedOffset);
  return out;
}

/**
 * Gives every partition of the topic a committed offset for the group (its log start) before any
 * member consumes. The stream re-reads committed offsets after each rebalance, but leaves a
 * partition without one where it was: a member that dropped uncommitted work there would then never
 * see those records again. Only possible while the group has no members; if another member is
 * already in, it has done this itself before joining.
 */
export async function initGroupOffsets(conn: KafkaConnection, group: string, topic: string, partitions: number, earliest: (ps: number[]) => Promise<bigint[]>): Promise<void> {
  const admin = new Admin(clientOptions(conn, 'sat-admin'));
  try {
    const all = Array.from({ length: partitions }, (_, p) => p);
    const committed = await committedOffsets(admin, group, topic, all);
    const missing = all.filter((p) => (committed.get(p) ?? -1n) < 0n);
    if (missing.length === 0) return;
    const start = await earliest(missing);
    await admin
      .alterConsumerGroupOffsets({ groupId: group, topics: [{ name: topic, partitionOffsets: missing.map((p) => ({ partition: p, offset: start[p] ?? 0n })) }] })
      .catch((e: Error & { errors?: Error[] }) => {
        const text = `${e.message} ${(e.errors ?? []).map((x) => x.message).join(' ')}`;
        if (!/not empty|NON_EMPTY|rebalance|member/i.test(text)) throw e;
      });
  } finally {
    await admin.close();
  }
}
