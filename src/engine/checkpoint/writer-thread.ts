import { parentPort } from 'node:worker_threads';
import { SatError } from '../../core/errors.js';
import { freeBuffers } from '../../core/free-buffers.js';
import { fsError } from '../../core/fs-errors.js';
import { encodeCheckpoint, ownedBuffers, writeCheckpointParts } from './file.js';

/**
 * The thread of writer.ts's ThreadWriter: one checkpoint file per message, answered (by its id) when
 * durable. The body's buffers (moved here) are freed once written: this thread allocates little, so
 * its heap is collected too seldom to free them in time.
 */
parentPort!.on('message', (m: { id: number; file: string; body: unknown }) => {
  try {
    writeCheckpointParts(m.file, encodeCheckpoint(m.body));
    parentPort!.postMessage({ id: m.id });
  } catch (e) {
    const err = fsError(e, m.file);
    parentPort!.postMessage({ id: m.id, failed: { message: (err as Error).message, exitCode: err instanceof SatError ? err.exitCode : undefined } });
  } finally {
    freeBuffers(ownedBuffers(m.body));
  }
});
