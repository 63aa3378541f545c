import { join } from 'node:path';
import { killSwitch } from '../../chaos/kill-switch.js';
import { UsageError } from '../../core/errors.js';
import { outputTables } from '../../engine/log/partitioned.js';
import { scenarioOfWorkdir } from '../../engine/run.js';
import { loadScenario } from '../../scenario/load.js';
import { say } from '../options.js';
import { brokersOf, connectionOf, type KafkaFlags } from './kafka-flags.js';

export interface SinkFlags extends KafkaFlags {
  dir: string;
  json?: boolean;
  scenario?: string;
  topic?: string;
  out?: string;
  follow?: boolean;
  flushRecords: number;
  flushInterval: number;
}

/**
 * sat sink: a Kafka run's output topics (results, late rows, dead letters, corrupted rows) as
 * date-partitioned Parquet datasets in --out, exactly once (README, "Date-partitioned outputs").
 */
export async function sinkCommand(f: SinkFlags): Promise<number> {
  const brokers = brokersOf(f);
  if (brokers === undefined || f.topic === undefined) throw new UsageError('sat sink reads a Kafka run\'s outputs: --brokers and --topic (the input topic) are needed');
  const name = f.scenario ?? scenarioOfWorkdir(f.dir);
  if (name === undefined) throw new UsageError(`--scenario is needed (no replay found in ${f.dir})`);
  const s = loadScenario(name);
  const conn = connectionOf(f, brokers);
  const { ensureReachable } = await import('../../transport/kafka/config.js');
  await ensureReachable(conn);
  const { sinkToDataset } = await import('../../transport/kafka/dataset-sink.js');
  const { topicsOf } = await import('../../transport/kafka/topics.js');
  const t = topicsOf(f.topic);
  const topic = { results: t.results, late: t.late, 'dead-letters': t.deadLetters, corrupted: t.corrupted };
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const out = f.out ?? f.dir;
  const tables = await sinkToDataset({
    conn,
    tables: outputTables(s).map((table) => ({ table, topic: topic[table.name] })),
    out,
    follow: f.follow ?? false,
    flushRecords: f.flushRecords,
    flushMs: f.flushInterval,
    stop: ac.signal,
    log: (line) => process.stderr.write(`sat sink: ${line}\n`),
    onRecord: killSwitch(),
  });
  if (f.json) process.stdout.write(`${JSON.stringify({ out, tables })}\n`);
  say(f.json, `sat sink: ${tables.map((x) => `${x.name} ${x.records} records in ${x.parts} parts`).join(', ') || 'no output topics'} → ${join(out, '<table>')}/date=YYYY-MM-DD/`);
  return 0;
}
