/** One record to send: replay decides the partition (murmur2 of the key, as Kafka's default partitioner). */
export interface OutRecord {
  partition: number;
  key: Uint8Array | null;
  value: Uint8Array;
  /** Position in send order. */
  seq: number;
  /** When it was handed to the transport, ms since the epoch. */
  sendTime: number;
}

/**
 * Where replay sends records: the embedded log or a Kafka topic. `send` resolves with the offset
 * each record got, once the transport has acknowledged it (the ledger records those offsets).
 */
export interface RecordSink {
  readonly partitions: number;
  /** Short description for summaries (never with credentials). */
  readonly describe: string;
  /**
   * A batch packed by `PackedWriter` (n records, sequence numbers firstSeq, firstSeq + 1, ...); the
   * buffer is handed over (the Kafka sink moves it to its thread).
   */
  send(packed: ArrayBuffer, n: number, firstSeq: number): Promise<ArrayLike<number>>;
  /**
   * Unpaced, how many batches to hand over before the first is acknowledged (default 1: the embedded
   * log writes as it is called, and queueing would only add latency).
   */
  readonly unpacedInFlight?: number;
  /** Marks the end of the stream for consumers (a DONE file, or an end marker in every partition). */
  finish(): Promise<void>;
  close(): Promise<void>;
}

/** Header names sat puts on Kafka records. */
export const HEADER_SEND_TIME = 'sat-send-time';
export const HEADER_END = 'sat-end-of-stream';

/** The end-of-stream marker's value: "i/n" from shard i of n replays ("1/1" unsharded). */
export const endMarkValue = (shard?: { index: number; count: number }) => (shard ? `${shard.index}/${shard.count}` : '1/1');

/** Which shard an end-of-stream marker came from; anything else counts as the only one. */
export function parseEndMark(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  return m ? { index: Number(m[1]), count: Number(m[2]) } : { index: 1, count: 1 };
}
