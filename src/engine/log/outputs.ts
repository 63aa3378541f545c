import { PartitionedExport } from './partitioned.js';
import { paths } from '../../core/workdir.js';
import type { Scenario } from '../../scenario/types.js';
import type { LogPosition } from '../../transport/log/reader.js';
import type { Latency } from '../../report/latency.js';
import type { Committer } from '../driver.js';
import type { Scorer } from '../join/scorer.js';
import { ScoringPipeline } from '../join/scorer.js';
import { inFlightColumns, inFlightOf } from '../join/in-flight.js';
import { scoringTally } from '../join/tally.js';
import type { Outputs } from '../process.js';
import type { ReportBuilder } from '../reports.js';
import type { Resume, RunCheckpoints } from '../checkpoint/run-checkpoints.js';
import { ResultSink } from '../results/sink.js';
import { JsonlSink, type SinkState } from '../sinks.js';
import { CheckpointCadence } from '../checkpoint/cadence.js';
import type { Task } from '../task.js';

/**
 * The embedded log's outputs and commits: files in the work directory, appended as the task runs;
 * a commit is a checkpoint recording the reader's position, the files' lengths (truncated to them on
 * resume) and the window state, together. Results of a scored scenario go through the scoring
 * pipeline (API calls in flight while the engine reads on); what is still being scored at a
 * checkpoint is saved in it and scored again on resume.
 */
export class FileOutputs implements Committer {
  /** results.jsonl and the side outputs (late records, dead letters, alerts), written by the results thread. */
  readonly results: ResultSink;
  readonly actions?: JsonlSink;
  readonly corrupted?: JsonlSink;
  readonly scoring?: ScoringPipeline;
  /** --partitioned: the outputs as date-partitioned Parquet, cut at each checkpoint. */
  readonly partitioned?: PartitionedExport;
  readonly tally;
  /** Valid, uncorrupted records (scenarios with reports: the reconciliation counts them). */
  validCount: number;
  readonly outputs: Outputs;
  /** Checkpoints taken, and the engine's time in them: taking them, and handing each to its writer's thread. */
  readonly checkpoints = {
    count: 0,
    taking: 0,
    writer: undefined as { handOverMs?: number } | undefined,
    get ms(): number {
      return this.taking + (this.writer?.handOverMs ?? 0);
    },
  };
  readonly #cadence: CheckpointCadence;
  /** Set once the task is known: its state goes into every checkpoint. */
  task?: Task;

  constructor(
    readonly o: { scenario: Scenario; dir: string; every: number; intervalMs: number; resultLatency: Latency; scorer?: Scorer; reports?: ReportBuilder; partitioned?: boolean },
    readonly reader: { position(): LogPosition },
    readonly store: RunCheckpoints,
    readonly deadLetterKinds: Record<string, number>,
    cp?: Resume,
  ) {
    const p = paths(o.dir);
    this.checkpoints.writer = store.writer;
    const sink = (name: string) => cp?.sinks[name];
    this.results = new ResultSink(p.results, p.resultsParquet, o.scenario, sink('results'), {
      paths: { late: p.late, deadLetters: p.deadLetters, alerts: p.alerts },
      resume: { late: sink('late'), deadLetters: sink('deadLetters'), alerts: sink('alerts') },
    });
    if (o.reports) this.corrupted = new JsonlSink(p.corrupted, sink('corrupted'));
    if (o.partitioned) {
      const at = (name: string) => cp?.sinks[name]?.bytes ?? 0;
      this.partitioned = new PartitionedExport(o.dir, o.scenario, { results: p.results, late: p.late, deadLetters: p.deadLetters, corrupted: o.reports ? p.corrupted : undefined },
        cp ? { results: at('results'), late: at('late'), 'dead-letters': at('deadLetters'), corrupted: at('corrupted') } : undefined);
    }
    this.validCount = cp?.validCount ?? 0;
    this.#cadence = new CheckpointCadence(o.every, o.intervalMs, cp?.records ?? 0);
    const { tally, add } = scoringTally();
    if (cp?.scoring) Object.assign(tally, cp.scoring);
    this.tally = tally;
    const results = this.results;
    const resultLatency = o.resultLatency;
    if (o.scorer) {
      const actions = (this.actions = new JsonlSink(p.actions, sink('actions')));
      this.scoring = new ScoringPipeline(o.scorer, (r, firedAt) => {
        const written = Date.now();
        for (let i = 0; i < r.results.length; i++) resultLatency.record(written - firedAt);
        results.write(r.results, written);
        for (const a of r.actions) actions.write(a);
        add(r);
      });
      // What was being scored at the checkpoint goes first: its results were not written by then.
      for (const x of inFlightOf(cp)) this.scoring.submit(x.rows, x.firedAt);
    }
    const scoring = this.scoring;
    const reports = o.reports;
    const side = results.side!;
    this.outputs = {
      corrupted: (row) => this.corrupted?.write(row),
      valid: (r) => {
        this.validCount++;
        reports?.add(r);
      },
      deadLetter: (partition, offset, rejected, value) => {
        side.deadLetter(partition, offset, rejected, value);
        results.sideAdded();
      },
      late: (partition, offset, r, watermark, value) => {
        side.late(partition, offset, r, watermark, value);
        results.sideAdded();
      },
      alert: (alert, partition, offset, r) => {
        side.alert(alert, partition, offset, r);
        results.sideAdded();
      },
      results: (rows, emitTime) => {
        if (scoring) return scoring.submit(rows, emitTime);
        results.write(rows, emitTime);
        const lag = Date.now() - emitTime;
        for (let i = 0; i < rows.length; i++) resultLatency.record(lag);
      },
    };
  }

  get counts() {
    const side = this.results.side!.counts;
    return { results: this.results.count, deadLettered: side.deadLetters, alerts: side.alerts };
  }

  due(records: number): boolean {
    return this.#cadence.due(records, this.scoring?.busy ?? false);
  }

  /** Flushes every output and saves state, reader position and output lengths together. */
  async commit(records: number): Promise<void> {
    const t0 = performance.now();
    // Windows still being scored are saved as such, not waited for: their results are not in the
    // outputs' lengths below, and a resume scores them again (a failure so far surfaces here).
    this.scoring?.check();
    // Everything the checkpoint holds is taken here, at one point. The results' length is answered
    // by their thread for the rows handed over by now; a scoring answer that lands meanwhile writes
    // after this point, and is neither in that length nor taken out of inFlight below.
    const rest: Record<string, SinkState> = {};
    if (this.actions) rest.actions = this.actions.state();
    if (this.corrupted) rest.corrupted = this.corrupted.state();
    // Filled in when the results thread answers (the checkpoint is written after that).
    const unknown = { bytes: -1, count: -1 };
    const sinks: Record<string, SinkState> = { results: unknown, deadLetters: unknown, late: unknown, alerts: unknown, ...rest };
    const results = this.results.states().then((r) => void Object.assign(sinks, { results: r.results }, r.side));
    const state = { records, validCount: this.validCount, reader: this.reader.position(), sinks, deadLetterKinds: { ...this.deadLetterKinds }, reports: this.o.reports?.snapshot(), scoring: this.o.scorer ? { ...this.tally } : undefined, inFlightColumns: this.scoring && inFlightColumns(this.scoring.inFlight()) };
    if (this.partitioned) {
      // The parts up to these lengths are in place before the checkpoint that names the lengths.
      await results;
      await this.partitioned.commit(exportLengths(sinks));
      await this.store.write(state, this.task!.op);
    } else {
      // The checkpoint is written once the results' length is in, and the engine reads on meanwhile.
      await this.store.write(state, this.task!.op, results);
    }
    this.checkpoints.count++;
    this.#cadence.taken(records);
    this.checkpoints.taking += performance.now() - t0;
  }

  /**
   * Nothing to read: what the results sink holds becomes readable (the run waits on), and a
   * checkpoint waiting for the scoring is taken now (no record may come for a while to take it).
   */
  async idle(records: number): Promise<boolean> {
    this.results.flush();
    if (!this.#cadence.waiting) return false;
    await this.commit(records);
    return true;
  }

  pressure(records: number): Promise<void> | undefined {
    if ((records & 255) === 0 && this.results.behind) return this.results.catchUp();
    const s = this.scoring;
    if (s === undefined || !s.busy) return undefined;
    if (s.full) return s.drain();
    // Let API responses in: a loop that never yields makes their timeouts fire on answers already there.
    if (records % 1024 === 0) return new Promise(setImmediate);
    return undefined;
  }

  async close(): Promise<void> {
    await this.scoring?.drain();
    const [all] = await Promise.all([this.results.closeAll(), this.actions?.close(), this.corrupted?.close()]);
    if (this.partitioned) {
      await this.partitioned.commit(exportLengths({ results: all.results, ...all.side, corrupted: this.corrupted?.state() }));
      this.partitioned.close();
    }
  }
}

/** The JSONL lengths by the partitioned datasets' names. */
function exportLengths(sinks: Record<string, SinkState | undefined>): Record<string, number> {
  const out: Record<string, number> = { results: sinks.results!.bytes, late: sinks.late!.bytes, 'dead-letters': sinks.deadLetters!.bytes };
  if (sinks.corrupted) out.corrupted = sinks.corrupted.bytes;
  return out;
}
