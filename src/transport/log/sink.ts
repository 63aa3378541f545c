import type { OutRecord, RecordSink } from '../types.js';
import { LogWriter } from './writer.js';

/** The embedded log as a replay sink: appends are synchronous, so acknowledgement is immediate. */
export function logSink(dir: string, partitions: number): RecordSink {
  const log = new LogWriter(dir, partitions);
  return {
    partitions,
    describe: `embedded log ${dir}`,
    async send(batch: OutRecord[]) {
      const offsets = batch.map((r) => log.append(r.partition, r.seq, r.sendTime, r.key, r.value));
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
