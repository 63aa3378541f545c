import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync, readFileSync } from 'node:fs';
import * as hdr from 'hdr-histogram-js';
import { paths, replayFiles, replayParts } from '../core/workdir.js';
import type { Scenario } from '../scenario/types.js';
import { ident } from './sql.js';

/** What the HTML report plots, kept in verify.json so `sat report` can draw it again. */
export interface ReportSeries {
  /** Seconds since the first send -> records sent in that second. */
  throughput: [number, number][];
  /** Seconds since the first send -> the watermark (ms since the epoch) after that second. */
  watermark: [number, number][];
  /** Histogram name -> [percentile, ms] points of its percentile curve. */
  latency: Record<string, [number, number][]>;
  /** Per window (up to 2,000, the worst first): [expected count, actual count]. */
  windows: [number, number][];
  /** Why a plot has nothing to draw (a sub-second replay, no histograms, windows only within bounds). */
  why?: Partial<Record<'throughput' | 'watermark' | 'latency' | 'windows', string>>;
}

const CURVE = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100];

/** The percentile curve of the (single) histogram in an HdrHistogram log file. */
function curveOf(file: string): [number, number][] | undefined {
  if (!existsSync(file)) return undefined;
  const reader = new hdr.HistogramLogReader(readFileSync(file, 'utf8'));
  const h = reader.nextIntervalHistogram();
  if (h === null || h.totalCount === 0) return undefined;
  return CURVE.map((p) => [p, h.getValueAtPercentile(p) / 1000]);
}

/** `bounded`: the model that judged the windows when it gave no single expected count, else undefined. */
export async function collectSeries(db: DuckDBConnection, s: Scenario, dir: string, bounded: string | undefined, ownRun: boolean): Promise<ReportSeries> {
  const pairs = async (sql: string) => (await db.runAndReadAll(sql)).getRows().map((r) => [Number(r[0]), Number(r[1])] as [number, number]);
  const throughput = await pairs(`WITH t AS (SELECT min(send_time) AS t0 FROM ledger)
    SELECT floor((send_time - t0) / 1000) AS sec, count(*) FROM ledger, t GROUP BY sec ORDER BY sec`);
  const watermark = await pairs(`WITH t AS (SELECT min(send_time) AS t0 FROM ledger)
    SELECT floor((l.send_time - t0) / 1000) AS sec, max(s.watermark) FROM stage s JOIN ledger l USING (seq), t WHERE s.watermark IS NOT NULL GROUP BY sec ORDER BY sec`);
  const latency: Record<string, [number, number][]> = {};
  for (const part of replayParts(dir)) {
    const c = curveOf(replayFiles(dir, part.shard).latency);
    if (c) latency[part.shard ? `replay send-to-ack (shard ${part.shard.index})` : 'replay send-to-ack'] = c;
  }
  const run = curveOf(paths(dir).runLatency);
  if (run) latency['run processing'] = run;
  const count = ident(s.aggregations.find((a) => a.op === 'count')!.name);
  const windows = bounded === undefined
    ? await pairs(`SELECT coalesce(e.${count}, 0), coalesce(a.total, 0) FROM expected e FULL JOIN act_g a USING (ws, k)
        ORDER BY abs(coalesce(e.${count}, 0) - coalesce(a.total, 0)) DESC, ws LIMIT 2000`)
    : [];
  const why: ReportSeries['why'] = {};
  const sent = throughput.reduce((n, [, c]) => n + c, 0);
  if (throughput.length < 2) why.throughput = `the replay sent all ${sent.toLocaleString('en-US')} records within one second: nothing to plot over time (a paced replay, --rate, spreads them)`;
  if (watermark.length < 2) why.watermark = watermark.length === 0 ? 'no valid record moved the watermark' : why.throughput ?? 'one second of sends: one point';
  if (Object.keys(latency).length === 0) why.latency = ownRun ? 'no latency histograms in the working directory (replay-latency.hlog, run-latency.hlog)' : 'no histograms: the results came from another engine, which records no latency here, and the replay left none';
  if (bounded !== undefined) why.windows = `windows were judged within bounds (the ${bounded} model): there is no single expected count per window to plot`;
  else if (windows.length === 0) why.windows = 'no (window, key) was expected or emitted';
  return { throughput, watermark, latency, windows, ...(Object.keys(why).length ? { why } : {}) };
}
