import { createAPI, fetchV15, fetchV16, fetchV17, IS_COMPRESSED, IS_CONTROL, Reader, readRecordsBatch, ResponseError } from '@platformatic/kafka';
import type { FetchedBatch } from './aborted-filter.js';
import { knownCompression, type EncodedRecords } from './batch-records.js';
import { HEADER } from './record-batch.js';

/** firstOffset (8) and length (4): the part of a batch its length does not count. */
const BATCH_HEAD = 12;

/** A data batch as sat's Fetch parse leaves it: the header fields the client's stream and the aborted filter read, its records as bytes. */
export interface RawBatch extends FetchedBatch {
  raw?: EncodedRecords;
}

/**
 * The record batches of a partition's fetched bytes: data batches keep their records as bytes,
 * still compressed (`raw`: decompressed where they are taken), control batches (transaction markers, rare) are parsed by the client. A batch cut short
 * at the end of the response (the fetch's byte limit) is left out, as the client leaves it.
 */
export function readBatches(bytes: Buffer): RawBatch[] {
  const batches: RawBatch[] = [];
  let p = 0;
  while (bytes.length - p >= BATCH_HEAD && bytes.length - p - BATCH_HEAD >= bytes.readInt32BE(p + 8)) {
    const length = bytes.readInt32BE(p + 8);
    const attributes = bytes.readInt16BE(p + 21);
    if (attributes & IS_CONTROL) {
      batches.push(readRecordsBatch(Reader.from(bytes.subarray(p, p + BATCH_HEAD + length))) as unknown as RawBatch);
    } else {
      const count = bytes.readInt32BE(p + 57);
      const body = bytes.subarray(p + HEADER, p + BATCH_HEAD + length);
      const compression = attributes & IS_COMPRESSED;
      if (!knownCompression(compression)) throw new RangeError(`a fetched batch has compression ${compression}, which the client does not know`);
      batches.push({
        firstOffset: bytes.readBigInt64BE(p),
        lastOffsetDelta: bytes.readInt32BE(p + 23),
        partitionLeaderEpoch: bytes.readInt32BE(p + 12),
        producerId: bytes.readBigInt64BE(p + 43),
        attributes,
        records: [],
        raw: { body, compression, count },
      });
    }
    p += BATCH_HEAD + length;
  }
  return batches;
}

type ParseReader = InstanceType<typeof Reader>;

/** Fetch v15–17's response (one format), as the client parses it but for the records (readBatches). */
function parseResponse(_correlationId: number, apiKey: number, apiVersion: number, reader: ParseReader): unknown {
  const errors: [string, [number, null]][] = [];
  const throttleTimeMs = reader.readInt32();
  const errorCode = reader.readInt16();
  if (errorCode !== 0) errors.push(['', [errorCode, null]]);
  const response = {
    throttleTimeMs,
    errorCode,
    sessionId: reader.readInt32(),
    responses: reader.readArray((r: ParseReader, i: number) => ({
      topicId: r.readUUID(),
      partitions: r.readArray((r: ParseReader, j: number) => {
        const partition: Record<string, unknown> = {
          partitionIndex: r.readInt32(),
          errorCode: r.readInt16(),
          highWatermark: r.readInt64(),
          lastStableOffset: r.readInt64(),
          logStartOffset: r.readInt64(),
          abortedTransactions: r.readArray((r: ParseReader) => ({ producerId: r.readInt64(), firstOffset: r.readInt64() })),
          preferredReadReplica: r.readInt32(),
        };
        if (partition.errorCode !== 0) errors.push([`/responses/${i}/partitions/${j}`, [partition.errorCode as number, null]]);
        // COMPACT_RECORDS: the size is one more than the bytes.
        const recordsSize = r.readUnsignedVarInt() - 1;
        if (recordsSize > 0) {
          partition.records = readBatches(r.buffer.slice(r.position, r.position + recordsSize));
          r.skip(recordsSize);
        }
        return partition;
      }),
    })),
  };
  if (errors.length) throw new ResponseError(apiKey, apiVersion, Object.fromEntries(errors), response);
  return response;
}

const rawApis = new Map<number, unknown>([
  [15, createAPI(1, 15, fetchV15.createRequest, parseResponse as never)],
  [16, createAPI(1, 16, fetchV16.createRequest, parseResponse as never)],
  [17, createAPI(1, 17, fetchV17.createRequest, parseResponse as never)],
]);

/** sat's Fetch API in place of the client's one of the same version (v15–17, one response format), or undefined for another version. */
export function rawFetchApi(version: number): ((...args: unknown[]) => void) | undefined {
  return rawApis.get(version) as ((...args: unknown[]) => void) | undefined;
}
