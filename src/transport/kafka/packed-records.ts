import type { OutRecord } from '../types.js';

/**
 * A batch of records in one ArrayBuffer, to hand to the producer thread without cloning an object
 * and two byte arrays per record: send times (f64), partitions, key lengths (-1: none) and value
 * lengths (i32), then the keys' and values' bytes. The receiver's records view those bytes.
 */
export function packRecords(batch: readonly OutRecord[]): ArrayBuffer {
  const n = batch.length;
  let bytes = 0;
  for (const r of batch) bytes += (r.key?.length ?? 0) + r.value.length;
  const buf = new ArrayBuffer(n * 20 + bytes);
  const times = new Float64Array(buf, 0, n);
  const ints = new Int32Array(buf, n * 8, n * 3);
  const data = new Uint8Array(buf, n * 20);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const r = batch[i];
    times[i] = r.sendTime;
    ints[i] = r.partition;
    ints[n + i] = r.key === null ? -1 : r.key.length;
    ints[2 * n + i] = r.value.length;
    if (r.key !== null) {
      data.set(r.key, at);
      at += r.key.length;
    }
    data.set(r.value, at);
    at += r.value.length;
  }
  return buf;
}

/**
 * The records of a packed batch, their bytes viewed in place as Buffers (what the Kafka client takes,
 * so no second view is made per record; seq is the index in the batch).
 */
export function unpackRecords(buf: ArrayBuffer, n: number): OutRecord[] {
  const times = new Float64Array(buf, 0, n);
  const ints = new Int32Array(buf, n * 8, n * 3);
  const out: OutRecord[] = new Array(n);
  let at = n * 20;
  for (let i = 0; i < n; i++) {
    const keyLength = ints[n + i];
    const key = keyLength < 0 ? null : Buffer.from(buf, at, keyLength);
    if (keyLength > 0) at += keyLength;
    const value = Buffer.from(buf, at, ints[2 * n + i]);
    at += ints[2 * n + i];
    out[i] = { partition: ints[i], key, value, seq: i, sendTime: times[i] };
  }
  return out;
}
