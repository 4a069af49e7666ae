#!/usr/bin/env python3
"""Generate the croniter reference table that CronExpressionTests checks Herald's cron evaluator against.

Made with (croniter 7.0.0, Python 3.11):
    pip install croniter==7.0.0
    python3 scripts/cron-reference.py > Tests/HeraldTests/Resources/cron-reference.json

The table is deterministic (fixed random seed). Each row: a random expression mixing every feature (lists, ranges,
steps, names, day-of-week 7, macros, the day-of-month/day-of-week OR rule), a time zone, a start instant (Unix
seconds) and croniter's next three fire instants (Unix seconds).

Documented filter (DST): Herald fires a wall time that falls in a spring-forward gap not at all, and a wall time that
occurs twice on a fall-back night only at its first occurrence. croniter instead moves gap times to the end of the gap
and fires repeated times twice. A row is therefore left out when a daylight-saving transition of its zone lies
between one day before its start and one day after its third fire time AND the expression matches at least one
wall-clock minute inside that transition's gap or repeated hour. Rows where croniter finds no next time are left out
too (never-matching expressions are unit-tested separately). The counts of rows kept and dropped go to stderr.

Not generated: degenerate ranges such as `21-21` or `21-21/2`. croniter 7.0.0 reads them as wrapping round the
whole field (`0 21-21 * * *` fires every hour); Herald, like Vixie cron, reads `N-N` as just N.
Nor day-of-month and day-of-week fields that both contain a `*` element without being a bare `*` (`0 10 */9 * */2`):
croniter then requires both to match, while Herald applies the either-matches rule to any pair of restricted fields.
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from croniter import croniter

SEED = 20261122
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney"]
EXPRESSIONS = 300
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
MACROS = ["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"]
START = datetime(2020, 1, 1, tzinfo=timezone.utc)
END = datetime(2031, 1, 1, tzinfo=timezone.utc)

rng = random.Random(SEED)


def name_case(name):
    return rng.choice([name, name.lower(), name.capitalize()])


def value_text(value, kind, sunday_as_seven=False):
    if kind == "month" and rng.random() < 0.3:
        return name_case(MONTHS[value - 1])
    if kind == "dow" and rng.random() < 0.3:
        return name_case(DAYS[value % 7])
    if sunday_as_seven and value == 0 and rng.random() < 0.5:
        return "7"
    return str(value)


def range_text(low, high, kind):
    """A range a-b with a < b: croniter reads a degenerate range N-N as wrapping over the whole field."""
    a = rng.randint(low, high - 1)
    b = rng.randint(a + 1, high)
    end = "7" if kind == "dow" and b == 6 and rng.random() < 0.3 else value_text(b, kind)
    return value_text(a, kind) + "-" + end


def element(low, high, kind):
    shape = rng.random()
    if shape < 0.35:
        return value_text(rng.randint(low, high), kind, sunday_as_seven=kind == "dow")
    if shape < 0.6:
        return range_text(low, high, kind)
    if shape < 0.75:
        return range_text(low, high, kind) + "/" + str(rng.randint(1, max(1, (high - low) // 2)))
    if shape < 0.9 or kind == "dow":
        return "*/" + str(rng.randint(1, max(1, (high - low) // 2)))
    return str(rng.randint(low, high)) + "/" + str(rng.randint(1, max(1, (high - low) // 2)))


def field(low, high, kind, star_chance):
    if rng.random() < star_chance:
        return "*"
    return ",".join(element(low, high, kind) for _ in range(rng.choice([1, 1, 1, 2, 3])))


def expression():
    if rng.random() < 0.06:
        return rng.choice(MACROS)
    while True:
        fields = [
            field(0, 59, "minute", 0.1),
            field(0, 23, "hour", 0.35),
            field(1, 31, "dom", 0.6),
            field(1, 12, "month", 0.7),
            field(0, 6, "dow", 0.65),
        ]
        dom, dow = fields[2], fields[4]
        # croniter ANDs the two day fields when both contain a `*` element (as in `*/9` and `1,*/2`); Herald ORs
        # them whenever neither is a bare `*`. Such pairs are not generated.
        if "*" in dom and "*" in dow and dom != "*" and dow != "*":
            continue
        return " ".join(fields)


def transitions(zone):
    """Instants (UTC) at which the zone's UTC offset changes, between START and END plus a year."""
    tz = ZoneInfo(zone)
    found = []
    t = START - timedelta(days=2)
    last = END + timedelta(days=400)
    offset = t.astimezone(tz).utcoffset()
    while t < last:
        nxt = t + timedelta(days=1)
        new_offset = nxt.astimezone(tz).utcoffset()
        if new_offset != offset:
            low, high = t, nxt
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                mid = mid.replace(second=0, microsecond=0)
                if mid <= low:
                    break
                if mid.astimezone(tz).utcoffset() == offset:
                    low = mid
                else:
                    high = mid
            found.append((high, offset, new_offset))
            offset = new_offset
        t = nxt
    return found


def affected(expr, transition):
    """Whether the expression matches a wall-clock minute in the gap or repeated hour of a transition."""
    instant, before, after = transition
    wall_start = (instant + min(before, after)).replace(tzinfo=None)
    minutes = int(abs(after - before).total_seconds() // 60)
    return any(croniter.match(expr, wall_start + timedelta(minutes=m)) for m in range(minutes))


def main():
    zone_transitions = {zone: transitions(zone) for zone in ZONES}
    rows = []
    dropped_dst = dropped_none = 0
    for _ in range(EXPRESSIONS):
        expr = expression()
        for zone in ZONES:
            tz = ZoneInfo(zone)
            if zone != "UTC" and rng.random() < 0.3:
                # Start close to a transition, where DST handling matters.
                instant = rng.choice(zone_transitions[zone])[0] + timedelta(seconds=rng.randint(-3 * 86400, 3600))
            else:
                instant = START + timedelta(seconds=rng.randint(0, int((END - START).total_seconds())))
            if rng.random() < 0.2:
                instant = instant.replace(second=0)
            start = instant.astimezone(tz)
            try:
                it = croniter(expr, start)
                fires = [it.get_next(datetime) for _ in range(3)]
            except Exception:
                dropped_none += 1
                continue
            window_low = start - timedelta(days=1)
            window_high = fires[-1] + timedelta(days=1)
            if any(window_low <= tr[0] <= window_high and affected(expr, tr) for tr in zone_transitions[zone]):
                dropped_dst += 1
                continue
            rows.append({
                "cron": expr,
                "zone": zone,
                "after": int(start.timestamp()),
                "next": [int(f.timestamp()) for f in fires],
            })
    print(f"rows: {len(rows)}, dropped for DST: {dropped_dst}, dropped (no next time): {dropped_none}", file=sys.stderr)
    json.dump({"generator": "scripts/cron-reference.py", "croniter": "7.0.0", "seed": SEED, "rows": rows},
              sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
