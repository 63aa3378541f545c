import { copyRange } from '../core/bytes.js';
import type { OutRecord } from './types.js';

/**
 * A batch of records in one ArrayBuffer, to hand to the producer thread without cloning an object
 * and two byte arrays per record: send times (f64), partitions, key lengths (-1: none) and value
 * lengths (i32), then the keys' and values' bytes. The producer thread reads them in place (`viewPacked`).
 */
export class PackedWriter {
  #buf: ArrayBuffer;
  #times: Float64Array;
  #ints: Int32Array;
  #data: Uint8Array;
  #i = 0;
  #at = 0;

  /** Room for n records and about `dataBytes` of keys and values (it grows if they need more). */
  constructor(
    readonly n: number,
    dataBytes: number,
  ) {
    this.#buf = new ArrayBuffer(n * 20 + dataBytes);
    this.#times = new Float64Array(this.#buf, 0, n);
    this.#ints = new Int32Array(this.#buf, n * 8, n * 3);
    this.#data = new Uint8Array(this.#buf, n * 20);
  }

  /**
   * The next record: its key is key[keyAt, keyAt + keyLength) (null: none), its value
   * value[valueAt, valueAt + valueLength); ranges of larger buffers, copied straight in.
   */
  add(partition: number, sendTime: number, key: Uint8Array | null, keyAt: number, keyLength: number, value: Uint8Array, valueAt: number, valueLength: number): void {
    const n = this.n;
    const i = this.#i++;
    if (i >= n) throw new RangeError(`a packed batch of ${n} records is full`);
    const need = this.#at + (key === null ? 0 : keyLength) + valueLength;
    if (need > this.#data.length) this.#grow(need);
    this.#times[i] = sendTime;
    const ints = this.#ints;
    ints[i] = partition;
    ints[n + i] = key === null ? -1 : keyLength;
    ints[2 * n + i] = valueLength;
    let at = this.#at;
    if (key !== null) at = copyRange(this.#data, at, key, keyAt, keyLength);
    this.#at = copyRange(this.#data, at, value, valueAt, valueLength);
  }

  /** Bytes of keys and values written so far. */
  get dataBytes(): number {
    return this.#at;
  }

  /** The packed batch, once every one of its n records was added (the writer is done with it). */
  finish(): ArrayBuffer {
    if (this.#i !== this.n) throw new RangeError(`a packed batch of ${this.n} records has ${this.#i}`);
    return this.#buf;
  }

  #grow(need: number): void {
    const n = this.n;
    const buf = new ArrayBuffer(n * 20 + Math.max(need, this.#data.length * 2));
    new Uint8Array(buf).set(new Uint8Array(this.#buf, 0, n * 20 + this.#at));
    this.#buf = buf;
    this.#times = new Float64Array(buf, 0, n);
    this.#ints = new Int32Array(buf, n * 8, n * 3);
    this.#data = new Uint8Array(buf, n * 20);
  }
}


/** Packs records given as objects (tests, end markers). */
export function packRecords(batch: readonly OutRecord[]): ArrayBuffer {
  let bytes = 0;
  for (const r of batch) bytes += (r.key?.length ?? 0) + r.value.length;
  const w = new PackedWriter(batch.length, bytes);
  for (const r of batch) w.add(r.partition, r.sendTime, r.key, 0, r.key?.length ?? 0, r.value, 0, r.value.length);
  return w.finish();
}

/** A packed batch's columns, read in place: where each record's key starts in `data` (its value follows it). */
export interface PackedView {
  n: number;
  times: Float64Array;
  partitions: Int32Array;
  keyLengths: Int32Array;
  valueLengths: Int32Array;
  starts: Int32Array;
  data: Uint8Array;
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
  return { n, times: new Float64Array(buf, 0, n), partitions: ints.subarray(0, n), keyLengths, valueLengths, starts, data: new Uint8Array(buf, n * 20) };
}
