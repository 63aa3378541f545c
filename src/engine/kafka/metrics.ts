import type { Latency } from '../../report/latency.js';
import { quantiles, type MetricsSink } from '../../report/metrics.js';
import type { OperatorStats, WindowOperator } from '../operator.js';

/** What one consumer-group member publishes on --metrics-port, read from its tasks at scrape time. */
export function publishMemberMetrics(
  m: MetricsSink,
  operators: () => WindowOperator[],
  counters: { records: number; results: number; deadLettered: number; commits: number; rebalances: number },
  latency: Latency,
): void {
  const sum = (k: keyof OperatorStats) => operators().reduce((a, op) => a + op.stats[k], 0);
  m.gauge('records', 'Records processed by the tasks this member holds, by outcome', () => ({ counted: sum('counted'), filtered: sum('filtered'), late: sum('late'), duplicate: sum('duplicates') }), 'outcome');
  m.gauge('progress', 'Records taken, results, dead letters committed, commits and rebalances', () => ({ records: counters.records, results: counters.results, dead_letters: counters.deadLettered, commits: counters.commits, rebalances: counters.rebalances }));
  m.gauge('watermark_lag_ms', 'Wall-clock time minus the lowest task watermark', () => {
    const wms = operators().map((op) => op.watermark).filter(Number.isFinite);
    return wms.length ? Date.now() - Math.min(...wms) : 0;
  });
  m.gauge('state_entries', 'Accumulators held by this member: (slide bucket, key) pairs', () => operators().reduce((a, op) => a + op.stateEntries, 0));
  m.gauge('latency_ms', 'Send-to-processed latency', () => quantiles(latency.summary()), 'quantile');
}
