# Sourced by flink.sh and spark.sh: a scratch directory of this run's own for the JVM's
# java.io.tmpdir (and Python's TMPDIR), under the cache rather than /tmp. Flink's gateway leaves a ~20 MB copy of its RPC
# jar (flink-rpc-akka*.jar) and a minicluster_* folder in java.io.tmpdir at every run, lz4-java its
# native library, and nothing removes them; these scripts exec, and an engine killed by
# `sat engine run` gets no chance to clean up. So each run's scratch is named by the script's pid
# (the engine's pid after exec) and the next run removes those of runs no longer alive.
#   jvm_tmp NAME   prints $CACHE/tmp/NAME/$$, made empty; removes the dead runs' folders beside it
jvm_tmp() {
  local root="$CACHE/tmp/$1" d
  mkdir -p "$root"
  for d in "$root"/*; do
    if [ -d "$d" ] && ! kill -0 "${d##*/}" 2>/dev/null; then rm -rf "$d"; fi
  done
  rm -rf "${root:?}/$$" && mkdir -p "$root/$$"
  echo "$root/$$"
}
