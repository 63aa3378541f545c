// The embedded log's reading on a thread of its own (see read-thread.ts): frames are read, checked
// and decoded here, and handed to the engine's thread in batches of record bytes, moved, not copied.
import { parentPort, workerData } from 'node:worker_threads';
import { LogReader } from '../../transport/log/reader.js';
import { scanColumns } from '../scan-record.js';
import { scanStepsOf } from '../scan-spec.js';
import { BATCH_BYTES, BATCH_RECORDS, transferList, type ReadBatch, type ReadRequest, type ReadThreadData } from './read-thread.js';

const port = parentPort!;
const o = workerData as ReadThreadData;
const reader = new LogReader(o.dir);
// The byte scanner's walk runs here; the engine's thread makes the values of what it found.
const steps = o.scan && scanStepsOf(o.scan);
const fields = o.scan?.fields.length ?? 0;

port.on('message', (m: ReadRequest | 'close') => {
  if (m === 'close') {
    reader.close();
    port.close();
    return;
  }
  try {
    if (m.position) reader.seek(m.position);
    const b = batch(m);
    port.postMessage(b, transferList(b));
  } catch (e) {
    port.postMessage({ failed: (e as Error).message } satisfies Partial<ReadBatch>);
  }
});

/** The records there are now, up to a batch's worth (none when nothing complete is there yet). */
function batch(spare: ReadRequest): ReadBatch {
  let bytes = spare.bytes !== undefined && spare.bytes.byteLength >= BATCH_BYTES ? new Uint8Array(spare.bytes) : new Uint8Array(BATCH_BYTES);
  const meta = spare.meta ?? new Float64Array(4 * BATCH_RECORDS);
  const ints = spare.ints ?? new Int32Array(2 * BATCH_RECORDS);
  const ok = steps === undefined ? undefined : (spare.ok ?? new Uint8Array(BATCH_RECORDS));
  const cols = steps === undefined ? undefined : (spare.cols ?? scanColumns(BATCH_RECORDS, fields));
  let n = 0;
  let at = 0;
  const most = Math.min(spare.records, BATCH_RECORDS);
  while (n < most) {
    // Each record is peeked, and taken only once it is in the batch: one that does not fit stays
    // the head, and the next batch starts with it (no frame object per record, no copy held over).
    const p = reader.peekNext();
    if (p < 0) break;
    const h = reader.head(p);
    const from = h.valueStart;
    const length = h.valueEnd - from;
    if (at + length > bytes.length) {
      if (n > 0) break;
      // One record larger than a batch: a buffer of its size.
      bytes = new Uint8Array(length);
    }
    bytes.set(new Uint8Array(h.buf.buffer, h.buf.byteOffset + from, length), at);
    // The walk runs over the copy, so the string positions it writes are the batch's: the engine's
    // thread reads the values from the batch's bytes, with no view per record.
    if (steps !== undefined) ok![n] = steps.walk(bytes, cols!, n * fields, at, at + length) ? 1 : 0;
    at += length;
    ints[2 * n] = p;
    ints[2 * n + 1] = at;
    meta[4 * n] = h.offset;
    meta[4 * n + 2] = h.seq;
    meta[4 * n + 3] = h.timestamp;
    reader.take(p);
    meta[4 * n + 1] = reader.positionAfter(p);
    n++;
  }
  return { n, bytes: bytes.buffer as ArrayBuffer, meta, ints, ok, cols };
}
