// The embedded log's reading on a thread of its own (see read-thread.ts): frames are read, checked
// and decoded here, and handed to the engine's thread in batches of record bytes, moved, not copied.
import { parentPort, workerData } from 'node:worker_threads';
import type { LogRecord } from '../../transport/log/frame.js';
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
/**
 * A record read that did not fit in the last batch, and its partition's position after it: the
 * next batch starts with it. (Copying the batch into a larger buffer for it, at the end of nearly
 * every batch, was a branch V8's compiled code had not seen yet, thrown away there.)
 */
let held: { r: LogRecord; value: Uint8Array; after: number } | undefined;

port.on('message', (m: ReadRequest | 'close') => {
  if (m === 'close') {
    reader.close();
    port.close();
    return;
  }
  try {
    if (m.position) {
      reader.seek(m.position);
      held = undefined;
    }
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
    let r: LogRecord | undefined;
    let v: Uint8Array;
    let after: number;
    if (held !== undefined) {
      ({ r, value: v, after } = held);
      held = undefined;
    } else {
      r = reader.next();
      if (r === undefined) break;
      v = r.value;
      after = reader.positionAfter(r.partition);
    }
    if (at + v.length > bytes.length) {
      if (n > 0) {
        // Its bytes copied: the reader's buffer it views may be reused before the next batch.
        held = { r, value: v.slice(), after };
        break;
      }
      // One record larger than a batch: a buffer of its size.
      bytes = new Uint8Array(v.length);
    }
    bytes.set(v, at);
    // The walk runs over the copy, so the string positions it writes are the batch's: the engine's
    // thread reads the values from the batch's bytes, with no view per record.
    if (steps !== undefined) ok![n] = steps.walk(bytes, cols!, n * fields, at, at + v.length) ? 1 : 0;
    at += v.length;
    ints[2 * n] = r.partition;
    ints[2 * n + 1] = at;
    meta[4 * n] = r.offset;
    meta[4 * n + 1] = after;
    meta[4 * n + 2] = r.seq;
    meta[4 * n + 3] = r.timestamp;
    n++;
  }
  return { n, bytes: bytes.buffer as ArrayBuffer, meta, ints, ok, cols };
}
