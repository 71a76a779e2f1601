#!/usr/bin/env python3
"""A stand-in for /usr/sbin/sendmail, for tests: keeps what it is given.

    sendmail_standin.py [--dir D] [--exit N] [-t] [-i] [-oi] [-f ADDR]
                        [RCPT ...]

Reads the message from stdin to its end and saves it to D (--dir, or the
environment's CHARON_SENDMAIL_DIR) as N.eml, with N.json ({"argv": the
arguments after its own options}).  --exit N: exits N having saved
nothing, as a sendmail that fails does (75 is EX_TEMPFAIL).

mod_charon runs sendmail with "-t -i" and an environment of PATH only, so
a channel cannot pass --dir: a wrapper script can, and

    sendmail_standin.py --make-wrapper PATH --dir D [--exit N]

writes one (mode 0755) that runs this file with this Python and those
options; the channel's sendmail= names PATH.
"""

import argparse
import json
import os
import shlex
import sys


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="sendmail_standin.py")
    ap.add_argument("--dir", default=os.environ.get("CHARON_SENDMAIL_DIR"))
    ap.add_argument("--exit", type=int, default=0)
    ap.add_argument("--make-wrapper", metavar="PATH")
    # sendmail's own options, accepted and recorded
    ap.add_argument("-t", action="store_true")
    ap.add_argument("-i", action="store_true")
    ap.add_argument("-o", dest="opts", action="append", default=[])
    ap.add_argument("-f", dest="sender")
    ap.add_argument("rcpts", nargs="*")
    return ap.parse_known_args(argv)


def make_wrapper(path, directory, status=0):
    """A shell script at path that runs the stand-in into directory."""
    argv = [sys.executable, os.path.abspath(__file__),
            "--dir", os.path.abspath(directory)]
    if status:
        argv += ["--exit", str(status)]
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec %s \"$@\"\n"
                % " ".join(shlex.quote(a) for a in argv))
    os.chmod(path, 0o755)
    return path


def save(directory, message, argv):
    os.makedirs(directory, exist_ok=True)
    n = 1 + len([f for f in os.listdir(directory) if f.endswith(".eml")])
    while os.path.exists(os.path.join(directory, "%d.eml" % n)):
        n += 1
    for name, data in (("%d.json" % n, json.dumps({"argv": argv}).encode()),
                       ("%d.eml" % n, message)):
        tmp = os.path.join(directory, ".%s.tmp" % name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(directory, name))
    return n


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args, _rest = parse_args(argv)
    if not args.dir:
        print("sendmail_standin: no --dir and no CHARON_SENDMAIL_DIR",
              file=sys.stderr)
        return 64                        # EX_USAGE
    if args.make_wrapper:
        make_wrapper(args.make_wrapper, args.dir, args.exit)
        return 0
    message = sys.stdin.buffer.read()
    if args.exit:
        print("sendmail_standin: failing with %d, as told" % args.exit,
              file=sys.stderr)
        return args.exit
    own = {"--dir", "--exit"}
    kept, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in own:
            skip = True
        elif not a.startswith(("--dir=", "--exit=")):
            kept.append(a)
    save(args.dir, message, kept)
    return 0


if __name__ == "__main__":
    sys.exit(main())
