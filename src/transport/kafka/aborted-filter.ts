import { FetchIsolationLevels, IS_CONTROL, IS_TRANSACTIONAL, kGetApi, type Consumer } from '@platformatic/kafka';
import { rawFetchApi } from './fetched-records.js';

/** A record as the client parses it from a fetched batch. */
export interface FetchedRecord {
  offsetDelta: number;
  key?: Buffer | null;
  value?: Buffer | null;
  headers: [Buffer | null, Buffer | null][];
}
/** A record batch as the client parses it from a fetch response. */
export interface FetchedBatch {
  firstOffset: bigint;
  lastOffsetDelta: number;
  partitionLeaderEpoch: number;
  producerId: bigint;
  attributes: number;
  records: FetchedRecord[];
}
interface FetchPartition {
  partitionIndex: number;
  records?: FetchedBatch[] | null;
  abortedTransactions?: { producerId: bigint; firstOffset: bigint }[];
}
interface FetchResult {
  responses: { topicId: string; partitions: FetchPartition[] }[];
}
/** A Fetch request's topics (the API's 8th argument): where each partition was asked to be read from. */
type FetchTopics = { topicId: string; partitions: { partition: number; fetchOffset: bigint }[] }[];

/**
 * Drops the batches of aborted transactions from one partition's fetched batches, as the Java
 * consumer does: the broker lists the aborted transactions (producer, first offset) in the range;
 * walking the batches in offset order, a producer is "aborting" from its aborted transaction's first
 * offset until that producer's ABORT marker, and its transactional data batches in between are
 * dropped. Control batches stay (the stream advances its position past them).
 */
export function dropAborted(p: FetchPartition): void {
  const aborted = [...(p.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  if (!p.records || aborted.length === 0) return;
  const aborting = new Set<bigint>();
  let next = 0;
  p.records = p.records.filter((b) => {
    const last = b.firstOffset + BigInt(b.lastOffsetDelta);
    while (next < aborted.length && aborted[next].firstOffset <= last) aborting.add(aborted[next++].producerId);
    if (b.attributes & IS_CONTROL) {
      // The control record's key: version (int16), type (int16: 0 abort, 1 commit).
      if (b.records[0]?.key?.readInt16BE(2) === 0) aborting.delete(b.producerId);
      return true;
    }
    return !((b.attributes & IS_TRANSACTIONAL) && aborting.has(b.producerId));
  });
  // Done: leave nothing for the client's own filter, which keeps one aborted range per producer (so
  // with two aborted transactions of one producer in a fetch, the earlier one's records came through
  // as committed: @platformatic/kafka 1.35 to 2.12, consumer.js #filterUncommittedMessages).
  p.abortedTransactions = [];
}

/**
 * Makes a consumer's read_committed fetches drop every aborted transaction (see dropAborted): its
 * Fetch API is wrapped so that the response is filtered before the client's own filter runs.
 * `onPartition`, where given, then sees each partition's batches (control batches included), with
 * the offset the request asked them from, before the client's stream does, and may take their
 * records (see MemberStream); the response is then
 * parsed by sat's Fetch API (fetched-records.ts), which leaves each data batch's records as bytes
 * (`raw`), where the broker speaks Fetch v15–17 (Kafka 3.5 and later) and SAT_KAFKA_FETCH is not
 * `client`.
 */
export function readCommittedCorrectly(consumer: Consumer, onPartition?: (p: { partitionIndex: number; records?: FetchedBatch[] | null }, requested: bigint | undefined) => void): Consumer {
  type Api = (...args: unknown[]) => void;
  const c = consumer as unknown as Record<symbol, (name: string, cb: (e: Error | null, api?: Api) => void) => void>;
  const getApi = c[kGetApi].bind(consumer);
  c[kGetApi] = (name, cb) =>
    getApi(name, (error, api) => {
      if (error || name !== 'Fetch' || api === undefined) return cb(error, api);
      const version = (api as unknown as { version: number }).version;
      const fetch = (onPartition && process.env.SAT_KAFKA_FETCH !== 'client' && rawFetchApi(version)) || api;
      cb(null, (...args: unknown[]) => {
        const done = args[args.length - 1] as (e: Error | null, r?: FetchResult) => void;
        const committedOnly = args[4] === FetchIsolationLevels.READ_COMMITTED;
        fetch(...args.slice(0, -1), (e: Error | null, r?: FetchResult) => {
          if (!e && r && committedOnly) for (const t of r.responses) for (const p of t.partitions) dropAborted(p);
          if (!e && r && onPartition) {
            // The client asks one entry per partition, several of one topic.
            const asked = new Map<string, bigint>();
            for (const t of args[7] as FetchTopics) for (const p of t.partitions) asked.set(`${t.topicId}:${p.partition}`, p.fetchOffset);
            for (const t of r.responses) for (const p of t.partitions) onPartition(p, asked.get(`${t.topicId}:${p.partitionIndex}`));
          }
          done(e, r);
        });
      });
    });
  return consumer;
}
