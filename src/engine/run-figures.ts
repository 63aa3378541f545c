import type { CpuFigures } from '../core/cpu-time.js';
import type { Latency, LatencySummary } from '../report/latency.js';
import { quantiles, type MetricsSink } from '../report/metrics.js';
import type { ScoringSummary } from './join/tally.js';
import type { OperatorStats, WindowOperator } from './operator.js';

/** What a run reports, whatever the transport: the summary's common part (--json, run.json). */
export interface RunFigures extends OperatorStats {
  scenario: string;
  records: number;
  deadLettered: number;
  results: number;
  alerts: number;
  elapsedMs: number;
  /** Records this process took (a resumed run's, not its checkpoint's) over the whole run: starting its threads or joining the group, restoring, the end of the input firing every window, closing the outputs. */
  recordsPerSecond: number;
  /** The same records from the first taken to the last: the rate once consuming, without the run's fixed costs at either end (what Kafka's ConsumerPerformance reports of a consumer). */
  processingRecordsPerSecond: number;
  /** Largest resident set of the process so far (core/peak-rss.ts). */
  peakRssMb: number;
  /** CPU the run spent: all its threads, and the engine's thread on a core and waiting for one (Linux). */
  cpu: CpuFigures;
  /**
   * Processing latency, ms: from when sat run could first have read the record (its send by replay,
   * or the run's start if it was sent before) to processed. A run started after the replay does not
   * count its own late start here.
   */
  latency: LatencySummary;
  /** The command line that made this run (provenance in verify's report). */
  command?: string;
  /** Send (by replay) to processed, ms: end to end, including any time before sat run started. */
  sendLatency?: LatencySummary;
  /** A window's firing (the watermark passing its end + lateness) to its result written (committed, on Kafka), ms. */
  resultLatency: LatencySummary;
  /** Checkpoints written, and the time spent writing them (state serialized, fsynced), ms. */
  checkpoints: number;
  checkpointMs: number;
  deadLetterReasons: Partial<Record<string, number>>;
  /** Scored results (satisfaction): actions emitted, results lacking an input, API calls. */
  scoring?: ScoringSummary;
}


/** What a run exposes to its metrics, read at scrape time, whatever the transport. */
export interface RunGauges {
  /** The operators of the tasks this process holds (one on the embedded log, one per partition on Kafka). */
  operators: () => WindowOperator[];
  counters: { records: number; results: number; deadLettered: number; alerts: number; checkpoints: number; commits?: number; rebalances?: number };
  latency: Latency;
  resultLatency: Latency;
  scoring?: () => { actions: number; missingOnline: number; missingBatch: number };
}

/** `sat run --metrics-port`: the same gauges on both transports (Kafka adds commits and rebalances). */
export function publishRunMetrics(m: MetricsSink, g: RunGauges): void {
  const sum = (k: keyof OperatorStats) => g.operators().reduce((a, op) => a + op.stats[k], 0);
  const c = g.counters;
  m.gauge('records', 'Records processed by the tasks this process holds, by outcome', () => ({ counted: sum('counted'), filtered: sum('filtered'), late: sum('late'), duplicate: sum('duplicates'), dead_letter: c.deadLettered }), 'outcome');
  m.gauge('results', 'Results written', () => c.results);
  m.gauge('progress', 'Records taken, results, dead letters, checkpoints, commits and rebalances', () => ({ records: c.records, results: c.results, dead_letters: c.deadLettered, checkpoints: c.checkpoints, commits: c.commits ?? c.checkpoints, rebalances: c.rebalances ?? 0 }));
  // The lowest task watermark: the one that holds results back.
  const watermark = () => {
    const wms = g.operators().map((op) => op.watermark).filter(Number.isFinite);
    return wms.length ? Math.min(...wms) : undefined;
  };
  m.gauge('watermark_ms', 'The lowest task watermark (event time, ms since the epoch)', () => watermark() ?? 0);
  m.gauge('watermark_lag_ms', 'Wall-clock time minus the lowest task watermark', () => {
    const wm = watermark();
    return wm === undefined ? 0 : Date.now() - wm;
  });
  m.gauge('state_entries', 'Accumulators held: (slide bucket, key) pairs', () => g.operators().reduce((a, op) => a + op.stateEntries, 0));
  m.gauge('state_buckets', 'Slide buckets holding state', () => g.operators().reduce((a, op) => a + op.openBuckets, 0));
  m.gauge('latency_ms', 'Processing latency: from when the run could first read a record (its send, or the run start) to processed', () => quantiles(g.latency.summary()), 'quantile');
  m.gauge('result_latency_ms', 'Window fired to its result written (or committed, on Kafka)', () => quantiles(g.resultLatency.summary()), 'quantile');
  const scoring = g.scoring;
  if (scoring) m.gauge('scoring', 'Scoring: actions, results lacking online or batch inputs', () => {
    const t = scoring();
    return { actions: t.actions, missing_online: t.missingOnline, missing_batch: t.missingBatch };
  });
}
