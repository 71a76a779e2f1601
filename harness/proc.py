"""Processes and their cleanup, free ports, passwords, timing.

Everything a harness program starts (servers, temporary directories, test
runners) is pushed on one cleanup stack; ``main`` runs it when the program
ends, however it ends: normally, on an exception, on Ctrl-C or on SIGTERM.
The stack also runs at interpreter exit (atexit), for programs that do not
go through ``main``.
"""

import atexit
import os
import pwd
import grp
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


class Failure(Exception):
    """A step that failed, with a message that says why (no traceback)."""


class Usage(Failure):
    """A command line or setting that cannot be used: main exits 2."""


# ------------------------------------------------------------- cleanup ---

class CleanupStack:
    """Callbacks run once, last pushed first, at the end of the program."""

    def __init__(self):
        self._items = []
        self._lock = threading.Lock()

    def push(self, fn, *args):
        """Register fn(*args); returns a handle for ``done``."""
        item = [fn, args]
        with self._lock:
            self._items.append(item)
        return item

    def done(self, handle, run=True):
        """Run (or drop, run=False) one callback now, and forget it."""
        with self._lock:
            if handle not in self._items:
                return
            self._items.remove(handle)
        if run:
            _call(handle[0], handle[1])

    def run(self):
        """Run every callback, newest first; a failing one does not stop
        the others. Signals are ignored meanwhile, so that a second Ctrl-C
        cannot leave a server running half-stopped."""
        old = {}
        if threading.current_thread() is threading.main_thread():
            for s in (signal.SIGINT, signal.SIGTERM):
                old[s] = signal.signal(s, signal.SIG_IGN)
        try:
            while True:
                with self._lock:
                    if not self._items:
                        break
                    fn, args = self._items.pop()
                _call(fn, args)
        finally:
            for s, h in old.items():
                signal.signal(s, h)


def _call(fn, args):
    try:
        fn(*args)
    except Exception as e:   # cleanup goes on whatever one step does
        print("cleanup: %s: %s" % (getattr(fn, "__name__", fn), e),
              file=sys.stderr)


cleanup = CleanupStack()
atexit.register(cleanup.run)


class Terminated(BaseException):
    """SIGTERM, turned into an exception so that cleanup runs."""


def _on_term(signum, frame):
    raise Terminated()


def main(name, fn):
    """Run fn() as a program named name: its return value is the exit
    status; Ctrl-C exits 130 and SIGTERM 143 (as the shell's traps did),
    a Failure prints its message and exits 1 (a Usage 2); the cleanup
    stack runs in every case before the exit."""
    signal.signal(signal.SIGTERM, _on_term)
    rc = 1
    try:
        rc = fn()
    except KeyboardInterrupt:
        print("\n%s: interrupted" % name, file=sys.stderr)
        rc = 130
    except Terminated:
        print("%s: terminated" % name, file=sys.stderr)
        rc = 143
    except Failure as e:
        print("%s: %s" % (name, e), file=sys.stderr)
        rc = 2 if isinstance(e, Usage) else 1
    finally:
        sys.stdout.flush()
        cleanup.run()
    sys.exit(rc if isinstance(rc, int) else 0)


def temp_dir(prefix, mode=None):
    """A fresh directory under /tmp, removed by the cleanup stack."""
    d = tempfile.mkdtemp(prefix="charon-%s." % prefix, dir="/tmp")
    if mode is not None:
        os.chmod(d, mode)
    cleanup.push(shutil.rmtree, d, True)
    return d


# ------------------------------------------------------------ processes ---

def alive(pid):
    """Whether process pid exists (reaping it first if it is our child,
    so that a zombie of ours counts as gone)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_pid(pid, seconds):
    """Wait up to seconds for pid to be gone; True when it is."""
    end = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() >= end:
            return False
        time.sleep(0.1)
    return True


def signal_pids(pids, sig):
    """Send sig to each pid that still exists; never fails."""
    for p in pids:
        try:
            os.kill(p, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_group(pgid, steps=((signal.SIGINT, 15), (signal.SIGTERM, 5),
                            (signal.SIGKILL, 5))):
    """End a process group led by pgid: each signal of steps in turn, to
    the whole group, until its leader is gone within that step's time;
    then SIGKILL to what is left of the group (a child that ignored the
    signals, e.g. one a shell put in the background), so that nothing of
    it outlives its leader."""
    for sig, seconds in steps:
        if not alive(pgid):
            break
        _killpg(pgid, sig)
        if wait_pid(pgid, seconds):
            break
    _killpg(pgid, signal.SIGKILL)
    return wait_pid(pgid, 5)


def _killpg(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def children(pid):
    """The pids whose parent is pid, in order (from /proc)."""
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        # the command name, in parentheses, may hold blanks: after the last ')'
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[1] == str(pid):
            kids.append(int(name))
    return sorted(kids)


def read_pid(path):
    """The pid in the first line of a pid file, or None."""
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def follow(path, proc, out=None):
    """Copy what is appended to the file path to out (our stdout) while
    proc runs, then the rest: a live view of a log that is also kept.
    Returns the thread; join it after proc.wait()."""
    out = out or sys.stdout.buffer

    def copy():
        with open(path, "rb") as f:
            while True:
                chunk = f.read(65536)
                if chunk:
                    out.write(chunk)
                    out.flush()
                elif proc.poll() is not None:
                    rest = f.read()
                    if rest:
                        out.write(rest)
                        out.flush()
                    return
                else:
                    time.sleep(0.1)

    t = threading.Thread(target=copy, daemon=True)
    t.start()
    return t


# ---------------------------------------------------------------- users ---

def is_root():
    return os.geteuid() == 0


def user_ids(user):
    """(uid, gid, group name) of a user; Failure when there is none."""
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        raise Failure("user %s does not exist" % user) from None
    return pw.pw_uid, pw.pw_gid, grp.getgrgid(pw.pw_gid).gr_name


def current_user():
    return pwd.getpwuid(os.geteuid()).pw_name


def as_user(argv, user):
    """argv run as user: through runuser when we are root and user is
    another, else as is."""
    if user and is_root() and user != "root":
        return ["runuser", "-u", user, "--"] + list(argv)
    return list(argv)


def chown_tree(path, user):
    """chown -R path to user (and the user's group), links not followed."""
    uid, gid, _ = user_ids(user)
    for root, dirs, files in os.walk(path):
        os.lchown(root, uid, gid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


def run(argv, user=None, input=None, stdin=None, check=True, quiet=False,
        cwd=None, env=None, timeout=None, merge=False):
    """Run a command (as user when given), text in and out, no shell.
    Returns the CompletedProcess; with check, a non-zero exit raises
    Failure with the command's last lines. quiet drops stdout; merge puts
    stderr into stdout, in the order the command wrote them."""
    prog = os.path.basename(argv[0])
    argv = as_user(argv, user)
    # runuser keeps the directory, which the user may not be able to enter
    if cwd is None and user and is_root():
        cwd = "/"
    p = subprocess.run(argv, input=input, stdin=stdin, cwd=cwd, env=env,
                       stdout=subprocess.DEVNULL if quiet else subprocess.PIPE,
                       stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise Failure("%s exited %d: %s" % (
            prog, p.returncode, tail(p.stderr or p.stdout or "", 20)))
    return p


def spawn(argv, user=None, stdin=None, stdout=None, stderr=None, cwd=None,
          env=None):
    """Start a command in the background (as user when given, as run()
    does), in a process group of its own, which is on the cleanup stack
    meanwhile: when the program ends first (Ctrl-C, SIGTERM, a failure in
    another thread), the whole group is stopped rather than left running.
    stdin/stdout/stderr as for subprocess. Returns the Popen; finish()
    waits for it."""
    argv = as_user(argv, user)
    if cwd is None and user and is_root():
        cwd = "/"
    p = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr,
                         cwd=cwd, env=env, start_new_session=True)
    p.cleanup = cleanup.push(_end_spawned, p)
    return p


def _end_spawned(p):
    if p.poll() is None:
        stop_group(p.pid)
    p.wait()


def finish(p, timeout=None):
    """Wait for a process of spawn() to end (with timeout: stop it after
    that many seconds); its exit status."""
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    cleanup.done(p.cleanup)
    return p.returncode


def run_owned(argv, user=None, stdin=None, stdout=None, stderr=None,
              cwd=None, env=None):
    """Run a command to its end with spawn(): for long steps run from a
    thread, such as a load beside another. Returns the exit status."""
    return finish(spawn(argv, user, stdin, stdout, stderr, cwd, env))


def tail(text, n):
    """The last n lines of text."""
    return "\n".join(text.rstrip("\n").split("\n")[-n:])


def read_text(path):
    """A file's text, or '' when it cannot be read."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def file_tail(path, n):
    """The last n lines of a file, or '' when it cannot be read."""
    return tail(read_text(path), n)


# ---------------------------------------------------------- ports, keys ---

def port_is_free(port, host="127.0.0.1"):
    """Whether a TCP port can be bound and listened on, as a server will."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(1)
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    """A TCP port that nothing listens on at 127.0.0.1. Drawn below
    Linux's ephemeral range (32768+), so that the kernel does not hand the
    same port to an outgoing connection meanwhile; checked by binding it,
    as the server will. What remains is a short race with other programs
    picking ports the same way, which a start reports clearly."""
    for _ in range(200):
        port = 20000 + random.randrange(12000)
        if port_is_free(port):
            return port
    raise Failure("no free port found")


def free_port_block(count=10, host="0.0.0.0"):
    """A base port in 10000-19999 (a multiple of 10) whose next count-1
    ports are free too, or None after 100 tries."""
    for _ in range(100):
        base = 10000 + 10 * random.randrange(1000)
        if all(port_is_free(p, host) for p in range(base, base + count)):
            return base
    return None


def random_password(nbytes=12):
    """Hex digits (2 per byte): hex needs no quoting anywhere (DBDParams,
    SQL, a DBI DSN, a configuration file)."""
    return secrets.token_hex(nbytes)


# --------------------------------------------------------------- timing ---

def now():
    """A clock for measuring durations (not the time of day)."""
    return time.monotonic()


def elapsed(t0, digits=1):
    """Seconds since t0 (from now()), as text with digits decimals."""
    return "%.*f" % (digits, time.monotonic() - t0)


def say_as(name, stream=None):
    """A function that prints 'name: message' lines (flushed at once, so
    that they interleave with the output of child processes)."""
    def say(*words):
        print("%s: %s" % (name, " ".join(str(w) for w in words)),
              file=stream or sys.stdout, flush=True)
    return say
