#!/usr/bin/env python3
"""Writes tests/unit/golden_slots.h: the slots of schedules across daylight
saving time transitions, found by brute force over every minute with
Python's zoneinfo (the system's tz database), independently of
src/lib/slots.c (field jumping over ICU's calendar).

    python3 tests/unit/golden_slots.py > tests/unit/golden_slots.h

The rules (Debian cron's, as cronsim documents them):
  - a wildcard schedule (minute or hour field starting with '*') runs at
    every instant whose local time matches: both copies of a repeated
    hour, none of a skipped one;
  - a fixed-time schedule runs each matching local time once: at its first
    occurrence, or, when it does not exist, at the first instant after the
    gap.
"""

import datetime
import sys
import zoneinfo

CASES = [
    # zone, schedule, from (UTC), how many slots
    ("Europe/Riga", "30 3 * * *", "2021-03-26T00:00:00", 5),
    ("Europe/Riga", "*/30 * * * *", "2021-03-28T00:00:00", 6),
    ("Europe/Riga", "30 3 * * *", "2021-10-29T00:00:00", 5),
    ("Europe/Riga", "*/30 * * * *", "2021-10-30T23:00:00", 8),
    ("Europe/Riga", "0 3,4 * * *", "2021-10-30T23:00:00", 4),
    ("America/New_York", "30 2 * * *", "2021-03-12T00:00:00", 5),
    ("America/New_York", "30 1 * * *", "2021-11-05T00:00:00", 5),
    ("America/New_York", "*/20 1-3 * * *", "2021-11-07T04:00:00", 12),
    ("America/New_York", "0 * * * *", "2021-03-14T05:00:00", 4),
    ("Australia/Lord_Howe", "15 2 * * *", "2021-10-01T00:00:00", 4),
    ("Australia/Lord_Howe", "45 1 * * *", "2021-04-02T00:00:00", 4),
    ("Australia/Lord_Howe", "*/15 1,2 * * *", "2021-04-03T13:00:00", 12),
    ("Australia/Lord_Howe", "*/15 2 * * *", "2021-10-02T14:00:00", 5),
    ("America/Sao_Paulo", "0 0 * * *", "2018-11-02T00:00:00", 4),
    ("America/Sao_Paulo", "30 23 * * *", "2018-02-16T00:00:00", 4),
    ("America/Sao_Paulo", "*/30 23 * * *", "2018-02-17T20:00:00", 6),
    ("America/Sao_Paulo", "0 0 4 11 *", "2018-01-01T00:00:00", 2),
    ("Pacific/Apia", "0 12 * * *", "2011-12-28T00:00:00", 5),
    ("Pacific/Apia", "0 */6 * * *", "2011-12-29T12:00:00", 6),
    ("Pacific/Apia", "0 9 30 12 *", "2011-01-01T00:00:00", 2),
    ("Pacific/Apia", "0 9 * * fri", "2011-12-20T00:00:00", 3),
    ("UTC", "0 0 29 2 *", "2023-06-01T00:00:00", 1),
    ("UTC", "0 12 13 * 5", "2021-01-01T00:00:00", 4),
    ("UTC", "0 12 */10 * mon", "2021-01-01T00:00:00", 2),
    ("Europe/Paris", "5 4 * * sun", "2021-03-20T00:00:00", 3),
]

NAMES = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5,
         "sat": 6}


def field(text, low, high):
    values = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step = part.split("/")
            step = int(step)
        if part == "*":
            a, b = low, high
        elif "-" in part:
            a, b = (int(NAMES.get(x, x)) for x in part.split("-"))
        else:
            a = b = int(NAMES.get(part, part))
        values.update(range(a, b + 1, step))
    return {0 if v == 7 and high == 7 else v for v in values}


def matcher(schedule):
    f = schedule.split()
    minutes, hours = field(f[0], 0, 59), field(f[1], 0, 23)
    days, months = field(f[2], 1, 31), field(f[3], 1, 12)
    weekdays = field(f[4], 0, 7)
    either = not (f[2].startswith("*") or f[4].startswith("*"))

    def match(n):
        dom, dow = n.day in days, (n.isoweekday() % 7) in weekdays
        day = (dom or dow) if either else (dom and dow)
        return (n.minute in minutes and n.hour in hours
                and n.month in months and day)
    return match, not (f[0].startswith("*") or f[1].startswith("*"))


def slots(zone, schedule, start, count):
    tz = zoneinfo.ZoneInfo(zone)
    match, fixed = matcher(schedule)
    t0 = int(datetime.datetime.fromisoformat(start)
             .replace(tzinfo=datetime.timezone.utc).timestamp())
    span = 2 * 366 * 86400 if count <= 2 else 21 * 86400
    local = {}                      # naive local minute -> [UTC instants]
    order = []                      # (utc, naive) in UTC order
    for t in range(t0 - 2 * 86400, t0 + span, 60):
        n = (datetime.datetime.fromtimestamp(t, tz).replace(tzinfo=None))
        local.setdefault(n, []).append(t)
        order.append((t, n))
    index = {t: i for i, (t, _) in enumerate(order)}
    found = set()
    if not fixed:
        found = {t for t, n in order if match(n)}
    else:
        naive = min(local)
        end = max(local)
        while naive <= end:
            if match(naive):
                if naive in local:
                    found.add(min(local[naive]))
                else:               # a gap: the first instant after it
                    i = index[int(naive.replace(tzinfo=tz).timestamp())
                              - 86400]
                    while i < len(order) and order[i][1] <= naive:
                        i += 1
                    if i < len(order):
                        found.add(order[i][0])
            naive += datetime.timedelta(minutes=1)
    return sorted(t for t in found if t > t0)[:count], t0


def iso(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    out = sys.stdout
    out.write("/* Generated by tests/unit/golden_slots.py: do not edit. */\n"
              "/* zone, schedule, from (Unix seconds), slots (UTC), "
              "n */\n"
              "/* clang-format off */\n")
    for zone, schedule, start, count in CASES:
        got, t0 = slots(zone, schedule, start, count)
        if len(got) != count:
            sys.exit("%s %s: %d slots, not %d" % (zone, schedule, len(got),
                                                    count))
        out.write('GOLDEN("%s", "%s", %d, {%s}, %d)\n' % (
            zone, schedule, t0, ", ".join('"%s"' % iso(t) for t in got),
            count))
    out.write("/* clang-format on */\n")


if __name__ == "__main__":
    main()
