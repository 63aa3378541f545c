import type { Scenario } from '../../scenario/types.js';
import type { topicsOf } from '../../transport/kafka/topics.js';
import type { ActionRecord, ScoredResult } from '../join/scorer.js';
import type { WindowResult } from '../operator.js';
import { resultLine } from '../results/line.js';

/** One record a member produces in a commit: results, side outputs, progress. */
export type OutMessage = { topic: string; partition?: number; key?: Buffer; value: Buffer };

export const enc = (s: string) => Buffer.from(s);

/**
 * Splits a commit's messages into requests of at most ~512 KB, so no partition's batch reaches the
 * broker's 1 MB message.max.bytes (a backlog after a restart produces many results per commit).
 */
export function requests(messages: OutMessage[]): OutMessage[][] {
  const out: OutMessage[][] = [];
  let cur: OutMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = m.value.length + (m.key?.length ?? 0) + 64;
    if (cur.length > 0 && bytes + size > 512 * 1024) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(m);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}


/**
 * Scored results and actions as messages, each to the partition of the input partition its window
 * fired in (results keep Kafka Streams' co-partitioning with the input).
 */
export function scoredMessages(
  scored: { results: ScoredResult[]; actions: ActionRecord[] },
  fired: { partition: number; rows: WindowResult[] }[],
  t: ReturnType<typeof topicsOf>,
  aggs: Scenario['aggregations'],
): OutMessage[] {
  const partitionOf = new Map<string, number>();
  for (const b of fired) for (const r of b.rows) partitionOf.set(`${r.windowEnd}|${r.key}`, b.partition);
  const emit = new Date().toISOString();
  return [
    ...scored.results.map((r) => ({ topic: t.results, partition: partitionOf.get(`${r.windowEnd}|${r.key}`), key: enc(r.key), value: enc(resultLine(r, aggs, emit)) })),
    ...scored.actions.map((a) => ({ topic: t.actions, partition: partitionOf.get(`${Date.parse(a.window_end)}|${a.key}`), key: enc(a.key), value: enc(JSON.stringify({ ...a, emit_time: emit })) })),
  ];
}
