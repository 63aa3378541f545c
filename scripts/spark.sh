#!/usr/bin/env bash
# PySpark 4.2.0 and its Kafka connector in a cache outside the repository (as kafka.sh does for the
# broker): a virtualenv in ~/.cache/sat/spark-venv, the connector's jars resolved from Maven Central
# into ~/.cache/sat/ivy on first use.
#   scripts/spark.sh install           install (idempotent)
#   scripts/spark.sh submit ARGS...    spark-submit with the Kafka connector
set -euo pipefail
CACHE="${SAT_CACHE:-$HOME/.cache/sat}"
VENV="$CACHE/spark-venv"
PYSPARK_VERSION=4.2.0
# 4.2.0: the newest Spark with a Kafka connector on Maven Central (4.3.0 has none).
PACKAGES="org.apache.spark:spark-sql-kafka-0-10_2.13:$PYSPARK_VERSION"
. "$(dirname "$0")/jvm-tmp.sh"

install() {
  if [ -x "$VENV/bin/spark-submit" ] && "$VENV/bin/python" -c "import pyspark, sys; sys.exit(pyspark.__version__ != '$PYSPARK_VERSION')" 2>/dev/null; then return; fi
  mkdir -p "$CACHE"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "pyspark==$PYSPARK_VERSION"
}

case "${1:-}" in
  install) install; echo "spark.sh: PySpark $PYSPARK_VERSION in $VENV" ;;
  submit)
    shift
    install
    export PYSPARK_PYTHON="$VENV/bin/python"
    # TMPDIR is Python's (its gateway's connection folder), java.io.tmpdir the driver JVM's.
    scratch=$(jvm_tmp spark)
    export TMPDIR="$scratch"
    exec "$VENV/bin/spark-submit" --master 'local[2]' --packages "$PACKAGES" --conf "spark.jars.ivy=$CACHE/ivy" \
      --driver-java-options "-Djava.io.tmpdir=$scratch" --conf "spark.local.dir=$scratch" \
      --conf spark.driver.memory=1g --conf spark.sql.streaming.noDataMicroBatches.enabled=true "$@" ;;
  *) echo "usage: scripts/spark.sh install | submit ARGS..." >&2; exit 2 ;;
esac
