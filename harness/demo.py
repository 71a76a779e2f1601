"""The database of `make run`'s demo: a SQLite file with five crons and a
few days of their history, as a team running them would have.

    python3 -m harness.demo DB        # creates it, or upgrades an old one

The crons (slugs that the README's curl lines use):

  nightly-backup  30 2 * * * in Europe/Paris, grace 30 min, runs shorter
                  than 10 min are too short; ten nights of runs, one of
                  them too short, one failed;
  hourly-sync     every hour (UTC); a day of runs, one failure, one slot
                  missed three hours ago;
  heartbeat       @every 1m, grace 30 s, and nothing starts it: its first
                  slot is missed about a minute and a half after `make
                  run` starts, while you watch (start it with curl to see
                  a slot on time);
  weekly-report   Mondays 07:00 Paris, switched off with a reason;
  cleanup-tmp     no schedule: a few runs, as before schedules.

Every cron starts up as far as alerts go (the history's outcomes are not
alerted): heartbeat's missed slots bring the first down event, within two
minutes, and a run ended as failed brings one for its cron (scripts/run.sh
prints the curl line and where the alerts land).

Past runs are written with the slot they belong to, worked out here with
zoneinfo (the module's own clock takes over from now on: the watchdog
judges the slots that come).  An existing demo database of an older
schema is upgraded step by step with sql/upgrade/ and otherwise left as
it is.

`make screenshots` (harness/screenshots.py) photographs this database for
the README, and t/browser/screenshots.mjs checks that each page shows what
its caption says (these slugs, nightly-backup's too-short run and failure,
weekly-report's reason): change them together.
"""

import datetime
import os
import sqlite3
import sys
import zoneinfo

from . import proc

say = proc.say_as("demo")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (name, a statement that fails before that schema, the upgrade script)
UPGRADES = [
    ("2", "SELECT concurrency FROM charon_cron LIMIT 0", "1-to-2"),
    ("3", "SELECT cron_id FROM charon_cron_stats LIMIT 0", "2-to-3"),
    ("4", "SELECT schedule FROM charon_cron LIMIT 0", "3-to-4"),
    ("5", "SELECT cron_id FROM charon_alert_outcome LIMIT 0", "4-to-5"),
    ("6", "SELECT id FROM charon_audit LIMIT 0", "5-to-6"),
]

CRONS = [
    # slug, name, active, schedule, timezone, grace, min_runtime,
    # concurrency, max_runtime, off_reason
    ("nightly-backup", "Nightly backup of the billing database", 1,
     "30 2 * * *", "Europe/Paris", 1800, 600, "forbid", 7200, None),
    ("hourly-sync", "Sync orders to the warehouse", 1,
     "0 * * * *", None, 300, None, "allow", None, None),
    ("heartbeat", "Queue worker heartbeat", 1,
     "@every 1m", None, 30, None, "allow", None, None),
    ("weekly-report", "Weekly report to the board", 0,
     "0 7 * * mon", "Europe/Paris", 3600, None, "allow", None,
     "waiting for the new template"),
    ("cleanup-tmp", "Clean up /tmp on the workers", 1,
     None, None, 300, None, "allow", None, None),
]

FMT = "%Y-%m-%d %H:%M:%S.%f"


def ts(t):
    """A UTC datetime in the module's SQLite form, to the millisecond."""
    return t.strftime(FMT)[:-3]


def daily(now, hour, minute, zone, days):
    """The last `days` local hour:minute in zone before now, in UTC."""
    z = zoneinfo.ZoneInfo(zone)
    local = now.astimezone(z)
    out = []
    for back in range(days, -1, -1):
        d = (local - datetime.timedelta(days=back)).date()
        slot = datetime.datetime(d.year, d.month, d.day, hour, minute,
                                 tzinfo=z).astimezone(datetime.timezone.utc)
        if slot < now:
            out.append(slot)
    return out[-days:]


def hourly(now, hours):
    top = now.replace(minute=0, second=0, microsecond=0)
    return [top - datetime.timedelta(hours=h) for h in range(hours, 0, -1)]


class Seeder:
    def __init__(self, conn):
        self.c = conn

    def cron(self, row):
        (slug, name, active, schedule, zone, grace, min_rt, conc, max_rt,
         reason) = row
        cur = self.c.execute(
            "INSERT INTO charon_cron (slug, name, active, schedule, timezone,"
            " grace, min_runtime, concurrency, max_runtime, off_reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (slug, name, active, schedule, zone, grace, min_rt, conc, max_rt,
             reason))
        return cur.lastrowid

    def run(self, cron, start, seconds, success, messages=(), slot=None,
            too_short=False, key="demo"):
        """A finished run: inserted open, then ended, so that the
        database's triggers count it as the module's end would."""
        cur = self.c.execute(
            "INSERT INTO charon_execution (cron_id, started_at, api_key,"
            " remote_addr, slot) VALUES (?, ?, ?, '10.0.3.7', ?)",
            (cron, ts(start), key, ts(slot) if slot else None))
        eid = cur.lastrowid
        end = start + datetime.timedelta(seconds=seconds)
        for i, (kind, text) in enumerate(messages):
            at = start + datetime.timedelta(
                seconds=seconds * (i + 1) / (len(messages) + 1))
            self.c.execute(
                "INSERT INTO charon_message (execution_id, type, message,"
                " created_at) VALUES (?, ?, ?, ?)", (eid, kind, text, ts(at)))
        self.c.execute(
            "UPDATE charon_execution SET ended_at = ?, success = ?, type = ?,"
            " too_short = ? WHERE id = ?",
            (ts(end), 1 if success else 0, "success" if success else "error",
             1 if too_short else 0, eid))
        return eid

    def missed(self, cron, slot):
        self.c.execute(
            "INSERT INTO charon_execution (cron_id, started_at, ended_at,"
            " api_key, remote_addr, slot, missed) VALUES (?, ?, ?, '', '', ?,"
            " 'missed')", (cron, ts(slot), ts(slot), ts(slot)))
        self.c.execute(
            "INSERT INTO charon_cron_stats (cron_id, runs_missed,"
            " last_missed_at) VALUES (?, 1, ?) ON CONFLICT (cron_id) DO"
            " UPDATE SET runs_missed = runs_missed + 1, last_missed_at ="
            " excluded.last_missed_at", (cron, ts(slot)))


def seed(conn, now):
    s = Seeder(conn)
    ids = {row[0]: s.cron(row) for row in CRONS}
    sec = datetime.timedelta(seconds=1)

    backup = ids["nightly-backup"]
    nights = daily(now, 2, 30, "Europe/Paris", 10)
    for i, slot in enumerate(nights):
        start = slot + 7 * sec + i * sec
        if i == len(nights) - 4:
            s.run(backup, start, 8 * 60 + 12, True, slot=slot,
                  too_short=True,
                  messages=[("info", "dumping billing (412 tables)"),
                            ("warning", "pg_dump: 0 rows in invoices_2026"),
                            ("success", "backup written: 1.1 GB")])
        elif i == len(nights) - 7:
            s.run(backup, start, 31 * 60 + 40, False, slot=slot,
                  messages=[("info", "dumping billing (412 tables)"),
                            ("error", "upload to s3://backups failed: "
                                      "503 Slow Down (3 tries)")])
        else:
            s.run(backup, start, (41 + (i * 7) % 9) * 60 + 5 * i, True,
                  slot=slot,
                  messages=[("info", "dumping billing (412 tables)"),
                            ("success", "backup written: %.1f GB"
                             % (14.2 + i * 0.1))])

    sync = ids["hourly-sync"]
    for h, slot in enumerate(hourly(now, 24)):
        if h == 21:
            s.missed(sync, slot)
            continue
        start = slot + (3 + h % 5) * sec
        s.run(sync, start, 40 + (h * 13) % 50, h != 15, slot=slot,
              messages=[("info", "%d orders sent" % (120 + h * 7))]
              if h != 15 else
              [("error", "warehouse API: connection refused")])

    tmp = ids["cleanup-tmp"]
    for d in range(5, 0, -1):
        start = now - datetime.timedelta(days=d, hours=3, minutes=17)
        s.run(tmp, start, 3, True,
              messages=[("info", "removed %d files" % (40 + d * 9))])

    # The history is the past: its failures and missed slots wrote
    # outcomes (the database's triggers), which the first watchdog tick
    # would turn into a burst of down and up events about runs of last
    # week.  Alerts start from now, every cron up, as after an upgrade to
    # schema 5: the first alerts are those that happen while you watch.
    conn.execute("DELETE FROM charon_alert_outcome")


def create(path):
    conn = sqlite3.connect(path)
    with open(os.path.join(TOP, "sql", "sqlite.sql")) as f:
        conn.executescript(f.read())
    conn.execute("PRAGMA foreign_keys = ON")
    now = datetime.datetime.now(datetime.timezone.utc)
    with conn:
        seed(conn, now)
    conn.close()


def upgrade(path):
    conn = sqlite3.connect(path)
    for name, probe, script in UPGRADES:
        try:
            conn.execute(probe)
            continue
        except sqlite3.OperationalError:
            pass
        say("upgrading %s to schema %s (sql/upgrade/%s/sqlite.sql)"
            % (path, name, script))
        with open(os.path.join(TOP, "sql", "upgrade", script,
                               "sqlite.sql")) as f:
            conn.executescript(f.read())
    conn.close()


def main(argv):
    if len(argv) != 1:
        raise proc.Usage("usage: python3 -m harness.demo DATABASE-FILE")
    path = argv[0]
    if os.path.exists(path) and os.path.getsize(path) > 0:
        upgrade(path)
    else:
        create(path)
    return 0


if __name__ == "__main__":
    proc.main("demo", lambda: main(sys.argv[1:]))
