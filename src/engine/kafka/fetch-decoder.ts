import { Worker } from 'node:worker_threads';
import { NextArrival } from '../../core/next-arrival.js';
import { KafkaError } from '../../transport/kafka/errors.js';
import type { EncodedRecords, RecordCursor, RecordOut } from '../../transport/kafka/batch-records.js';
import type { ScanColumns, ScanSteps } from '../scan-record.js';
import { engineScanSteps, scanSpecData, type ScanSpec } from '../scan-spec.js';

/** The data batches of one fetch response: their bodies back to back in `bytes`. */
export interface DecodeRequest {
  bytes: ArrayBuffer;
  batches: { at: number; length: number; compression: number; count: number }[];
}

/**
 * The same batches decoded: their records' bytes back to back in `bytes`; per record (j) meta
 * [offset delta, value start (-1: null), value end] and its send time (NaN: none); end marks by j;
 * per batch its first j and records (`failed`: why the batch is malformed after them); with the walk,
 * per record 1 where it took the record, and its columns (base j × fields).
 */
export interface DecodeReply {
  bytes: ArrayBuffer;
  meta: Int32Array;
  sendTime: Float64Array;
  marks: [number, string][];
  batches: { first: number; count: number; failed?: string }[];
  ok?: Uint8Array;
  cols?: ScanColumns;
  failed?: string;
}

const DECODE_THREAD_HEAP = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 128 };

/**
 * A Kafka member's fetched batches decoded on a thread of its own: decompression, the record
 * framing (varints, headers) and the byte scanner's walk run there, and the member's thread takes
 * the records in offset order as they come back (those were a fifth of its time, with the second core
 * left idle). The batches of a fetch response go over in one message once the response is parsed;
 * the answers come back in the order asked. A batch not back yet is not `ready`: the member waits
 * for `arrival()` rather than polling.
 */
export class FetchDecoder {
  readonly #steps: ScanSteps | undefined;
  readonly #fields: number;
  readonly #worker: Worker;
  /** Batches of the response being parsed, sent together once it is. */
  #outgoing: { records: DecodedRecords; e: EncodedRecords }[] = [];
  /** Sent, not answered, in order (an answer fills the next few). */
  #asked: DecodedRecords[] = [];
  #askedHead = 0;
  readonly #arrival = new NextArrival();
  #failed: Error | undefined;

  constructor(scan: ScanSpec) {
    this.#steps = engineScanSteps(scan);
    this.#fields = scan.fields.length;
    const w = (this.#worker = new Worker(new URL('./fetch-decode-worker.js', import.meta.url), { workerData: scanSpecData(scan), resourceLimits: DECODE_THREAD_HEAP }));
    w.unref();
    w.on('message', (r: DecodeReply) => this.#answer(r));
    w.on('error', (e) => this.#fail(new Error(`the fetch decoding thread failed: ${e.stack ?? e.message}`)));
    w.on('exit', (code) => this.#fail(new Error(`the fetch decoding thread exited (${code})`)));
  }

  /** A batch's records, decoded on the thread: not ready until its answer comes. */
  add(e: EncodedRecords): DecodedRecords {
    const records = new DecodedRecords(e.count);
    if (this.#failed !== undefined) {
      records.fail(this.#failed);
      return records;
    }
    // The client parses a response's partitions in one go: they leave together after it.
    if (this.#outgoing.length === 0) queueMicrotask(() => this.#send());
    this.#outgoing.push({ records, e });
    return records;
  }

  #send(): void {
    const out = this.#outgoing;
    this.#outgoing = [];
    if (out.length === 0 || this.#failed !== undefined) return;
    let total = 0;
    for (const { e } of out) total += e.body.length;
    const bytes = new Uint8Array(total);
    const batches: DecodeRequest['batches'] = [];
    let at = 0;
    for (const { e } of out) {
      bytes.set(e.body, at);
      batches.push({ at, length: e.body.length, compression: e.compression, count: e.count });
      at += e.body.length;
    }
    if (this.#askedHead === this.#asked.length) this.#worker.ref();
    for (const x of out) this.#asked.push(x.records);
    this.#worker.postMessage({ bytes: bytes.buffer, batches } satisfies DecodeRequest, [bytes.buffer]);
  }

  #answer(r: DecodeReply): void {
    if (r.failed !== undefined) return this.#fail(new Error(`the fetch decoding thread failed: ${r.failed}`));
    const bytes = new Uint8Array(r.bytes);
    const marks = r.marks.length > 0 ? new Map(r.marks) : undefined;
    for (let i = 0; i < r.batches.length; i++) {
      this.#asked[this.#askedHead].fill(r, i, bytes, marks, this.#fields);
      // Answered: the list lets go of it (with answers always under way it may never empty, and would
      // hold every batch of the run).
      this.#asked[this.#askedHead++] = undefined as unknown as DecodedRecords;
    }
    if (this.#askedHead === this.#asked.length) {
      this.#asked = [];
      this.#askedHead = 0;
      this.#worker.unref();
    } else if (this.#askedHead > 4096) {
      this.#asked = this.#asked.slice(this.#askedHead);
      this.#askedHead = 0;
    }
    this.#arrival.resolve();
  }

  /** Settles when the next answer comes (rejects if the thread fails). */
  arrival(): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    return this.#arrival.wait();
  }

  /** The scanner's values of a record taken from a decoded batch (null: the full path decides), or undefined where the walk did not run. */
  values(r: RecordOut): unknown[] | null | undefined {
    if (r.cols === undefined || this.#steps === undefined) return undefined;
    return r.at! < 0 || r.bytes === undefined ? null : this.#steps.values(r.bytes, r.cols, r.at!);
  }

  #fail(e: Error): void {
    if (this.#failed !== undefined) return;
    this.#failed = e;
    for (const records of this.#asked.splice(this.#askedHead)) records.fail(e);
    for (const { records } of this.#outgoing.splice(0)) records.fail(e);
    this.#arrival.reject(e);
    this.#worker.unref();
  }

  close(): void {
    this.#failed ??= new Error('the fetch decoding thread was closed');
    this.#worker.removeAllListeners('exit');
    void this.#worker.terminate();
  }
}

/** A batch's records as the thread decoded them, taken one at a time (see RecordCursor). */
export class DecodedRecords implements RecordCursor {
  ready = false;
  #meta: Int32Array = new Int32Array(0);
  #sendTime: Float64Array = new Float64Array(0);
  #bytes: Uint8Array = new Uint8Array(0);
  #marks: Map<number, string> | undefined;
  #ok: Uint8Array | undefined;
  #cols: ScanColumns | undefined;
  #fields = 0;
  /** Its records in the answer: from j = #first, #n of them, then `#error` if the batch is malformed there. */
  #first = 0;
  #n = 0;
  #i = 0;
  #error: Error | undefined;

  constructor(readonly count: number) {}

  fill(r: DecodeReply, batch: number, bytes: Uint8Array, marks: Map<number, string> | undefined, fields: number): void {
    const b = r.batches[batch];
    this.#meta = r.meta;
    this.#sendTime = r.sendTime;
    this.#bytes = bytes;
    this.#marks = marks;
    this.#ok = r.ok;
    this.#cols = r.cols;
    this.#fields = fields;
    this.#first = b.first;
    this.#n = b.count;
    // As Java's consumer: bytes that do not parse are not something a retry fixes (CorruptRecordException).
    if (b.failed !== undefined) this.#error = new KafkaError(b.failed, false);
    this.ready = true;
  }

  fail(e: Error): void {
    this.#error = e;
    this.#n = 0;
    this.ready = true;
  }

  next(out: RecordOut): boolean {
    if (this.#i === this.#n) {
      if (this.#error !== undefined) throw this.#error;
      return false;
    }
    const j = this.#first + this.#i++;
    const m = this.#meta;
    out.offsetDelta = m[3 * j];
    const start = m[3 * j + 1];
    out.bytes = start < 0 ? undefined : this.#bytes;
    out.from = start;
    out.to = m[3 * j + 2];
    const t = this.#sendTime[j];
    out.sendTime = t === t ? t : undefined;
    out.endMark = this.#marks?.get(j);
    out.cols = this.#cols;
    out.at = this.#ok !== undefined && this.#ok[j] === 1 ? j * this.#fields : -1;
    return true;
  }

  back(): void {
    this.#i--;
  }
}
