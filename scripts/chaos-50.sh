#!/usr/bin/env bash
# The reliability bar: 50 SIGKILLs of sat run at random moments on a real dataset, with the embedded
# log and with Kafka (exactly-once), each followed by restart and, at the end, sat verify.
# Usage: scripts/chaos-50.sh [KILLS]   (needs ../shared/datasets; Kafka part needs scripts/kafka.sh up)
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS=${1:-50}
DATA=../shared/datasets/reviews/giftcard+digital_software_10834_noheader__James-Leste.tsv
[ -f "$DATA" ] || { echo "chaos-50: $DATA not found" >&2; exit 2; }
FAULTS="--malformed 0.02 --late 0.05 --duplicates 0.03 --out-of-order 0.05 --seed 7"
D=$(mktemp -d)
echo "== embedded log: $KILLS kills while a paced replay streams (the run follows it)"
bin/sat replay "$DATA" --scenario reviews --dir "$D/log" $FAULTS --rate 400 --no-progress 2>/dev/null >/dev/null &
REPLAY=$!
while [ ! -f "$D/log/replay.json" ]; do sleep 0.05; done
bin/sat chaos kill --every 150ms..600ms --times "$KILLS" --seed 11 --json -- sat run --dir "$D/log" --follow --idle-timeout 3000 --checkpoint-every 500 --checkpoint-interval 200ms | tail -1
wait $REPLAY
if bin/sat chaos kill --help >/dev/null && node -e "require('net').connect(9092,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then
  echo "== Kafka, exactly-once: $KILLS kills"
  T=sat-chaos50-$$
  # Paced, beside the run: a member restarts in about a second, and the whole file takes the run
  # less than that, so replayed beforehand it would end before most of the kills.
  bin/sat replay "$DATA" --scenario reviews --dir "$D/kafka" $FAULTS --brokers 127.0.0.1:9092 --topic "$T" --partitions 4 --rate "$((11166 / (KILLS * 2) + 1))" --no-progress 2>/dev/null >/dev/null &
  REPLAY=$!
  while [ ! -f "$D/kafka/replay.json" ]; do sleep 0.05; done
  bin/sat chaos kill --every 500ms..3s --times "$KILLS" --seed 12 --json -- sat run --dir "$D/kafka" --brokers 127.0.0.1:9092 --topic "$T" --exactly-once --commit-interval 200 | tail -1
  wait $REPLAY
else
  echo "(no broker on 127.0.0.1:9092: Kafka part skipped)"
fi
rm -rf "$D"
