import { ProduceAcks } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { deadline } from '../../core/deadline.js';
import { endMarkValue, HEADER_END, HEADER_SEND_TIME } from '../types.js';
import { sendTimeText } from './headers.js';
import { clientOptions } from './client-options.js';
import { describeConnection, type KafkaConnection } from './config.js';
import { asKafkaError, atKafkaEdge, KafkaError } from './errors.js';
import { baseOffsets, FastProducer, type PartitionBatch } from './fast-producer.js';
import { copyRange } from '../../core/bytes.js';
import { packRecords, viewPacked, type PackedView } from '../packed-records.js';
import { batchScratch, beginBatch, encodeHeaders, finishBatch, nextSequence, startRecord, type EncodedHeaders } from './record-batch.js';
import { ensureTopics, partitionCount } from './topics.js';
import { endOffsets, matchWritten, readPartitionTail } from './written.js';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4';

/** How long requests may keep failing before the replay gives up (retriable errors only). */
const PRODUCE_GIVE_UP_MS = 5 * 60_000;
/** Requests in flight at once: Kafka's limit for an idempotent producer (max.in.flight.requests.per.connection). */
const MAX_IN_FLIGHT = 5;
/** Records a request takes from the queue at most. */
const MAX_REQUEST_RECORDS = 10_000;
/** How long the broker may wait for the replicas (the Produce request's timeout_ms). */
const PRODUCE_TIMEOUT_MS = 30_000;

/** The Kafka sink inside the producer thread: batches arrive packed (`packed-records.ts`) and leave as their offsets. */
export interface PackedSink {
  readonly partitions: number;
  readonly describe: string;
  send(buf: ArrayBuffer, n: number): Promise<Float64Array>;
  finish(): Promise<void>;
  close(): Promise<void>;
}

/** A batch handed over: its records in place, the offsets they get (-1 until acknowledged). */
interface Unit {
  v: PackedView;
  offsets: Float64Array;
  /** Headers of every record of the unit instead of the send time (the end markers), encoded. */
  headers?: EncodedHeaders;
  resolve: (offsets: Float64Array) => void;
  reject: (e: unknown) => void;
}

/** Records of one or more units, in send order, as one Produce request per leader. */
interface Request {
  order: number;
  units: Unit[];
  n: number;
  unit: Int32Array;
  index: Int32Array;
  /** Per partition, the acknowledged end when the request went out: a read-back after its failure starts there. */
  from: number[];
}

/**
 * Kafka as a replay sink: an idempotent producer with acks=all that writes its record batches straight
 * from the packed buffers (no object per record) and keeps up to five requests in flight, as the Java
 * producer does. sat keeps the producer's sequence numbers itself, numbering each partition's batch as
 * it is encoded (the client numbers them only when a request is acknowledged, so two in flight would
 * share numbers); the broker accepts a partition's batches only in that order, so what is written keeps
 * the send order. The client provides the connections, metadata and the producer id.
 *
 * A failed request stops new ones; once those in flight have settled, the producer is replaced (a new
 * id, sequences from 0), what the failed requests wrote is read back from the partitions, and only the
 * rest is sent again, in order. Partitions the broker acknowledged are never sent again. sat sets each
 * record's partition itself with Kafka's murmur2, so Kafka and the embedded log agree.
 */
export function kafkaSinkInThread(conn: KafkaConnection, topic: string, partitions: number, compression: Compression, shard?: { index: number; count: number }, log?: (line: string) => void): Promise<PackedSink> {
  return atKafkaEdge(() => openSink(conn, topic, partitions, compression, shard, log));
}

async function openSink(conn: KafkaConnection, topic: string, partitions: number, compression: Compression, shard: { index: number; count: number } | undefined, log: ((line: string) => void) | undefined): Promise<PackedSink> {
  const existing = await partitionCount(conn, topic);
  if (existing === undefined) await ensureTopics(conn, [{ name: topic, partitions }]);
  const count = existing ?? partitions;
  // Per partition, the offset after the last record acknowledged (from the topic's end at the start).
  const acknowledged = await endOffsets(conn, topic, Array.from({ length: count }, (_, p) => p));
  const sequences = new Int32Array(count);
  let producer!: FastProducer;
  let leaders: number[] = [];
  async function startProducer(): Promise<void> {
    producer = new FastProducer({ ...clientOptions(conn, 'sat-replay'), idempotent: true, acks: ProduceAcks.ALL, compression });
    await producer.initIdempotentProducer({});
    leaders = await producer.leaders(topic);
    sequences.fill(0);
  }
  await startProducer();

  // Acknowledged ranges of the last requests, per partition: a read-back skips them (they are other
  // requests' records, in flight beside the one that failed).
  const recent: { partition: number; base: number; n: number }[] = [];
  const remember = (partition: number, base: number, n: number) => {
    recent.push({ partition, base, n });
    if (recent.length > 8 * MAX_IN_FLIGHT * count) recent.splice(0, recent.length - 4 * MAX_IN_FLIGHT * count);
  };

  // A record's header is its send time: encoded once per distinct time, as records of a batch share it.
  const sendTimeKey = Buffer.from(HEADER_SEND_TIME);
  let headerTime = NaN;
  let headers: EncodedHeaders = encodeHeaders(new Map());
  const headersOf = (u: Unit, i: number): EncodedHeaders => {
    if (u.headers) return u.headers;
    const t = u.v.times[i];
    if (t !== headerTime) {
      headerTime = t;
      headers = encodeHeaders(new Map([[sendTimeKey, Buffer.from(sendTimeText(t))]]));
    }
    return headers;
  };

  /** Encodes the request's records into one batch per partition and sends one Produce request per leader. */
  async function issue(req: Request): Promise<void> {
    const part = (k: number) => req.units[req.unit[k]].v.partitions[req.index[k]];
    // The records grouped by partition, in send order within each (a counting sort).
    const starts = new Int32Array(count + 1);
    for (let k = 0; k < req.n; k++) starts[part(k) + 1]++;
    for (let p = 0; p < count; p++) starts[p + 1] += starts[p];
    const order = new Int32Array(req.n);
    const fill = starts.slice(0, count);
    for (let k = 0; k < req.n; k++) order[fill[part(k)]++] = k;
    const now = Date.now();
    const byLeader = new Map<number, PartitionBatch[]>();
    const producerId = producer.producerId;
    const producerEpoch = producer.producerEpoch;
    for (let p = 0; p < count; p++) {
      const c = starts[p + 1] - starts[p];
      if (c === 0) continue;
      beginBatch();
      for (let j = starts[p]; j < starts[p + 1]; j++) {
        const u = req.units[req.unit[order[j]]];
        const i = req.index[order[j]];
        const keyLength = u.v.keyLengths[i];
        const valueLength = u.v.valueLengths[i];
        const at = startRecord(now, keyLength, valueLength, headersOf(u, i));
        const to = batchScratch();
        const s = u.v.starts[i];
        const data = u.v.data;
        if (keyLength > 0) copyRange(to, at.key, data, s, keyLength);
        if (valueLength > 0) copyRange(to, at.value, data, s + Math.max(keyLength, 0), valueLength);
      }
      const batch = finishBatch({ compression, producerId, producerEpoch, baseSequence: sequences[p] });
      sequences[p] = nextSequence(sequences[p], c);
      const leader = leaders[p];
      const list = byLeader.get(leader);
      if (list) list.push({ partition: p, batch });
      else byLeader.set(leader, [{ partition: p, batch }]);
    }
    const settled = await Promise.allSettled([...byLeader].map(([leader, parts]) => producer.produceBatches(leader, topic, parts, ProduceAcks.ALL, PRODUCE_TIMEOUT_MS)));
    let failure: unknown;
    for (const s of settled) {
      let bases: Map<number, bigint>;
      if (s.status === 'fulfilled') bases = s.value;
      else {
        failure ??= s.reason;
        // A partial failure: the partitions the broker did write are in the error's response.
        const response = (s.reason as { response?: { responses?: unknown } }).response;
        bases = response?.responses ? baseOffsets(response as never) : new Map();
      }
      for (const [p, base] of bases) {
        const b = Number(base);
        const c = starts[p + 1] - starts[p];
        for (let j = 0; j < c; j++) {
          const k = order[starts[p] + j];
          req.units[req.unit[k]].offsets[req.index[k]] = b + j;
        }
        acknowledged[p] = Math.max(acknowledged[p], b + c);
        remember(p, b, c);
      }
    }
    if (failure !== undefined) throw failure;
  }

  let issued = 0;
  /** A request of these units' records that have no offset yet. */
  function requestOf(units: Unit[], onlyMissing: boolean): Request {
    let n = 0;
    for (const u of units) for (let i = 0; i < u.v.n; i++) if (!onlyMissing || u.offsets[i] < 0) n++;
    const req: Request = { order: issued++, units, n, unit: new Int32Array(n), index: new Int32Array(n), from: Array.from(acknowledged) };
    let k = 0;
    units.forEach((u, ui) => {
      for (let i = 0; i < u.v.n; i++) {
        if (onlyMissing && u.offsets[i] >= 0) continue;
        req.unit[k] = ui;
        req.index[k++] = i;
      }
    });
    return req;
  }

  /** Of the records not acknowledged, reads back which the partitions hold (they get their offsets). */
  async function readBack(units: Unit[], from: number[]): Promise<void> {
    const missing = new Map<number, { u: Unit; i: number }[]>();
    for (const u of units) {
      for (let i = 0; i < u.v.n; i++) {
        if (u.offsets[i] >= 0) continue;
        const p = u.v.partitions[i];
        const list = missing.get(p);
        if (list) list.push({ u, i });
        else missing.set(p, [{ u, i }]);
      }
    }
    for (const [p, records] of missing) {
      const claimed = recent.filter((r) => r.partition === p);
      const tail = (await readPartitionTail(conn, topic, p, from[p], HEADER_SEND_TIME)).filter((w) => !claimed.some((r) => w.offset >= r.base && w.offset < r.base + r.n));
      const sent = records.map(({ u, i }) => {
        const s = u.v.starts[i] + Math.max(u.v.keyLengths[i], 0);
        // End markers (empty, no send time) are never matched: another shard's look the same, and a
        // marker sent twice is harmless (the engine counts each shard's once).
        return { value: u.v.data.subarray(s, s + u.v.valueLengths[i]), sendTime: u.headers ? '' : sendTimeText(u.v.times[i]) };
      });
      const found = matchWritten(sent, tail);
      records.forEach(({ u, i }, j) => {
        if (found[j] >= 0) u.offsets[i] = found[j];
      });
      if (found[0] >= 0) log?.(`partition ${p}: ${found.filter((x) => x >= 0).length} of ${records.length} records of the failed requests were written; sending the rest`);
      const last = Math.max(...found);
      if (last >= 0) acknowledged[p] = Math.max(acknowledged[p], last + 1);
    }
  }

  /**
   * After failed requests (all others settled): a new producer, a read-back of what they wrote, and
   * the rest sent again, one request at a time, until it is all acknowledged. Gives up on an error
   * that cannot be retried, or after PRODUCE_GIVE_UP_MS of failures (Java's delivery.timeout.ms is 2 min).
   */
  async function recover(failed: Request[], error: unknown): Promise<void> {
    const units = failed.sort((a, b) => a.order - b.order).flatMap((r) => r.units);
    const from = Array.from({ length: count }, (_, p) => Math.min(...failed.map((r) => r.from[p])));
    const failingSince = performance.now();
    for (let attempt = 1; ; attempt++) {
      const k = asKafkaError(error);
      if (!(k instanceof KafkaError) || !k.retriable || performance.now() - failingSince > PRODUCE_GIVE_UP_MS) throw k;
      // A new producer gets new connections and a new id: the broker cannot drop its resends as
      // duplicates, so first read back what the failed requests wrote, and send only the rest.
      log?.(`a produce request failed (${k.message}): replacing the producer (attempt ${attempt + 1})`);
      const old = producer;
      void deadline(old.close(true) as unknown as Promise<void>, 2000, 'close').catch(() => undefined);
      await sleep(Math.min(2000, 250 * attempt));
      try {
        await startProducer();
        await readBack(units, from);
        const rest = requestOf(units, true);
        if (rest.n === 0) return;
        await issue(rest);
        return;
      } catch (e) {
        error = e;
      }
    }
  }

  let queue: Unit[] = [];
  let inFlight = 0;
  let failed: Request[] = [];
  let firstError: unknown;
  let recovering = false;
  let dead: unknown;
  const settle = (units: Unit[]) => {
    for (const u of units) u.resolve(u.offsets);
  };
  function pump(): void {
    while (dead === undefined && !recovering && failed.length === 0 && inFlight < MAX_IN_FLIGHT && queue.length > 0) {
      let n = 0;
      let k = 0;
      while (k < queue.length && (k === 0 || n + queue[k].v.n <= MAX_REQUEST_RECORDS)) n += queue[k++].v.n;
      const req = requestOf(queue.slice(0, k), false);
      queue = queue.slice(k);
      inFlight++;
      issue(req).then(
        () => {
          inFlight--;
          settle(req.units);
          after();
        },
        (e: unknown) => {
          inFlight--;
          firstError ??= e;
          failed.push(req);
          after();
        },
      );
    }
  }
  function after(): void {
    if (failed.length === 0) return pump();
    if (inFlight > 0 || recovering) return;
    recovering = true;
    const these = failed;
    recover(these, firstError).then(
      () => {
        failed = [];
        firstError = undefined;
        recovering = false;
        for (const r of these) settle(r.units);
        pump();
      },
      (e: unknown) => {
        dead = asKafkaError(e);
        for (const r of these) for (const u of r.units) u.reject(dead);
        for (const u of queue) u.reject(dead);
        queue = [];
      },
    );
  }
  const enqueue = (buf: ArrayBuffer, n: number, unitHeaders?: EncodedHeaders) =>
    new Promise<Float64Array>((resolve, reject) => {
      if (dead !== undefined) return reject(dead);
      const v = viewPacked(buf, n);
      queue.push({ v, offsets: new Float64Array(n).fill(-1), headers: unitHeaders, resolve, reject });
      pump();
    });

  return {
    partitions: count,
    describe: `kafka ${describeConnection(conn)} topic ${topic}`,
    // Batches handed over while requests are in flight wait in `queue`; the next request takes them
    // all at once, so slow acknowledgements grow the requests instead of holding the sender back.
    send: (buf, n) => enqueue(buf, n),
    async finish() {
      // "i/n": a partition has ended once the engine has seen the markers of all n shards.
      const marks = packRecords(Array.from({ length: count }, (_, p) => ({ partition: p, key: null, value: new Uint8Array(0), seq: p, sendTime: 0 })));
      await enqueue(marks, count, encodeHeaders(new Map([[Buffer.from(HEADER_END), Buffer.from(endMarkValue(shard))]])));
    },
    async close() {
      await atKafkaEdge(() => producer.close());
    },
  };
}
