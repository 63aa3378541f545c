import { ProduceAcks } from '@platformatic/kafka';
import { Bytes } from '../../core/byte-buffer.js';
import { copyRange } from '../../core/bytes.js';
import type { FastProducer, PartitionBatch } from '../../transport/kafka/fast-producer.js';
import { batchScratch, beginBatch, finishBatch, nextSequence, startRecord } from '../../transport/kafka/record-batch.js';

/** A batch's records up to about this many bytes (the broker takes 1 MB a batch by default; as requests.ts splits the client's messages). */
const BATCH_BYTES = 512 * 1024;
/** The broker's time to answer a Produce request (the producer's own timeout). */
const PRODUCE_TIMEOUT_MS = 10_000;

/** One partition's results until the commit: each one's key (a Buffer shared by its key's results) and its line's bytes, back to back. */
export class PartitionResults {
  readonly keys: Buffer[] = [];
  /** Where each result's line ends in `lines`. */
  readonly ends: number[] = [];
  /** The lines: a result's is written here, then added() with its key. */
  readonly lines: Bytes;

  constructor(capacity: number) {
    this.lines = new Bytes(capacity);
  }
}

/**
 * A member's results on their way to the results topic, written at the commit straight into Kafka
 * record batches, a Produce request per leader, as replay's producer writes (transport/kafka/sink.ts):
 * the client's send() made a message object, a copy of it and two Maps of every record, and grouped
 * them again by partition (alone ~a fifth of an exactly-once member's thread; the results are most of
 * what a member produces). The client keeps the connections, the metadata, the producer id and epoch
 * and the transaction (these batches' partitions are added to it first); the sequence numbers of the
 * results' partitions are kept here, and only here: nothing else writes to the results topic while
 * this does (scored results go through the client, and then none come here).
 *
 * A failed request fails the commit: the member drops what it holds and re-reads from the commits,
 * and the producer is replaced (a new id or epoch, the sequences from 0), so no batch is numbered
 * after one the broker did not take.
 */
export class ResultBatches {
  #parts = new Map<number, PartitionResults>();
  #count = 0;
  /** Per partition, the bytes its last commit's results took: the next start that large (growing a buffer from small each commit copied it several times). */
  readonly #lastBytes = new Map<number, number>();
  /** The producer id and epoch the sequence numbers are of, and each partition's next. */
  #sequences: { producer: FastProducer; id: bigint; epoch: number; next: Map<number, number> } | undefined;

  /** Where the partition's next result's line is to be written (then added()). */
  partition(partition: number): PartitionResults {
    let p = this.#parts.get(partition);
    if (p === undefined) this.#parts.set(partition, (p = new PartitionResults(Math.max(64 << 10, this.#lastBytes.get(partition) ?? 0))));
    return p;
  }

  /** The line just written into p.lines is a result, with this key. */
  added(p: PartitionResults, key: Buffer): void {
    p.keys.push(key);
    p.ends.push(p.lines.len);
    this.#count++;
  }

  /** Results held for the next commit. */
  get count(): number {
    return this.#count;
  }

  /** What is held, for a commit to produce; holding starts again. */
  take(): HeldResults {
    const held = { parts: this.#parts, count: this.#count };
    for (const [p, r] of held.parts) this.#lastBytes.set(p, r.lines.len + (r.lines.len >> 2));
    this.drop();
    return held;
  }

  /** Forgets what is held (a failed commit or a rebalance: the work restarts from the commits). */
  drop(): void {
    this.#parts = new Map();
    this.#count = 0;
  }

  /**
   * Produces results taken earlier to `topic` (in the producer's open transaction `transactionalId`,
   * to which the caller has added their partitions), each partition's batches in order; resolves
   * once every broker has acknowledged them, or rejects once every request has settled.
   */
  async produce(held: HeldResults, producer: FastProducer, topic: string, transactionalId?: string): Promise<void> {
    if (held.count === 0) return;
    const id = producer.producerId;
    const epoch = producer.producerEpoch;
    if (id === undefined || epoch === undefined) throw new Error('the producer has no producer id yet');
    let s = this.#sequences;
    if (s === undefined || s.producer !== producer || s.id !== id || s.epoch !== epoch) s = this.#sequences = { producer, id, epoch, next: new Map() };
    const leaders = await producer.leaders(topic);
    // As the client places a message: its partition modulo the topic's (the results topic is made
    // with the input's partitions; one made before may have fewer).
    const batches = new Map<number, Buffer[]>();
    for (const [from, r] of held.parts) {
      const p = from % leaders.length;
      const encoded = encode(r, { producerId: id, producerEpoch: epoch, transactional: transactionalId !== undefined }, s.next, p);
      batches.set(p, [...(batches.get(p) ?? []), ...encoded]);
    }
    // A partition's next batch goes once its last is acknowledged: round i sends every partition's i-th.
    for (let round = 0; ; round++) {
      const byLeader = new Map<number, PartitionBatch[]>();
      for (const [p, list] of batches) {
        if (round >= list.length) continue;
        const to = byLeader.get(leaders[p]);
        if (to) to.push({ partition: p, batch: list[round] });
        else byLeader.set(leaders[p], [{ partition: p, batch: list[round] }]);
      }
      if (byLeader.size === 0) return;
      const settled = await Promise.allSettled([...byLeader].map(([leader, ps]) => producer.produceBatches(leader, topic, ps, ProduceAcks.ALL, PRODUCE_TIMEOUT_MS, transactionalId ?? null)));
      for (const x of settled) if (x.status === 'rejected') throw x.reason;
    }
  }
}

/** Results taken for a commit: per partition, in the order they fired. */
export interface HeldResults {
  parts: ReadonlyMap<number, PartitionResults>;
  count: number;
}

/** A partition's results as record batches of about BATCH_BYTES each, numbered on from next's sequence for it. */
function encode(r: PartitionResults, o: { producerId: bigint; producerEpoch: number; transactional: boolean }, next: Map<number, number>, partition: number): Buffer[] {
  const out: Buffer[] = [];
  const now = Date.now();
  let i = 0;
  while (i < r.ends.length) {
    beginBatch();
    const first = i;
    let bytes = 0;
    for (; i < r.ends.length && (i === first || bytes < BATCH_BYTES); i++) {
      const from = i === 0 ? 0 : r.ends[i - 1];
      const key = r.keys[i];
      const length = r.ends[i] - from;
      const at = startRecord(now, key.length, length);
      const to = batchScratch();
      to.set(key, at.key);
      copyRange(to, at.value, r.lines.buf, from, length);
      bytes += key.length + length + 16;
    }
    const base = next.get(partition) ?? 0;
    out.push(finishBatch({ ...o, baseSequence: base }));
    next.set(partition, nextSequence(base, i - first));
  }
  return out;
}
