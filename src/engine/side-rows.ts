import { isoFormatter } from '../core/time.js';
import type { RejectKind } from './validate.js';

/**
 * The rows of the side outputs (late records, dead letters, alerts), one format for both
 * transports: the embedded log's results thread writes them to JSONL files (results/side.ts), the
 * Kafka outputs to their topics. Field order is the files' and topics' column order.
 */

const decoder = new TextDecoder();
const iso = isoFormatter();

/** A record that arrived after its windows closed, with the watermark it met. */
export function lateRow(partition: number, offset: number, key: string, time: number, id: string, watermark: number, value: Uint8Array) {
  return { partition, offset, key, event_time: iso(time), id, watermark: iso(watermark), value: decoder.decode(value) };
}

/** A record that failed validation: why, and its bytes as they came (base64). */
export function deadLetterRow(partition: number, offset: number, kind: RejectKind, reason: string, value: Uint8Array) {
  return { partition, offset, kind, reason, raw: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
}

/** An alert a record raised. */
export function alertRow(alert: string, partition: number, offset: number, key: string, id: string, time: number) {
  return { alert, partition, offset, key, id, event_time: iso(time) };
}
