import { parentPort } from 'node:worker_threads';
import { SatError } from '../../core/errors.js';
import { fsError } from '../../core/fs-errors.js';
import { encodeCheckpoint, writeCheckpointParts } from './file.js';

/** The thread of writer.ts's ThreadWriter: one checkpoint file per message, answered (by its id) when durable. */
parentPort!.on('message', (m: { id: number; file: string; body: unknown }) => {
  try {
    writeCheckpointParts(m.file, encodeCheckpoint(m.body));
    parentPort!.postMessage({ id: m.id });
  } catch (e) {
    const err = fsError(e, m.file);
    parentPort!.postMessage({ id: m.id, failed: { message: (err as Error).message, exitCode: err instanceof SatError ? err.exitCode : undefined } });
  }
});
