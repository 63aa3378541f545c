"""sat's malformed-record contract and event-time rule, for the reference pipelines (Spark, Flink).

A record is valid when it is UTF-8, a JSON object with exactly the scenario's fields, each of the
right type (an int with no fraction, a finite number, a string; NULL only where nullable), a
non-empty key and an ISO-8601 event time (a date alone for a date field). Anything else is a dead
letter (README "Judging Spark"). Both engines' own JSON readers are more lenient.
"""

import json
import math
import re
from datetime import datetime, timezone

ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?)?$")
FAR_FUTURE_MS = 253402300799000  # 9999-12-31T23:59:59Z: past every window of any real stream


def parse_time(text, date_only, zone_offset_ms=0):
    """sat's event-time rule: ISO date (YYYY-MM-DD) or date-time, UTC unless it carries a zone."""
    if date_only and len(text) != 10:
        return None
    m = ISO.match(text)
    if m is None:
        return None
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    h, mi, s = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
    if not (1 <= mo <= 12 and d >= 1 and h <= 23 and mi <= 59 and s <= 59):
        return None
    try:
        day = datetime(y, mo, d, tzinfo=timezone.utc)
    except ValueError:
        return None  # 2015-02-30
    ms = int(m[7][:3].ljust(3, "0")) if m[7] else 0
    t = int(day.timestamp() * 1000) + ((h * 60 + mi) * 60 + s) * 1000 + ms
    zone = m[8]
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        t -= sign * (int(digits[:2]) * 60 + int(digits[2:4])) * 60_000
    return t - zone_offset_ms


def reject_constant(name):
    raise ValueError(f"not JSON: {name}")


def make_validator(spec, bug):
    fields = {f["name"]: f for f in spec["fields"]}
    key, event = spec["key"], spec["eventTime"]
    date_only = fields[event]["type"] == "date"
    numeric = [f["name"] for f in spec["fields"] if f["type"] in ("int", "float")]
    # The bug a user makes by letting the session time zone (here +03:00) read dates as local.
    shift = 3 * 3600_000 if bug == "local-time-zone" else 0

    def type_ok(f, v):
        t = f["type"]
        if t == "int":
            return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and float(v).is_integer() and abs(v) <= 9007199254740991
        if t == "float":
            return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        return isinstance(v, str)

    def validate(raw):
        """(key, event time ms, id, numeric values, the object) of a valid record, or None."""
        try:
            obj = json.loads(bytes(raw).decode("utf-8", errors="strict"), parse_constant=reject_constant)
        except Exception:
            return None
        if not isinstance(obj, dict) or any(k not in fields for k in obj):
            return None
        for f in spec["fields"]:
            name = f["name"]
            if name not in obj:
                return None
            v = obj[name]
            if v is None:
                if not f["nullable"]:
                    return None
                continue
            if not type_ok(f, v):
                if bug == "lenient-numbers" and f["type"] in ("int", "float") and name not in (key, event):
                    obj[name] = None  # what from_json does with a wrong type: NULL, row kept
                    continue
                return None
        if obj[key] == "":
            return None
        et = parse_time(obj[event], date_only, shift)
        if et is None:
            return None
        rid = "|".join(str(obj[i]) if not isinstance(obj[i], float) or not obj[i].is_integer() else str(int(obj[i])) for i in spec["id"])
        nums = {n: (float(obj[n]) if obj[n] is not None else None) for n in numeric}
        return (obj[key], et, rid, nums, obj)

    return validate


def rep_values(spec, obj):
    """The report fields of a valid record as text, and whether the record is corrupted."""
    r = spec["reports"]

    def text(v):
        if v is None:
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    c = obj.get(r["corrupted"]["field"])
    corrupted = (r["corrupted"].get("missing") and (c is None or c == "")) or (c is not None and text(c) in r["corrupted"]["values"])
    country = r.get("countries")
    return (bool(corrupted), text(obj.get(r["pivot"]["field"])), text(obj.get(r["topUsers"]["field"])), text(obj.get(country["field"])) if country else None)
