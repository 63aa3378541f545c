import { type Broker, createAPI, kGetApi, kGetConnection, kMetadata, NetworkError, type API, type Callback as ClientCallback, type Connection, type ClusterMetadata, Producer, ProduceAcks, produceV9, produceV10, produceV11, type Reader, ResponseError, Writer } from '@platformatic/kafka';
import { encodeRecordBatch, type BatchMessage } from './record-batch.js';

type Api = ((...args: unknown[]) => void) & { key: number; version: number };
type Callback = (error: Error | null, api?: Api) => void;
interface ProduceMessage extends BatchMessage {
  topic: string;
  partition: number;
}
interface ProduceOptions {
  compression?: string;
  producerId?: bigint;
  producerEpoch?: number;
  sequences?: { getWithDefault(key: string, fallback: number): number };
  transactionalId?: string;
}

/**
 * `@platformatic/kafka`'s producer with its Produce request built by `encodeRecordBatch`. Everything
 * else is the client's: metadata and leaders, connections, retries, the idempotent producer id and
 * its sequence numbers (read from the client's own map, per topic and partition, as its encoder
 * does), transactions. Only the flexible Produce versions (9 and up, every broker since 2.4) are
 * replaced; an older broker gets the client's own request.
 */
export class FastProducer extends Producer {
  #produce: Api | undefined;
  #raw: Api | undefined;

  /** The topic's partitions and, for each, its leader's broker id (the client's cached metadata). */
  leaders(topic: string): Promise<number[]> {
    return new Promise((resolve, reject) =>
      this[kMetadata]({ topics: [topic] }, (error: Error | null, metadata?: ClusterMetadata) => {
        const t = metadata?.topics.get(topic);
        if (error || !t) return reject(error ?? new Error(`no metadata for topic ${topic}`));
        resolve(Array.from({ length: t.partitionsCount }, (_, p) => t.partitions[p].leader));
      }),
    );
  }

  /**
   * One Produce request of ready-made record batches (their base sequences set by the caller) to the
   * broker `leader`, in the transaction `transactionalId` if given (its partitions added to it first),
   * with no retry: resolves with each partition's base offset, or rejects with the
   * client's error, whose `response` has the partitions that did succeed. Several may be in flight on
   * one connection; the broker answers them in order.
   */
  produceBatches(leader: number, topic: string, parts: readonly PartitionBatch[], acks: number, timeoutMs: number, transactionalId: string | null = null): Promise<Map<number, bigint>> {
    return new Promise((resolve, reject) => {
      this[kMetadata]({ topics: [topic] }, (error: Error | null, metadata?: ClusterMetadata) => {
        if (error || !metadata) return reject(error);
        // A leader that died and has no successor yet gets a retriable error (see kGetConnection).
        this[kGetConnection](metadata.brokers.get(leader), (error: Error | null, connection?: Connection) => {
          if (error || !connection) return reject(error);
          this.#rawApi((error, api) => {
            if (error || !api) return reject(error);
            api(connection, acks, timeoutMs, topic, parts, api.version, transactionalId, (error: Error | null, response?: ProduceResponse) => {
              if (error) return reject(error);
              resolve(baseOffsets(response!));
            });
          });
        });
      });
    });
  }

  #rawApi(callback: Callback): void {
    if (this.#raw) return void callback(null, this.#raw);
    super[kGetApi]('Produce', ((error: Error | null, api?: Api) => {
      if (error || !api) return void callback(error, api);
      this.#raw = createAPI(0, api.version, batchesRequest as never, parseProduceResponse as never) as unknown as Api;
      callback(null, this.#raw);
    }) as never);
  }

  /**
   * A connection to a broker, or a retriable error when there is no such broker: the metadata can
   * name a partition's dead leader after dropping it from the brokers (during a failover), and the
   * client then looks it up unchecked and throws a TypeError from a callback ("reading 'host'"),
   * which ends the process. Marked stale, the client reads the metadata again and retries.
   */
  override [kGetConnection](broker: Broker | undefined, callback: ClientCallback<Connection>): void {
    if (!broker) return void callback(new NetworkError('a partition\'s leader is not among the brokers in the metadata (a new leader is being elected)', { hasStaleMetadata: true }), undefined as never);
    super[kGetConnection](broker, callback);
  }

  override [kGetApi]<A extends Array<unknown>, R>(name: string, callback: ClientCallback<API<A, R>>): void {
    this.#getApi(name, callback as unknown as Callback);
  }

  #getApi(name: string, callback: Callback): void {
    if (name !== 'Produce') return void super[kGetApi](name, callback as never);
    if (this.#produce) return void callback(null, this.#produce);
    super[kGetApi](name, ((error: Error | null, api?: Api) => {
      if (error || !api || api.version < 9) return void callback(error, api);
      // The client's own response parser on the client's own send path (sat run's results), as it
      // has been tested under failover; replay's requests are read by parseProduceResponse.
      const parse = PARSERS[api.version];
      if (!parse) return void callback(null, api);
      this.#produce = createAPI(0, api.version, produceRequest as never, parse as never) as unknown as Api;
      callback(null, this.#produce);
    }) as never);
  }
}

/** The client's own response parsers, by Produce version. */
const PARSERS: Record<number, unknown> = { 9: produceV9.parseResponse, 10: produceV10.parseResponse, 11: produceV11.parseResponse };

/** A partition's record batch, encoded (`record-batch.ts`). */
export interface PartitionBatch {
  partition: number;
  batch: Buffer;
}

interface ProduceResponse {
  responses: { name: string; partitionResponses: { index: number; errorCode: number; baseOffset: bigint }[] }[];
}

/** Each partition's base offset, of the partitions that succeeded. */
export function baseOffsets(response: ProduceResponse): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const t of response.responses) for (const p of t.partitionResponses) if (p.errorCode === 0) out.set(p.index, p.baseOffset);
  return out;
}

/**
 * Produce response, versions 7-11, read with its tagged fields skipped as the protocol has them (a
 * count, then a tag and a size for each). The client's own parser reads the count as a byte length,
 * so a response with a tagged field, such as the new leader (`current_leader`) that a broker names
 * when it answers NOT_LEADER_OR_FOLLOWER during a clean shutdown, fails to parse ("Out of bounds").
 * Errors are raised as the client's ResponseError, so they are retried by the same rules.
 */
export function parseProduceResponse(_correlationId: number, apiKey: number, version: number, r: Reader): ProduceResponse {
  const flexible = version >= 9;
  const count = () => (flexible ? r.readUnsignedVarInt() - 1 : r.readInt32());
  const text = () => r.readNullableString(flexible);
  const tags = () => {
    if (!flexible) return;
    for (let n = r.readUnsignedVarInt(); n > 0; n--) {
      r.readUnsignedVarInt();
      r.skip(r.readUnsignedVarInt());
    }
  };
  const errors: Record<string, [number, string | null]> = {};
  const responses: ProduceResponse['responses'] = [];
  for (let i = 0, topics = count(); i < topics; i++) {
    const name = text() ?? '';
    const partitionResponses: ProduceResponse['responses'][number]['partitionResponses'] = [];
    for (let j = 0, parts = count(); j < parts; j++) {
      const index = r.readInt32();
      const errorCode = r.readInt16();
      const baseOffset = r.readInt64();
      r.readInt64(); // log_append_time_ms
      r.readInt64(); // log_start_offset
      let errorMessage: string | null = null;
      if (version >= 8) {
        for (let k = 0, records = count(); k < records; k++) {
          r.readInt32(); // batch_index
          const message = text();
          if (message) errors[`/responses/${i}/partition_responses/${j}/record_errors/${k}`] = [-1, message];
          tags();
        }
        errorMessage = text();
      }
      tags();
      if (errorCode !== 0) errors[`/responses/${i}/partition_responses/${j}`] = [errorCode, errorMessage];
      partitionResponses.push({ index, errorCode, baseOffset });
    }
    tags();
    responses.push({ name, partitionResponses });
  }
  r.readInt32(); // throttle_time_ms
  tags();
  const response = { responses };
  if (Object.keys(errors).length > 0) throw new ResponseError(apiKey, version, errors, response);
  return response;
}

/**
 * Produce request of one topic's ready-made batches: versions 7-8 (transactional_id acks timeout_ms
 * [name [index records]], int32 lengths) and 9-11 (the same, flexible: compact lengths, tagged fields).
 */
export function batchesRequest(acks: number, timeout: number, topic: string, parts: readonly PartitionBatch[], version: number, transactionalId: string | null = null): Writer {
  const flexible = version >= 9;
  const writer = Writer.create()
    .appendString(transactionalId, flexible) // replay's producer is not transactional; sat run's results may be
    .appendInt16(acks)
    .appendInt32(timeout)
    .appendArray([topic], (w: Writer, name: string) => {
      w.appendString(name, flexible).appendArray(
        parts as PartitionBatch[],
        (w: Writer, p: PartitionBatch) => {
          w.appendInt32(p.partition);
          if (flexible) w.appendUnsignedVarInt(p.batch.length + 1);
          else w.appendInt32(p.batch.length);
          w.append(p.batch);
          if (flexible) w.appendTaggedFields();
        },
        flexible,
        false,
      );
      if (flexible) w.appendTaggedFields();
    }, flexible, false);
  if (flexible) writer.appendTaggedFields();
  if (acks === ProduceAcks.NO_RESPONSE) writer.context.noResponse = true;
  return writer;
}

/**
 * Produce request, versions 9-11 (flexible; the request is the same in all three):
 * transactional_id acks timeout_ms [topic_data] TAG_BUFFER, topic_data => name [partition_data]
 * TAG_BUFFER, partition_data => index records TAG_BUFFER. Messages are grouped by topic, then
 * partition, in order of first appearance (as the client does).
 */
export function produceRequest(acks: number, timeout: number, messages: ProduceMessage[], options: ProduceOptions = {}): Writer {
  const byTopic = new Map<string, Map<number, ProduceMessage[]>>();
  for (const m of messages) {
    let partitions = byTopic.get(m.topic);
    if (!partitions) byTopic.set(m.topic, (partitions = new Map()));
    const list = partitions.get(m.partition ?? 0);
    if (list) list.push(m);
    else partitions.set(m.partition ?? 0, [m]);
  }
  const writer = Writer.create()
    .appendString(options.transactionalId ?? null)
    .appendInt16(acks)
    .appendInt32(timeout)
    .appendArray([...byTopic], (w: Writer, [topic, partitions]: [string, Map<number, ProduceMessage[]>]) => {
      w.appendString(topic).appendArray([...partitions], (w: Writer, [partition, list]: [number, ProduceMessage[]]) => {
        const batch = encodeRecordBatch(list, {
          compression: options.compression,
          producerId: options.producerId,
          producerEpoch: options.producerEpoch,
          baseSequence: options.sequences ? options.sequences.getWithDefault(`${topic}:${partition}`, 0) : undefined,
          transactional: Boolean(options.transactionalId),
        });
        w.appendInt32(partition).appendUnsignedVarInt(batch.length + 1).append(batch);
      });
    })
    .appendTaggedFields();
  if (acks === ProduceAcks.NO_RESPONSE) writer.context.noResponse = true;
  return writer;
}
