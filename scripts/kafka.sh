#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft) for tests and benchmarks, from Maven Central jars.
#   scripts/kafka.sh fetch|up|down|start|restart|kill|status
#   scripts/kafka.sh cluster up|down|status|brokers|kill N|stop N|start N   (three brokers: below)
#   up: a fresh broker (empty data); down: stop it, keeping its data; start: start it again on its
#   data; restart: down then start; kill: SIGKILL (a crash), keeping its data.
# Jars are cached outside the repository in $SAT_KAFKA_HOME (default ~/.cache/sat/kafka-$VERSION);
# the broker listens on 127.0.0.1:$SAT_KAFKA_PORT (default 9092), its data and log under
# $SAT_KAFKA_RUN (default $SAT_KAFKA_HOME/run), so a second broker needs its own port, controller
# port and run folder.
set -euo pipefail

VERSION="${SAT_KAFKA_VERSION:-4.1.1}"
LOG4J="${SAT_LOG4J_VERSION:-2.24.3}"
HOME_DIR="${SAT_KAFKA_HOME:-$HOME/.cache/sat/kafka-$VERSION}"
PORT="${SAT_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${SAT_KAFKA_CONTROLLER_PORT:-9093}"
# With SAT_KAFKA_ADVERTISE_EXTERNAL=HOST:PORT, a second listener (EXTERNAL, on $SAT_KAFKA_EXTERNAL_PORT,
# default PORT+2) tells clients that the broker is at HOST:PORT: a proxy there (sat chaos proxy
# --listen PORT --target 127.0.0.1:EXTERNAL_PORT) then carries every client connection, bootstrap
# and after. The broker's own connections stay on PLAINTEXT.
EXTERNAL_AT="${SAT_KAFKA_ADVERTISE_EXTERNAL:-}"
EXTERNAL_PORT="${SAT_KAFKA_EXTERNAL_PORT:-$((PORT + 2))}"
LIBS="$HOME_DIR/libs"
RUN="${SAT_KAFKA_RUN:-$HOME_DIR/run}"
PIDFILE="$RUN/kafka.pid"

say() { echo "kafka.sh: $*" >&2; }

fetch() {
  if [ -f "$LIBS/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || { say "mvn not found: install Maven (apt-get install maven)"; exit 3; }
  command -v java >/dev/null || { say "java not found: Kafka $VERSION needs Java 17+"; exit 3; }
  mkdir -p "$HOME_DIR" "$LIBS"
  cat > "$HOME_DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sat</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>$LOG4J</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J</version></dependency>
  </dependencies>
</project>
POM
  say "fetching Kafka $VERSION jars from Maven Central into $LIBS"
  (cd "$HOME_DIR" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS")
  # Exactly one SLF4J binding: drop any other backend the tools pulled in.
  find "$LIBS" \( -name 'slf4j-reload4j-*.jar' -o -name 'slf4j-log4j12-*.jar' -o -name 'log4j-slf4j2-impl-*.jar' \) -delete
  touch "$LIBS/.complete"
}

# Why a broker that exited during start did: its first ERROR lines (a port in use, a bad setting)
# and the end of what the JVM printed, from the run folder $1.
why_exited() {
  grep -m 5 -E "ERROR|Address already in use" "$1/logs/server.log" >&2 2>/dev/null || true
  tail -n 20 "$1/logs/stdout.log" >&2 2>/dev/null || true
  if grep -q "Address already in use" "$1/logs/server.log" 2>/dev/null; then
    say "a port the broker listens on is taken (see above): stop what holds it, or pick other ports"
  fi
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

java_cp() { echo "$LIBS/*"; }

# The settings the single broker and the cluster's nodes share, at replication factor $1 and min ISR $2.
shared_props() {
  cat <<PROPS
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=$1
offsets.topic.num.partitions=$1
transaction.state.log.replication.factor=$1
transaction.state.log.min.isr=$2
transaction.state.log.num.partitions=$1
share.coordinator.state.topic.replication.factor=$1
share.coordinator.state.topic.min.isr=$2
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
transaction.max.timeout.ms=900000
num.network.threads=2
num.io.threads=2
PROPS
}

# The broker's log4j2 configuration in $1 (its server.log in $1/logs).
write_log4j() {
  sed "s|\${sys:kafka.logs.dir}|$1/logs|" >"$1/log4j2.yaml" <<'LOG'
Configuration:
  Appenders:
    File: { name: F, fileName: "${sys:kafka.logs.dir}/server.log", PatternLayout: { pattern: "[%d] %p %m (%c)%n" } }
  Loggers:
    Root: { level: INFO, AppenderRef: [ { ref: F } ] }
LOG
}

# Starts a broker JVM (heap $2) on the configuration in $1, in the background; its pid in $1/kafka.pid.
start_java() {
  if [ -f "$1/logs/server.log" ]; then mv "$1/logs/server.log" "$1/logs/server.log.prev"; fi
  # java.io.tmpdir in the run folder: lz4-java unpacks its native library there at every start.
  rm -rf "$1/tmp" && mkdir -p "$1/tmp"
  nohup java -Xms256m -Xmx"$2" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -Djava.awt.headless=true -Djava.io.tmpdir="$1/tmp" -Dlog4j2.configurationFile="$1/log4j2.yaml" -Dkafka.logs.dir="$1/logs" \
    -cp "$(java_cp)" kafka.Kafka "$1/server.properties" >"$1/logs/stdout.log" 2>&1 &
  echo $! >"$1/kafka.pid"
}

up() {
  fetch
  if running; then say "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"; return 0; fi
  rm -rf "$RUN" && mkdir -p "$RUN/data" "$RUN/logs"
  local listeners="PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT"
  local advertised="$listeners"
  if [ -n "$EXTERNAL_AT" ]; then
    listeners="$listeners,EXTERNAL://127.0.0.1:$EXTERNAL_PORT"
    advertised="$advertised,EXTERNAL://$EXTERNAL_AT"
  fi
  cat > "$RUN/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT
log.dirs=$RUN/data
$(shared_props 1 1)
log.cleaner.dedupe.buffer.size=33554432
PROPS
  write_log4j "$RUN"
  local id
  id=$(java -cp "$(java_cp)" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  java -cp "$(java_cp)" -Dlog4j2.configurationFile="$RUN/log4j2.yaml" -Dkafka.logs.dir="$RUN/logs" \
    kafka.tools.StorageTool format -t "$id" -c "$RUN/server.properties" --standalone >"$RUN/logs/format.out" 2>&1 \
    || { say "storage format failed:"; cat "$RUN/logs/format.out" >&2; exit 3; }
  launch
}

# Starts the broker on the data and configuration already in $RUN and waits until it answers.
launch() {
  start_java "$RUN" 512m
  for _ in $(seq 1 120); do
    if grep -q "Kafka Server started" "$RUN/logs/server.log" 2>/dev/null && answers; then
      say "up on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"
      return 0
    fi
    running || { say "broker exited during start:"; why_exited "$RUN"; exit 3; }
    sleep 1
  done
  say "broker did not start within 120 s"; tail -n 30 "$RUN/logs/server.log" >&2 2>/dev/null; exit 3
}

start() {
  if running; then say "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"; return 0; fi
  [ -f "$RUN/server.properties" ] || { up; return 0; }
  fetch
  launch
}

crash() {
  if ! running; then say "not running"; return 0; fi
  kill -9 "$(cat "$PIDFILE")"; rm -f "$PIDFILE"; say "killed (SIGKILL); data kept in $RUN"
}

down() {
  if ! running; then say "not running"; rm -f "$PIDFILE"; return 0; fi
  local pid; pid=$(cat "$PIDFILE")
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; say "stopped"; return 0; }; sleep 1; done
  say "broker did not stop in 60 s; killing it"; kill -9 "$pid" 2>/dev/null || true; rm -f "$PIDFILE"
}

status() {
  if running && answers; then say "running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"; else say "not running"; exit 1; fi
}

# --- A three-broker KRaft cluster (issue 18) -------------------------------------------------------
# scripts/kafka.sh cluster up|down|status|brokers|kill N|stop N|start N|pid N
# Three nodes, each broker and controller (a quorum of three static voters), on 127.0.0.1 ports
# $SAT_CLUSTER_PORT (default 29092; 19092 is the broker-restart test's own broker), +100 and +200
# for clients, each +1 for its controller; data under $SAT_KAFKA_HOME/cluster/node-N. Topics default to replication factor 3 with min.insync.replicas=2,
# so one broker may die without a write being refused or a committed record lost; unclean leader
# election is off, so a lagging replica never becomes leader. Heap 384 MB each (2 cores, 24 GB).
CLUSTER_BASE="${SAT_CLUSTER_PORT:-29092}"
CLUSTER_DIR="${SAT_CLUSTER_DIR:-$HOME_DIR/cluster}"
node_port() { echo $((CLUSTER_BASE + ($1 - 1) * 100)); }
node_run() { echo "$CLUSTER_DIR/node-$1"; }
cluster_brokers() { echo "127.0.0.1:$(node_port 1),127.0.0.1:$(node_port 2),127.0.0.1:$(node_port 3)"; }

node_props() {
  local n=$1 port; port=$(node_port "$n")
  local voters="1@127.0.0.1:$(( $(node_port 1) + 1 )),2@127.0.0.1:$(( $(node_port 2) + 1 )),3@127.0.0.1:$(( $(node_port 3) + 1 ))"
  cat <<PROPS
process.roles=broker,controller
node.id=$n
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.quorum.voters=$voters
log.dirs=$(node_run "$n")/data
$(shared_props 3 2)
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
replica.lag.time.max.ms=10000
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
num.replica.fetchers=1
log.cleaner.dedupe.buffer.size=16777216
PROPS
}

node_running() { local f; f="$(node_run "$1")/kafka.pid"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }
node_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$(node_port "$1")") 2>/dev/null; }

node_launch() {
  local n=$1 run; run=$(node_run "$n")
  if node_running "$n"; then return 0; fi
  start_java "$run" 384m
}

# Waits until the given nodes have started and answer (a node starts once a quorum of controllers is up).
node_wait() {
  for _ in $(seq 1 180); do
    local all=1
    for n in "$@"; do
      node_running "$n" || { say "node $n exited during start:"; why_exited "$(node_run "$n")"; exit 3; }
      if ! { grep -q "Kafka Server started" "$(node_run "$n")/logs/server.log" 2>/dev/null && node_answers "$n"; }; then all=0; fi
    done
    if [ $all = 1 ]; then say "nodes $* up ($(cluster_brokers))"; return 0; fi
    sleep 1
  done
  say "nodes $* did not start within 180 s"; exit 3
}

cluster_up() {
  fetch
  for n in 1 2 3; do if node_running "$n"; then say "cluster already running ($(cluster_brokers))"; return 0; fi; done
  rm -rf "$CLUSTER_DIR"
  local id; id=$(java -cp "$(java_cp)" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  for n in 1 2 3; do
    local run; run=$(node_run "$n")
    mkdir -p "$run/data" "$run/logs"
    node_props "$n" >"$run/server.properties"
    write_log4j "$run"
    java -cp "$(java_cp)" -Dlog4j2.configurationFile="$run/log4j2.yaml" -Dkafka.logs.dir="$run/logs" \
      kafka.tools.StorageTool format -t "$id" -c "$run/server.properties" >"$run/logs/format.out" 2>&1 \
      || { say "storage format of node $n failed:"; cat "$run/logs/format.out" >&2; exit 3; }
  done
  for n in 1 2 3; do node_launch "$n"; done
  node_wait 1 2 3
}

node_kill() {
  local n=$1 f; f="$(node_run "$n")/kafka.pid"
  if ! node_running "$n"; then say "node $n not running"; return 0; fi
  kill -9 "$(cat "$f")"; rm -f "$f"; say "node $n killed (SIGKILL); data kept"
}

node_stop() {
  local n=$1 f pid; f="$(node_run "$n")/kafka.pid"
  if ! node_running "$n"; then rm -f "$f"; return 0; fi
  pid=$(cat "$f"); kill "$pid"
  # 20 s: the last nodes of a cluster stopping together cannot finish a controlled shutdown (no quorum).
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || { rm -f "$f"; say "node $n stopped"; return 0; }; sleep 1; done
  kill -9 "$pid" 2>/dev/null || true; rm -f "$f"; say "node $n did not stop in 20 s; killed"
}

cluster() {
  local what="${1:-}" n="${2:-}"
  case "$what" in
    up) cluster_up ;;
    # All at once: the last node alone cannot finish a controlled shutdown (no controller quorum left).
    down) for i in 1 2 3; do node_stop "$i" & done; wait ;;
    status) local up=0; for i in 1 2 3; do if node_running "$i" && node_answers "$i"; then up=$((up + 1)); say "node $i running on 127.0.0.1:$(node_port "$i")"; else say "node $i down"; fi; done; [ $up -gt 0 ] || exit 1 ;;
    brokers) cluster_brokers ;;
    kill|stop|start|pid)
      [[ "$n" =~ ^[123]$ ]] || { echo "usage: scripts/kafka.sh cluster $what 1|2|3" >&2; exit 2; }
      case "$what" in
        kill) node_kill "$n" ;;
        stop) node_stop "$n" ;;
        start) [ -f "$(node_run "$n")/server.properties" ] || { say "no cluster to start node $n in: scripts/kafka.sh cluster up"; exit 3; }; fetch; node_launch "$n"; node_wait "$n" ;;
        pid) node_running "$n" && cat "$(node_run "$n")/kafka.pid" ;;
      esac ;;
    *) echo "usage: scripts/kafka.sh cluster up|down|status|brokers|kill N|stop N|start N|pid N" >&2; exit 2 ;;
  esac
}

# The jar folder, for tools run from the benchmark (ProducerPerformance, ConsumerPerformance).
classpath() { fetch; java_cp; }

case "${1:-}" in
  fetch) fetch ;;
  up) up ;;
  down) down ;;
  start) start ;;
  restart) down; start ;;
  kill) crash ;;
  status) status ;;
  classpath) classpath ;;
  cluster) shift; cluster "$@" ;;
  *) echo "usage: scripts/kafka.sh fetch|up|down|start|restart|kill|status|classpath|cluster ..." >&2; exit 2 ;;
esac
