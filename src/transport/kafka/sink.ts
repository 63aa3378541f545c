import { ProduceAcks } from '@platformatic/kafka';
import { FastProducer } from './fast-producer.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { asKafkaError, atKafkaEdge, KafkaError } from './errors.js';
import { endMarkValue, HEADER_END, HEADER_SEND_TIME, type OutRecord, type RecordSink } from '../types.js';
import { clientOptions, describeConnection, type KafkaConnection } from './config.js';
import { ensureTopics, partitionCount } from './topics.js';
import { endOffsets, matchWritten, readPartitionTail } from './written.js';
import { deadline } from '../../core/deadline.js';

/** A Buffer over the same memory (Buffer.from(Uint8Array) would copy it). */
const view = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4';

/** How long a request may keep failing before the replay gives up (retriable errors only). */
const PRODUCE_GIVE_UP_MS = 5 * 60_000;

/**
 * Kafka as a replay sink: an idempotent producer with acks=all. One request is in flight at a time
 * (platformatic 1.35 breaks idempotent sequence numbers with several in flight). sat sets each
 * record's partition itself with Kafka's murmur2, so Kafka and the embedded log agree (the library's
 * default partitioner differs from the Java client's).
 */
export function kafkaSinkInThread(conn: KafkaConnection, topic: string, partitions: number, compression: Compression, shard?: { index: number; count: number }, log?: (line: string) => void): Promise<RecordSink> {
  return atKafkaEdge(() => openSink(conn, topic, partitions, compression, shard, log));
}

async function openSink(conn: KafkaConnection, topic: string, partitions: number, compression: Compression, shard: { index: number; count: number } | undefined, log: ((line: string) => void) | undefined): Promise<RecordSink> {
  const existing = await partitionCount(conn, topic);
  if (existing === undefined) await ensureTopics(conn, [{ name: topic, partitions }]);
  const count = existing ?? partitions;
  const newProducer = () => new FastProducer({ ...clientOptions(conn, 'sat-replay'), idempotent: true, acks: ProduceAcks.ALL, compression });
  let producer = newProducer();
  // Per partition, the offset after the last record acknowledged (from the topic's end at the start):
  // where a read-back after a producer replacement begins.
  const acknowledged = await endOffsets(conn, topic, Array.from({ length: count }, (_, p) => p));
  const sendTimeKey = Buffer.from(HEADER_SEND_TIME);
  type Waiting = { batch: OutRecord[]; resolve: (offsets: number[]) => void; reject: (e: unknown) => void };
  let queue: Waiting[] = [];
  let pumping = false;

  /**
   * Sends these records; resolves with each record's offset, in order. The client retries a failed
   * request for a minute with the same producer (same sequence numbers: the broker drops what it
   * already wrote). A request that still fails replaces the producer, whose new id the broker cannot
   * match with the old one's writes, so what the request did write is read back first and only the
   * rest is sent again. Partitions the broker acknowledged are never sent again. Gives up on an error
   * the client cannot retry, or after PRODUCE_GIVE_UP_MS of failures (Java's delivery.timeout.ms is 2 min).
   */
  async function produce(records: OutRecord[]): Promise<number[]> {
    const offsets = new Array<number>(records.length).fill(-1);
    let left = records.map((_, i) => i);
    const failingSince = performance.now();
    for (let attempt = 1; ; attempt++) {
      const batch = left.map((i) => records[i]);
      let acked: { partition: number; offset: bigint }[];
      let failure: unknown;
      try {
        acked = (await producer.send({ messages: batch.map(message) })).offsets ?? [];
      } catch (e) {
        failure = e;
        acked = (e as { produced?: { offsets?: { partition: number; offset: bigint }[] } }).produced?.offsets ?? [];
      }
      // The broker acknowledges each partition's part of the request with its base offset.
      const base = new Map(acked.map((o) => [o.partition, o.offset]));
      const next = new Map<number, number>();
      for (const i of left) {
        const b = base.get(records[i].partition);
        if (b === undefined) continue;
        const k = next.get(records[i].partition) ?? 0;
        next.set(records[i].partition, k + 1);
        offsets[i] = Number(b) + k;
        acknowledged[records[i].partition] = Math.max(acknowledged[records[i].partition], offsets[i] + 1);
      }
      left = left.filter((i) => offsets[i] < 0);
      if (failure === undefined || left.length === 0) return offsets;
      const k = asKafkaError(failure);
      if (!(k instanceof KafkaError) || !k.retriable || performance.now() - failingSince > PRODUCE_GIVE_UP_MS) throw k;
      // The client has retried for a minute already; after a broker was SIGKILLed and came back it
      // can keep failing on a dead connection ("Connection closed") for ever. A new producer gets
      // new connections, and a new producer id: the broker cannot drop its resends as duplicates,
      // so first read back what the failed request wrote, and send only the rest.
      log?.(`a produce request failed after the client's retries (${k.message}): replacing the producer (attempt ${attempt + 1})`);
      const old = producer;
      producer = newProducer();
      void deadline(old.close(true) as unknown as Promise<void>, 2000, 'close').catch(() => undefined);
      await sleep(Math.min(2000, 250 * attempt));
      // Nothing is sent again before the read-back has said what is there.
      for (let reads = 1; ; reads++) {
        try {
          left = await notWritten(records, left, offsets);
          break;
        } catch (e) {
          const r = asKafkaError(e);
          if (!(r instanceof KafkaError) || !r.retriable || performance.now() - failingSince > PRODUCE_GIVE_UP_MS) throw r;
          log?.(`reading back what the failed request wrote failed (${r.message}); trying again`);
          await sleep(Math.min(2000, 250 * reads));
        }
      }
      if (left.length === 0) return offsets;
    }
  }

  /** Of the records not acknowledged, those not in their partition's tail (found ones get their offsets). */
  async function notWritten(records: OutRecord[], left: number[], offsets: number[]): Promise<number[]> {
    const byPartition = new Map<number, number[]>();
    for (const i of left) byPartition.set(records[i].partition, [...(byPartition.get(records[i].partition) ?? []), i]);
    for (const [p, idx] of byPartition) {
      const tail = await readPartitionTail(conn, topic, p, acknowledged[p], HEADER_SEND_TIME);
      const found = matchWritten(idx.map((i) => ({ value: Buffer.from(records[i].value), sendTime: String(records[i].sendTime) })), tail);
      idx.forEach((i, j) => {
        if (found[j] >= 0) offsets[i] = found[j];
      });
      if (found[0] >= 0) log?.(`partition ${p}: ${found.filter((x) => x >= 0).length} of ${idx.length} records of the failed request were written; sending the rest`);
      const last = Math.max(...found);
      if (last >= 0) acknowledged[p] = Math.max(acknowledged[p], last + 1);
    }
    return left.filter((i) => offsets[i] < 0);
  }

  // A batch's records share their send time: one header value per distinct time, not per record.
  // The headers are only read (by sat's encoder or the client's), so records of one time share one Map.
  let headerTime = NaN;
  let headers = new Map<Buffer, Buffer>();
  /** The client's message for a record; its bytes are viewed, not copied. */
  function message(r: OutRecord) {
    if (r.sendTime !== headerTime) {
      headerTime = r.sendTime;
      headers = new Map([[sendTimeKey, Buffer.from(String(r.sendTime))]]);
    }
    return {
      topic,
      partition: r.partition,
      key: r.key === null ? undefined : view(r.key),
      value: view(r.value),
      headers,
    };
  }

  async function pump(): Promise<void> {
    pumping = true;
    while (queue.length > 0) {
      // Up to ~10k records per request.
      let n = 0;
      let k = 0;
      while (k < queue.length && (k === 0 || n + queue[k].batch.length <= 10_000)) n += queue[k++].batch.length;
      const taken = queue.slice(0, k);
      queue = queue.slice(k);
      try {
        const offsets = await produce(taken.flatMap((w) => w.batch));
        let at = 0;
        for (const w of taken) {
          w.resolve(offsets.slice(at, at + w.batch.length));
          at += w.batch.length;
        }
      } catch (e) {
        for (const w of taken) w.reject(asKafkaError(e));
      }
    }
    pumping = false;
  }

  return {
    partitions: count,
    describe: `kafka ${describeConnection(conn)} topic ${topic}`,
    // Batches handed over while a request is in flight wait in `queue`; the next request takes them
    // all at once (one request in flight: see above), so slow acknowledgements grow the requests
    // instead of holding the sender back.
    send(batch: OutRecord[]) {
      return new Promise<number[]>((resolve, reject) => {
        queue.push({ batch, resolve, reject });
        if (!pumping) void pump();
      });
    },
    async finish() {
      // "i/n": a partition has ended once the engine has seen the markers of all n shards.
      const end = Buffer.from(HEADER_END);
      const mark = Buffer.from(endMarkValue(shard));
      await atKafkaEdge(() =>
        producer.send({
          messages: Array.from({ length: count }, (_, p) => ({ topic, partition: p, value: Buffer.alloc(0), headers: new Map([[end, mark]]) })),
        }),
      );
    },
    async close() {
      await atKafkaEdge(() => producer.close());
    },
  };
}

