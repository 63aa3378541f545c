#!/usr/bin/env bash
# PyFlink 2.2.1 and its Kafka SQL connector in a cache outside the repository (as kafka.sh does for
# the broker): a virtualenv in ~/.cache/sat/flink-venv, the connector's fat jar from Maven Central in
# ~/.cache/sat/flink-jars.
#   scripts/flink.sh install           install (idempotent; about a minute, ~830 MB)
#   scripts/flink.sh run ARGS...       python ARGS... in the venv, with the connector jar at hand
#                                      (SAT_FLINK_JARS: the jar's file:// URL, for pipeline.jars)
set -euo pipefail
CACHE="${SAT_CACHE:-$HOME/.cache/sat}"
VENV="$CACHE/flink-venv"
JARS="$CACHE/flink-jars"
FLINK_VERSION=2.2.1
# The Kafka connector is released apart from Flink: 5.0.0-2.2 is the one built for Flink 2.2.
CONNECTOR=org.apache.flink:flink-sql-connector-kafka:5.0.0-2.2
JAR="$JARS/flink-sql-connector-kafka-5.0.0-2.2.jar"
. "$(dirname "$0")/jvm-tmp.sh"

install() {
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('apache-flink') != '$FLINK_VERSION')" 2>/dev/null; then
    mkdir -p "$CACHE"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "apache-flink==$FLINK_VERSION"
  fi
  if [ ! -f "$JAR" ]; then
    command -v mvn >/dev/null || { echo "flink.sh: mvn not found: install Maven (apt-get install maven)" >&2; exit 3; }
    mkdir -p "$JARS"
    mvn -q -B dependency:copy -Dartifact="$CONNECTOR" -DoutputDirectory="$JARS"
  fi
}

case "${1:-}" in
  install) install; echo "flink.sh: PyFlink $FLINK_VERSION in $VENV, connector in $JAR" ;;
  run)
    shift
    install
    export SAT_FLINK_JARS="file://$JAR"
    # PyFlink puts JVM_ARGS on the command line of the JVM it starts (pyflink_gateway_server.py);
    # TMPDIR is Python's (its gateway's connection folder).
    scratch=$(jvm_tmp flink)
    export TMPDIR="$scratch" JVM_ARGS="${JVM_ARGS:-} -Djava.io.tmpdir=$scratch"
    exec "$VENV/bin/python" "$@" ;;
  *) echo "usage: scripts/flink.sh install | run ARGS..." >&2; exit 2 ;;
esac
