import { createAPI, kGetApi, type API, type Callback as ClientCallback, Producer, ProduceAcks, produceV9, produceV10, produceV11, Writer } from '@platformatic/kafka';
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

  override [kGetApi]<A extends Array<unknown>, R>(name: string, callback: ClientCallback<API<A, R>>): void {
    this.#getApi(name, callback as unknown as Callback);
  }

  #getApi(name: string, callback: Callback): void {
    if (name !== 'Produce') return void super[kGetApi](name, callback as never);
    if (this.#produce) return void callback(null, this.#produce);
    super[kGetApi](name, ((error: Error | null, api?: Api) => {
      if (error || !api || api.version < 9) return void callback(error, api);
      const parse = PARSERS[api.version];
      if (!parse) return void callback(null, api);
      this.#produce = createAPI(0, api.version, produceRequest as never, parse as never) as unknown as Api;
      callback(null, this.#produce);
    }) as never);
  }
}

/** The client's own response parsers, by Produce version. */
const PARSERS: Record<number, unknown> = { 9: produceV9.parseResponse, 10: produceV10.parseResponse, 11: produceV11.parseResponse };

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
