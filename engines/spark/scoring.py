"""The satisfaction scenario's joins and score for the reference Spark pipeline (foreachBatch).

Each micro-batch's fired windows (append mode: final) are joined with the newest daily snapshot
(a static DataFrame, the columns the formula reads) and with the online features of their minute,
fetched in bulk from the API (POST /online {minute, customers}, `join.online.batch_size` ids a
request, `concurrency` at a time, each with a timeout and retries with backoff); the formula runs as
Spark SQL (`F.expr`: it is a subset of SQL with SQL's NULL rules), clamped to the range; an input that
could not be had is listed in `missing` and nothing is invented. Each result under a threshold gets
one action, the lowest threshold it is under. Output per batch in its own folder (batch-NNNNNN),
written with overwrite: a batch Spark runs again after a crash replaces its own files.
"""

import json
import os
import re
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from pyspark.sql import functions as F
from pyspark.sql import types as T

REF = re.compile(r"\b(batch|online)\.([a-z_][a-z0-9_]*)")


def newest_snapshot(directory, prefix):
    """(day, path) of the newest <prefix>-YYYY-MM-DD.{parquet,csv,jsonl}, or None."""
    pat = re.compile(rf"^{re.escape(prefix)}-(\d{{4}}-\d{{2}}-\d{{2}})\.(parquet|csv|jsonl)$")
    found = sorted((m[1], os.path.join(directory, n)) for n in os.listdir(directory) if (m := pat.match(n)))
    return found[-1] if found else None


class OnlineClient:
    def __init__(self, url, cfg):
        self.url = url.rstrip("/") + "/online"
        self.batch_size = cfg["batchSize"]
        self.concurrency = cfg["concurrency"]
        self.timeout = cfg["timeoutMs"] / 1000
        self.retries = cfg["retries"]
        self.requests = 0
        self.failed_attempts = 0
        self.given_up = 0

    def _attempt(self, minute, ids):
        body = json.dumps({"minute": minute, "customers": ids}).encode()
        req = urllib.request.Request(self.url, data=body, headers={"content-type": "application/json"}, method="POST")
        self.requests += 1
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                features = json.loads(res.read()).get("features")
                return features if isinstance(features, dict) else None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError):
            return None  # 5xx, timeout, refused, cut off or not JSON: the attempt failed

    def _batch(self, minute, ids):
        for attempt in range(self.retries + 1):
            if attempt > 0:
                time.sleep(0.05 * 2 ** (attempt - 1))
            got = self._attempt(minute, ids)
            if got is not None:
                return got
            self.failed_attempts += 1
        self.given_up += 1
        return {}  # these customers' online inputs are missing

    def fetch(self, minute, ids):
        chunks = [ids[i:i + self.batch_size] for i in range(0, len(ids), self.batch_size)]
        out = {}
        with ThreadPoolExecutor(self.concurrency) as pool:
            for got in pool.map(lambda c: self._batch(minute, c), chunks):
                out.update(got)
        return out


def make_scorer(spark, spec, aggregate_names, snapshots_dir, online_url, out, actions_out):
    score = spec["score"]
    lo, hi = score["range"]
    refs = REF.findall(score["formula"])
    batch_cols = sorted({n for s, n in refs if s == "batch"})
    online_cols = sorted({n for s, n in refs if s == "online"})
    formula = REF.sub(lambda m: f"`{m[1]}__{m[2]}`", score["formula"])

    snap = None
    day = None
    if score.get("batch"):
        found = newest_snapshot(snapshots_dir, score["batch"]["prefix"])
        if found is None:
            raise SystemExit(f"no {score['batch']['prefix']}-YYYY-MM-DD snapshot in {snapshots_dir}")
        day, path = found
        reader = spark.read.parquet if path.endswith(".parquet") else (spark.read.option("header", True).csv if path.endswith(".csv") else spark.read.json)
        snap = F.broadcast(reader(path).select(
            F.col(score["batch"]["key"]).cast("string").alias("key"),
            *[F.col(c).cast("double").alias(f"batch__{c}") for c in batch_cols],
            F.lit(True).alias("__in_batch"),
        ).cache())
    client = OnlineClient(online_url, score["online"]) if score.get("online") else None
    online_schema = T.StructType([T.StructField("key", T.StringType()), T.StructField("__minute", T.LongType()), T.StructField("__online", T.BooleanType())]
                                 + [T.StructField(f"online__{c}", T.DoubleType()) for c in online_cols])

    def score_batch(df, batch_id):
        df = df.withColumn("__minute", F.expr("unix_millis(window_end) div 60000")).cache()
        j = df
        if client is not None:
            by_minute = {}
            for r in df.select("key", "__minute").collect():
                by_minute.setdefault(r["__minute"], set()).add(r["key"])
            rows = []
            for minute, ids in sorted(by_minute.items()):
                for k, f in client.fetch(minute, sorted(ids)).items():
                    rows.append((k, minute, True, *[None if f.get(c) is None else float(f[c]) for c in online_cols]))
            j = j.join(spark.createDataFrame(rows, online_schema), ["key", "__minute"], "left")
        if snap is not None:
            j = j.join(snap, "key", "left")
        raw = F.expr(formula).cast("double")
        j = j.withColumn("score", F.when(raw.isNull() | F.isnan(raw), F.lit(None).cast("double")).otherwise(F.greatest(F.lit(float(lo)), F.least(F.lit(float(hi)), raw))))
        missing = F.array_compact(F.array(
            F.when(F.col("__in_batch").isNull(), F.lit("batch")) if snap is not None else F.lit(None).cast("string"),
            F.when(F.col("__online").isNull(), F.lit("online")) if client is not None else F.lit(None).cast("string"),
        ))
        results = j.select("window_start", "window_end", "key", *aggregate_names, "score", missing.alias("missing"), F.lit(day).alias("snapshot_day"))
        results.write.mode("overwrite").option("ignoreNullFields", "false").json(os.path.join(out, f"batch-{batch_id:06d}"))
        action = F.lit(None).cast("string")
        for a in sorted(score["actions"], key=lambda x: x["below"], reverse=True):
            action = F.when(F.col("score") < a["below"], F.lit(a["name"])).otherwise(action)
        (j.select("window_start", "key", action.alias("action"), "score").where(F.col("action").isNotNull())
         .write.mode("overwrite").json(os.path.join(actions_out, f"batch-{batch_id:06d}")))
        df.unpersist()

    return score_batch, client
