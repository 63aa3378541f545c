import { SAT_VERSION } from '../core/invocation.js';
import { Command, Option } from 'commander';
import { formatDuration } from '../core/duration.js';
import { addExamples } from './examples.js';
import { INJECTED_FAULTS } from '../replay/faults/kinds.js';
import { countRange, durationMs, durationRange, integer, memorySize, nonNegativeNumber, positiveInt, positiveNumber, port, probability, shardSpec } from './options.js';

/** Declares commands and flags only; each action lazy-loads its command so --help stays light. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('sat')
    .description('Streaming-analytics testbed: replay data with faults, run a windowed engine, verify with an oracle')
    .version(SAT_VERSION)
    .showHelpAfterError('(run with --help for usage)');

  const common = (c: Command) =>
    c
      .option('--dir <dir>', 'working directory shared by the steps', '.sat')
      .option('--json', 'print one JSON summary on stdout');

  const replayCmd = common(program.command('replay [file]'))
    .description('replay a CSV/TSV/Parquet/JSONL file (or what sat gen wrote in --dir) into the stream, in event-time order, with faults')
    .requiredOption('--scenario <name>', 'scenario name (profiles/NAME.yaml) or path')
    .option('--rate <n>', 'records per second (0: as fast as possible)', nonNegativeNumber, 0)
    .option('--profile <name|file>', 'a rate profile instead of --rate (profiles/rates/NAME.yaml: steps, ramp, spike, daily)')
    .option('--speedup <k>', "send with the gaps of the records' own event times divided by k (1: real time)", positiveNumber)
    .option('--duration <duration>', 'stop after this long (of the schedule; wall time when unpaced), e.g. 30s', durationMs)
    .option('--records <n>', 'stop after this many sends', positiveInt)
    .addOption(duration('--warmup <duration>', 'leave the first part out of the rate and latency figures', 0))
    .option('--no-progress', 'no progress display on stderr')
    .option('--metrics-port <n>', 'serve Prometheus metrics on 127.0.0.1:<n>/metrics while sending (0: any free port)', port)
    .option('--shard <i/n>', 'this process sends only shard i of n (split by key; Kafka only; each writes its own ledger part)', shardSpec)
    .option('--seed <n>', 'seed for the fault mix', integer, 1)
    .option('--partitions <n>', 'partitions of the embedded log', positiveInt, 4);
  // The fault flags come from the list of faults (replay/faults/kinds.ts).
  for (const f of INJECTED_FAULTS) replayCmd.option(`${f.flag} <p>`, f.help, probability);
  replayCmd
    .option('--late-by <range>', 'how far past the window close late records arrive, e.g. 1h..2d', durationRange)
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'tsv', 'parquet', 'jsonl']))
    .addOption(new Option('--header <mode>', 'whether the file has a header line').choices(['auto', 'yes', 'no']))
    .option('--no-quote', 'treat quote characters as data (CSV/TSV)')
    .addOption(new Option('--encoding <name>', 'how the file\'s bytes become text (CSV/TSV/JSONL; default: the scenario\'s, else utf8, where a row with bytes that are not UTF-8 is a bad source row)').choices(['utf8', 'latin1', 'cp1252']))
    .option('--brokers <host:port,...>', 'send to Apache Kafka instead of the embedded log')
    .option('--bootstrap-server <host:port,...>', "the same as --brokers (Kafka's tools' name)")
    .option('-X <key=value>', 'a Kafka client property, repeatable, as kcat -X (security.protocol, sasl.*, ssl.*); over --kafka-config', collect)
    .option('--topic <name>', 'Kafka topic (created with --partitions if missing)')
    .addOption(new Option('--compression <codec>', 'Kafka compression').choices(['none', 'gzip', 'snappy', 'lz4']).default('lz4'))
    .option('--kafka-config <file>', 'Kafka client properties (security.protocol, sasl.*, ssl.*)')
    .action(async (file, flags, cmd: Command) => {
      const { replayCommand } = await import('./commands/replay.js');
      // --no-quote defaults to true in commander; only pass it when given.
      const quote = cmd.getOptionValueSource('quote') === 'cli' ? flags.quote : undefined;
      setExit(await replayCommand(file, { ...flags, quote, rateGiven: cmd.getOptionValueSource('rate') === 'cli' }));
    });

  common(program.command('run'))
    .description('run the windowed engine over the stream until the replay has finished and it has caught up')
    .option('--scenario <name>', 'scenario (default: the one the replay in --dir used)')
    .option('--follow', 'keep tailing the log after the replay has finished')
    .addOption(duration('--idle-timeout <duration>', 'with --follow (or Kafka): stop after this long without records, e.g. 30s'))
    .option('--brokers <host:port,...>', 'consume from Apache Kafka as a consumer group member')
    .option('--bootstrap-server <host:port,...>', "the same as --brokers (Kafka's tools' name)")
    .option('-X <key=value>', 'a Kafka client property, repeatable, as kcat -X (security.protocol, sasl.*, ssl.*); over --kafka-config', collect)
    .option('--topic <name>', 'input topic; results go to <topic>-results, -dead-letters, -late, -alerts')
    .option('--group <id>', 'consumer group (default sat-<scenario>-<topic>)')
    .option('--exactly-once', 'commit results, side outputs and offsets in Kafka transactions')
    .option('--checkpoint-dir <dir>', 'state checkpoints shared by the group (default <dir>/checkpoints/<group>)')
    .addOption(duration('--commit-interval <duration>', 'Kafka: how often to checkpoint and commit', 500))
    .option('--checkpoint-every <n>', 'embedded log: checkpoint every n records (and every --checkpoint-interval)', positiveInt, 50_000)
    .addOption(duration('--checkpoint-interval <duration>', 'embedded log: checkpoint this often, or up to twice as long while windows are being scored', 2000))
    .option('--fresh', 'embedded log: ignore checkpoints of an earlier, unfinished run and start from the beginning')
    .option('--partitioned', 'embedded log: also write results, late rows, dead letters (and corrupted rows) as date-partitioned Parquet datasets in <dir>/results/date=YYYY-MM-DD/..., committed at each checkpoint')
    .option('--kafka-config <file>', 'Kafka client properties (security.protocol, sasl.*, ssl.*)')
    .option('--online <url>', 'online-features API for a scored scenario (sat serve online), e.g. http://127.0.0.1:8787')
    .option('--online-retries <n>', "further attempts per failed API request (default: the scenario's)", integer)
    .option('--online-timeout <duration>', "timeout per API request, e.g. 2s (default: the scenario's)", durationMs)
    .option('--snapshots <dir>', 'where the daily batch snapshots are (default: beside the replayed events)')
    .addOption(duration('--snapshot-poll <duration>', 'how often to look for a newer snapshot day', 5000))
    .option('--metrics-port <n>', 'serve Prometheus metrics on 127.0.0.1:<n>/metrics while running (0: any free port)', port)
    .action(async (flags) => {
      const { runCommand } = await import('./commands/run.js');
      setExit(await runCommand(flags));
    });

  program
    .command('verify')
    .option('--dir <dir>', 'working directory shared by the steps', '.sat')
    .option('--json [file]', 'the full JSON report: on stdout, or into FILE')
    .option('--junit <file>', 'a JUnit XML report: one test case per check, for CI systems')
    .option('--html <file>', 'a self-contained HTML report with plots')
    .description('recompute the expected results with an independent oracle and judge the actual ones')
    .option('--scenario <name>', 'scenario (default: the one the replay in --dir used)')
    .option('--actual <path>', "results to judge: a JSONL, CSV or Parquet file, a directory of them (Spark's part-* layout), or kafka://HOST:PORT/TOPIC; default: sat run's")
    .option('--actual-batch <dir>', "a batch job's rollup tables to judge (NAME.parquet, .csv or .jsonl per rollup of the scenario); default: sat batch's in <dir>/batch")
    .option('--map <name=column,...>', "the engine's column names, e.g. window_start=window.start,key=product_id (dots reach into structs)")
    .addOption(new Option('--output-mode <mode>', 'append: one final row per window and key; update: the last row per window and key counts').choices(['append', 'update']).default('append'))
    .option('--dead-letters <path>', 'dead letters of an external engine (JSONL or kafka:// with partition, offset)')
    .option('--late <path>', 'late side output of an external engine (JSONL or kafka:// with partition, offset)')
    .option('--alerts <path>', 'alerts of an external engine (JSONL or kafka:// with partition, offset)')
    .option('--tolerance <x>', 'relative tolerance for floating-point aggregates', nonNegativeNumber, 1e-9)
    .addOption(
      new Option('--watermark-model <model>', 'the engine\'s watermark: global, partition (exact: sat run on the log / on Kafka); global-max (Spark), per-partition-min (Flink), none (judged within bounds); default partition for a Kafka replay, else global').choices(['global', 'partition', 'global-max', 'per-partition-min', 'none']),
    )
    .addOption(new Option('--watermark <model>', 'older name of --watermark-model').choices(['global', 'partition', 'global-max', 'per-partition-min', 'none']).hideHelp())
    .addOption(duration('--batch-span <duration>', 'bounded models: longest micro-batch (Spark) or read lag of a partition (Flink)', 10_000))
    .addOption(new Option('--engine <engine>', "the engine that made the results (needed with --actual): its watermark, dedup and late rules; spark: exact with --spark-checkpoint, flink: exact with --flink-watermarks, else within bounds").choices(['sat', 'spark', 'flink', 'kafka-streams']))
    .option('--spark-checkpoint <dir>', "with --engine spark: the query's checkpoint directory; the oracle cuts the stream into its real micro-batches and judges exactly")
    .option('--flink-watermarks <path>', "with --engine flink: the job's watermark audit (partition, offset, watermark per record, JSON lines); the oracle judges each record by the watermark it met, exactly")
    .option('--actions <path>', 'action records of a scored scenario (JSONL or kafka://); default: sat run\'s')
    .option('--snapshots <dir>', 'where the daily batch snapshots are (default: beside the replayed events)')
    .option('--pivot <file>', "messages: an engine's daily pivot (JSONL: day, the key, a column per value)")
    .option('--corrupted <file>', "messages: an engine's corrupted rows (JSONL with partition, offset)")
    .option('--top-users <file>', "messages: an engine's top users (JSONL: the key, rank, user, events, country)")
    .option('--max-missing-online <share>', 'fail when more than this share of results lack online inputs', probability)
    .option('--allow-vacuous', 'accept a run that tested nothing (no record counted, or every late record ambiguous) instead of failing it')
    .option('--kafka-config <file>', 'Kafka client properties for kafka:// inputs')
    .option('--memory-limit <size>', "the oracle's memory (DuckDB's limit, e.g. 1GB); beyond it, it spills to --dir (default: 80% of the RAM)", memorySize)
    .action(async (flags) => {
      const { verifyCommand } = await import('./commands/verify.js');
      setExit(await verifyCommand(flags));
    });

  program
    .command('report')
    .argument('[dir]', 'working directory of a finished verify (or --dir)')
    .option('--dir <dir>', 'working directory of a finished verify, as every other command takes it (default: .sat)')
    .description("re-render a finished verify's report (terminal, JSON, JUnit) without recomputing; exit 1 if it failed")
    .option('--json [file]', 'the full JSON report: on stdout, or into FILE')
    .option('--junit <file>', 'a JUnit XML report')
    .option('--html <file>', 'a self-contained HTML report with plots')
    .action(async (dir: string | undefined, flags) => {
      const { reportCommand } = await import('./commands/verify.js');
      const { UsageError } = await import('../core/errors.js');
      if (dir !== undefined && flags.dir !== undefined && dir !== flags.dir) throw new UsageError(`two working directories given: ${dir} and --dir ${flags.dir}`);
      setExit(await reportCommand(dir ?? flags.dir ?? '.sat', flags));
    });

  common(program.command('gen'))
    .description('generate the satisfaction scenario (customer snapshots + events) in --dir, or with --kind a reviews/IoT file')
    .option('--customers <n>', 'customers in each daily snapshot', positiveInt, 10_000)
    .option('--features <n>', 'feature columns per customer', positiveInt, 20)
    .option('--events <n>', 'events in the stream', positiveInt, 100_000)
    .option('--days <n>', 'daily snapshots (the events follow the last day)', positiveInt, 2)
    .addOption(duration('--span <duration>', 'event time the stream covers', 6 * 3_600_000))
    .option('--event-vars <n>', 'numeric variables per event', nonNegativeNumber, 8)
    .addOption(new Option('--format <format>', 'file format').choices(['parquet', 'csv', 'jsonl']).default('parquet'))
    .option('--seed <n>', 'seed', integer, 1)
    .addOption(new Option('--scenario <name>', 'which scenario\'s data: satisfaction (snapshots + events) or messages (events + countries.csv; --customers is the number of users)').choices(['satisfaction', 'messages']).default('satisfaction'))
    .addOption(new Option('--kind <kind>', 'instead: a file in the reviews (TSV) or IoT (CSV) format').choices(['reviews', 'iot']))
    .option('--rows <n>', 'with --kind: number of rows', positiveInt, 10000)
    .option('--shard <i/n>', "write shard i of n of a partitioned dataset (customers/date=.../part-i-of-n and events likewise, split by Kafka's partitioner on customer_id): the same bytes on any machine; the n parts together are the unsharded data", shardSpec)
    .option('--out <file>', 'with --kind: file to write')
    .action(async (flags) => {
      const { genCommand } = await import('./commands/gen.js');
      setExit(await genCommand(flags));
    });

  const chaos = program.command('chaos').description('faults sat drives against a pipeline (and itself)');
  chaos
    .command('kill')
    .description('run a command, SIGKILL it at random moments and restart it N times, then verify: e.g. sat chaos kill --times 10 -- sat run --dir D')
    .argument('<command...>', 'the command to run, after --')
    .addOption(new Option('--every <range>', 'how long after each start to kill, e.g. 200ms..2s').argParser(durationRange).default([500, 2000], '500ms..2s'))
    .option('--times <n>', 'kills before the last start may finish', positiveInt, 5)
    .option('--seed <n>', 'seed for the kill moments', integer, 1)
    .option('--no-verify', 'do not run sat verify at the end')
    .option('--after-checkpoint', 'sat run only: start each kill timer once that start has written a checkpoint (every restart then resumes, however slow the start)')
    .option('--after-records <range>', 'sat run only: kill each start right after it has processed a seeded number of records in this range (counted from that start), e.g. 2000..20000, instead of after a time', countRange)
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (command, flags) => {
      const { chaosKillCommand } = await import('./commands/chaos.js');
      setExit(await chaosKillCommand(command, flags));
    });

  chaos
    .command('proxy')
    .description('a TCP proxy adding latency and jitter, a bandwidth limit and random cuts (the faults Toxiproxy offers)')
    .requiredOption('--target <host:port>', 'where to forward, e.g. 127.0.0.1:9092 or the online API')
    .option('--listen <port>', 'port to listen on (0: any free one)', port, 0)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--latency <range>', 'added latency per chunk, e.g. 5ms..50ms').argParser(durationRange).default([0, 0], 'none'))
    .option('--bandwidth <bytes/s>', 'per direction and connection (0: unlimited)', nonNegativeNumber, 0)
    .option('--cut-rate <p>', 'chance per chunk that the connection is cut', probability, 0)
    .option('--seed <n>', 'seed for the fault draws', integer, 1)
    .option('--json', 'print the listening address and the final stats as JSON on stdout')
    .action(async (flags) => {
      const { chaosProxyCommand } = await import('./commands/chaos.js');
      setExit(await chaosProxyCommand(flags));
    });

  const serve = program.command('serve').description('servers the scenarios need');
  serve
    .command('online')
    .description('the online-features HTTP API on 127.0.0.1, with injectable faults')
    .option('--json', 'print the listening address and the final stats as JSON on stdout')
    .option('--port <n>', 'port (0: any free one)', port, 8787)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--error-rate <p>', 'share of requests answered 503', probability, 0)
    .option('--timeout-rate <p>', 'share of requests never answered', probability, 0)
    .option('--truncate-rate <p>', 'share of responses cut off mid-body', probability, 0)
    .addOption(new Option('--latency <range>', 'added latency, e.g. 20ms or 5ms..200ms').argParser(durationRange).default([0, 0], 'none'))
    .option('--seed <n>', 'seed for the fault draws', integer, 1)
    .option('--max-ids <n>', 'most customer ids per request', positiveInt, 100_000)
    .action(async (flags) => {
      const { serveOnlineCommand } = await import('./commands/serve.js');
      setExit(await serveOnlineCommand(flags));
    });

  program
    .command('diff')
    .description("compare two engines' results (Spark against Flink, either against sat run); with --dir and both engines, judge each side by its own engine's rules to tell a difference the rules allow from a bug")
    .argument('<a>', 'results A: a JSONL, CSV or Parquet file, or a directory (Spark or Flink layout)')
    .argument('<b>', 'results B')
    .option('--dir <dir>', "the replay's working directory (its scenario, and the stream to judge each side against)")
    .option('--scenario <name>', 'scenario, without --dir')
    .option('--map-a <name=column,...>', "A's column names (as verify --map)")
    .option('--map-b <name=column,...>', "B's column names")
    .addOption(new Option('--mode-a <mode>', "A's output mode").choices(['append', 'update']))
    .addOption(new Option('--mode-b <mode>', "B's output mode").choices(['append', 'update']))
    .addOption(new Option('--engine-a <engine>', 'the engine that made A').choices(['sat', 'spark', 'flink', 'kafka-streams']))
    .addOption(new Option('--engine-b <engine>', 'the engine that made B').choices(['sat', 'spark', 'flink', 'kafka-streams']))
    .option('--spark-checkpoint-a <dir>', "A's Spark checkpoint (exact judgement)")
    .option('--spark-checkpoint-b <dir>', "B's Spark checkpoint")
    .option('--flink-watermarks-a <path>', "A's Flink watermark audit (exact judgement)")
    .option('--flink-watermarks-b <path>', "B's Flink watermark audit")
    .option('--tolerance <x>', 'relative tolerance for floating-point aggregates', nonNegativeNumber, 1e-9)
    .option('--json', 'print the comparison as JSON on stdout')
    .action(async (a, b, flags) => {
      const { diffCommand } = await import('./commands/diff.js');
      setExit(await diffCommand(a, b, flags));
    });

  const engine = program.command('engine').description('other engines (Spark, Flink) judged by sat');
  engine
    .command('run')
    .description('run a reference pipeline (engines/) live against a paced replay into Kafka, then verify it exactly (Spark by its checkpoint, Flink by its watermark audit): e.g. sat engine run flink --scenario reviews --brokers 127.0.0.1:9092')
    .argument('<engine>', 'spark or flink')
    .argument('[file]', 'the file to replay (default: the bundled sample of the scenario)')
    .requiredOption('--scenario <name>', 'reviews, iot, messages (generated into --dir; corrupted rows, the daily pivot and top users); on Spark also satisfaction (generated, joined with its snapshots and an online API this command serves)')
    .option('--events <n>', 'satisfaction, messages: events to generate when --dir has none', positiveInt, 8000)
    .option('--dir <dir>', 'working directory (the replay, the ledger, and the job in spark/ or flink/)', '.sat')
    .requiredOption('--brokers <host:port,...>', 'Kafka')
    .option('--topic <name>', 'topic (default: a new one)')
    .option('--rate <n>', 'records per second of the paced replay', positiveNumber, 200)
    .option('--partitions <n>', 'partitions of a new topic', positiveInt, 3)
    .option('--seed <n>', 'seed for the fault mix', integer, 7)
    .option('--bug <name>', 'a seeded bug of the pipeline: no-dedup, local-time-zone, lenient-numbers, window-2x; Spark also no-watermark')
    .addOption(duration('--idle <duration>', 'Spark: stop the job once the stream has ended and no batch ran for this long', 5000))
    .option('--json', 'print the verify report as JSON on stdout')
    .action(async (name, file, flags) => {
      const { engineRunCommand } = await import('./commands/engine-run.js');
      setExit(await engineRunCommand(name, { ...flags, file }));
    });
  engine
    .command('spec')
    .description('the scenario as JSON (fields and types, key, event time, window, watermark, aggregations, filter): what the reference pipelines in engines/ build their jobs from')
    .requiredOption('--scenario <name|file>', 'scenario name (profiles/NAME.yaml) or file')
    .action(async (flags) => {
      const { loadScenario } = await import('../scenario/load.js');
      const { HEADER_END } = await import('../transport/types.js');
      const s = loadScenario(flags.scenario);
      process.stdout.write(`${JSON.stringify({ ...s, path: undefined, endOfStreamHeader: HEADER_END }, null, 2)}\n`);
      setExit(0);
    });

  common(program.command('batch'))
    .description("the batch layer: the scenario's rollups (batch.rollups) over the stream's results, each written as <dir>/batch/<name>.parquet; verify reconciles them with the raw data")
    .option('--scenario <name>', 'scenario (default: the one the replay in --dir used)')
    .option('--results <path>', "the results to roll up: sat run's (default: <dir>/results.jsonl), or another engine's file or directory")
    .option('--map <name=column,...>', "the results' column names, as verify --map")
    .option('--alerts <path>', "the alerts to count, for a rollup with alerts: true (default: <dir>/alerts.jsonl)")
    .option('--snapshots <dir>', 'a score rollup (segment): where the daily batch snapshots are (default: beside the replayed events)')
    .option('--out <dir>', 'where the tables go (default: <dir>/batch)')
    .action(async (flags) => {
      const { batchCommand } = await import('./commands/batch.js');
      setExit(await batchCommand(flags));
    });

  common(program.command('sink'))
    .description("a Kafka run's output topics (results, late rows, dead letters, corrupted rows) as date-partitioned Parquet datasets, exactly once: <out>/results/date=YYYY-MM-DD/part-<partition>-<from>-<to>-<i>.parquet")
    .option('--scenario <name>', 'scenario (default: the one the replay in --dir used)')
    .option('--brokers <host:port,...>', 'Apache Kafka')
    .option('--bootstrap-server <host:port,...>', "the same as --brokers (Kafka's tools' name)")
    .option('-X <key=value>', 'a Kafka client property, repeatable, as kcat -X (security.protocol, sasl.*, ssl.*); over --kafka-config', collect)
    .option('--kafka-config <file>', 'Kafka client properties (security.protocol, sasl.*, ssl.*)')
    .option('--topic <name>', "the run's input topic: its outputs are <topic>-results, -late, -dead-letters, -corrupted")
    .option('--out <dir>', 'where the datasets go (default: --dir)')
    .option('--follow', 'keep reading until stopped (SIGINT/SIGTERM), instead of ending at the offsets committed when it started')
    .option('--flush-records <n>', 'write parts after this many records', positiveInt, 50_000)
    .addOption(duration('--flush-interval <duration>', 'or this long after the first record not yet written', 1000))
    .action(async (flags) => {
      const { sinkCommand } = await import('./commands/sink.js');
      setExit(await sinkCommand(flags));
    });

  const scenarioCmd = program.command('scenario').description('scenarios: write one for your own file');
  scenarioCmd
    .command('infer')
    .description("read a CSV/TSV/Parquet/JSONL file's header and first rows and write a scenario for it: column types, the event-time column and its format, a key, an id, a window (a guess to read and edit)")
    .argument('<file>', 'the data file')
    .option('--rows <n>', 'rows to sample', positiveInt, 1000)
    .option('--zone <iana>', 'the time zone of times without an offset (e.g. America/New_York)')
    .option('--out <file>', 'write the scenario here (and check that it loads) instead of printing it')
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'tsv', 'parquet', 'jsonl']))
    .option('--json', 'print the guesses (columns, key, event time, id, notes) and the YAML as JSON')
    .action(async (file, flags) => {
      const { scenarioInferCommand } = await import('./commands/scenario.js');
      setExit(await scenarioInferCommand(file, flags));
    });

  scenarioCmd
    .command('reference')
    .description('print the scenario reference (every key, its type and default, the formats and grammars) as Markdown: docs/scenario-reference.md')
    .action(async () => {
      const { scenarioReference } = await import('../scenario/reference.js');
      process.stdout.write(scenarioReference());
      setExit(0);
    });

  common(program.command('demo'))
    .description('the whole loop on one machine: data (generated or bundled), replay with every fault kind, run, verify')
    .addOption(new Option('--scenario <name>', 'satisfaction: generated customers, events and online API; reviews, iot: a bundled file').choices(['satisfaction', 'reviews', 'iot']).default('satisfaction'))
    .option('--seed <n>', 'seed for the fault mix', integer, 7)
    .action(async (flags) => {
      const { demoCommand } = await import('./commands/demo.js');
      setExit(await demoCommand(flags));
    });

  addExamples(program);
  return program;
}

/** A duration flag (500ms, 30s, 1h30m; a bare number is milliseconds), its default shown as written. */
function duration(flags: string, description: string, defaultMs?: number): Option {
  const o = new Option(flags, description).argParser(durationMs);
  return defaultMs === undefined ? o : o.default(defaultMs, formatDuration(defaultMs));
}

/** A repeatable flag's values, in order (no default: nothing to show in --help). */
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
