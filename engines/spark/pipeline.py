"""sat's reference Spark Structured Streaming pipeline, built from a scenario spec (`sat engine spec`).

Written as a Spark user would: read the Kafka topic, validate each record, take the event time,
`withWatermark`, `dropDuplicatesWithinWatermark` on the scenario's id, a tumbling or sliding
`window` per key, the scenario's aggregates, append mode into JSON files, with a checkpoint that
`sat verify --engine spark --spark-checkpoint DIR` reads to cut the stream into Spark's real
micro-batches. Two things a finite test stream needs, explained where they are done:
  * the end-of-stream markers sat's replay puts at the end of every partition get a far-future event
    time, so the last watermark passes every window and append mode emits them all; they are then
    filtered out *on the event-time column* (a filter on another column is pushed below the
    watermark by Spark's optimizer, and the markers would never move it);
  * records sat would dead-letter (not UTF-8, not a JSON object, a missing or unexpected field, a
    wrong type, an unparseable event time) are dropped here by a validator that follows sat's
    contract (README "Judging Spark"); Spark's own `from_json` is more lenient (it turns a wrong type
    into NULL and keeps the row).

Scored scenarios (satisfaction) join and score in foreachBatch (engines/spark/scoring.py); scenarios
with reports (messages) split corrupted rows off to their own query (--corrupted) and, once the
stream has ended, write the daily pivot and the top users from a batch read of the topic
(engines/spark/reports.py).

--bug NAME seeds a known mistake, for the tests that show verify naming it:
  no-dedup            no dropDuplicatesWithinWatermark
  local-time-zone     spark.sql.session.timeZone left at a non-UTC zone (dates shift)
  lenient-numbers     a numeric field that does not parse becomes NULL and the row is kept
  window-2x           windows twice the scenario's size
  no-watermark        no withWatermark: append mode refuses an aggregation without one, so the results
                      go out in update mode through foreachBatch (every batch's changed rows; verify
                      with --output-mode update), and dropDuplicates keeps every id forever
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from contract import FAR_FUTURE_MS, make_validator  # noqa: E402  (shared with the Flink pipeline)

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

def condition(c):
    col = F.col(f"n.`{c['field']}`")
    op = c["op"]
    if op == "between":
        return col.between(c["value"], c["value2"])
    return {"<": col < c["value"], "<=": col <= c["value"], ">": col > c["value"], ">=": col >= c["value"], "==": col == c["value"], "!=": col != c["value"]}[op]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", required=True, help="the scenario as JSON (sat engine spec --scenario NAME)")
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--out", required=True, help="results directory (JSON files)")
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--dead-letters", help="write the records the validator refused here (JSON: partition, offset), as a second query")
    ap.add_argument("--max-offsets-per-trigger", type=int, default=0, help="cut the available records into micro-batches of about this many (0: one batch)")
    ap.add_argument("--trigger", choices=["available-now", "continuous-until-idle"], default="available-now")
    ap.add_argument("--idle-seconds", type=float, default=20.0, help="continuous-until-idle: stop once no new batch has run for this long after the end markers")
    ap.add_argument("--snapshots", help="scored scenarios: the directory of the daily snapshots (customers-YYYY-MM-DD.*)")
    ap.add_argument("--online", help="scored scenarios: the online-features API (sat serve online), e.g. http://127.0.0.1:8787")
    ap.add_argument("--actions", help="scored scenarios: where the action records go (JSON)")
    ap.add_argument("--corrupted", help="scenarios with reports: (partition, offset) of the corrupted rows, a stateless query")
    ap.add_argument("--pivot", help="scenarios with reports: the daily pivot (JSON lines), by a batch query once the stream has ended")
    ap.add_argument("--top-users", help="scenarios with reports: the top users per key (JSON lines), likewise")
    ap.add_argument("--countries", help="scenarios with reports: the country table (CSV)")
    ap.add_argument("--bug", choices=["no-dedup", "local-time-zone", "lenient-numbers", "window-2x", "no-watermark"])
    a = ap.parse_args()
    spec = json.load(open(a.spec))

    spark = (
        SparkSession.builder.appName(f"sat-{spec['name']}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.streaming.numRecentProgressUpdates", "100000")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    # The UDF's Python workers import the contract module too.
    spark.sparkContext.addPyFile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common", "contract.py"))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # scoring.py and reports.py
    spark.sparkContext.addPyFile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "reports.py"))

    validate = make_validator(spec, a.bug)
    numeric = [f["name"] for f in spec["fields"] if f["type"] in ("int", "float")]
    reports = spec.get("reports")
    if reports:
        from contract import rep_values
        from reports import write_reports
    rep_type = T.StructType([T.StructField("corrupted", T.BooleanType()), T.StructField("pivot", T.StringType()), T.StructField("user", T.StringType()), T.StructField("country", T.StringType())])
    schema = T.StructType([
        T.StructField("k", T.StringType()),
        T.StructField("et", T.LongType()),
        T.StructField("id", T.StringType()),
        T.StructField("n", T.StructType([T.StructField(n, T.DoubleType()) for n in numeric])),
        *([T.StructField("rep", rep_type)] if reports else []),
    ])

    @F.udf(returnType=schema)
    def parse(raw):
        r = validate(raw)
        if r is None:
            return None
        return (r[0], r[1], r[2], tuple(r[3][n] for n in numeric), *([rep_values(spec, r[4])] if reports else []))

    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", a.brokers)
        .option("subscribe", a.topic)
        .option("startingOffsets", "earliest")
        .option("includeHeaders", "true")
        .option("failOnDataLoss", "false")
    )
    if a.max_offsets_per_trigger > 0:
        reader = reader.option("maxOffsetsPerTrigger", a.max_offsets_per_trigger)
    raw = reader.load()

    is_end = F.exists(F.coalesce(F.col("headers"), F.array()), lambda h: h["key"] == spec["endOfStreamHeader"])
    rows = raw.select(F.col("partition"), F.col("offset"), is_end.alias("end"), parse(F.col("value")).alias("r"))
    valid = rows.where(F.col("end") | F.col("r").isNotNull()).select(
        F.col("end"),
        F.when(F.col("end"), F.timestamp_millis(F.lit(FAR_FUTURE_MS))).otherwise(F.timestamp_millis(F.col("r.et"))).alias("et"),
        F.col("r.k").alias("k"),
        F.col("r.id").alias("id"),
        F.col("r.n").alias("n"),
        *([F.col("r.rep.corrupted").alias("corrupted")] if reports else []),
    )
    delay_ms = spec["watermarkDelay"]
    if a.bug == "no-watermark":
        stream = valid.dropDuplicates(["id"])
    else:
        stream = valid.withWatermark("et", f"{delay_ms} milliseconds")
        if a.bug != "no-dedup":
            stream = stream.dropDuplicatesWithinWatermark(["id"])
    # Drop the markers by their event time: this stays above the watermark operator.
    stream = stream.where(F.col("et") < F.timestamp_millis(F.lit(FAR_FUTURE_MS)))
    if reports:
        # Corrupted rows (valid JSON, the marker field says so) go to their own output, never into a
        # window. Split off after the dedup, as the scenario's filter is: their ids (the marker field
        # is part of the id) never meet a valid row's.
        stream = stream.where(~F.col("corrupted"))
    for c in spec["filter"]:
        stream = stream.where(condition(c))

    w = spec["window"]
    size = w["size"] * (2 if a.bug == "window-2x" else 1)
    win = F.window("et", f"{size} milliseconds", f"{w['slide'] if w['kind'] == 'sliding' else size} milliseconds")
    aggs = []
    for g in spec["aggregations"]:
        if g["op"] not in ("count", "sum", "avg", "min", "max"):
            sys.exit(f"scenario {spec['name']}: {g['op']}() is not in the reference Spark pipeline (count, sum, avg, min, max)")
        col = F.col(f"n.`{g['field']}`") if g.get("field") else None
        aggs.append({"count": lambda c: F.count(F.lit(1)), "sum": F.sum, "avg": F.avg, "min": F.min, "max": F.max}[g["op"]](col).alias(g["name"]))
    active = w.get("emit") == "active"
    if active:
        # emit: active: a result only for a window with a record in its last slide (the latest event
        # time in the window is at or after end - slide); a filter after the aggregation, which
        # append mode allows.
        aggs.append(F.max("et").alias("__max_et"))
    out = stream.groupBy(win.alias("window"), F.col("k")).agg(*aggs)
    if active:
        out = out.where(F.unix_millis("__max_et") >= F.unix_millis("window.end") - w["slide"])
    out = out.select(
        F.col("window.start").alias("window_start"), F.col("window.end").alias("window_end"), F.col("k").alias("key"), *[g["name"] for g in spec["aggregations"]]
    )

    scorer = None
    if spec.get("score"):
        if not (a.snapshots and a.online and a.actions):
            ap.error(f"scenario {spec['name']} is scored: give --snapshots, --online and --actions")
        from scoring import make_scorer

        score_batch, scorer = make_scorer(spark, spec, [g["name"] for g in spec["aggregations"]], a.snapshots, a.online, a.out, a.actions)
        writer = out.writeStream.outputMode("append").foreachBatch(score_batch).option("checkpointLocation", a.checkpoint)
    elif a.bug == "no-watermark":
        # Each batch's changed rows into its own folder, named so that they sort in batch order.
        def write_batch(df, batch_id):
            df.write.mode("overwrite").json(os.path.join(a.out, f"batch-{batch_id:06d}"))

        writer = out.writeStream.outputMode("update").foreachBatch(write_batch).option("checkpointLocation", a.checkpoint)
    else:
        writer = out.writeStream.format("json").outputMode("append").option("path", a.out).option("checkpointLocation", a.checkpoint)
    # Side outputs: stateless queries of their own (their batches do not matter to the verdict), the
    # (partition, offset) of each dead letter and of each corrupted row.
    def positions(where, path, name):
        return (rows.where(where).select("partition", "offset").writeStream.format("json").outputMode("append")
                .option("path", path).option("checkpointLocation", f"{a.checkpoint}-{name}"))

    sides = []
    if a.dead_letters:
        sides.append(positions(~F.col("end") & F.col("r").isNull(), a.dead_letters, "dead-letters"))
    if reports and a.corrupted:
        sides.append(positions(~F.col("end") & F.col("r").isNotNull() & F.col("r.rep.corrupted"), a.corrupted, "corrupted"))
    if a.trigger == "available-now":
        side_queries = [x.trigger(availableNow=True).start() for x in sides]
        q = writer.trigger(availableNow=True).start()
        q.awaitTermination()
        for x in side_queries:
            x.awaitTermination()
    else:
        import time

        side_queries = [x.trigger(processingTime="1 second").start() for x in sides]
        q = writer.trigger(processingTime="1 second").start()
        print(json.dumps({"started": True}), flush=True)  # sat engine run starts the replay now
        last = time.time()
        seen = -1
        while q.isActive:
            p = q.lastProgress
            if p is not None and p["batchId"] != seen:
                seen, last = p["batchId"], time.time()
            # Done once the watermark has passed every window (the end markers arrived) and nothing new ran.
            wm = (p or {}).get("eventTime", {}).get("watermark")
            ended = (wm and wm.startswith("9999")) or (a.bug == "no-watermark" and seen >= 0)
            if ended and time.time() - last > a.idle_seconds:
                for x in side_queries:
                    x.processAllAvailable()  # every side record written before stopping
                    x.stop()
                q.stop()
            time.sleep(0.5)
    if reports and a.pivot and a.top_users:
        # The batch side, once the stream has ended: the whole topic read again in one batch query.
        batch = (spark.read.format("kafka").option("kafka.bootstrap.servers", a.brokers).option("subscribe", a.topic)
                 .option("startingOffsets", "earliest").option("endingOffsets", "latest").option("includeHeaders", "true").load())
        batch_rows = batch.select(F.col("partition"), F.col("offset"), is_end.alias("end"), parse(F.col("value")).alias("r"))
        write_reports(spark, spec, batch_rows, a.countries or "", a.pivot, a.top_users)
    # For benchmarks: the time the batches took (Spark's own start-up left out) and the rows they read.
    progress = q.recentProgress
    print(json.dumps({
        "batches": len(progress),
        "rows": sum(p["numInputRows"] for p in progress),
        "batchMs": sum(p["durationMs"].get("triggerExecution", 0) for p in progress),
        "out": a.out,
        **({"onlineRequests": scorer.requests, "onlineFailedAttempts": scorer.failed_attempts, "onlineGivenUp": scorer.given_up} if scorer else {}),
    }))


if __name__ == "__main__":
    main()
