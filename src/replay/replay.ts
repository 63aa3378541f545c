import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { partitionForKey } from '../core/murmur2.js';
import { paths } from '../core/workdir.js';
import type { FaultMix, Scenario } from '../scenario/types.js';
import { openSource, type SourceOverrides } from '../sources/index.js';
import { orderByEventTime, toOutgoing, type Outgoing } from './convert.js';
import { planFaults, type PlanSummary } from './faults/plan.js';
import { LedgerWriter } from './ledger.js';
import { logSink } from '../transport/log/sink.js';
import type { OutRecord, RecordSink } from '../transport/types.js';

export interface ReplayOptions extends SourceOverrides {
  file: string;
  scenario: Scenario;
  dir: string;
  /** Records per second; 0 = as fast as possible. */
  rate: number;
  seed: number;
  mix: FaultMix;
  partitions: number;
  /** Where to send: the embedded log in --dir (default) or a Kafka sink made by the caller. */
  sink?: (partitions: number) => Promise<RecordSink>;
  /** For the summary: the transport, as verify needs it to find outputs. */
  transport?: TransportInfo;
}

export type TransportInfo = { kind: 'log' } | { kind: 'kafka'; brokers: string[]; topic: string };

export interface ReplaySummary extends PlanSummary {
  /** False while sending: sat run may start early (it needs the scenario), sat verify may not. */
  finished: boolean;
  file: string;
  format: string;
  scenario: string;
  scenarioPath: string;
  /** The file's header, or null: columns in scenario order. */
  header: string[] | null;
  seed: number;
  rate: number;
  partitions: number;
  transport: TransportInfo;
  sentTo: string;
  mix: FaultMix;
  malformedKinds: Record<string, number>;
  elapsedMs: number;
  recordsPerSecond: number;
}

const enc = new TextEncoder();
const now = () => performance.timeOrigin + performance.now();

/** Clears what an earlier run left, so a new replay never mixes with old results. */
function resetWorkdir(dir: string): void {
  const p = paths(dir);
  mkdirSync(dir, { recursive: true });
  for (const f of Object.values(p)) rmSync(f, { recursive: true, force: true });
}

/** Reads a file, orders it by event time, injects faults, and sends it to the embedded log at a rate. */
export async function replay(o: ReplayOptions): Promise<ReplaySummary> {
  const { source, format } = openSource(o.file, o.scenario, o);
  const items: Outgoing[] = [];
  for await (const batch of source.batches()) for (const r of batch) items.push(toOutgoing(r, o.scenario));
  const header = await source.header();
  const ordered = orderByEventTime(items);
  const { deliveries, summary } = planFaults(ordered, o.scenario, o.mix, o.seed);

  resetWorkdir(o.dir);
  const p = paths(o.dir);
  const sink = o.sink ? await o.sink(o.partitions) : logSink(p.log, o.partitions);
  const partitions = sink.partitions;
  const describe = (finished: boolean, elapsedMs: number): ReplaySummary => ({
    finished,
    ...summary,
    file: resolve(o.file),
    format,
    scenario: o.scenario.name,
    scenarioPath: resolve(o.scenario.path),
    header,
    seed: o.seed,
    rate: o.rate,
    partitions,
    transport: o.transport ?? { kind: 'log' },
    sentTo: sink.describe,
    mix: o.mix,
    malformedKinds,
    elapsedMs: Math.round(elapsedMs),
    recordsPerSecond: Math.round(deliveries.length / Math.max(elapsedMs / 1000, 1e-9)),
  });
  const ledger = new LedgerWriter(p.ledger);
  const malformedKinds: Record<string, number> = {};
  writeFileSync(p.replay, JSON.stringify(describe(false, 0), null, 2));
  const interval = o.rate > 0 ? 1000 / o.rate : 0;
  const start = now();
  const batch: OutRecord[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const offsets = await sink.send(batch);
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i];
      const d = deliveries[r.seq];
      ledger.add({
        seq: r.seq,
        row: d.item.row,
        partition: r.partition,
        offset: offsets[i],
        key: d.item.key,
        eventTime: d.item.eventTime,
        id: d.item.id,
        fault: d.fault,
        detail: d.fault === 'source' ? (d.item.problem ?? '') : d.detail,
        scheduledTime: interval > 0 ? start + r.seq * interval : r.sendTime,
        sendTime: r.sendTime,
      });
    }
    batch.length = 0;
  };
  try {
    for (let seq = 0; seq < deliveries.length; seq++) {
      const d = deliveries[seq];
      if (interval > 0) {
        const scheduled = start + seq * interval;
        if (scheduled > now() + 1) {
          await flush(); // send what is due before waiting for the next record's time
          await sleep(scheduled - now());
        }
      }
      // A missing-key corruption is still produced with its key, as a producer would: only the value is bad.
      const key = d.item.key;
      batch.push({
        partition: key === null ? 0 : partitionForKey(key, partitions),
        key: key === null ? null : enc.encode(key),
        value: d.payload ?? enc.encode(d.item.payload),
        seq,
        sendTime: now(),
      });
      if (d.fault === 'malformed') malformedKinds[d.detail] = (malformedKinds[d.detail] ?? 0) + 1;
      if (batch.length >= 1000) await flush();
    }
    await flush();
    await sink.finish();
  } finally {
    await sink.close();
    await ledger.close();
  }
  const result = describe(true, now() - start);
  writeFileSync(p.replay, JSON.stringify(result, null, 2));
  return result;
}
