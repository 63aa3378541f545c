import { batchChecks, rollupCheckName, tableFile } from './batch-checks.js';
import { provenanceOf, type Provenance } from './provenance.js';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SatError, UsageError, readJson } from '../core/errors.js';
import { paths, replayParts } from '../core/workdir.js';
import { lit } from './sql.js';
import { claimWorkdir, lockHolder, writeJsonAtomic } from '../core/workdir-guard.js';
import type { ReplaySummary } from '../replay/replay.js';
import type { Scenario } from '../scenario/types.js';
import type { LatencySummary } from '../report/latency.js';
import { loadActions, loadActual, loadPositions, type OutputMode } from './actual.js';
import { one, positionCheck, resultChecks, shapeChecks, type Check, type Counts } from './checks.js';
import { BOUNDED_MODELS, boundedChecks, runBoundedOracle, type BoundedModel } from './bounded.js';
import { runOracle, type WatermarkModel as ExactModel } from './oracle.js';

/** Exact models (one right answer: sat run's own rules) and bounded ones (other engines'). */
export type WatermarkModel = ExactModel | BoundedModel;

export type Engine = 'sat' | 'spark' | 'flink' | 'kafka-streams';

/**
 * Each engine's watermark, as a model: sat run (global on the embedded log, per partition on Kafka),
 * Kafka Streams (stream time per partition), Spark without its checkpoint (the global maximum,
 * advanced between micro-batches: within bounds), Flink (the minimum over partitions: within bounds).
 */
const ENGINE_MODEL: Record<Engine, (kafka: boolean) => WatermarkModel> = {
  sat: (kafka) => (kafka ? 'partition' : 'global'),
  'kafka-streams': () => 'partition',
  spark: () => 'global-max',
  flink: () => 'per-partition-min',
};
import { collectEvidence, vacuityCheck, type Evidence } from './evidence.js';
import { reportChecks, runReconciliation, sumReconciliations } from './report-checks.js';
import { scoreChecks } from './score-checks.js';
import { collectSeries, type ReportSeries } from './series.js';
import { runScoreOracle } from './score-oracle.js';
import { diagnose, type Diagnosis } from './diagnose.js';
import { loadSparkBatches, readSparkCheckpoint } from './spark-checkpoint.js';
import { auditCheck, loadFlinkWatermarks } from './flink-watermarks.js';
import { jobWatermarkCheck } from './job-watermark.js';

export interface VerifyOptions {
  scenario: Scenario;
  dir: string;
  /** Results to judge; default: sat run's results.jsonl in --dir. */
  actual?: string;
  deadLetters?: string;
  late?: string;
  alerts?: string;
  tolerance: number;
  /** Default: per partition for a Kafka replay, global for the embedded log. */
  watermark?: WatermarkModel;
  /** Bounded models: how long a micro-batch (global-max) or a partition's read lag (per-partition-min) can be. */
  batchSpanMs?: number;
  /** Security settings for kafka:// inputs. */
  kafkaConfig?: string;
  /** DuckDB's memory limit (e.g. '1GB'); beyond it the oracle spills to --dir. */
  memoryLimit?: string;
  /** Scored scenarios: the action records to judge (default: sat run's). */
  actions?: string;
  /** Where the daily snapshots are (default: beside the replayed events). */
  snapshots?: string;
  /** Fail when a larger share of results lacks online inputs. */
  maxMissingOnline?: number;
  /** The engine's column names: sat's name -> theirs (a dotted name reaches into a struct). */
  map?: Record<string, string>;
  /** append: one final row per window and key; update: the last row per window and key counts. */
  outputMode?: OutputMode;
  /** Scenarios with reports: an external engine's pivot and top-users outputs (JSONL). */
  pivot?: string;
  topUsers?: string;
  corrupted?: string;
  /** Accept a run that tested nothing (no record counted, every late decision ambiguous). */
  allowVacuous?: boolean;
  /** The engine that made the results: its watermark, dedup and late rules (default: sat). */
  engine?: Engine;
  /** A batch job's tables (one file per rollup: NAME.parquet, .csv or .jsonl); default: <dir>/batch from sat batch. */
  actualBatch?: string;
  /** A Spark query's checkpoint directory: judge by its real micro-batches (exact). */
  sparkCheckpoint?: string;
  /** A Flink job's watermark audit (partition, offset, watermark per record): judge exactly. */
  flinkWatermarks?: string;
  /** Leave verify.json in --dir as it is (sat diff judges two outputs without overwriting it). */
  noReportFile?: boolean;
}

export interface VerifyReport {
  pass: boolean;
  scenario: string;
  actual: string;
  watermark: WatermarkModel;
  failed: string[];
  counts: Counts;
  /** What the verdict rests on (records, windows, late, duplicates, dead letters, boundary cases). */
  evidence?: Evidence;
  checks: Check[];
  /** The latency figures replay and run recorded in the working directory, when there. */
  latency?: Record<string, LatencySummary>;
  verifiedAt?: string;
  /** What the HTML report plots. */
  series?: ReportSeries;
  /** When checks failed: the likely causes, named from patterns in the differences. */
  diagnosis?: Diagnosis[];
  /** What the verdict did not decide, said even when it passed (e.g. windows only within bounds). */
  notes?: string[];
  /** What was tested: version, commands, input (size, hash), seed, faults, pace, engine, model. */
  provenance?: Provenance;
}

/** Latency summaries from replay.json (or its shards) and run.json, for the report. */
function latencyOf(dir: string): Record<string, LatencySummary> {
  const out: Record<string, LatencySummary> = {};
  const read = (file: string) => (existsSync(file) ? readJson<{ latency?: LatencySummary; sendLatency?: LatencySummary; resultLatency?: LatencySummary }>(file, (x) => readFileSync(x, 'utf8')) : undefined);
  for (const part of replayParts(dir)) {
    const l = read(part.replay)?.latency;
    if (l) out[part.shard ? `replay send-to-ack (shard ${part.shard.index}/${part.shard.count})` : 'replay send-to-ack'] = l;
  }
  const run = read(paths(dir).run);
  // Older run.json files have only the send-to-processed figure, under `latency`.
  if (run?.latency) out[run.sendLatency ? 'run processing' : 'run send-to-processed'] = run.latency;
  if (run?.sendLatency) out['run send-to-processed'] = run.sendLatency;
  if (run?.resultLatency) out['run window-fired-to-result'] = run.resultLatency;
  return out;
}


/** Recomputes what the results must be and judges the actual ones; writes verify.json. */
export async function verify(o: VerifyOptions): Promise<VerifyReport> {
  const p = paths(o.dir);
  const { replay, ledgers } = readReplay(o.dir);
  claimWorkdir(o.dir);
  // A path the user gave must exist: a missing side output silently skipped its check and passed.
  const given: [string, string | undefined][] = [['--actual', o.actual], ['--dead-letters', o.deadLetters], ['--late', o.late], ['--alerts', o.alerts], ['--actions', o.actions], ['--pivot', o.pivot], ['--top-users', o.topUsers], ['--corrupted', o.corrupted], ['--snapshots', o.snapshots]];
  for (const [flag, path] of given) {
    if (path !== undefined && !path.startsWith('kafka://') && !existsSync(path)) throw new UsageError(`${flag} ${path}: no such file or directory`);
  }
  const kafka = replay.transport?.kind === 'kafka' ? replay.transport : undefined;
  const ownRun = o.actual === undefined;
  // A Kafka replay's own run writes to <topic>-results and friends; the embedded log's to files.
  const own = (file: string, suffix: string) => (kafka ? `kafka://${kafka.brokers.join(',')}/${kafka.topic}-${suffix}` : file);
  const actual = o.actual ?? own(p.results, 'results');
  if (o.sparkCheckpoint !== undefined && o.engine !== 'spark') throw new UsageError('--spark-checkpoint goes with --engine spark');
  if (o.sparkCheckpoint !== undefined && !kafka) throw new UsageError('--spark-checkpoint: the replay in --dir did not go to Kafka, so there is no topic Spark could have read');
  const sparkBatches = o.sparkCheckpoint !== undefined ? readSparkCheckpoint(o.sparkCheckpoint, kafka!.topic) : undefined;
  if (o.actual !== undefined && o.engine === undefined && o.watermark === undefined) {
    throw new UsageError('--actual needs --engine spark|flink|kafka-streams|sat: the engine that made the results decides which records are late and how duplicates are dropped (README "Testing your own pipeline")');
  }
  if (o.flinkWatermarks !== undefined && o.engine !== 'flink') throw new UsageError('--flink-watermarks goes with --engine flink');
  if (o.flinkWatermarks !== undefined && o.scenario.window.emit === 'active') throw new UsageError(`--flink-watermarks: scenario ${o.scenario.name} emits active windows, which Flink SQL's window aggregations do not`);
  const model: WatermarkModel = sparkBatches ? 'spark-batches' : o.flinkWatermarks !== undefined ? 'flink-watermarks' : (o.watermark ?? ENGINE_MODEL[o.engine ?? 'sat'](kafka !== undefined));
  const local = (url: string | undefined) => (url === undefined ? undefined : materialize(url, o.dir, o.kafkaConfig));

  const tempDir = join(o.dir, '.verify-tmp');
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  if (process.env.SAT_DEBUG) timeStatements(db, (line) => process.stderr.write(`sat verify: ${line}\n`));
  try {
    await db.run(`SET TimeZone = 'UTC'`);
    // What does not fit in memory spills to --dir, not to the current directory (DuckDB's default
    // for an in-memory database); --memory-limit bounds it (DuckDB's default: 80% of the RAM).
    await db.run(`SET temp_directory = ${lit(tempDir)}`);
    if (o.memoryLimit !== undefined) await db.run(`SET memory_limit = ${lit(o.memoryLimit)}`);
    const bounded = BOUNDED_MODELS.includes(model);
    if (sparkBatches) await loadSparkBatches(db, sparkBatches);
    if (o.flinkWatermarks !== undefined) await loadFlinkWatermarks(db, await materialize(o.flinkWatermarks, o.dir, o.kafkaConfig));
    // The bounded models start from the exact classification (dead, duplicate) and add their bounds.
    await runOracle(db, o.scenario, { file: replay.file, files: replay.files, format: replay.format as 'csv', header: replay.header, quote: replay.quote, encoding: replay.encoding }, ledgers, bounded ? 'global' : (model as ExactModel));
    const mode = o.outputMode ?? 'append';
    await loadActual(db, o.scenario, (await local(actual)) as string, { ...o.scenario.resultColumns, ...o.map }, mode);
    const lateGiven = await loadPositions(db, 'lt', await local(o.late ?? (ownRun ? own(p.late, 'late') : undefined)));
    if (bounded) await runBoundedOracle(db, o.scenario, model as BoundedModel, o.batchSpanMs ?? 10_000);
    const { checks, counts } = bounded ? await boundedChecks(db, o.scenario, o.tolerance, lateGiven) : await resultChecks(db, o.scenario, o.tolerance);
    checks.push(...(await shapeChecks(db, o.scenario)));
    if (model === 'flink-watermarks') checks.push(await auditCheck(db));
    const jobWatermark = model === 'spark-batches' || model === 'flink-watermarks' ? await jobWatermarkCheck(db, o.scenario, model) : undefined;
    if (jobWatermark) checks.push(jobWatermark.check);
    if (mode === 'update') {
      const i = checks.findIndex((c) => c.name === 'each result emitted once');
      checks[i] = { name: checks[i].name, pass: true, skipped: true, detail: 'update mode: the last row of each (window, key) counts' };
    }

    const side = async (name: string, table: string, cls: string, path: string | undefined, what: string) => {
      const given = await loadPositions(db, table, await local(path));
      return positionCheck(db, name, table, cls, given, what);
    };
    const dl = await side('every bad record dead-lettered, no good one', 'dl', `class = 'dead'`, o.deadLetters ?? (ownRun ? own(p.deadLetters, 'dead-letters') : undefined), 'dead-letter');
    const late = await positionCheck(db, 'every late record in the late output, no other', 'lt', `class = 'late'`, lateGiven, 'late');
    const alerts = await side('every alert raised once, no false alert', 'al', `alerted IS NOT NULL`, o.alerts ?? (ownRun ? own(p.alerts, 'alerts') : undefined), 'alert');
    const undecided = (c: Check): Check => ({ name: c.name, pass: true, skipped: true, detail: `watermark model ${model}: judged within bounds instead` });
    checks.push(dl.check, bounded ? undecided(late.check) : late.check, bounded ? undecided(alerts.check) : alerts.check);

    if (o.scenario.reports) {
      const cr = await side('every corrupted row split off, no valid one', 'cr', `class = 'corrupted'`, o.corrupted ?? (ownRun ? own(p.corrupted, 'corrupted') : undefined), 'corrupted');
      checks.push(cr.check);
      const rc = await reportChecks(db, o.scenario, {
        pivot: await local(o.pivot ?? (ownRun ? own(p.pivot, 'pivot') : undefined)),
        topUsers: await local(o.topUsers ?? (ownRun ? own(p.topUsers, 'top-users') : undefined)),
        // On Kafka, each input partition's task writes its counts when its input ends: their sum is the run's.
        reconciliation: ownRun ? (kafka ? sumReconciliations(await local(own(p.run, 'reconciliation'))) : runReconciliation(p.run)) : undefined,
        dataDir: dirname(replay.file),
      });
      checks.push(...rc.checks);
      Object.assign(counts, rc.counts);
    }

    // The batch layer: sat batch's tables in <dir>/batch (with sat run's results), or a user's job's.
    const batchDir = o.actualBatch ?? (ownRun && existsSync(join(o.dir, 'batch')) ? join(o.dir, 'batch') : undefined);
    if (o.scenario.score) {
      // Segments are read from the snapshots only for the score rollups whose tables are there to judge.
      const segments = bounded || batchDir === undefined ? [] : (o.scenario.rollups ?? []).flatMap((r) => (r.segment && tableFile(batchDir, r.name) ? [r.segment] : []));
      const { days } = await runScoreOracle(db, o.scenario, o.snapshots ?? dirname(replay.file), segments);
      const actionsGiven = await loadActions(db, await local(o.actions ?? (ownRun ? own(p.actions, 'actions') : undefined)));
      const sc = await scoreChecks(db, o.scenario.score, { tolerance: o.tolerance, actionsGiven, maxMissingOnline: o.maxMissingOnline, snapshotDays: days });
      checks.push(...sc.checks);
      Object.assign(counts, sc.counts);
    }

    if (o.scenario.rollups?.length) {
      const bc = bounded
        ? { checks: (o.scenario.rollups ?? []).map((r) => ({ name: rollupCheckName(r), pass: true, skipped: true, detail: `watermark model ${model}: which records count is only bounded, so a rollup cannot be checked exactly` })), counts: {} }
        : await batchChecks(db, o.scenario, batchDir, o.tolerance);
      checks.push(...bc.checks);
      Object.assign(counts, bc.counts);
    }

    const dupExpected = await one(db, `SELECT count(*) FROM cls WHERE class = 'duplicate'`);
    const run = ownRun && !kafka && !bounded && existsSync(p.run) ? readJson<{ duplicates: number }>(p.run, (x) => readFileSync(x, 'utf8')) : undefined;
    checks.push(
      run === undefined
        ? { name: 'duplicates suppressed', pass: true, skipped: true, detail: 'no engine summary with a duplicate count' }
        : { name: 'duplicates suppressed', pass: run.duplicates === dupExpected, expected: dupExpected, actual: run.duplicates, detail: `${dupExpected} duplicate deliveries expected suppressed, engine suppressed ${run.duplicates}` },
    );

    const ledgerCount = (fault: string) => one(db, `SELECT count(*) FROM ledger WHERE fault = '${fault}'`);
    Object.assign(counts, {
      records_sent: await one(db, `SELECT count(*) FROM ledger`),
      malformed_sent: await ledgerCount('malformed'),
      bad_source_rows: await one(db, `SELECT count(*) FROM cls WHERE class = 'dead' AND fault <> 'malformed'`),
      dead_letters_expected: dl.expected,
      dead_lettered: dl.check.skipped ? null : dl.actual,
      late_sent: await ledgerCount('late'),
      late_expected: late.expected,
      late_output: late.check.skipped ? null : late.actual,
      duplicates_sent: await ledgerCount('duplicate'),
      duplicates_expected_suppressed: dupExpected,
      duplicates_suppressed: run?.duplicates ?? null,
      out_of_order_sent: await ledgerCount('out-of-order'),
      counted_expected: await one(db, `SELECT count(*) FROM cls WHERE class = 'counted'`),
      filtered_expected: await one(db, `SELECT count(*) FROM cls WHERE class = 'filtered'`),
      alerts_expected: alerts.expected,
    });
    const evidence = await collectEvidence(db, o.scenario, counts, bounded, model);
    checks.push(vacuityCheck(evidence, model, bounded, o.allowVacuous ?? false));
    const failed = checks.filter((c) => !c.pass).map((c) => c.name);
    const diagnosis = failed.length > 0 && !bounded ? [...(jobWatermark?.diagnosis ? [jobWatermark.diagnosis] : []), ...(await diagnose(db, o.scenario))] : undefined;
    const notes: string[] = [];
    // A bounded model passes windows it could not decide: say how many, so a pass is read for what it is.
    if (bounded && evidence.windows_ambiguous > 0) {
      const all = evidence.windows_exact + evidence.windows_ambiguous;
      notes.push(
        `${evidence.windows_ambiguous} of ${all} windows (${Math.round((100 * evidence.windows_ambiguous) / all)}%) were only checked within bounds: under ${model} with --batch-span ${o.batchSpanMs ?? 10_000} ms their late records could go either way. ` +
          (o.engine === 'spark' || model === 'global-max'
            ? 'For Spark, --spark-checkpoint judges every window exactly.'
            : o.engine === 'flink' ? 'For Flink, a watermark audit (--flink-watermarks, README "Judging Flink") judges every window exactly.' : 'A --batch-span closer to the real read lag decides more (too short fails a correct engine).'),
      );
    }
    const report: VerifyReport = { diagnosis, notes: notes.length ? notes : undefined, pass: failed.length === 0, scenario: o.scenario.name, actual, watermark: model, failed, counts, evidence, checks, latency: latencyOf(o.dir), verifiedAt: new Date().toISOString(),
      provenance: provenanceOf(replay, o.dir, ownRun ? 'sat run' : (o.engine ?? 'unknown'), model),
      series: await collectSeries(db, o.scenario, o.dir, bounded ? model : undefined, ownRun),
    };
    if (!o.noReportFile) writeJsonAtomic(p.report, report);
    return report;
  } catch (e) {
    // DuckDB's own words for it, with a stack: say what to do instead.
    if (/Out of Memory Error/.test((e as Error)?.message ?? '')) throw new SatError(`the oracle ran out of memory${o.memoryLimit ? ` under --memory-limit ${o.memoryLimit}` : ''} (DuckDB: ${(e as Error).message.split('\n')[0].replace(/^.*Out of Memory Error: /, '')}): give it more with --memory-limit`, 3);
    throw e;
  } finally {
    db.closeSync();
    instance.closeSync();
    rmSync(tempDir, { recursive: true, force: true });
  }
}

/** A kafka://HOST:PORT/TOPIC is read (committed records only) into a JSONL file in --dir; a path stays. */
export async function materialize(url: string, dir: string, kafkaConfig?: string): Promise<string> {
  const { parseKafkaUrl, readTopic } = await import('../transport/kafka/read-topic.js');
  const k = parseKafkaUrl(url);
  if (k === undefined) return url;
  const { ensureReachable, kafkaConnection } = await import('../transport/kafka/config.js');
  const conn = kafkaConnection(k.brokers, kafkaConfig);
  await ensureReachable(conn);
  const values = await readTopic(conn, k.topic, { log: (line) => process.stderr.write(`sat: ${line}\n`) });
  const file = join(dir, `topic-${k.topic.replace(/[^\w.-]/g, '_')}.jsonl`);
  writeFileSync(file, values.length ? `${values.map((v) => v.toString('utf8')).join('\n')}\n` : '');
  return file;
}

/** The replay summary and its ledger(s): one replay, or every part of a sharded one (all finished). */
function readReplay(dir: string): { replay: ReplaySummary; ledgers: string[] } {
  // By its summary, written first: a replay that died before its ledger appeared is still named.
  const parts = replayParts(dir).filter((x) => existsSync(x.replay));
  if (parts.length === 0) throw new UsageError(`no replay in ${dir} (run sat replay first, or pass --dir)`);
  const summaries = parts.map((x) => readJson<ReplaySummary>(x.replay, (f) => readFileSync(f, 'utf8')));
  const sharded = parts.filter((x) => x.shard !== undefined);
  if (sharded.length > 0) {
    if (sharded.length !== parts.length) throw new UsageError(`${dir} holds both a whole replay and shards of one: replay again into a clean --dir`);
    const n = sharded[0].shard!.count;
    const have = sharded.filter((x) => x.shard!.count === n).map((x) => x.shard!.index);
    if (have.length !== sharded.length || have.length !== n) throw new UsageError(`${dir}: shards ${have.join(', ')} of ${n} found, and shards of other splits: verify needs all n of one split`);
  }
  const unfinished = summaries.findIndex((x) => !x.finished);
  if (unfinished >= 0) {
    const running = lockHolder(dir, parts[unfinished].shard ? `replay.shard-${parts[unfinished].shard!.index}-of-${parts[unfinished].shard!.count}` : 'replay');
    throw new UsageError(
      running !== undefined
        ? `the replay ${parts[unfinished].replay} is still running (pid ${running}): verify once it has finished`
        : `the replay ${parts[unfinished].replay} is incomplete: its process stopped before it finished (killed, or the disk filled up); replay again`,
    );
  }
  const noLedger = parts.find((x) => !existsSync(x.ledger));
  if (noLedger) throw new UsageError(`the replay ${noLedger.replay} finished but its ledger ${noLedger.ledger} is gone: replay again`);
  return { replay: summaries[0], ledgers: parts.map((x) => x.ledger) };
}

/** SAT_DEBUG=1: each statement that takes over half a second, with its time, to see where verify spends it (SAT_DEBUG=sql: the whole statement). */
function timeStatements(db: DuckDBConnection, log: (line: string) => void): void {
  for (const name of ['run', 'runAndReadAll'] as const) {
    const original = db[name].bind(db) as (sql: string, ...rest: unknown[]) => Promise<unknown>;
    (db as unknown as Record<string, unknown>)[name] = async (sql: string, ...rest: unknown[]) => {
      const t0 = performance.now();
      let failed = false;
      try {
        return await original(sql, ...rest);
      } catch (e) {
        failed = true;
        throw e;
      } finally {
        const ms = performance.now() - t0;
        if (ms > 500 || failed) log(`${(ms / 1000).toFixed(1)} s${failed ? ' FAILED' : ''}  ${process.env.SAT_DEBUG === 'sql' ? sql : sql.replace(/\s+/g, ' ').slice(0, 110)}`);
      }
    };
  }
}
