import { UsageError } from '../../core/errors.js';
import { replay } from '../../replay/replay.js';
import { loadScenario } from '../../scenario/load.js';
import type { SourceFormat } from '../../sources/index.js';
import { say } from '../options.js';

export interface ReplayFlags {
  dir: string;
  json?: boolean;
  scenario: string;
  rate: number;
  seed: number;
  partitions: number;
  malformed?: number;
  late?: number;
  lateBy?: [number, number];
  duplicates?: number;
  outOfOrder?: number;
  format?: SourceFormat;
  header?: 'auto' | 'yes' | 'no';
  quote?: boolean;
  brokers?: string;
  topic?: string;
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4';
  kafkaConfig?: string;
}

export async function replayCommand(file: string, f: ReplayFlags): Promise<number> {
  const scenario = loadScenario(f.scenario);
  const d = scenario.faults;
  const mix = {
    malformed: f.malformed ?? d.malformed,
    late: f.late ?? d.late,
    lateBy: f.lateBy ?? d.lateBy,
    duplicates: f.duplicates ?? d.duplicates,
    outOfOrder: f.outOfOrder ?? d.outOfOrder,
  };
  if (mix.malformed + mix.late + mix.outOfOrder > 1) {
    throw new UsageError('--malformed + --late + --out-of-order must not exceed 1 (each record carries at most one of them)');
  }
  let kafka: Pick<Parameters<typeof replay>[0], 'sink' | 'transport'> = {};
  if (f.brokers !== undefined || f.topic !== undefined) {
    if (f.brokers === undefined || f.topic === undefined) throw new UsageError('--brokers and --topic go together');
    const { kafkaConnection } = await import('../../transport/kafka/config.js');
    const { kafkaSink } = await import('../../transport/kafka/sink.js');
    const conn = kafkaConnection(f.brokers, f.kafkaConfig);
    const topic = f.topic;
    kafka = { sink: (n) => kafkaSink(conn, topic, n, f.compression ?? 'lz4'), transport: { kind: 'kafka', brokers: conn.brokers, topic } };
  }
  const s = await replay({ file, scenario, dir: f.dir, rate: f.rate, seed: f.seed, mix, partitions: f.partitions, format: f.format, header: f.header, quote: f.quote, ...kafka });
  if (f.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  const fk = s.faults;
  say(
    f.json,
    `replayed ${s.read} records from ${file} as ${s.sent} sends in ${s.elapsedMs} ms (${s.recordsPerSecond}/s) to ${s.sentTo}; ledger in ${f.dir}\n` +
      `  faults: malformed ${fk.malformed}, late ${fk.late}, duplicate ${fk.duplicate}, out-of-order ${fk['out-of-order']}, bad source rows ${fk.source}`,
  );
  return 0;
}
