import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaError } from './errors.js';
import { Admin } from '@platformatic/kafka';
import { clientOptions } from './client-options.js';
import { type KafkaConnection } from './config.js';

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
  const all = Array.from({ length: partitions }, (_, p) => p);
  let last = '';
  try {
    // A busy coordinator (loading, moving, timing out) refuses now and then: try again, and each time
    // check first whether another member has done it meanwhile.
    for (let attempt = 0; attempt < 8; attempt++) {
      if (attempt > 0) await sleep(250 * attempt);
      try {
        const committed = await committedOffsets(admin, group, topic, all);
        const missing = all.filter((p) => (committed.get(p) ?? -1n) < 0n);
        if (missing.length === 0) return;
        const start = await earliest(missing);
        await admin.alterConsumerGroupOffsets({ groupId: group, topics: [{ name: topic, partitionOffsets: missing.map((p) => ({ partition: p, offset: start[p] ?? 0n })) }] });
        return;
      } catch (e) {
        last = describeError(e);
        // The group has members, who gave the offsets before joining (a group whose members read
        // other topics is not supported: the client's leader would not assign this one anyway).
        if (/not empty|NON_EMPTY|not aware of this member|UNKNOWN_MEMBER/i.test(last)) return;
      }
    }
    throw new KafkaError(`could not give group ${group} its starting offsets on ${topic}: ${last}`, true);
  } finally {
    await admin.close();
  }
}

/** The messages of an error and of the errors it aggregates, in one line. */
function describeError(e: unknown): string {
  const parts: string[] = [];
  const walk = (x: unknown) => {
    const err = x as Error & { errors?: unknown[]; code?: string };
    parts.push(`${err?.code ?? ''} ${err?.message ?? String(x)}`.trim());
    for (const y of err?.errors ?? []) walk(y);
  };
  walk(e);
  return parts.join('; ');
}
