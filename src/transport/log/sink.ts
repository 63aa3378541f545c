import { viewPacked } from '../packed-records.js';
import type { RecordSink } from '../types.js';
import { LogWriter } from './writer.js';

/** The embedded log as a replay sink: appends are synchronous, so acknowledgement is immediate. */
export function logSink(dir: string, partitions: number): RecordSink {
  const log = new LogWriter(dir, partitions);
  return {
    partitions,
    describe: `embedded log ${dir}`,
    async send(packed, n, firstSeq) {
      const v = viewPacked(packed, n);
      const offsets = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const at = v.starts[i];
        const keyLength = v.keyLengths[i];
        offsets[i] = log.appendRange(v.partitions[i], firstSeq + i, v.times[i], keyLength < 0 ? null : v.data, at, keyLength, v.data, at + Math.max(keyLength, 0), v.valueLengths[i]);
      }
      log.flush();
      return offsets;
    },
    async finish() {
      log.finish();
    },
    async close() {
      log.close();
    },
  };
}
