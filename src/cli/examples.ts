import type { Command } from 'commander';

/**
 * Two or three examples per command, printed after its --help (as `k6 run --help` does). Each runs as
 * written in a clone of sat, with the files in datasets/ (test/cli/help.test.ts holds them to that
 * shape: every command has some).
 */
export const EXAMPLES: Record<string, string[]> = {
  replay: [
    'sat replay datasets/reviews-sample.tsv --scenario reviews --rate 5000 --late 0.02 --duplicates 0.01',
    'sat replay datasets/iot-sample.csv --scenario iot --profile spike --malformed 0.01 --dir /tmp/iot',
    'sat replay datasets/iot-sample.csv --scenario iot --bootstrap-server 127.0.0.1:9092 --topic iot --partitions 3',
  ],
  run: [
    'sat run                                   # the replay in .sat, on the embedded log',
    'sat run --dir /tmp/iot --follow --idle-timeout 30s',
    'sat run --bootstrap-server 127.0.0.1:9092 --topic iot --exactly-once --commit-interval 1s',
  ],
  verify: [
    'sat verify                                # sat run\'s results in .sat',
    'sat verify --dir /tmp/iot --html report.html --junit verify.xml',
    'sat verify --actual spark-out/ --engine spark --map window_start=window.start',
  ],
  report: ['sat report', 'sat report --dir /tmp/iot --html report.html'],
  gen: [
    'sat gen --dir /tmp/sat-data --customers 100000 --features 200 --events 1000000',
    'sat gen --dir /tmp/sat-data --customers 100000000 --shard 3/10   # shard 3 of 10, on any machine',
    'sat gen --kind iot --rows 1000000 --out /tmp/iot.csv',
  ],
  'chaos kill': [
    'sat chaos kill --times 10 --every 200ms..2s -- sat run --dir .sat',
    'sat chaos kill --after-records 2000..20000 --times 5 -- sat run --dir .sat',
  ],
  'chaos proxy': [
    'sat chaos proxy --target 127.0.0.1:9092 --listen 19092 --latency 5ms..50ms',
    'sat chaos proxy --target 127.0.0.1:8787 --listen 18787 --cut-rate 0.01 --bandwidth 1000000',
  ],
  batch: ['sat batch                                 # the rollups of sat run\'s results in .sat', 'sat batch --dir /tmp/reviews --results spark-out/ --map window_start=window.start'],
  sink: [
    'sat sink --brokers 127.0.0.1:9092 --topic reviews --dir /tmp/sat-kafka      # results/, late/, dead-letters/ in /tmp/sat-kafka',
    'sat sink --brokers 127.0.0.1:9092 --topic reviews --dir /tmp/sat-kafka --out /data/lake --follow',
  ],
  'scenario infer': [
    'sat scenario infer datasets/iot-sample.csv',
    'sat scenario infer trips.csv --zone America/New_York --out trips.yaml && sat replay trips.csv --scenario trips.yaml',
  ],
  'scenario reference': ['sat scenario reference > docs/scenario-reference.md', 'sat scenario reference | less'],
  'serve online': ['sat serve online', 'sat serve online --port 18787 --error-rate 0.1 --latency 5ms..200ms'],
  diff: [
    'sat diff spark-out/ flink-out/ --dir .sat --engine-a spark --engine-b flink',
    'sat diff .sat/results.jsonl spark-out/ --scenario reviews',
  ],
  'engine run': [
    'sat engine run spark --scenario reviews --brokers 127.0.0.1:9092',
    'sat engine run flink --scenario iot --brokers 127.0.0.1:9092 --bug no-dedup',
  ],
  'engine spec': ['sat engine spec --scenario reviews'],
  demo: ['sat demo', 'sat demo --scenario iot --dir /tmp/sat-demo'],
};

/** Adds each command's examples to its help; every command with an action must have some. */
export function addExamples(program: Command): void {
  const visit = (c: Command, path: string[]) => {
    for (const sub of c.commands) {
      const name = [...path, sub.name()].join(' ');
      const lines = EXAMPLES[name];
      if (lines) sub.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
      visit(sub, [...path, sub.name()]);
    }
  };
  visit(program, []);
}
