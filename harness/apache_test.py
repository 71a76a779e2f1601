"""Runs the Apache::Test suite (t/*.t) once per database backend (and MPM).

  python3 -m harness.apache_test [sqlite] [pgsql] [mysql] [--mpm=LIST]
                                 [--check=MODE] [-- TEST.PL args...]

Default: all three, in that order. Arguments after "--" go to t/TEST.PL,
e.g. `python3 -m harness.apache_test sqlite -- -verbose t/start.t`.

  --mpm=LIST    event, worker, prefork, or a comma-separated list of them
                (default: $CHARON_TEST_MPM, else TEST.PL's choice, event).
                Each backend is tested under each MPM, a fresh database
                each time.
  --check=asan  the module must be an AddressSanitizer/UBSan build (`make
                asan`). httpd, which is not, is started with the runtimes
                the module was linked with preloaded (LD_PRELOAD, for httpd
                only, not perl or the tests); their reports go to
                t/logs/sanitizer.<pid> (UBSan's to the error_log) and are
                kept with the logs. LeakSanitizer runs at each httpd
                process's exit, with t/lsan.supp. A run FAILS on any
                AddressSanitizer or UndefinedBehaviorSanitizer report
                (only the module is instrumented, so reports come from its
                code or from memory it handed to libc), and on any leak
                with a frame in mod_charon; other leaks are listed.
  --check=valgrind  httpd runs in one process (Apache::Test's -one-process)
                under valgrind's memcheck with t/valgrind.supp, --log-file
                t/logs/valgrind.<pid>.log. A run FAILS on any valgrind error
                with a frame in mod_charon, and on any definite leak with
                one; the others are listed. One to three times as slow.
                Either check also FAILS when no httpd process got to the end
                of its leak check at exit: "N processes leak-checked".
(Or CHARON_TEST_CHECK=asan|valgrind.) ASAN_OPTIONS, UBSAN_OPTIONS and
LSAN_OPTIONS are appended to ours (later options win),
CHARON_TEST_VALGRIND_OPTS to valgrind's command line. What counts as a frame
in mod_charon: harness/reports.py.

Expects the module already built at .libs/mod_charon.so. For each backend it
  1. copies the tree (without .git, build/, run/) to a fresh directory under
     /tmp that the test user owns: Apache::Test refuses to run as root and
     then exits 0 having run nothing, and a CI clone may sit under /root
     (mode 0700), where no other user can read it;
  2. creates a throwaway database (harness/db.py) listening on 127.0.0.1
     only, loads sql/<backend>.sql and writes t/conf/db.conf;
  3. runs t/TEST.PL as that user (nobody when we are root, or
     CHARON_TEST_USER), on a random free base port, and judges the run from
     its output, not its exit code: PASS needs "Result: PASS", more than
     zero tests and exit 0, and with --check, reports that pass;
  4. stops the database and deletes every temporary directory, also when
     tests fail or the program is interrupted.
Logs of each run (the test output, httpd's error_log, the database's log,
sanitizer and valgrind reports, core backtraces) are kept in
build/apache-test/<run>/ (CHARON_TEST_LOGDIR to change), where <run> is the
backend, then -<mpm> when --mpm was given and -<check> with --check.

The last line is "apache-test: N passed, M failed (Ts)"; the exit status is
non-zero when any run failed.
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field

from . import alert_sinks, db, proc, reports
from .proc import Failure

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DBS = ("sqlite", "pgsql", "mysql")
MPMS = ("event", "worker", "prefork")
# The tests' PATH: root's may name directories the test user cannot read.
TEST_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
# What the caller's environment passes on to the tests.
PASS_ENV = re.compile(r"^(APACHE_TEST_|HARNESS_|TEST_VERBOSE$|[A-Z]+SAN_OPTIONS$"
                      r"|CHARON_TEST_HTTPD_WRAPPER$)")
# Left out of the copy: not source, or a previous run's (generated
# Apache::Test files hold the old paths and ports).
EXCLUDE = {".git", "build", "run", "t/logs", "t/state",
           "t/conf/apache_test_config.pm", "t/conf/httpd.conf",
           "t/conf/extra.conf", "t/conf/db.conf", "t/conf/keys.txt",
           "t/conf/alerts.conf"}
# Apache::Test sets LogLevel trace8 (and debug): those lines drown the rest.
NOISE = re.compile(r"\[[a-z_0-9]+:(trace[0-9]|debug)\]")

say = proc.say_as("apache-test")


@dataclass
class Options:
    dbs: list
    mpms: list          # [""]: TEST.PL's default, and the plain log names
    check: str          # "", asan or valgrind
    pass_args: list = field(default_factory=list)


def parse_args(argv, environ):
    """The command line and CHARON_TEST_MPM/CHARON_TEST_CHECK; Failure on
    anything unknown, None for --help."""
    dbs, pass_args = [], []
    mpm_list = environ.get("CHARON_TEST_MPM", "")
    check = environ.get("CHARON_TEST_CHECK", "")
    args = list(argv)
    while args:
        a = args.pop(0)
        if a in DBS:
            dbs.append(a)
        elif a.partition("=")[0] in ("--mpm", "--check"):
            name, eq, value = a.partition("=")
            if not eq:
                if not args:
                    raise Failure("%s needs a value" % a)
                value = args.pop(0)
            if name == "--mpm":
                mpm_list = value
            else:
                check = value
        elif a in ("-h", "--help"):
            return None
        elif a == "--":
            pass_args, args = args, []
        else:
            raise Failure("unknown argument '%s' (expected sqlite, pgsql, mysql,"
                          " --mpm=..., --check=...)" % a)
    mpms = [m for m in re.split(r"[, ]+", mpm_list) if m]
    for m in mpms:
        if m not in MPMS:
            raise Failure("unknown MPM '%s' (expected event, worker or prefork)"
                          % m)
    if check not in ("", "asan", "valgrind"):
        raise Failure("unknown check '%s' (expected asan or valgrind)" % check)
    return Options(dbs or list(DBS), mpms or [""], check, pass_args)


def sanitizer_runtimes(ldd_output):
    """The sanitizer runtimes a library needs, from ldd's output, joined by
    ':' for LD_PRELOAD."""
    found = []
    for line in ldd_output.splitlines():
        f = line.split()
        if (len(f) >= 3 and re.match(r"lib(asan|ubsan)\.so", f[0])
                and f[2].startswith("/")):
            found.append(f[2])
    return ":".join(found)


def port_args(pass_args, environ):
    """The -port option for TEST.PL. Apache::Test's "-port select" tries
    8529, 8549, ... in order, so runs started at the same time on one
    machine pick the same port and one of them fails ("port 8549 is in
    use"). Instead: a random base port whose next 9 ports are free too (the
    virtual hosts take them). The caller's -port, or APACHE_TEST_PORT,
    wins."""
    if any(re.match(r"--?port(=|$)", a) for a in pass_args):
        return []
    if environ.get("APACHE_TEST_PORT"):
        return ["-port", "select"]
    base = proc.free_port_block(10)
    return ["-port", str(base) if base else "select"]


def apr_dbd_driver_present(name):
    """apr-util loads its database drivers as DSOs, one package each
    (libaprutil1-dbd-NAME)."""
    return bool(glob.glob("/usr/lib/*/apr-util-1/apr_dbd_%s*.so" % name)
                or glob.glob("/usr/lib/apr-util-1/apr_dbd_%s*.so" % name))


def write_db_conf(path, database):
    """The mod_dbd part of the test configuration, Included by
    t/conf/extra.conf.in. DBDMax bounds the connections of each httpd child;
    a full pool blocks without timeout, so it is generous next to the few
    concurrent requests the tests make."""
    with open(path, "w") as f:
        f.write("# Generated by harness/apache_test.py for this run; do not "
                "edit.\nDBDriver %s\nDBDParams \"%s\"\nDBDPersist On\n"
                "DBDMin 1\nDBDKeep 2\nDBDMax 10\nDBDExptime 60\n"
                % (database.driver, database.dbd_params))


def verdict(log_text, rc):
    """(passed, detail) from TEST.PL's output: Apache::Test exits 0 when it
    refused to run (as root) or its configuration failed, and a suite that
    ran no test proves nothing."""
    counts = re.findall(r"Files=(\d+), Tests=(\d+)", log_text)
    if not counts:
        return False, "no test ran, exit %d" % rc
    files, tests = counts[-1]
    if re.search(r"^Result: PASS", log_text, re.M) and int(tests) > 0 and rc == 0:
        return True, "Files=%s, Tests=%s" % (files, tests)
    if int(tests) == 0:
        return False, "Files=%s, Tests=0: no test ran, exit %d" % (files, rc)
    return False, "Files=%s, Tests=%s, exit %d" % (files, tests, rc)


def quiet_error_log(text, n=60):
    """The last n lines of an error_log without trace and debug lines."""
    return [l for l in text.splitlines() if not NOISE.search(l)][-n:]


class Suite:
    """The runs of one invocation, and what they share."""

    def __init__(self, opts, environ):
        self.opts = opts
        self.env = environ
        self.check = opts.check
        self.module = os.path.join(TOP, ".libs", "mod_charon.so")
        self.results = []
        self.preflight()
        # valgrind's leak check runs when httpd exits, which takes a while
        self.grace = (int(environ.get("CHARON_TEST_HTTPD_GRACE", "300"))
                      if self.check == "valgrind" else 0)

    def preflight(self):
        if not os.path.isfile(self.module):
            raise Failure("%s is missing: build the module first (make, or "
                          "make test)" % self.module)
        if not os.path.isfile(os.path.join(TOP, "t", "TEST.PL")):
            raise Failure("%s/t/TEST.PL is missing" % TOP)
        # Apache::Test learns httpd's path and modules directory from apxs.
        self.apxs = shutil.which(self.env.get("APXS", "apxs"))
        if not self.apxs:
            raise Failure("apxs not found (apt-get install apache2-dev)")
        # A module built with AddressSanitizer cannot be loaded by an httpd
        # started without its runtime preloaded: --check=asan preloads the
        # very runtimes it was linked with (ldd says which).
        ldd = subprocess.run(["ldd", self.module], capture_output=True,
                             text=True).stdout
        self.san_rt = sanitizer_runtimes(ldd)
        if self.check == "asan":
            if "libasan" not in self.san_rt:
                raise Failure("--check=asan: .libs/mod_charon.so is not an "
                              "AddressSanitizer build (make asan, or make "
                              "test-asan)")
            for f in self.san_rt.split(":"):
                if not os.access(f, os.R_OK):
                    raise Failure("--check=asan: sanitizer runtime %s is not "
                                  "readable" % f)
        elif self.san_rt:
            raise Failure(".libs/mod_charon.so is a sanitizer build (it needs "
                          "%s): use --check=asan, or rebuild it (make clean "
                          "all)" % self.san_rt)
        if self.check == "valgrind" and not shutil.which("valgrind"):
            raise Failure("--check=valgrind: valgrind not found (apt-get "
                          "install valgrind)")
        # Apache::Test starts httpd as the user running it, and refuses root.
        if proc.is_root():
            self.user = self.env.get("CHARON_TEST_USER", "nobody")
            proc.user_ids(self.user)
        else:
            self.user = proc.current_user()
        missing = [pkg for mod, pkg in (
            ("Apache::Test", "libapache2-mod-perl2(Apache::Test)"),
            ("LWP::UserAgent", "libwww-perl(LWP::UserAgent)"),
            ("JSON", "libjson-perl(JSON)"), ("DBI", "libdbi-perl(DBI)"))
            if not db.perl_has(mod, TEST_PATH)]
        if missing:
            raise Failure("missing Perl modules, install: " + " ".join(missing))
        # Perl's side of MySQL: DBD::MariaDB when present, else DBD::mysql.
        self.my_dbd = ("MariaDB" if db.perl_has("DBD::MariaDB", TEST_PATH)
                       else "mysql")

    def run_all(self):
        t0 = proc.now()
        for mpm in self.opts.mpms:
            for kind in self.opts.dbs:
                self.results.append(Run(self, kind, mpm).go())
        print()
        passed = sum(1 for r in self.results if r.result == "PASS")
        failed = len(self.results) - passed
        for r in self.results:
            print("apache-test %s: %s (%s)%s" % (
                r.name, r.result, r.detail,
                " [%s]" % r.timing if r.timing else ""))
        print("apache-test: %d passed, %d failed (%ss)"
              % (passed, failed, proc.elapsed(t0)), flush=True)
        return 0 if failed == 0 else 1


class Run:
    """One run: a backend under an MPM, named <db>[-<mpm>][-<check>]."""

    def __init__(self, suite, kind, mpm):
        self.s = suite
        self.kind, self.mpm = kind, mpm
        self.name = kind + ("-" + mpm if mpm else "") + (
            "-" + suite.check if suite.check else "")
        self.logdir = os.path.join(
            suite.env.get("CHARON_TEST_LOGDIR",
                          os.path.join(TOP, "build", "apache-test")), self.name)
        self.result, self.detail, self.timing = "FAIL", "", ""
        self.copy = self.db = self.runner = self.follower = None
        self.stop_handle = None
        self.timings = []

    def phase(self, what, t0):
        self.timings.append("%s %ss" % (what, proc.elapsed(t0)))

    def go(self):
        t0 = proc.now()
        print("\n===== apache-test %s =====" % self.name, flush=True)
        shutil.rmtree(self.logdir, ignore_errors=True)
        os.makedirs(self.logdir)
        try:
            self.detail = self.prepare() or ""
            if not self.detail:
                self.test()
                self.timing = ", ".join(self.timings + [
                    "total %ss" % proc.elapsed(t0)])
        finally:
            self.stop_runner()
            if self.db:
                self.db.stop()
            if self.copy:
                shutil.rmtree(self.copy, ignore_errors=True)
        return self

    def prepare(self):
        """The copy and the database; what failed, or None."""
        perl_dbd = {"sqlite": ("SQLite", "libdbd-sqlite3-perl"),
                    "pgsql": ("Pg", "libdbd-pg-perl"),
                    "mysql": (self.s.my_dbd, "libdbd-mariadb-perl")}[self.kind]
        if not db.perl_has("DBD::" + perl_dbd[0], TEST_PATH):
            return "missing " + perl_dbd[1]
        driver = {"sqlite": "sqlite3"}.get(self.kind, self.kind)
        if not apr_dbd_driver_present(driver):
            return "apr_dbd driver %s missing (libaprutil1-dbd-%s)" % (driver,
                                                                       driver)
        # 1. the copy
        t = proc.now()
        try:
            self.copy = proc.temp_dir("test-" + self.name)
            copy_tree(TOP, self.copy)
            os.makedirs(os.path.join(self.copy, "t", "conf"), exist_ok=True)
            # t/browser.t (SQLite pass only) loads playwright-core from
            # build/browser (make browser-deps), which the copy leaves out.
            browser = os.path.join(TOP, "build", "browser")
            if self.kind == "sqlite" and os.path.isdir(browser + "/node_modules"):
                shutil.copytree(browser, os.path.join(self.copy, "build",
                                                      "browser"), symlinks=True)
        except OSError as e:
            print("apache-test: %s" % e, file=sys.stderr)
            return "copying the tree failed"
        self.phase("copy", t)
        # 2. the database: PostgreSQL's and MariaDB's in a directory of
        # their own (user postgres could not enter a 0700 root parent).
        t = proc.now()
        where = (os.path.join(self.copy, "testdb") if self.kind == "sqlite"
                 else proc.temp_dir(self.kind[:2]))
        self.db = db.make(self.kind, where)
        schema = self.db.schema(TOP)
        try:
            self.db.start()
            self.db.load(schema)
        except Failure as e:
            print("apache-test: %s" % e, file=sys.stderr)
            if self.kind == "sqlite":
                return "creating the database failed"
            return "starting %s or loading %s failed" % (
                {"pgsql": "PostgreSQL", "mysql": "MariaDB"}[self.kind], schema)
        write_db_conf(os.path.join(self.copy, "t", "conf", "db.conf"), self.db)
        try:
            self.start_sinks()
        except (OSError, RuntimeError) as e:
            print("apache-test: %s" % e, file=sys.stderr)
            return "starting the alert sinks failed"
        if proc.is_root():
            proc.chown_tree(self.copy, self.s.user)
        self.phase("database", t)
        return None

    def start_sinks(self):
        """t/alerts.t's receivers and channels (harness/alert_sinks.py),
        stopped when the run ends, on failure too."""
        self.webhook, self.smtp, self.smtp_dir = alert_sinks.start(
            self.copy, proc.cleanup.push)

    def test(self):
        t = proc.now()
        log = os.path.join(self.copy, "apache-test.log")
        rc = self.run_tests(log)
        self.phase("tests", t)
        with open(log, errors="replace") as f:
            text = f.read()
        passed, self.detail = verdict(text, rc)
        if passed:
            self.result = "PASS"
        else:
            self.show_error_log()
        self.backtraces()
        self.stop_runner()
        failed, summary = self.check_reports()
        if failed:
            self.result = "FAIL"
        if summary:
            self.detail += "; " + summary
        failed, summary = self.check_openapi()
        if failed:
            self.result = "FAIL"
        self.detail += "; " + summary
        self.keep_logs(log)
        t = proc.now()
        for name in ("postgres.log", "mariadb.err"):
            if self.db.log and self.db.log.endswith(name):
                copy_quietly(self.db.log, os.path.join(self.logdir, name))
        self.db.stop()
        self.db = None
        shutil.rmtree(self.copy, ignore_errors=True)
        self.copy = None
        self.phase("stop", t)

    def test_env(self):
        """A clean environment (HOME must be writable by the test user),
        with what tunes Apache::Test and the harness, and the sanitizers'
        options."""
        d = self.db
        env = {"HOME": self.copy, "PATH": TEST_PATH, "LANG": "C.UTF-8",
               "TMPDIR": "/tmp", "CHARON_TEST_DB": self.kind,
               "CHARON_TEST_DSN": d.dsn, "CHARON_TEST_DBUSER": d.user,
               "CHARON_TEST_DBPASS": d.password,
               "CHARON_TEST_SINK": "http://127.0.0.1:%d" % self.webhook.port,
               "CHARON_TEST_SMTP_DIR": self.smtp_dir,
               "CHARON_TEST_DBDRIVER": d.driver,
               "CHARON_TEST_DBDPARAMS": d.dbd_params}
        if self.mpm:
            env["CHARON_TEST_MPM"] = self.mpm
        env.update((k, v) for k, v in sorted(self.s.env.items())
                   if PASS_ENV.match(k))
        # after the caller's: these include them
        env.update(reports.environment(self.s.check, self.copy, self.s.san_rt,
                                       self.s.env))
        return env

    def run_tests(self, log):
        """t/TEST.PL as the test user in the copy, its output to log and,
        live, to our stdout. In a session of its own, so that stop_runner
        can end the whole group: TEST.PL, the tests it forks, runuser."""
        extra = port_args(self.s.opts.pass_args, self.s.env)
        if self.s.check == "valgrind":
            extra.append("-one-process")
        argv = proc.as_user(
            ["env", "-i"] + ["%s=%s" % kv for kv in self.test_env().items()]
            + ["perl", "t/TEST.PL", "-apxs", self.s.apxs] + extra
            + self.s.opts.pass_args, self.s.user)
        with open(log, "wb") as out:
            if proc.is_root():
                os.chown(log, proc.user_ids(self.s.user)[0], -1)
            # on the cleanup stack after the copy: it reads httpd's pid there
            self.stop_handle = proc.cleanup.push(self.stop_runner)
            self.runner = subprocess.Popen(
                argv, cwd=self.copy, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        self.follower = proc.follow(log, self.runner)
        rc = self.runner.wait()
        self.follower.join()
        self.runner = self.follower = None
        return rc

    def stop_runner(self):
        """End a running t/TEST.PL and the httpd it started. INT first:
        Apache::TestRun catches it and stops its server itself; then
        TERM/KILL of the whole group; last, httpd by its pid file, since
        httpd detaches into its own session."""
        if self.stop_handle:
            proc.cleanup.done(self.stop_handle, run=False)
            self.stop_handle = None
        if self.runner:
            proc.stop_group(self.runner.pid)
            self.runner = None
        if self.follower:
            self.follower.join(5)
            self.follower = None
        pid = self.copy and proc.read_pid(
            os.path.join(self.copy, "t", "logs", "httpd.pid"))
        if not pid:
            return
        if self.s.grace and proc.alive(pid):
            # Under valgrind httpd may still be writing its leak report
            # after Apache::Test gave up waiting: a signal would lose it.
            say("waiting up to %ds for httpd %d to exit" % (self.s.grace, pid))
            proc.wait_pid(pid, self.s.grace)
        if proc.alive(pid):
            say("stopping leftover httpd %d" % pid)
            proc.signal_pids([pid], signal.SIGTERM)
            if not proc.wait_pid(pid, 10):
                proc.signal_pids([pid], signal.SIGKILL)

    def show_error_log(self):
        el = os.path.join(self.copy, "t", "logs", "error_log")
        if not os.path.isfile(el):
            return
        with open(el, errors="replace") as f:
            lines = quiet_error_log(f.read())
        print("\n----- %s: last lines of t/logs/error_log (trace and debug "
              "lines omitted, but charon's) -----" % self.name)
        print("\n".join(lines + ["----- end of error_log -----"]), flush=True)

    def backtraces(self):
        """httpd children that crashed leave core files in t/ (Apache::Test
        raises the core size limit). The copy is deleted at the end of the
        run, so keep every thread's backtrace in core-backtrace.txt, and
        print the crashing thread's."""
        t = os.path.join(self.copy, "t")
        cores = [c for c in [os.path.join(t, "core")] + sorted(
            glob.glob(os.path.join(t, "core.[0-9]*"))) if os.path.isfile(c)]
        keep = os.path.join(self.logdir, "core-backtrace.txt")
        for core in cores[:3]:    # the same crash, many times: three is plenty
            if not shutil.which("gdb"):
                say("%s: httpd dumped core (%s); install gdb for a backtrace"
                    % (self.name, core))
                continue
            gdb = ["gdb", "-nx", "-batch", "-ex", "set pagination off"]
            p = subprocess.run(gdb + ["-ex", "bt", "-ex", "thread apply all bt",
                                      "/usr/sbin/apache2", core],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, errors="replace")
            skip = re.compile(r"^\[New LWP|^warning: (Can.t|Could not)"
                              r"|^Downloading")
            with open(keep, "a") as f:
                f.write("=== %s\n" % core)
                f.writelines(l + "\n" for l in p.stdout.splitlines()
                             if not skip.search(l))
            print("\n----- %s: backtrace of %s (crashing thread; all threads in "
                  "%s) -----" % (self.name, os.path.relpath(core, self.copy), keep))
            p = subprocess.run(gdb[:3] + ["-ex", "bt 25", "/usr/sbin/apache2",
                                          core], capture_output=True, text=True,
                               errors="replace")
            print("\n".join(l for l in p.stdout.splitlines()
                            if l.startswith("#")), flush=True)
        if len(cores) > 3:
            say("%s: %d core files; backtraces of the first 3 kept"
                % (self.name, len(cores)))

    def check_reports(self):
        """After httpd stopped: the reports of --check, kept in the log
        directory and judged: (whether they fail the run, their summary),
        (False, None) without --check."""
        if not self.s.check:
            return False, None
        failed, line, why, shown = reports.collect(
            self.s.check, os.path.join(self.copy, "t", "logs"), self.logdir,
            self.s.env)
        print("\n----- %s: %s -----" % (self.name, line))
        if shown:
            print(shown)
        sys.stdout.flush()
        return failed, "%s: FAIL, %s" % (line, why) if failed else line

    def check_openapi(self):
        """Every answer the suite received (t/logs/answers.jsonl, written
        by t/lib/CharonTest.pm) against docs/openapi.yaml
        (tests/openapi/check.js): (whether it fails the run, a summary).
        A run of chosen test files may have no answer to check; the whole
        suite must have some."""
        modules = os.path.join(TOP, "build", "openapi", "node_modules")
        whole = not any(a.endswith(".t") for a in self.s.opts.pass_args)
        if not os.path.isdir(modules):
            if whole:
                return True, "openapi: not checked (scripts/deps.sh --openapi)"
            return False, "openapi: not checked"
        answers = os.path.join(self.copy, "t", "logs", "answers.jsonl")
        r = proc.run(["node", os.path.join(TOP, "tests", "openapi", "check.js"),
                      "--doc", os.path.join(TOP, "docs", "openapi.yaml"),
                      "--conf", os.path.join(self.copy, "t", "conf",
                                             "extra.conf.in"),
                      "--answers", answers],
                     check=False, merge=True,
                     env=dict(os.environ, CHARON_OPENAPI_MODULES=modules))
        print(r.stdout, end="", flush=True)
        copy_quietly(answers, os.path.join(self.logdir, "answers.jsonl"))
        m = re.search(r"openapi-check: (\d+) answers checked.*; (\d+) mismatched",
                      r.stdout)
        summary = ("openapi: %s answers checked, %s mismatched" % m.groups()
                   if m else "openapi: the check failed")
        if r.returncode == 0:
            return False, summary
        if not whole and m and m.group(1) == "0" and m.group(2) == "0":
            return False, "openapi: no answer of the run API"
        return True, summary + ": FAIL"

    def keep_logs(self, log):
        copy_quietly(log, os.path.join(self.logdir, "apache-test.log"))
        for name in ("error_log", "access_log"):
            copy_quietly(os.path.join(self.copy, "t", "logs", name),
                         os.path.join(self.logdir, name))
        # t/browser.t's screenshots (of the test's own crons) go with the
        # logs only: the README's are the demo's (harness/screenshots.py).
        shots = os.path.join(self.copy, "t", "logs", "screenshots")
        if os.path.isdir(shots):
            shutil.copytree(shots, os.path.join(self.logdir, "screenshots"),
                            dirs_exist_ok=True)


def copy_tree(top, dest):
    """The working tree minus EXCLUDE, into the existing directory dest."""
    def ignore(d, names):
        rel = os.path.relpath(d, top)
        return [n for n in names if n == "__pycache__"
                or os.path.normpath(os.path.join(rel, n)) in EXCLUDE]
    shutil.copytree(top, dest, symlinks=True, ignore=ignore,
                    dirs_exist_ok=True)


def copy_quietly(src, dest):
    try:
        shutil.copy(src, dest)
    except OSError:
        pass


def main():
    opts = parse_args(sys.argv[1:], os.environ)
    if opts is None:
        print(__doc__)
        return 0
    return Suite(opts, dict(os.environ)).run_all()


if __name__ == "__main__":
    proc.main("apache-test", main)
