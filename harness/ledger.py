"""What the load client was told, against what the database holds.

A run of the load client (harness.load) writes a result document: the
requests' figures, what failed, and the ledger of every item a 200
acknowledged. This module reads the database behind it and checks that
ledger (``verify``), proves the check can see damage (``selfcheck``), and
prints the summary table of several results (``table``).

``verify`` reads the tables with the database's own client (harness.db;
text columns as hex, so that nothing in them can confuse the parsing) and
checks that every acknowledged item is there with exactly the acknowledged
content, that no execution was ended twice or half (an end's message
without its end, or the reverse), that no message was stored twice and that
nothing unknown was written. Writes that happened although the client got
a 503 or lost the connection are counted ("unacked writes"): they are not
losses. The executions of one run are found by the key *name*
(charon_execution.api_key), so each run must use its own key.

Result documents are JSON: {"scenario", "database", "key_name", "run",
"executions", "failures", "notes", ...}; a fault passed when "failures"
is empty.
"""

import json
import os

from . import db as dbs
from . import stats

TYPES = ("warning", "info", "success", "error")
ENDPOINTS = ("can-start", "start", "message", "end")


# ------------------------------------------------------------ databases ---

class Store:
    """A harness.db database as the checks read it: rows as lists of
    strings."""

    def __init__(self, database):
        self.db = database
        self.kind = database.kind

    def hexof(self, col):
        if self.kind == "pgsql":
            return "encode(convert_to(%s, 'UTF8'), 'hex')" % col
        return "hex(%s)" % col

    def query(self, sql, timeout=60):
        return [list(r) for r in self.db.query(sql, timeout=timeout)]

    def connections(self):
        """Connections the module holds (not this tool's, not the
        fault-injecting sessions'); None where the database cannot say."""
        if self.kind == "pgsql":
            rows = self.db.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'charon' "
                "AND backend_type = 'client backend' AND application_name = ''",
                "postgres", timeout=5)
        elif self.kind == "mysql":
            rows = self.db.query(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE "
                "user = '%s' AND id <> CONNECTION_ID()" % self.db.user,
                timeout=5)
        else:
            return None
        return int(rows[0][0])


def add_db_args(p):
    """The command-line options that reach a database (db_args writes
    them): PostgreSQL as user postgres, MariaDB as user charon, as
    harness.db creates them."""
    p.add_argument("--db", choices=("pgsql", "mysql", "sqlite3", "sqlite"))
    p.add_argument("--db-port")
    p.add_argument("--db-pass", default="")
    p.add_argument("--db-file")
    p.add_argument("--db-owner", help="run sqlite3 as this user (the httpd "
                                      "children's)")
    p.add_argument("--psql", default=os.path.join(dbs.PG_BIN, "psql"))


def store_of(a):
    """The Store that add_db_args' options name."""
    kind = "sqlite" if a.db in ("sqlite", "sqlite3") else a.db
    return Store(dbs.attach(kind, port=a.db_port, password=a.db_pass,
                            file=a.db_file, owner=a.db_owner,
                            bin_dir=os.path.dirname(a.psql)))


def db_args(database):
    """add_db_args' options for a harness.db database."""
    if database.kind == "pgsql":
        return ["--db", "pgsql", "--db-port", str(database.port),
                "--psql", os.path.join(database.bin, "psql")]
    if database.kind == "mysql":
        return ["--db", "mysql", "--db-port", str(database.port),
                "--db-pass", database.password]
    return (["--db", "sqlite3", "--db-file", database.file]
            + (["--db-owner", database.owner] if database.owner else []))


# ------------------------------------------------------------ documents ---

def write_json(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def empty_result(scenario, database, failures=(), notes=()):
    """A result with no requests (a check that drives no load)."""
    return {"scenario": scenario, "database": database, "run": {},
            "executions": [], "failures": list(failures),
            "notes": list(notes), "run_failures": []}


def annotate(doc, fail=(), note=(), extra=None):
    """Add failures, notes and extra figures to a result."""
    doc["failures"].extend(fail)
    doc["notes"].extend(note)
    doc.setdefault("extra", {}).update(extra or {})
    return doc


def passed(doc):
    return not doc.get("failures")


# --------------------------------------------------------------- verify ---

def fetch_state(db, key_name):
    if not key_name.replace("-", "").replace("_", "").isalnum():
        raise ValueError("key name %r is not a plain identifier" % key_name)
    execs = {}
    for row in db.query(
            "SELECT id, cron_id, api_key, remote_addr, "
            "CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END, "
            "CASE WHEN success IS NULL THEN -1 WHEN success THEN 1 ELSE 0 END, "
            "COALESCE(type, '-') FROM charon_execution WHERE api_key = '%s'" % key_name):
        execs[int(row[0])] = {"cron": int(row[1]), "api_key": row[2], "remote_addr": row[3],
                              "ended": row[4] == "1", "success": int(row[5]), "type": row[6]}
    msgs = {}
    for row in db.query(
            "SELECT m.id, m.execution_id, m.type, %s FROM charon_message m "
            "JOIN charon_execution e ON e.id = m.execution_id WHERE e.api_key = '%s'"
            % (db.hexof("m.message"), key_name)):
        msgs[int(row[0])] = {"exec": int(row[1]), "type": row[2],
                             "text": bytes.fromhex(row[3]).decode("utf-8", "replace")}
    return execs, msgs


def verify(doc, db):
    """(counts, lost, bad): lost are acknowledged items missing or
    different; bad are items written twice, half-written, or unknown."""
    execs, msgs = fetch_state(db, doc["key_name"])
    lost = []
    bad = []
    info = {"unacked_starts_written": 0, "unacked_messages_written": 0,
            "unacked_ends_written": 0}
    acked_ids = {}
    by_exec_text = {}
    for mid, m in msgs.items():
        by_exec_text.setdefault((m["exec"], m["text"]), []).append(mid)
    texts_seen = set()

    for ex in doc["executions"]:
        eid = ex["id"]
        if eid in acked_ids:
            bad.append("start acknowledged execution %d twice" % eid)
        acked_ids[eid] = ex
        row = execs.get(eid)
        if row is None:
            lost.append("execution %d (start acknowledged) is missing" % eid)
            continue
        if row["cron"] != ex["cron"] or row["remote_addr"] != "127.0.0.1":
            lost.append("execution %d: stored cron %d addr %s, acknowledged cron %d"
                        % (eid, row["cron"], row["remote_addr"], ex["cron"]))
        _verify_messages(ex, msgs, by_exec_text, texts_seen, lost, bad, info)
        _verify_end(ex, row, msgs, by_exec_text, texts_seen, lost, bad, info)

    for eid in execs:
        if eid not in acked_ids:
            info["unacked_starts_written"] += 1
    all_acked_mids = {mid for ex in doc["executions"] for mid, _, _ in ex["messages"]}
    for mid, m in msgs.items():
        if mid in all_acked_mids:
            continue            # checked above, against what was acknowledged
        if m["exec"] in acked_ids and (m["exec"], m["text"]) not in texts_seen:
            bad.append("message %d of execution %d was never sent: %r" % (mid, m["exec"], m["text"][:60]))
        elif m["exec"] not in acked_ids:
            # Messages on executions whose start got no 200 cannot exist:
            # the client never learnt their ids.
            bad.append("message %d on unacknowledged execution %d" % (mid, m["exec"]))

    counts = {
        "acked_starts": len(doc["executions"]),
        "acked_messages": sum(len(ex["messages"]) for ex in doc["executions"]),
        "acked_ends": sum(1 for ex in doc["executions"] if ex["end_ack"] is not None),
        "db_executions": len(execs),
        "db_messages": len(msgs),
        "lost": len(lost),
        "bad": len(bad),
    }
    counts.update(info)
    return counts, lost, bad


def _verify_messages(ex, msgs, by_exec_text, texts_seen, lost, bad, info):
    """Each acknowledged message exactly as acknowledged; each attempt
    stored at most once."""
    eid = ex["id"]
    for mid, mtype, text in ex["messages"]:
        m = msgs.get(mid)
        if m is None:
            lost.append("message %d of execution %d is missing" % (mid, eid))
        elif m["exec"] != eid or m["type"] != mtype or m["text"] != text:
            lost.append("message %d differs: stored exec %d type %s text %r, acknowledged "
                        "exec %d type %s text %r" % (mid, m["exec"], m["type"],
                                                     m["text"][:80], eid, mtype, text[:80]))
    acked_mids = {mid for mid, _, _ in ex["messages"]}
    for mtype, text in ex["msg_attempts"]:
        found = by_exec_text.get((eid, text), [])
        texts_seen.add((eid, text))
        if len(found) > 1:
            bad.append("message %r of execution %d stored %d times" % (text[:40], eid, len(found)))
        for mid in found:
            if mid not in acked_mids:
                info["unacked_messages_written"] += 1


def _verify_end(ex, row, msgs, by_exec_text, texts_seen, lost, bad, info):
    """The end: the acknowledged one, or one that got no answer."""
    eid = ex["id"]
    attempts = ex["end_attempts"]
    written = []    # attempts whose message is stored
    for i, (_, etype, text) in enumerate(attempts):
        if text is None:
            continue
        texts_seen.add((eid, text))
        found = by_exec_text.get((eid, text), [])
        if len(found) > 1:
            bad.append("end message of execution %d stored %d times" % (eid, len(found)))
        if found:
            written.append(i)
            if msgs[found[0]]["type"] != etype:
                bad.append("end message of execution %d has type %s, sent %s"
                           % (eid, msgs[found[0]]["type"], etype))
    for text in ex["reend_texts"]:
        texts_seen.add((eid, text))
        if by_exec_text.get((eid, text)):
            bad.append("a refused second end of execution %d left its message" % eid)
    if len(written) > 1:
        bad.append("execution %d ended twice: %d end messages" % (eid, len(written)))
    ack = ex["end_ack"]
    if ack is not None:
        success, etype, text = attempts[ack]
        if not row["ended"] or row["success"] != int(success) or row["type"] != etype:
            lost.append("end of execution %d: stored ended=%s success=%d type=%s, "
                        "acknowledged success=%s type=%s"
                        % (eid, row["ended"], row["success"], row["type"], success, etype))
        if text is not None and ack not in written:
            lost.append("end message of execution %d is missing" % eid)
        if [i for i in written if i != ack]:
            bad.append("execution %d has the message of an end that was not the one "
                       "acknowledged" % eid)
    elif row["ended"]:
        # Ended by an attempt that got a 503 or no answer.
        info["unacked_ends_written"] += 1
        if not attempts:
            bad.append("execution %d is ended but no end was sent" % eid)
        else:
            success, etype, _ = attempts[0]
            if row["success"] != int(success) or row["type"] != etype:
                bad.append("execution %d ended with success=%d type=%s, never sent"
                           % (eid, row["success"], row["type"]))
            if any(t is not None for _, _, t in attempts) and not written:
                bad.append("execution %d ended without its end message (half-written)" % eid)
    elif written:
        bad.append("execution %d is not ended but has an end message (half-written)" % eid)
    if ex.get("end_409_after_ambiguous") and not row["ended"]:
        bad.append("end of execution %d got 409 but it is not ended" % eid)


def verify_result(doc, db):
    """Verify a run's result against the database, print what was found,
    and add it to the result. True when nothing was lost or bad."""
    try:
        counts, lost, bad = verify(doc, db)
    except Exception as e:              # noqa: BLE001 -- any cause fails it
        doc["failures"].append("verification could not run: %s" % e)
        print("verify: %s/%s: could not run: %s" % (doc["scenario"], doc["database"], e))
        return False
    doc["verify"] = counts
    doc["verify_examples"] = (lost + bad)[:30]
    if lost:
        doc["failures"].append("%d acknowledged writes lost or changed" % len(lost))
    if bad:
        doc["failures"].append("%d double, half or unknown writes" % len(bad))
    print("verify: %s/%s: %d starts, %d messages, %d ends acknowledged; lost %d; "
          "double/half/unknown %d; written though not acknowledged: %d starts, %d messages, "
          "%d ends" % (doc["scenario"], doc["database"], counts["acked_starts"],
                       counts["acked_messages"], counts["acked_ends"], counts["lost"],
                       counts["bad"], counts["unacked_starts_written"],
                       counts["unacked_messages_written"], counts["unacked_ends_written"]),
          flush=True)
    for x in (lost + bad)[:10]:
        print("verify:   %s" % x)
    return not (lost or bad)


# ------------------------------------------------------------ self-check ---

def selfcheck(src, db, label):
    """Proves that ``verify`` sees what it is meant to see: takes a run
    that verified clean, damages its rows in known ways (one acknowledged
    message deleted, one changed, one acknowledged end changed, one
    message that was never sent added) and expects exactly those four
    findings. Returns the result of the check."""
    execs = [ex for ex in src["executions"] if ex["end_ack"] is not None and len(ex["messages"]) >= 2]
    fails = []
    if len(execs) < 2:
        fails.append("the source run has too few complete executions to damage")
    else:
        e1, e2 = execs[0], execs[1]
        gone, changed = e1["messages"][0][0], e1["messages"][1][0]
        acked_type = e2["end_attempts"][e2["end_ack"]][1]
        other = [t for t in TYPES if t != acked_type][0]
        db.query("DELETE FROM charon_message WHERE id = %d" % gone)
        db.query("UPDATE charon_message SET message = 'damaged' WHERE id = %d" % changed)
        db.query("UPDATE charon_execution SET type = '%s' WHERE id = %d" % (other, e2["id"]))
        db.query("INSERT INTO charon_message (execution_id, type, message) "
                 "VALUES (%d, 'info', 'never sent')" % e2["id"])
        counts, lost, bad = verify(src, db)
        if (counts["lost"], counts["bad"]) != (3, 1):
            fails.append("after damaging 4 rows, verify found lost=%d bad=%d (expected 3 and 1): %s"
                         % (counts["lost"], counts["bad"], (lost + bad)[:6]))
        for x in lost + bad:
            print("self-check: found: %s" % x[:150])
    doc = empty_result("checker-self-test", label, fails, [
        "4 rows damaged on purpose after the graceful fault; the checker "
        "must report exactly 3 lost and 1 unknown"])
    doc.update(key_name=src["key_name"], run={"requests": 0, "by_status": {}})
    print("self-check: %s" % ("the checker found the 4 damaged rows" if not fails else fails[0]),
          flush=True)
    return doc


# ---------------------------------------------------------------- table ---

def _fmt_s(v):
    return "-" if v is None else "%.2f" % v


HEAD = ("fault", "database", "requests", "200/503", "other", "max 503 s", "max any s",
        "recovery s (can-start/start/message/end)", "lost", "unacked writes",
        "db conns", "result")


def table_row(doc):
    """The summary table's row of one result."""
    r = doc.get("run", {})
    bs = dict(r.get("by_status", {}))
    n200 = bs.pop("200", 0)
    n503 = bs.pop("503", 0)
    again = r.get("per_endpoint", {}).get("end-again", {}).get("409", 0)
    if again:
        # The deliberate second ends, refused as they must be.
        bs["409"] -= again
        if not bs["409"]:
            del bs["409"]
        bs["409 2nd end"] = again
    other = ", ".join("%s=%d" % kv for kv in sorted(bs.items())) or "-"
    rec = r.get("recovery")
    rec_s = "/".join(_fmt_s(rec.get(ep)) for ep in ENDPOINTS) if rec else "-"
    ver = doc.get("verify")
    lost = "-" if ver is None else str(ver["lost"] + ver["bad"])
    unacked = "-" if ver is None else "%d/%d/%d" % (
        ver["unacked_starts_written"], ver["unacked_messages_written"],
        ver["unacked_ends_written"])
    extra = doc.get("extra", {})
    over = (" (%d over)" % r["slower_than_bound"]) if r.get("slower_than_bound") else ""
    return (doc.get("scenario", "?"), doc.get("database", "?"), str(r.get("requests", 0)),
            "%d/%d" % (n200, n503), other,
            _fmt_s(r.get("max_latency_by_status", {}).get("503")),
            _fmt_s(r.get("max_latency")) + over, rec_s, lost, unacked,
            str(extra.get("db_conns", r.get("max_db_connections", "-"))),
            "pass" if passed(doc) else "FAIL")


def table(docs):
    """The summary table of results (None: a result that could not be
    read), then each one's failures and notes, as text."""
    rows = [table_row(d) if d is not None else
            ("?", "?") + ("-",) * (len(HEAD) - 3) + ("FAIL",) for d in docs]
    out = [stats.markdown_table(HEAD, rows, pad=True)]
    for doc in docs:
        for kind, key in (("FAIL", "failures"), ("note", "notes")):
            for text in (doc or {}).get(key, []):
                out.append("%s %s/%s: %s\n" % (kind, doc.get("scenario"),
                                              doc.get("database"), text))
    return "".join(out)
