"""sat's reference Flink SQL pipeline (PyFlink), built from a scenario spec (`sat engine spec`).

Written as a Flink user would: a Kafka table with the event time as a computed column and a
`WATERMARK FOR ts AS ts - INTERVAL ...` (generated in the source, per partition, the minimum over
partitions), window deduplication on the scenario's id (the first row per id and window, by event
time), the scenario's filter, a TUMBLE or HOP window aggregation per key, into JSON files.
Two more sinks in the same job, so they see the same stream:
  * a watermark audit: for every record, its (partition, offset) and CURRENT_WATERMARK(ts) as the
    record passed; the window operators see the records and watermarks in that same order (one
    task, parallelism 1), so `sat verify --engine flink --flink-watermarks DIR` judges every window
    exactly, however the partitions interleaved and whenever the periodic watermark was emitted;
  * dead letters: the (partition, offset) of every record the validator refused (sat's contract,
    engines/common/contract.py; Flink's `json` format would read a wrong type as NULL).
A finite stream ends every window either way: with --bounded the source stops at the offsets that
exist when the job starts (`scan.bounded.mode`), and a bounded source ends with the final watermark;
live (--stop-file), the job runs until that file appears, then stops with a savepoint and `--drain`
(`stop_with_savepoint(advance_to_end_of_time=True)`), which also sends the final watermark and
commits the files. sat's end-of-stream markers are dropped as records but their far-future event
time is not given to the watermark (it would pass every window before the stop).

The messages scenario (reports): corrupted rows go to their own sink (--corrupted) and never into a
window, and once the stream has ended a batch job writes the daily pivot and the top users
(engines/flink/reports.py).

--bug NAME seeds a known mistake:
  no-dedup            no window deduplication
  local-time-zone     table.local-time-zone left at Europe/Moscow: zone-less times read as +03:00, and
                      TIMESTAMP_LTZ windows aligned to its midnight
  lenient-numbers     a numeric field that does not parse becomes NULL and the row is kept
  window-2x           windows twice the scenario's size
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from contract import make_validator, rep_values  # noqa: E402  (shared with the Spark pipeline)

from pyflink.common import Row  # noqa: E402
from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment  # noqa: E402
from pyflink.table.udf import udf  # noqa: E402


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def quote(name):
    return "`" + name.replace("`", "``") + "`"


def condition(c):
    col = quote(c["field"])
    if c["op"] == "between":
        return f"{col} BETWEEN {c['value']} AND {c['value2']}"
    op = {"==": "=", "!=": "<>"}.get(c["op"], c["op"])
    return f"{col} {op} {c['value']}"


def interval(ms):
    """A day-time interval literal (SECOND alone is capped at 2 digits' worth by Flink's parser)."""
    days, rest = divmod(int(ms), 86_400_000)
    h, rest = divmod(rest, 3_600_000)
    m, rest = divmod(rest, 60_000)
    return f"INTERVAL '{days} {h:02d}:{m:02d}:{rest / 1000:06.3f}' DAY(2) TO SECOND(3)"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", required=True, help="the scenario as JSON (sat engine spec --scenario NAME)")
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--out", required=True, help="results directory (JSON part files)")
    ap.add_argument("--watermarks", required=True, help="the watermark audit: (partition, offset, watermark) of every record")
    ap.add_argument("--dead-letters", required=True, help="(partition, offset) of every record the validator refused")
    ap.add_argument("--work", required=True, help="checkpoints and the final savepoint")
    ap.add_argument("--bounded", action="store_true", help="read what the topic holds when the job starts, then end")
    ap.add_argument("--stop-file", help="live: stop with a savepoint and --drain once this file exists")
    ap.add_argument("--corrupted", help="scenarios with reports: (partition, offset) of the corrupted rows")
    ap.add_argument("--pivot", help="scenarios with reports: the daily pivot (JSON lines), by a batch job once the stream has ended")
    ap.add_argument("--top-users", help="scenarios with reports: the top users per key (JSON lines), likewise")
    ap.add_argument("--countries", help="scenarios with reports: the country table (CSV)")
    ap.add_argument("--bug", choices=["no-dedup", "local-time-zone", "lenient-numbers", "window-2x"])
    a = ap.parse_args()
    if not a.bounded and not a.stop_file:
        ap.error("give --bounded or --stop-file")
    spec = json.load(open(a.spec))
    # Flink's file sink makes no directory for a sink that got no rows: an empty one says "none".
    for d in (a.out, a.watermarks, a.dead_letters):
        os.makedirs(d, exist_ok=True)
    if spec.get("allowedLateness", 0) > 0:
        sys.exit(f"scenario {spec['name']}: Flink SQL window aggregations have no allowed lateness")

    env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    conf = env.get_config()
    conf.set("pipeline.jars", os.environ["SAT_FLINK_JARS"])
    conf.set("parallelism.default", "1")
    conf.set("restart-strategy.type", "none")  # a reference job that fails should say so, not loop
    conf.set("table.local-time-zone", "Europe/Moscow" if a.bug == "local-time-zone" else "UTC")
    conf.set("execution.checkpointing.interval", "2s")
    conf.set("execution.checkpointing.dir", "file://" + os.path.abspath(os.path.join(a.work, "checkpoints")))
    conf.set("python.fn-execution.bundle.time", "100")
    # The watermark right after every record that moves it, not every 200 ms: the planner gives each
    # sink's branch its own watermark assigner (the event time comes from a Python UDF, so it is not
    # pushed into the source), and only per-record emission keeps them in step (a timer each would
    # fire between different records).
    conf.set("pipeline.auto-watermark-interval", "0 ms")
    env.add_python_file(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common", "contract.py"))

    validate = make_validator(spec, a.bug)
    numeric = [f["name"] for f in spec["fields"] if f["type"] in ("int", "float")]
    reports = spec.get("reports")
    rep_fields = [DataTypes.FIELD("corrupted", DataTypes.BOOLEAN()), DataTypes.FIELD("pv", DataTypes.STRING()),
                  DataTypes.FIELD("usr", DataTypes.STRING()), DataTypes.FIELD("cid", DataTypes.STRING())] if reports else []
    row_type = DataTypes.ROW([
        DataTypes.FIELD("k", DataTypes.STRING()),
        DataTypes.FIELD("et", DataTypes.BIGINT()),
        DataTypes.FIELD("id", DataTypes.STRING()),
        *[DataTypes.FIELD(n, DataTypes.DOUBLE()) for n in numeric],
        *rep_fields,
    ])

    @udf(result_type=row_type)
    def sat_parse(raw):
        r = validate(raw) if raw is not None else None
        if r is None:
            return None
        return Row(r[0], r[1], r[2], *[r[3][n] for n in numeric], *(rep_values(spec, r[4]) if reports else ()))

    env.create_temporary_system_function("sat_parse", sat_parse)

    end = spec["endOfStreamHeader"]
    bounded = "'scan.bounded.mode' = 'latest-offset'," if a.bounded else ""

    def kafka_options(group):
        return (f"'connector' = 'kafka', 'topic' = {sql_str(a.topic)}, 'properties.bootstrap.servers' = {sql_str(a.brokers)}, "
                f"'properties.group.id' = {sql_str(group)}, 'scan.startup.mode' = 'earliest-offset'")
    env.execute_sql(f"""
        CREATE TABLE src (
          `value` BYTES,
          `partition` INT METADATA VIRTUAL,
          `offset` BIGINT METADATA VIRTUAL,
          `headers` MAP<STRING, BYTES> METADATA VIRTUAL,
          -- sat's contract in one Python UDF, as a computed column: every Python operator sits before the
          -- watermark assigner (a Python operator after it holds watermarks back until its bundle
          -- ends, so records overtake them and a window would count what the audit calls late).
          r AS sat_parse(`value`),
          -- A record without an event time gets 1970 (a NULL rowtime stops the job): it never moves
          -- the watermark.
          ts AS COALESCE(TO_TIMESTAMP_LTZ(sat_parse(`value`).et, 3), TO_TIMESTAMP_LTZ(0, 3)),
          WATERMARK FOR ts AS ts - {interval(spec['watermarkDelay'])}
        ) WITH ({kafka_options('sat-flink-' + a.topic)}, {bounded} 'format' = 'raw')""")
    env.execute_sql(f"""
        CREATE TEMPORARY VIEW checked AS
        SELECT `partition`, `offset`, `headers`[{sql_str(end)}] IS NOT NULL AS is_end, r, ts,
               CURRENT_WATERMARK(ts) AS wm
        FROM src""")

    def files(path, columns):
        cols = ", ".join(f"{quote(n)} {t}" for n, t in columns)
        # A part file is committed at the first checkpoint after it rolls; the default rollover
        # (30 minutes, 128 MB) would keep results unreadable until the job ends.
        return f"""WITH ('connector' = 'filesystem', 'path' = {sql_str('file://' + os.path.abspath(path))}, 'format' = 'json',
                         'json.timestamp-format.standard' = 'ISO-8601',
                         'sink.rolling-policy.rollover-interval' = '1 s', 'sink.rolling-policy.check-interval' = '1 s')""", cols

    with_audit, audit_cols = files(a.watermarks, [("partition", "INT"), ("offset", "BIGINT"), ("watermark", "TIMESTAMP_LTZ(3)")])
    env.execute_sql(f"CREATE TABLE audit ({audit_cols}) {with_audit}")
    with_dead, dead_cols = files(a.dead_letters, [("partition", "INT"), ("offset", "BIGINT")])
    env.execute_sql(f"CREATE TABLE dead_letters ({dead_cols}) {with_dead}")

    w = spec["window"]
    size = w["size"] * (2 if a.bug == "window-2x" else 1)
    tvf = (f"TUMBLE(TABLE valid, DESCRIPTOR(ts), {interval(size)})" if w["kind"] != "sliding"
           else f"HOP(TABLE valid, DESCRIPTOR(ts), {interval(w['slide'])}, {interval(size)})")
    env.execute_sql(f"""
        CREATE TEMPORARY VIEW valid AS
        SELECT r.k AS k, r.id AS id, {", ".join(f"r.{quote(n)} AS {quote(n)}" for n in numeric)}, ts
        FROM checked WHERE r IS NOT NULL AND NOT is_end{' AND NOT r.corrupted' if reports else ''}""")
    windowed = f"SELECT * FROM TABLE({tvf})"
    if a.bug != "no-dedup":
        windowed = f"""SELECT * FROM (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, id ORDER BY ts ASC) AS rn FROM TABLE({tvf})
          ) WHERE rn = 1"""
    where = " AND ".join(condition(c) for c in spec["filter"]) or "TRUE"
    aggs = []
    out_cols = [("window_start", "TIMESTAMP_LTZ(3)"), ("window_end", "TIMESTAMP_LTZ(3)"), ("key", "STRING")]
    for g in spec["aggregations"]:
        if g["op"] not in ("count", "sum", "avg", "min", "max"):
            sys.exit(f"scenario {spec['name']}: {g['op']}() is not in the reference Flink pipeline (count, sum, avg, min, max)")
        f = quote(g["field"]) if g.get("field") else None
        aggs.append({"count": "COUNT(*)", "sum": f"SUM({f})", "avg": f"AVG({f})", "min": f"MIN({f})", "max": f"MAX({f})"}[g["op"]] + f" AS {quote(g['name'])}")
        out_cols.append((g["name"], "BIGINT" if g["op"] == "count" else "DOUBLE"))
    with_out, cols = files(a.out, out_cols)
    env.execute_sql(f"CREATE TABLE results ({cols}) {with_out}")

    stmts = env.create_statement_set()
    stmts.add_insert_sql(f"""INSERT INTO results
        SELECT CAST(window_start AS TIMESTAMP_LTZ(3)), CAST(window_end AS TIMESTAMP_LTZ(3)), k, {", ".join(aggs)}
        FROM ({windowed}) WHERE {where}
        GROUP BY window_start, window_end, k""")
    stmts.add_insert_sql("INSERT INTO audit SELECT `partition`, `offset`, wm FROM checked")
    stmts.add_insert_sql("INSERT INTO dead_letters SELECT `partition`, `offset` FROM checked WHERE r IS NULL AND NOT is_end")
    if reports and a.corrupted:
        # Corrupted rows (valid JSON, the marker field says so): split off before the windows and the
        # dedup; their event time has moved the watermark like any valid record's.
        os.makedirs(a.corrupted, exist_ok=True)
        with_cor, cor_cols = files(a.corrupted, [("partition", "INT"), ("offset", "BIGINT")])
        env.execute_sql(f"CREATE TABLE corrupted ({cor_cols}) {with_cor}")
        stmts.add_insert_sql("INSERT INTO corrupted SELECT `partition`, `offset` FROM checked WHERE r IS NOT NULL AND NOT is_end AND r.corrupted")
    if os.environ.get("SAT_FLINK_EXPLAIN"):
        print(stmts.explain(), file=sys.stderr)
        return
    result = stmts.execute()
    client = result.get_job_client()
    print(json.dumps({"started": True, "job": str(client.get_job_id())}), flush=True)
    began = time.time()
    if a.bounded:
        result.wait()
    else:
        while not os.path.exists(a.stop_file):
            time.sleep(0.2)
        # --drain: the final watermark fires every window; the savepoint commits the files.
        # Through the Java client: PyFlink 2.2's stop_with_savepoint passes two arguments to a method
        # that takes three in Flink 2 (the savepoint format).
        from pyflink.java_gateway import get_gateway
        fmt = get_gateway().jvm.org.apache.flink.core.execution.SavepointFormatType.CANONICAL
        client._j_job_client.stopWithSavepoint(True, "file://" + os.path.abspath(os.path.join(a.work, "savepoint")), fmt).get()
        result.wait()
    job_ms = round((time.time() - began) * 1000)
    if reports and a.pivot and a.top_users:
        from reports import write_reports

        contract = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common", "contract.py")
        write_reports(spec, a, os.environ["SAT_FLINK_JARS"], contract, sat_parse, kafka_options("sat-flink-reports-" + a.topic), a.countries or "", a.pivot, a.top_users)
    print(json.dumps({"jobMs": job_ms, "out": a.out}), flush=True)


if __name__ == "__main__":
    main()
