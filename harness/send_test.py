"""The alert transports (src/send/) against real receivers.

    python3 -m harness.send_test [--binary build/test_send]

Starts the webhook sink and the SMTP sink (harness/sinks.py) on free
ports, writes two wrappers of the sendmail stand-in (one that keeps the
message, one that exits 75), runs build/test_send (tests/send/) with
them, and stops the sinks and removes its files however it ends.  The
last line is the program's: "send: N passed, M failed"; the exit status
is its own.  `make unit` runs it (about 10 seconds: the time limits are
waited out for real).
"""

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import time

from harness import proc, sendmail_standin

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "send-test"
# libcurl honours these; the sinks are on 127.0.0.1.
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
              "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def start_sink(kind, work, args):
    """A sink of harness.sinks, started in the background: (Popen, port)."""
    portfile = os.path.join(work, kind + ".port")
    logpath = os.path.join(work, kind + ".log")
    with open(logpath, "w") as log:
        p = proc.spawn([sys.executable, "-m", "harness.sinks", kind,
                        "--portfile", portfile] + args,
                       stdout=log, stderr=subprocess.STDOUT, cwd=TOP)
    deadline = time.monotonic() + 15
    while not os.path.exists(portfile):
        if p.poll() is not None:
            raise proc.Failure("the %s sink ended at once: %s"
                               % (kind, proc.file_tail(logpath, 10)))
        if time.monotonic() > deadline:
            raise proc.Failure("the %s sink did not start in 15 s: %s"
                               % (kind, proc.file_tail(logpath, 10)))
        time.sleep(0.05)
    with open(portfile) as f:
        return p, int(f.read())


def stop_sink(p):
    p.send_signal(signal.SIGTERM)
    proc.finish(p, 10)


def run(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m harness.send_test")
    ap.add_argument("--binary", default=os.path.join(TOP, "build",
                                                     "test_send"))
    args = ap.parse_args(argv)
    if not os.access(args.binary, os.X_OK):
        raise proc.Failure("%s is missing: make build/test_send"
                           % args.binary)
    if importlib.util.find_spec("aiosmtpd") is None:
        raise proc.Failure("%s has no aiosmtpd: install Debian's "
                           "python3-aiosmtpd (scripts/deps.sh)"
                           % sys.executable)

    work = proc.temp_dir("send")
    scratch = os.path.join(work, "tmp")
    os.mkdir(scratch)
    smtp_dir = os.path.join(work, "smtp")
    mail_dir = os.path.join(work, "sendmail-out")
    hook, hook_port = start_sink("webhook", work, ["--hang-seconds", "30"])
    smtp, smtp_port = start_sink("smtp", work, ["--dir", smtp_dir])
    ok = sendmail_standin.make_wrapper(os.path.join(work, "sendmail"),
                                       mail_dir)
    tempfail = sendmail_standin.make_wrapper(
        os.path.join(work, "sendmail-tempfail"), mail_dir, 75)

    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    cmd = [args.binary, "--webhook", str(hook_port), "--smtp",
           str(smtp_port), "--smtp-dir", smtp_dir, "--sendmail", ok,
           "--sendmail-tempfail", tempfail, "--sendmail-dir", mail_dir,
           "--tmp", scratch]
    try:
        rc = subprocess.run(cmd, env=env, cwd=TOP, timeout=300).returncode
    except subprocess.TimeoutExpired:
        raise proc.Failure("build/test_send ran past 300 s") from None
    stop_sink(smtp)
    stop_sink(hook)
    return rc


def main():
    proc.main(NAME, run)


if __name__ == "__main__":
    main()
