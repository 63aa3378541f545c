"""The messages scenario's reports for the reference Spark pipeline: the batch side (Lambda).

After the stream has ended, a batch query reads the same topic (`spark.read.format("kafka")`,
earliest to latest), keeps the records sat's contract accepts that are not corrupted, whatever their
lateness, deduplicates them on the scenario's id keeping the earliest event time (the first sent on
a tie: the lowest offset; copies of an id share a key, so a partition), and writes
  * the daily pivot: a row per (day, key) with a count per value of the pivot field;
  * the top users: the N most active users per key (ties by name) with the country of their
    earliest event, joined from the country table (a static CSV);
as JSON lines, one file each (the reports are small: collected to the driver).
"""

import json
import os

from pyspark.sql import Window
from pyspark.sql import functions as F


def write_reports(spark, spec, rows, countries_file, pivot_out, top_out):
    """rows: the topic read in batch, with the parsed record `r` (k, et, rep) and partition, offset."""
    r = spec["reports"]
    kept = rows.where(F.col("r").isNotNull() & ~F.col("end") & ~F.col("r.rep.corrupted"))
    first = Window.partitionBy("r.id").orderBy(F.col("r.et"), F.col("partition"), F.col("offset"))
    base = kept.withColumn("__rk", F.row_number().over(first)).where(F.col("__rk") == 1).select(
        F.col("r.k").alias("k"), F.col("r.et").alias("et"), F.col("partition"), F.col("offset"),
        F.col("r.rep.pivot").alias("pv"), F.col("r.rep.user").alias("usr"), F.col("r.rep.country").alias("cid"),
    ).cache()

    day = F.date_format(F.timestamp_millis("et"), "yyyy-MM-dd")
    pivot = base.groupBy(day.alias("day"), "k").pivot("pv").count()
    with open(pivot_out, "w") as out:
        for row in pivot.orderBy("day", "k").collect():
            d = row.asDict()
            line = {"day": d.pop("day"), spec["key"]: d.pop("k")}
            line.update({v: n for v, n in d.items() if v is not None and n is not None})
            out.write(json.dumps(line) + "\n")

    users = base.groupBy("k", "usr").agg(
        F.count(F.lit(1)).alias("events"),
        F.min_by("cid", F.struct("et", "partition", "offset")).alias("cid"),
    )
    ranked = users.withColumn("rank", F.row_number().over(Window.partitionBy("k").orderBy(F.col("events").desc(), F.col("usr"))))
    top = ranked.where(F.col("rank") <= r["topUsers"]["n"])
    country_name = r["countries"]["name"] if r.get("countries") else "country"
    if r.get("countries") and os.path.exists(countries_file):
        c = spark.read.option("header", True).csv(countries_file).select(
            F.col(r["countries"]["key"]).cast("string").alias("cid"), F.col(r["countries"]["name"]).cast("string").alias("__country"))
        top = top.join(F.broadcast(c), "cid", "left")
    else:
        top = top.withColumn("__country", F.lit(None).cast("string"))
    with open(top_out, "w") as out:
        for row in top.orderBy("k", "rank").collect():
            out.write(json.dumps({spec["key"]: row["k"], "rank": row["rank"], r["topUsers"]["field"]: row["usr"], "events": row["events"], country_name: row["__country"]}) + "\n")
    base.unpersist()
