"""A throwaway httpd with mod_charon, for the benchmarks and the fault runs.

    module = httpd.copy_module(TOP, work)
    h = httpd.Httpd(os.path.join(work, "httpd-pgsql"), module,
                    httpd.event_mpm(2, 128, max_connections_per_child=0)
                    + httpd.dbd(pg.driver, pg.dbd_params, keep=16, max=16,
                                exptime=300)
                    + httpd.api_location([("bench", key)]))
    h.start()              # returns once GET /api/x/can-start answers 401
    h.sample()             # [(pid, VmRSS KiB, open fds)] of each child
    h.graceful()
    h.stop()               # also done by the cleanup stack

The configuration is a fixed head (ServerRoot, Listen 127.0.0.1:<free
port>, PidFile, ErrorLog, LogLevel, User/Group, LoadModule lines) and a
body of the caller's: the MPM's numbers, the database, the locations and
keys differ between the benchmark, the big-table benchmark and the fault
runs; event_mpm(), dbd() and api_location() write the usual pieces. As root
the children run as www-data (or the user given), and the ServerRoot is
theirs.
"""

import http.client
import os
import re
import shutil
import signal
import urllib.parse

from . import proc
from .proc import Failure

_say = proc.say_as("httpd")

HTTPD = "/usr/sbin/apache2"
MODULES = "/usr/lib/apache2/modules"


def copy_module(top, dest_dir, src=None):
    """A copy of .libs/mod_charon.so (or of src, another build) in
    dest_dir: a rebuild during the run (or a graceful restart reloading a
    half-written file) must not change what is measured, and a checkout
    under /root is out of www-data's reach."""
    src = src or os.path.join(top, ".libs", "mod_charon.so")
    if not os.path.isfile(src):
        raise Failure("%s is missing: run make first" % src)
    dest = os.path.join(dest_dir, "mod_charon.so")
    shutil.copy(src, dest)
    os.chmod(dest, 0o755)
    return dest


def event_mpm(procs, threads, server_limit=None, max_spare=None,
              keepalive_timeout=5, max_keepalive_requests=0,
              max_connections_per_child=None, timeout=20):
    """The event MPM with procs processes of threads threads (StartServers,
    ThreadsPerChild, MaxRequestWorkers) and keep-alive. server_limit
    (procs) above procs leaves room for the old generation's processes
    during a graceful restart; max_spare defaults to every thread, so that
    no process is stopped for being idle."""
    lines = [
        ("StartServers", procs), ("ServerLimit", server_limit or procs),
        ("ThreadLimit", threads), ("ThreadsPerChild", threads),
        ("MaxRequestWorkers", procs * threads), ("MinSpareThreads", 1),
        ("MaxSpareThreads", max_spare or procs * threads)]
    if max_connections_per_child is not None:
        lines.append(("MaxConnectionsPerChild", max_connections_per_child))
    lines += [("KeepAlive", "On"), ("KeepAliveTimeout", keepalive_timeout),
              ("MaxKeepAliveRequests", max_keepalive_requests),
              ("Timeout", timeout)]
    return "".join("%-22s %s\n" % kv for kv in lines) + "\n"


def dbd(driver, params, keep, max, exptime, min=1, init_sql=None):
    """mod_dbd's pool for one database (DBDMax per process)."""
    text = ('DBDriver %s\nDBDParams "%s"\nDBDMin %d\nDBDKeep %d\nDBDMax %d\n'
            'DBDExptime %d\n' % (driver, params, min, keep, max, exptime))
    if init_sql:
        text += 'DBDInitSQL "%s"\n' % init_sql
    return text + "\n"


# The module's metrics, for the harness's own questions (sqlite_busy);
# the harness's httpds listen on 127.0.0.1 only.
METRICS_LOCATION = """
<Location "/charon-metrics">
    SetHandler charon-metrics
    Require all granted
</Location>
"""


def api_location(keys=(), include=None, path="/api/"):
    """The API's location with keys [(name, key), ...] and/or an Include
    of a file of CharonApiKey lines."""
    lines = ['<Location "%s">' % path, "    SetHandler charon",
             "    Require all granted"]
    lines += ['    CharonApiKey %s "%s"' % k for k in keys]
    if include:
        lines.append('    Include "%s"' % include)
    return "\n".join(lines + ["</Location>"]) + "\n"


class Httpd:
    """One httpd: its ServerRoot directory root holds the configuration,
    pid file, error_log (and whatever else the body writes there)."""

    def __init__(self, root, module, body, user=None, mpm="event",
                 log_level="warn", modules=("authz_core", "dbd"),
                 writer="harness/httpd.py", env=None):
        self.root = os.path.abspath(root)
        self.module, self.body, self.mpm = module, body, mpm
        self.log_level, self.modules, self.writer = log_level, modules, writer
        self.conf = os.path.join(self.root, "httpd.conf")
        self.pid_file = os.path.join(self.root, "httpd.pid")
        self.error_log = os.path.join(self.root, "error_log")
        self.user = self.group = None
        if proc.is_root():
            self.user = user or "www-data"
            self.group = proc.user_ids(self.user)[2]
        self.port = None
        self._cleanup = None
        # More environment for httpd (bench_ping's LD_PRELOAD).
        self.env = dict(os.environ, **env) if env else None

    @property
    def base(self):
        """The API's URL, as the clients use it."""
        return "http://127.0.0.1:%d/api/" % self.port

    def write(self):
        """Write the configuration, on a free port of 127.0.0.1."""
        os.makedirs(self.root, exist_ok=True)
        if self.user:
            uid, gid, _ = proc.user_ids(self.user)
            os.chown(self.root, uid, gid)
        self.port = self.port or proc.free_port()
        head = [
            "# Written by %s; thrown away after the run." % self.writer,
            'ServerRoot "%s"' % self.root, "ServerName localhost",
            "Listen 127.0.0.1:%d" % self.port, 'PidFile "%s"' % self.pid_file,
            'DefaultRuntimeDir "%s"' % self.root,
            'ErrorLog "%s"' % self.error_log, "LogLevel " + self.log_level]
        if self.user:
            head += ["User " + self.user, "Group " + self.group]
        mods = ["mpm_" + self.mpm] + list(self.modules)
        head.append("")
        head += ["LoadModule %-18s %s/mod_%s.so" % (m + "_module", MODULES, m)
                 for m in mods]
        head.append('LoadModule %-18s "%s"' % ("charon_module", self.module))
        with open(self.conf, "w") as f:
            f.write("\n".join(head) + "\n\n" + self.body)

    def ctl(self, action, check=True):
        """apache2 -f CONF -k action."""
        return proc.run([HTTPD, "-f", self.conf, "-k", action], check=check,
                        env=self.env)

    def start(self, path="x/can-start", status=401, headers=None, timeout=15):
        """Start it, and wait until GET base+path answers status (401 needs
        no database: httpd and the module are up)."""
        if not os.path.exists(self.conf):
            self.write()
        for log in (self.error_log, os.path.join(self.root, "access_log")):
            if log == self.error_log or os.path.exists(log):
                open(log, "w").close()
        self._cleanup = self._cleanup or proc.cleanup.push(self.stop)
        p = self.ctl("start", check=False)
        if p.returncode != 0:
            raise Failure("httpd did not start: %s%s" % (
                p.stderr, proc.file_tail(self.error_log, 40)))
        got = None
        end = proc.now() + timeout
        while proc.now() < end:
            got = self.request("GET", self.base + path, headers)[0]
            if got == status:
                return
            proc.time.sleep(0.1)
        raise Failure("httpd did not answer %d on %s (last: %s); error_log:\n%s"
                      % (status, self.base + path, got,
                         proc.file_tail(self.error_log, 20)))

    def stop(self, timeout=30):
        """Stop it (-k stop, else SIGTERM); after timeout, SIGKILL to it and
        its children."""
        if self._cleanup:
            proc.cleanup.done(self._cleanup, run=False)
            self._cleanup = None
        pid = self.pid()
        if not pid or not proc.alive(pid):
            return
        kids = proc.children(pid)
        if self.ctl("stop", check=False).returncode != 0:
            proc.signal_pids([pid], signal.SIGTERM)
        if not proc.wait_pid(pid, timeout):
            _say("httpd %d ignores stop; killing it and its children" % pid)
            proc.signal_pids([pid] + kids, signal.SIGKILL)
            proc.wait_pid(pid, 5)

    def graceful(self):
        self.ctl("graceful")

    def pid(self):
        """The parent's pid, from the pid file (None when not running)."""
        return proc.read_pid(self.pid_file)

    def children(self):
        pid = self.pid()
        return proc.children(pid) if pid else []

    def open_connections(self):
        """Client connections this httpd still holds open (ESTABLISHED, or
        CLOSE_WAIT: the client has gone, httpd has not closed yet)."""
        n = 0
        try:
            with open("/proc/net/tcp") as f:
                for line in f.readlines()[1:]:
                    local, state = line.split()[1], line.split()[3]
                    if (int(local.split(":")[1], 16) == self.port
                            and state in ("01", "08")):
                        n += 1
        except OSError:
            pass
        return n

    def settle(self, timeout=5):
        """Wait (up to timeout s) until httpd has closed every client
        connection: a load generator that has just ended leaves httpd a
        moment to close its side, and until then each socket counts among
        a child's open fds. True when none is left."""
        end = proc.now() + timeout
        while self.open_connections():
            if proc.now() >= end:
                return False
            proc.time.sleep(0.01)
        return True

    def sample(self):
        """(pid, VmRSS in KiB, open fds) of each child, for growth checks
        (after settle(), so that no client socket is counted)."""
        out = []
        for pid in self.children():
            rss, fds = 0, 0
            try:
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            rss = int(line.split()[1])
                fds = len(os.listdir("/proc/%d/fd" % pid))
            except OSError:
                pass
            out.append((pid, rss, fds))
        return out

    def log_size(self):
        """Where the error_log ends now: log_since() reads from there."""
        try:
            return os.path.getsize(self.error_log)
        except OSError:
            return 0

    def log_since(self, offset=0):
        try:
            with open(self.error_log, "rb") as f:
                f.seek(offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def sqlite_busy(self):
        """charon_sqlite_busy_total (every child's SQLITE_BUSY so far) from
        METRICS_LOCATION, or None when the answer has no such line."""
        status, body = self.request("GET", "/charon-metrics", timeout=10)
        m = status == 200 and re.search(rb"^charon_sqlite_busy_total (\d+)$",
                                         body, re.M)
        return int(m.group(1)) if m else None

    def request(self, method, url, headers=None, body=None, timeout=2):
        """(status, body) of one request to this httpd (url: a URL of it, or
        a path); (None, error text) when it could not be sent or answered."""
        u = urllib.parse.urlsplit(url)
        path = (u.path or "/") + ("?" + u.query if u.query else "")
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException) as e:
            return None, str(e)
        finally:
            c.close()
