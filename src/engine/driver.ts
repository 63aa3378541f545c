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

/** Why Driver.#take stopped: nothing waiting, a yield due, a commit due, back-pressure, the signal aborted. */
const NONE_WAITING = 0;
const YIELD = 1;
const COMMIT = 2;
const BACK_PRESSURE = 3;
const INTERRUPTED = 4;

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
    const { source, committer } = this;
    const start = performance.now();
    const cpu = cpuMark();
    // A record sent before the run started waited for the run, not in it: processing counts from here.
    this.#readyAt = Date.now();
    this.#killPoint = killSwitch(); // sat chaos kill --after-records
    const end = (stop: Driven['stop']): Driven => {
      this.#mark();
      return { stop, records: this.records, firstRecordAt: this.#firstRecordAt, lastRecordAt: this.#lastRecordAt, start, cpu };
    };
    for (;;) {
      const step = this.#take();
      if (step === INTERRUPTED) return end('interrupted');
      if (step === NONE_WAITING) {
        this.#mark();
        if (await committer.idle(this.records)) continue;
        const s = await source.idle();
        if (s === 'wait') continue;
        return end(s);
      }
      if (step instanceof Promise) {
        this.#mark();
        await step;
        continue;
      }
      if (step === BACK_PRESSURE) {
        await this.#pressure;
        continue;
      }
      // Yield now and then, so a signal (SIGINT, SIGTERM), a heartbeat or a metrics scrape gets in under backlog.
      if (step === YIELD) await new Promise(setImmediate);
      if (step === COMMIT || committer.due(this.records)) await committer.commit(this.records);
      const p = committer.pressure?.(this.records);
      if (p !== undefined) await p;
    }
  }

  // The loop's state between #take's calls.
  #readyAt = 0;
  #killPoint: (() => void) | undefined;
  #firstRecordAt: number | undefined;
  #lastRecordAt = 0;
  #sinceMark = false;
  #taken = 0;
  /** The outputs' back-pressure to await (BACK_PRESSURE). */
  #pressure: Promise<void> | undefined;

  /**
   * The clock is read when the records stop coming (nothing to read, a fetch to wait for), not per
   * record: that is right after the last one, and two clock reads per record cost ~1%.
   */
  #mark(): void {
    if (!this.#sinceMark) return;
    this.#lastRecordAt = performance.now();
    this.#sinceMark = false;
  }

  /**
   * Takes records, synchronously, until none is waiting (NONE_WAITING), the next must be awaited (its
   * promise: a restore, a decoding), the run must await something after the record just taken (a
   * yield: YIELD; a commit due: COMMIT; the outputs' back-pressure: BACK_PRESSURE), or the signal is
   * aborted (INTERRUPTED). The loop that runs per record is this small function with no await in it,
   * so V8 optimizes it once; in the async run() around it, the paths first taken after thousands of
   * records (the first yield, the first commit) threw its optimized code away and compiled it again,
   * three to six times a run.
   */
  #take(): typeof NONE_WAITING | typeof YIELD | typeof COMMIT | typeof BACK_PRESSURE | typeof INTERRUPTED | Promise<void> {
    const { source, committer } = this;
    const signal = this.o.signal;
    for (;;) {
      if (signal?.aborted) return INTERRUPTED;
      const d = source.next();
      if (d === undefined) return NONE_WAITING;
      if (d instanceof Promise) return d;
      if (d.sendTime !== undefined) {
        const now = Date.now();
        this.latency.record(now - Math.max(d.sendTime, this.#readyAt));
        this.sendLatency.record(now - d.sendTime);
      }
      if (d.endMark !== undefined) d.task.endMark(d.endMark);
      else {
        d.task.record(d.offset, d.bytes, d.partition, d.scanned, d.from, d.to);
        this.records++;
        this.#killPoint?.();
      }
      source.advance(d);
      this.#sinceMark = true;
      if (this.#firstRecordAt === undefined) this.#firstRecordAt = performance.now();
      if ((++this.#taken & 4095) === 0) return YIELD;
      if (committer.due(this.records)) return COMMIT;
      const p = committer.pressure?.(this.records);
      if (p !== undefined) {
        this.#pressure = p;
        return BACK_PRESSURE;
      }
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
