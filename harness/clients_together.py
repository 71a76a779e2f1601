"""Client processes started together and waited for (harness.bench_burst):
each in a session of its own that the cleanup stack stops, released at
the same instant (they wait where the kernel says they wait), their
scripts fed through their pipes side by side.
"""

import os
import resource
import subprocess
import time

from . import proc
from .proc import Failure


def launch(argv, user=None, stdin=None, stdout=None, stderr=None):
    """A client process, in a session of its own that the cleanup stack
    stops should the program end first; as user (when root) without
    runuser, so that its pid is the client's own (wait_ready reads it)."""
    kw = {}
    if user and proc.is_root() and user != proc.current_user():
        uid, gid, _ = proc.user_ids(user)
        kw = {"user": uid, "group": gid, "extra_groups": [], "cwd": "/"}
    p = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr,
                         start_new_session=True, **kw)
    p.cleanup = proc.cleanup.push(_end, p)
    return p


def _end(p):
    if p.poll() is None:
        proc.stop_group(p.pid)
    p.wait()


def children_cpu():
    """CPU seconds (user and system) of the child processes ended so
    far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wchan(pid):
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return f.read()
    except OSError:
        return None


def wait_ready(procs, what, timeout=30):
    """Wait until every process sleeps where what (a kernel function's
    name, or part of it) says: ab in the FIFO's open, a client reading
    its stdin.  Failure when one has exited; False after timeout (the
    start is then less even), True when all are there."""
    end = proc.now() + timeout
    while True:
        waiting = 0
        for p in procs:
            if p.poll() is not None:
                raise Failure("%s exited (%d) before the start" % (
                    os.path.basename(p.args[0]), p.returncode))
            w = wchan(p.pid)
            if w is None:           # no /proc: give them a moment
                time.sleep(1)
                return True
            waiting += what in w
        if waiting == len(procs):
            return True
        if proc.now() > end:
            return False
        time.sleep(0.01)


def wait_all(procs, timeout):
    """Wait for every process; the moment the last one ended (now()).
    Those still running after timeout are stopped (their exit status
    then says so)."""
    end = proc.now() + timeout
    for p in procs:
        try:
            p.wait(max(end - proc.now(), 0.1))
        except subprocess.TimeoutExpired:
            pass
    t = proc.now()
    for p in procs:
        proc.cleanup.done(p.cleanup)
    return t


def feed(procs, data):
    """Write data[i] to procs[i]'s stdin and close it, all of them as
    fast as the pipes take it (a script larger than a pipe does not hold
    the others back)."""
    pending = {}
    for p, d in zip(procs, data):
        os.set_blocking(p.stdin.fileno(), False)
        pending[p] = memoryview(d)
    while pending:
        for p, buf in list(pending.items()):
            try:
                n = os.write(p.stdin.fileno(), buf)
            except BlockingIOError:
                n = 0
            except BrokenPipeError:
                n = len(buf)
            buf = buf[n:]
            if len(buf):
                pending[p] = buf
            else:
                del pending[p]
                try:
                    p.stdin.close()
                except BrokenPipeError:
                    pass
        if pending:
            time.sleep(0.001)
