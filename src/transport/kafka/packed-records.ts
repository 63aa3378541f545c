import type { OutRecord } from '../types.js';

/**
 * A batch of records in one ArrayBuffer, to hand to the producer thread without cloning an object
 * and two byte arrays per record: send times (f64), partitions, key lengths (-1: none) and value
 * lengths (i32), then the keys' and values' bytes. The producer thread reads them in place (`viewPacked`).
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
    const key = r.key;
    if (key !== null) {
      // Keys are short: byte by byte costs less than a set() call.
      if (key.length > 16) data.set(key, at);
      else for (let k = 0; k < key.length; k++) data[at + k] = key[k];
      at += key.length;
    }
    data.set(r.value, at);
    at += r.value.length;
  }
  return buf;
}

/** A packed batch's columns, read in place: where each record's key starts in `data` (its value follows it). */
export interface PackedView {
  n: number;
  times: Float64Array;
  partitions: Int32Array;
  keyLengths: Int32Array;
  valueLengths: Int32Array;
  starts: Int32Array;
  data: Buffer;
}

export function viewPacked(buf: ArrayBuffer, n: number): PackedView {
  const ints = new Int32Array(buf, n * 8, n * 3);
  const keyLengths = ints.subarray(n, 2 * n);
  const valueLengths = ints.subarray(2 * n, 3 * n);
  const starts = new Int32Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    starts[i] = at;
    at += Math.max(keyLengths[i], 0) + valueLengths[i];
  }
  return { n, times: new Float64Array(buf, 0, n), partitions: ints.subarray(0, n), keyLengths, valueLengths, starts, data: Buffer.from(buf, n * 20) };
}
