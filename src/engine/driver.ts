import { cpuMark, cpuSince, type CpuMark } from '../core/cpu-time.js';
import { invocation } from '../core/invocation.js';
import { killSwitch } from '../chaos/kill-switch.js';
import { Latency } from '../report/latency.js';
import type { MetricsSink } from '../report/metrics.js';
import type { OperatorStats } from './operator.js';
import { peakRssMb } from '../core/peak-rss.js';
import { publishRunMetrics, type RunFigures } from './run-figures.js';
import type { ScoringSummary } from './join/tally.js';
import type { Task } from './task.js';

/** One record as a transport delivers it, matched to the task it belongs to. */
export interface Delivery {
  task: Task;
  /** The input partition and offset (the embedded log's one task reads several partitions). */
  partition: number;
  offset: number;
  /** The record's value: bytes[from, to). A transport hands the buffer it holds the value in, so no view of it is made per record (only where one is needed: a dead letter, a late row, the full path). */
  bytes: Uint8Array;
  from: number;
  to: number;
  /** When replay sent it (ms since the epoch): the send-to-processed latency starts there. */
  sendTime?: number;
  /** An end-of-stream marker (shard i of n) instead of a record. */
  endMark?: string;
  /** The byte scanner's values, when the transport ran it already (see Validate). */
  scanned?: unknown[] | null;
}

/**
 * A transport's input: the records of the tasks this process holds, in order per task. It opens
 * (restores) tasks from the checkpoint store, tracks their positions, and voids uncommitted work
 * when the transport says so (a Kafka rebalance, a replaced consumer).
 */
export interface RecordSource {
  /**
   * The next record; undefined when none is waiting; a promise when a task must be opened first
   * (a restore, or a recovery) or the next record is on its way (decoded on another thread): await
   * it, then ask again.
   */
  next(): Delivery | Promise<void> | undefined;
  /** Called after each delivery is processed: the task's position moves past it. */
  advance(d: Delivery): void;
  /** Nothing waiting: 'wait' to ask again, 'end' when the input has ended, 'stop' when it gave up (it logs why). */
  idle(): Promise<'wait' | 'end' | 'stop'>;
  /** The tasks this process holds now. */
  tasks(): Task[];
}

/**
 * Where a transport makes work durable: each moved task's checkpoint (one file format and chain for
 * both transports: checkpoint/chain.ts) and the outputs written since the last commit, as one unit
 * (files whose lengths the checkpoint records, truncated to them on resume; or a Kafka transaction).
 */
export interface Committer {
  /** Whether a commit is due after this many records (an interval, a count, or outputs held). */
  due(records: number): boolean;
  /** Commits what moved; a transport that can recover from a failed commit does so inside. */
  commit(records: number): Promise<void>;
  /** Called when no record is waiting: commit or flush what is pending; true when it did work (ask the source again). */
  idle(records: number): Promise<boolean>;
  /** Back-pressure of the outputs (a scoring API): a promise to await before the next record. */
  pressure?(records: number): Promise<void> | undefined;
  /** Output counts so far. */
  readonly counts: { results: number; deadLettered: number; alerts: number };
  /** Checkpoints written, and the time spent writing them (ms). */
  readonly checkpoints: { count: number; ms: number };
}

export interface DriveOptions {
  signal?: AbortSignal;
  /** Records processed before this process started (a resumed run counts on). */
  records?: number;
  metrics?: MetricsSink;
  /** Extra gauges (Kafka: commits, rebalances). */
  counters?: { commits?: number; rebalances?: number };
  scoring?: () => ScoringSummary;
  resultLatency?: Latency;
}

export interface Driven {
  /** How the loop stopped: the input ended, it gave up waiting, or a signal interrupted it. */
  stop: 'end' | 'stop' | 'interrupted';
  records: number;
  /** From the first record taken to the last (the rate once consuming). */
  firstRecordAt?: number;
  lastRecordAt: number;
  start: number;
  /** CPU time at the start (the summary reports what the run spent). */
  cpu: CpuMark;
}

/**
 * The engine's one loop, whatever the transport: take a record, hand it to its task (validate →
 * operator → outputs), move the task's position, commit when due, yield now and then so signals,
 * heartbeats and metrics scrapes get in under backlog. The transport supplies the source and the
 * committer; the tasks and the pure core are the same on both.
 */
export class Driver {
  readonly latency: Latency;
  readonly sendLatency = new Latency('run send-to-processed');
  readonly resultLatency: Latency;
  records: number;

  constructor(
    readonly source: RecordSource,
    readonly committer: Committer,
    readonly o: DriveOptions = {},
  ) {
    this.latency = new Latency('run processing');
    this.resultLatency = o.resultLatency ?? new Latency('run window-fired-to-result');
    this.records = o.records ?? 0;
    const c = committer;
    const self = this;
    if (o.metrics)
      publishRunMetrics(o.metrics, {
        operators: () => source.tasks().map((t) => t.op),
        counters: {
          get records() { return self.records; },
          get results() { return c.counts.results; },
          get deadLettered() { return c.counts.deadLettered; },
          get alerts() { return c.counts.alerts; },
          get checkpoints() { return c.checkpoints.count; },
          get commits() { return o.counters?.commits; },
          get rebalances() { return o.counters?.rebalances; },
        },
        latency: this.latency,
        resultLatency: this.resultLatency,
        scoring: o.scoring,
      });
  }

  async run(): Promise<Driven> {
    const { source, committer, o } = this;
    const killPoint = killSwitch(); // sat chaos kill --after-records
    const start = performance.now();
    const cpu = cpuMark();
    // A record sent before the run started waited for the run, not in it: processing counts from here.
    const readyAt = Date.now();
    let firstRecordAt: number | undefined;
    let lastRecordAt = 0;
    // The clock is read when the records stop coming (nothing to read, a fetch to wait for), not
    // per record: that is right after the last one, and two clock reads per record cost ~1%.
    let sinceMark = false;
    const mark = () => {
      if (!sinceMark) return;
      lastRecordAt = performance.now();
      sinceMark = false;
    };
    let taken = 0;
    for (;;) {
      if (o.signal?.aborted) {
        mark();
        return { stop: 'interrupted', records: this.records, firstRecordAt, lastRecordAt, start, cpu };
      }
      const d = source.next();
      if (d === undefined) {
        mark();
        if (await committer.idle(this.records)) continue;
        const s = await source.idle();
        if (s === 'wait') continue;
        return { stop: s, records: this.records, firstRecordAt, lastRecordAt, start, cpu };
      }
      if (d instanceof Promise) {
        mark();
        await d;
        continue;
      }
      if (d.sendTime !== undefined) {
        const now = Date.now();
        this.latency.record(now - Math.max(d.sendTime, readyAt));
        this.sendLatency.record(now - d.sendTime);
      }
      if (d.endMark !== undefined) d.task.endMark(d.endMark);
      else {
        d.task.record(d.offset, d.bytes, d.partition, d.scanned, d.from, d.to);
        this.records++;
        killPoint?.();
      }
      source.advance(d);
      sinceMark = true;
      if (firstRecordAt === undefined) firstRecordAt = performance.now();
      // Yield now and then, so a signal (SIGINT, SIGTERM), a heartbeat or a metrics scrape gets in under backlog.
      if ((++taken & 4095) === 0) await new Promise(setImmediate);
      if (committer.due(this.records)) await committer.commit(this.records);
      const p = committer.pressure?.(this.records);
      if (p !== undefined) await p;
    }
  }

  /** The summary's common part, once the transport has closed its outputs. */
  figures(scenario: string, d: Driven, stats: OperatorStats, deadLetterReasons: RunFigures['deadLetterReasons'], scoring?: ScoringSummary): RunFigures {
    const elapsedMs = performance.now() - d.start;
    const c = this.committer;
    // A resumed run counts on from its checkpoint's records; its rates are of this process's own.
    const taken = this.records - (this.o.records ?? 0);
    return {
      scenario,
      command: invocation(),
      records: this.records,
      deadLettered: c.counts.deadLettered,
      ...stats,
      results: c.counts.results,
      alerts: c.counts.alerts,
      elapsedMs: Math.round(elapsedMs),
      recordsPerSecond: Math.round(taken / Math.max(elapsedMs / 1000, 1e-9)),
      processingRecordsPerSecond: d.firstRecordAt === undefined ? 0 : Math.round(taken / Math.max((d.lastRecordAt - d.firstRecordAt) / 1000, 1e-3)),
      peakRssMb: peakRssMb(),
      cpu: cpuSince(d.cpu),
      latency: this.latency.summary(),
      sendLatency: this.sendLatency.summary(),
      resultLatency: this.resultLatency.summary(),
      checkpoints: c.checkpoints.count,
      checkpointMs: Math.round(c.checkpoints.ms),
      deadLetterReasons,
      scoring,
    };
  }
}

/** Operator figures summed over tasks. */
export function sumStats(ops: { stats: OperatorStats }[], into: OperatorStats = { counted: 0, filtered: 0, late: 0, duplicates: 0, windowsFired: 0 }): OperatorStats {
  for (const op of ops) for (const k of Object.keys(into) as (keyof OperatorStats)[]) into[k] += op.stats[k];
  return into;
}
