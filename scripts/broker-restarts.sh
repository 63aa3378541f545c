#!/usr/bin/env bash
# Broker restarts under load: a paced replay and an exactly-once sat run go on while their broker is
# taken down N times (alternately SIGKILLed and stopped cleanly) and started again on its data; then
# sat verify. The broker is this script's own (port 19092, its own data folder), not the one on 9092.
# Usage: scripts/broker-restarts.sh [RESTARTS] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10}
RATE=${2:-1000}
export SAT_KAFKA_PORT=${SAT_KAFKA_PORT:-19092} SAT_KAFKA_CONTROLLER_PORT=${SAT_KAFKA_CONTROLLER_PORT:-19093}
D=$(mktemp -d)
export SAT_KAFKA_RUN="$D/broker"
BROKER=127.0.0.1:$SAT_KAFKA_PORT
trap 'bash scripts/kafka.sh down >/dev/null 2>&1 || true; rm -rf "$D"' EXIT
bash scripts/kafka.sh up
# Enough records to stream through every restart (about 25 s each, including the wait before it).
ROWS=$((RATE * (N * 25 + 10)))
bin/sat gen --kind reviews --rows "$ROWS" --out "$D/reviews.tsv" --seed 21 >/dev/null
T=restarts-$$
started=$(date +%s)
bin/sat replay "$D/reviews.tsv" --scenario reviews --dir "$D/run" --malformed 0.02 --late 0.05 --duplicates 0.03 --out-of-order 0.05 --seed 7 \
  --brokers "$BROKER" --topic "$T" --partitions 4 --rate "$RATE" --no-progress --json >"$D/replay.json.out" 2>"$D/replay.err" &
REPLAY=$!
while [ ! -f "$D/run/replay.json" ]; do sleep 0.2; done  # the topic exists once replay has begun sending
bin/sat run --scenario reviews --dir "$D/run" --brokers "$BROKER" --topic "$T" --exactly-once --commit-interval 300 --json >"$D/run.json.out" 2>"$D/run.err" &
RUN=$!
for i in $(seq 1 "$N"); do
  sleep $((3 + RANDOM % 4))
  if [ $((i % 2)) -eq 1 ]; then how=kill; else how=down; fi
  t0=$(date +%s.%N)
  bash scripts/kafka.sh "$how" 2>&1 | sed "s/^/restart $i: /"
  sleep 1
  bash scripts/kafka.sh start 2>&1 | sed "s/^/restart $i: /"
  echo "restart $i ($how): broker back after $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s"
done
wait $REPLAY || { echo "replay failed:"; tail -5 "$D/replay.err"; exit 1; }
wait $RUN || { echo "run failed:"; tail -5 "$D/run.err"; exit 1; }
echo "replay: $(tail -1 "$D/replay.json.out" | node -e 'const s=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(`${s.sent} sent, achieved ${s.achievedRate}/s of ${s.targetRate}/s, up to ${s.behindScheduleMs} ms behind, latency max ${s.latency.max} ms`)')"
echo "run: $(tail -1 "$D/run.json.out" | node -e 'const s=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(`${s.records} records processed, ${s.commits} commits, ${s.rebalances} rebalances`)')"
grep -c "replacing it" "$D/run.err" | sed 's/^/consumer replacements: /' || true
bin/sat verify --dir "$D/run" --json | tail -1 | node -e 'const v=JSON.parse(require("fs").readFileSync(0,"utf8"));const c=v.counts;console.log(`verify: ${v.pass?"PASS":"FAIL"}; sent ${c.records_sent}, lost ${c.records_lost}, double-counted ${c.records_double_counted}, results repeated ${c.results_repeated}, dead-lettered ${c.dead_lettered}/${c.dead_letters_expected}, late ${c.late_output}/${c.late_expected}`);process.exitCode=v.pass?0:1'
echo "$N broker restarts in $(( $(date +%s) - started )) s"
