"""The messages scenario's reports for the reference Flink pipeline: the batch side (Lambda).

Once the streaming job has ended, a second job in batch mode reads the same topic (a bounded Kafka
source, earliest to the offsets at its start), keeps the records sat's contract accepts that are not
corrupted, whatever their lateness, deduplicates them on the scenario's id keeping the earliest event
time (the first sent on a tie: the lowest offset; copies of an id share a key, so a partition), and
computes the daily counts per (day, key, pivot value) and the top users per key with the country of
their earliest event. The country table is read here and joined in SQL; the pivot's columns are laid
out in Python (Flink SQL has no PIVOT). One JSON-lines file each.
"""

import csv
import json

from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment


def write_reports(spec, a, jars, contract_file, sat_parse, kafka_options, countries_file, pivot_out, top_out):
    r = spec["reports"]
    env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
    conf = env.get_config()
    conf.set("pipeline.jars", jars)
    conf.set("parallelism.default", "1")
    conf.set("table.local-time-zone", "UTC")
    env.add_python_file(contract_file)
    env.create_temporary_system_function("sat_parse", sat_parse)
    env.execute_sql(f"""
        CREATE TABLE src (
          `value` BYTES, `partition` INT METADATA VIRTUAL, `offset` BIGINT METADATA VIRTUAL, `headers` MAP<STRING, BYTES> METADATA VIRTUAL
        ) WITH ({kafka_options}, 'scan.bounded.mode' = 'latest-offset', 'format' = 'raw')""")
    end = spec["endOfStreamHeader"].replace("'", "''")
    env.execute_sql(f"""
        CREATE TEMPORARY VIEW base AS
        SELECT k, et, `partition`, `offset`, pv, usr, cid FROM (
          SELECT r.k AS k, r.et AS et, `partition`, `offset`, r.pv AS pv, r.usr AS usr, r.cid AS cid,
                 ROW_NUMBER() OVER (PARTITION BY r.id ORDER BY r.et, `partition`, `offset`) AS rk
          FROM (SELECT *, sat_parse(`value`) AS r FROM src)
          WHERE r IS NOT NULL AND `headers`['{end}'] IS NULL AND NOT r.corrupted)
        WHERE rk = 1""")

    cells = {}
    with env.execute_sql("""SELECT DATE_FORMAT(TO_TIMESTAMP_LTZ(et, 3), 'yyyy-MM-dd') AS d, k, pv, COUNT(*) AS n
                            FROM base GROUP BY DATE_FORMAT(TO_TIMESTAMP_LTZ(et, 3), 'yyyy-MM-dd'), k, pv""").collect() as rows:
        for day, k, pv, n in rows:
            cells.setdefault((day, k), {})[pv] = n
    with open(pivot_out, "w") as out:
        for (day, k), counts in sorted(cells.items()):
            out.write(json.dumps({"day": day, spec["key"]: k, **{v: n for v, n in sorted(counts.items()) if v is not None}}) + "\n")

    country_name = r["countries"]["name"] if r.get("countries") else "country"
    names = []
    if r.get("countries"):
        with open(countries_file, newline="") as f:
            names = [(row[r["countries"]["key"]], row[r["countries"]["name"]]) for row in csv.DictReader(f)]
    countries = env.from_elements(names or [("", None)], DataTypes.ROW([DataTypes.FIELD("cid", DataTypes.STRING()), DataTypes.FIELD("cname", DataTypes.STRING())]))
    env.create_temporary_view("countries", countries)
    top = f"""
        WITH u AS (SELECT k, usr, COUNT(*) AS cnt FROM base GROUP BY k, usr),
        f AS (SELECT k, usr, cid FROM (SELECT k, usr, cid, ROW_NUMBER() OVER (PARTITION BY k, usr ORDER BY et, `partition`, `offset`) AS fn FROM base) WHERE fn = 1),
        ranked AS (SELECT u.k, u.usr, u.cnt, f.cid, ROW_NUMBER() OVER (PARTITION BY u.k ORDER BY u.cnt DESC, u.usr) AS rnk
                   FROM u JOIN f ON u.k = f.k AND u.usr = f.usr)
        SELECT ranked.k, rnk, usr, cnt, c.cname FROM ranked LEFT JOIN countries c ON ranked.cid = c.cid WHERE rnk <= {int(r['topUsers']['n'])}"""
    with env.execute_sql(top).collect() as rows, open(top_out, "w") as out:
        for k, rnk, usr, events, cname in sorted(rows, key=lambda x: (x[0], x[1])):
            out.write(json.dumps({spec["key"]: k, "rank": rnk, r["topUsers"]["field"]: usr, "events": events, country_name: cname}) + "\n")
