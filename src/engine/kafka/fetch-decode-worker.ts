// A Kafka member's fetched batches decoded on a thread of its own (see fetch-decoder.ts):
// decompressed, their records framed, and the byte scanner's walk run over their values.
import { parentPort, workerData } from 'node:worker_threads';
import { batchRecords, emptyRecordOut, type RecordCursor, type RecordOut } from '../../transport/kafka/batch-records.js';
import { scanColumns, type ScanColumns } from '../scan-record.js';
import { scanStepsOf, type ScanSpecData } from '../scan-spec.js';
import type { DecodeReply, DecodeRequest } from './fetch-decoder.js';

const port = parentPort!;
const o = workerData as ScanSpecData;
const steps = scanStepsOf(o);
const fields = o.fields.length;
const out: RecordOut = emptyRecordOut();

/** Records per answer: the member starts on a response's first batches while the rest are decoded (a response holds up to 10 MB). */
const CHUNK_RECORDS = 4096;

port.on('message', (m: DecodeRequest) => {
  try {
    const src = Buffer.from(m.bytes);
    let group: { data: Buffer | Error; count: number }[] = [];
    let records = 0;
    m.batches.forEach((b, i) => {
      let data: Buffer | Error;
      try {
        data = batchRecords({ body: src.subarray(b.at, b.at + b.length), compression: b.compression, count: b.count }).data;
      } catch (e) {
        data = e as Error;
      }
      // A record takes at least 7 bytes (its length, attributes, deltas, key and value lengths, header
      // count): a header's count past that cannot hold, and is not trusted to size the answer.
      const count = data instanceof Error ? 0 : Math.max(0, Math.min(b.count, Math.floor(data.length / 7)));
      group.push({ data, count });
      records += count;
      if (records >= CHUNK_RECORDS || i === m.batches.length - 1) {
        answer(decode(group, records));
        group = [];
        records = 0;
      }
    });
  } catch (e) {
    port.postMessage({ failed: (e as Error).stack ?? String(e) } as Partial<DecodeReply>);
  }
});

function answer(r: DecodeReply): void {
  const list = [r.bytes, r.meta.buffer, r.sendTime.buffer] as ArrayBuffer[];
  if (r.ok !== undefined) list.push(r.ok.buffer as ArrayBuffer);
  if (r.cols !== undefined) for (const a of [r.cols.tag, r.cols.num, r.cols.from, r.cols.to]) list.push(a.buffer as ArrayBuffer);
  port.postMessage(r, list);
}

/** The columns of an answer being filled. */
interface Answer {
  bytes: Uint8Array;
  meta: Int32Array;
  sendTime: Float64Array;
  ok: Uint8Array | undefined;
  cols: ScanColumns | undefined;
  marks: [number, string][];
}

/** Why frame() stopped before a batch's last record (BatchRecords names the record), or undefined. */
let frameFailure: string | undefined;

/**
 * One batch's records framed into the answer from index j on, the scanner's walk run over each
 * value; answers the index after the last. The per-record loop is a function of its own, so V8
 * compiles it once: inside decode(), the code after it (first run when the loop had been compiled
 * already) threw the loop's compiled code away, and decode() was compiled four times a run.
 */
function frame(cursor: RecordCursor, count: number, j: number, a: Answer): number {
  const { bytes, meta, sendTime, ok, cols, marks } = a;
  const first = j;
  frameFailure = undefined;
  try {
    while (j - first < count && cursor.next(out)) {
      meta[3 * j] = out.offsetDelta;
      // The value's place in the answer's bytes (the cursor's are a view of them at its batch's start).
      const from = out.bytes === undefined ? -1 : out.bytes.byteOffset + out.from;
      const to = out.bytes === undefined ? 0 : out.bytes.byteOffset + out.to;
      meta[3 * j + 1] = from;
      meta[3 * j + 2] = to;
      // The columns' positions are the answer's: the member's thread reads the values from its bytes.
      if (steps !== undefined && from >= 0) ok![j] = steps.walk(bytes, cols!, j * fields, from, to) ? 1 : 0;
      sendTime[j] = out.sendTime ?? NaN;
      if (out.endMark !== undefined) marks.push([j, out.endMark]);
      j++;
    }
  } catch (e) {
    // BatchRecords names the record: the member's thread throws this when it reaches it.
    frameFailure = (e as Error).message;
  }
  return j;
}

/** Consecutive batches (decompressed, or why they could not be) in one answer. */
function decode(group: { data: Buffer | Error; count: number }[], records: number): DecodeReply {
  let total = 0;
  for (const { data } of group) if (!(data instanceof Error)) total += data.length;
  const bytes = new Uint8Array(total);
  const meta = new Int32Array(3 * records);
  const sendTime = new Float64Array(records);
  const ok = steps && new Uint8Array(records);
  const cols = steps && scanColumns(records, fields);
  const marks: [number, string][] = [];
  const batches: DecodeReply['batches'] = [];
  const into: Answer = { bytes, meta, sendTime, ok, cols, marks };
  let at = 0;
  let j = 0;
  for (const { data, count } of group) {
    const first = j;
    if (data instanceof Error) {
      batches.push({ first, count: 0, failed: `a fetched record batch could not be decompressed: ${data.message}` });
      continue;
    }
    bytes.set(data, at);
    const cursor = batchRecords({ body: Buffer.from(bytes.buffer, at, data.length), compression: 0, count });
    j = frame(cursor, count, j, into);
    batches.push({ first, count: j - first, failed: frameFailure });
    at += data.length;
  }
  return { bytes: bytes.buffer, meta, sendTime, marks, batches, ok, cols };
}
