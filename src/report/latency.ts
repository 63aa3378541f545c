import { writeFileSync } from 'node:fs';
import { writeFileNamed } from '../core/fs-errors.js';
import * as hdr from 'hdr-histogram-js';

/** The latency figures every summary carries, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  p9999: number;
  max: number;
}

/**
 * A latency histogram (HdrHistogram, 3 significant digits) in microseconds, reported in ms. The
 * caller decides what a latency is: for a rate-paced sender, completion minus the *intended* send
 * time, which is the correction for coordinated omission (a stall delays every record behind it, and
 * they all count); never also recordValueWithExpectedInterval on top of that.
 */
export class Latency {
  readonly #h = hdr.build({ numberOfSignificantValueDigits: 3, useWebAssembly: false, autoResize: true, lowestDiscernibleValue: 1 });
  readonly startedAt = Date.now();

  constructor(readonly name: string) {}

  /**
   * A run of equal values waiting to go in as one count: latencies from Date.now() differences come
   * in runs of one value under backlog, and one histogram update per record cost 3% of sat run.
   */
  #value = -1;
  #repeats = 0;

  /** One latency in ms (negative values, from clock skew between processes, count as 0). */
  record(ms: number): void {
    const v = Math.max(0, Math.round(ms * 1000));
    if (v === this.#value) {
      this.#repeats++;
      return;
    }
    this.#settle();
    this.#value = v;
    this.#repeats = 1;
  }

  #settle(): void {
    if (this.#repeats === 0) return;
    if (this.#repeats === 1) this.#h.recordValue(this.#value);
    else this.#h.recordValueWithCount(this.#value, this.#repeats);
    this.#repeats = 0;
  }

  get count(): number {
    this.#settle();
    return this.#h.totalCount;
  }

  summary(): LatencySummary {
    this.#settle();
    const h = this.#h;
    const at = (p: number) => (h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000);
    return { count: h.totalCount, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), p9999: at(99.99), max: h.totalCount === 0 ? 0 : h.maxValue / 1000 };
  }

  /** Saves the histogram in HdrHistogram's log format (one interval line, compressed), for plotting and merging. */
  save(path: string): void {
    this.#settle();
    let text = '';
    const w = new hdr.HistogramLogWriter((s: string) => (text += s));
    w.outputComment(`sat ${this.name} latency, values in microseconds`);
    w.outputLogFormatVersion();
    w.outputStartTime(this.startedAt);
    w.outputLegend();
    w.outputIntervalHistogram(this.#h, this.startedAt / 1000, Date.now() / 1000, 1000);
    writeFileNamed(path, text);
  }
}

/** p50/p90/p99/p99.9/max as one human line. */
export function latencyLine(s: LatencySummary): string {
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  return `p50 ${f(s.p50)} ms, p90 ${f(s.p90)}, p99 ${f(s.p99)}, p99.9 ${f(s.p999)}, p99.99 ${f(s.p9999)}, max ${f(s.max)} (${s.count} records)`;
}

/** What each latency figure measures, said beside it in every report. */
export function latencyMeaning(name: string): string {
  if (name.startsWith('replay send-to-ack')) return "from each record's intended send time (paced: a stall counts for every record behind it) or its send (unpaced) to the transport's acknowledgement";
  if (name.startsWith('run processing')) return 'from when sat run could first have read the record (its send, or the run\'s start if it was sent before) to processed';
  if (name.startsWith('run send-to-processed')) return 'from the send to processed, end to end: a run started after the replay counts its own late start here';
  if (name.startsWith('run window-fired-to-result')) return "from a window's firing (the watermark passing its close) to its result written (committed, on Kafka)";
  return '';
}
