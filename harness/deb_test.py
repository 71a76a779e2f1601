"""Installs the Debian packages of build/deb/ as a user would, in a fresh
Debian 12 root made for the test, and checks them at each step.

  python3 -m harness.deb_test [--quick] [--keep] [--debs DIR]

  1. makes a root with mmdebstrap (bookworm, the host's apt sources,
     variant apt: nothing but apt), installs apache2 there (the Apache the
     user already runs), and keeps its services from starting by
     themselves (policy-rc.d);
  2. apt install ./libapache2-mod-charon_*.deb ./charon-run_*.deb
     ./monitoring-plugin-charon_*.deb: their dependencies come from
     Debian's archive; the module is installed disabled;
  3. creates a SQLite database from the installed schema, a2enmod charon
     (which enables dbd), the packaged SQLite example as the site (refused
     by configtest while its key placeholders are in; then with keys),
     starts Apache on 127.0.0.1 and a free port;
  4. can-start, start, message, end against it (from this host), read back
     in the database; charon-run runs a job through it; check_charon
     (monitoring-plugin-charon) says OK, then WARNING after a failed run;
  5. upgrades to a second build with a higher version, after the user
     changed the module's configuration: dpkg asks nothing (noninteractive,
     no terminal), the change is kept, the module stays enabled and serves;
  6. a2dissite charon (the site uses the module's directives), apt purge:
     every file the packages installed is gone, the module is disabled,
     and Apache still passes configtest and starts.

The second build (make test, make deb-test): the source built again by
dpkg-buildpackage with a changelog entry of a higher version; with
--quick, the built packages repacked with the version raised instead
(dpkg-deb: the same files and maintainer scripts, a higher version).  Apache in the root is stopped, its mounts undone and the
root removed however the test ends (--keep keeps the root, for a look).
Needs root, mmdebstrap and the network to Debian's archive.
"""

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

from . import proc
from .proc import Failure

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEB_DIR = os.path.join(TOP, "build", "deb")
SUITE = "bookworm"
KEY = "deb-test-key-0123456789abcdef"
ADMIN_KEY = "deb-test-admin-0123456789abcdef"

say = proc.say_as("deb-test")


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            say("PASS %s" % name)
        else:
            self.failed += 1
            say("FAIL %s" % name)
            if detail:
                for line in str(detail).rstrip("\n").split("\n")[-30:]:
                    print("    %s" % line, flush=True)
        return ok


# ------------------------------------------------------------- the root ---

class Root:
    """A Debian root in a directory, with proc and dev mounted while it is
    used; every process that runs in it is stopped at the end."""

    def __init__(self, path):
        self.path = path
        self.mounts = []

    def make(self):
        sources = self.host_sources()
        proc.run(["mmdebstrap", "--variant=apt", "--quiet",
                  "--include=ca-certificates", SUITE, self.path, "-"],
                 input=sources, timeout=900)
        with open(os.path.join(self.path, "usr/sbin/policy-rc.d"), "w") as f:
            f.write("#!/bin/sh\n# deb-test: no service starts by itself\n"
                    "exit 101\n")
        os.chmod(os.path.join(self.path, "usr/sbin/policy-rc.d"), 0o755)
        shutil.copy("/etc/resolv.conf", os.path.join(self.path, "etc"))
        self.mount(["-t", "proc", "proc"], "proc")
        self.mount(["--bind", "/dev"], "dev")
        self.mount(["--bind", "/dev/pts"], "dev/pts")

    @staticmethod
    def host_sources():
        """The host's apt sources as one-line entries (the security suite
        too: the packages were built against the host's apache2-dev)."""
        lines = []
        for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
            stanza = {}
            for raw in open(path).read().split("\n") + [""]:
                line = raw.strip()
                if line.startswith("#"):
                    continue
                if not line:
                    if stanza.get("types", "").find("deb") >= 0 and \
                            "uris" in stanza and \
                            stanza.get("enabled", "yes") != "no":
                        for uri in stanza["uris"].split():
                            lines.append("deb %s %s %s" % (
                                uri, stanza.get("suites", SUITE),
                                stanza.get("components", "main")))
                    stanza = {}
                    continue
                k, _, v = line.partition(":")
                stanza[k.strip().lower()] = v.strip()
        for path in ["/etc/apt/sources.list"]:
            if os.path.exists(path):
                for line in open(path):
                    if line.strip().startswith("deb "):
                        lines.append(line.strip())
        fixed = []
        for line in lines:
            parts = line.split()
            # "deb URI a b c": one line per suite
            uri, suites, comps = parts[1], parts[2], parts[3:]
            for s in suites.split():
                fixed.append("deb %s %s %s" % (uri, s, " ".join(comps)))
        if not fixed:
            fixed = ["deb http://deb.debian.org/debian %s main" % SUITE]
        return "\n".join(fixed) + "\n"

    def mount(self, args, where):
        target = os.path.join(self.path, where)
        os.makedirs(target, exist_ok=True)
        proc.run(["mount"] + args + [target])
        self.mounts.append(target)

    def run(self, argv, check=True, input=None, env=None, timeout=600,
            merge=True):
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
             "HOME": "/root", "DEBIAN_FRONTEND": "noninteractive"}
        e.update(env or {})
        return proc.run(["chroot", self.path] + argv, check=check,
                        input=input, env=e, timeout=timeout, merge=merge,
                        stdin=None if input is not None
                        else subprocess.DEVNULL)

    def sh(self, script, check=True, timeout=600):
        return self.run(["/bin/sh", "-ec", script], check=check,
                        timeout=timeout)

    def file(self, path):
        return os.path.join(self.path, path.lstrip("/"))

    def processes(self):
        """Pids of the processes whose root is this one."""
        pids = []
        real = os.path.realpath(self.path)
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                if os.path.realpath("/proc/%s/root" % d) == real:
                    pids.append(int(d))
            except OSError:
                pass
        return pids

    def stop_all(self):
        for sig in (15, 9):
            pids = self.processes()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            deadline = time.time() + 10
            while self.processes() and time.time() < deadline:
                time.sleep(0.2)

    def undo(self):
        self.stop_all()
        for target in reversed(self.mounts):
            subprocess.run(["umount", "-l", target], check=False)
        self.mounts = []


# ------------------------------------------------------------ packages ---

def built_debs(deb_dir):
    """The packages of deb_dir (build/deb/) by name: {name: path}; the
    debug symbols' packages are not what a user installs."""
    debs = {}
    for path in sorted(glob.glob(os.path.join(deb_dir, "*.deb"))):
        name = os.path.basename(path).split("_")[0]
        if not name.endswith("-dbgsym"):
            debs[name] = path
    for need in ("libapache2-mod-charon", "charon-run",
                 "monitoring-plugin-charon"):
        if need not in debs:
            raise Failure("no %s package in %s: run make deb first" % (
                need, deb_dir))
    return debs


def deb_field(path, field):
    return proc.run(["dpkg-deb", "-f", path, field]).stdout.strip()


def repack_higher(debs, work):
    """The same packages with the version raised (the quick form)."""
    out = {}
    for name, path in debs.items():
        version = deb_field(path, "Version")
        tree = os.path.join(work, "repack-" + name)
        proc.run(["dpkg-deb", "-R", path, tree])
        control = os.path.join(tree, "DEBIAN", "control")
        text = open(control).read()
        new = version + "+debtest1"
        text = re.sub(r"(?m)^Version: .*$", "Version: " + new, text)
        # charon's packages may depend on each other at the same version
        text = text.replace("(= %s)" % version, "(= %s)" % new)
        open(control, "w").write(text)
        target = os.path.join(work, "%s_%s_%s.deb" % (
            name, new, deb_field(path, "Architecture")))
        proc.run(["dpkg-deb", "--root-owner-group", "-b", tree, target],
                 quiet=True)
        out[name] = target
    return out


def rebuild_higher(debs, work):
    """The source built again with a changelog entry of a higher version
    (the full form): the files git tracks, as make deb takes them."""
    version = deb_field(debs["libapache2-mod-charon"], "Version")
    src = os.path.join(work, "src")
    os.makedirs(src)
    # The files git tracks, as the working tree has them: as make deb.
    names = subprocess.run(["git", "-C", TOP, "ls-files", "-z"],
                           stdout=subprocess.PIPE, check=True).stdout
    archive = subprocess.run(["tar", "--null", "--no-recursion", "-T", "-",
                              "-cf", "-"], cwd=TOP, input=names,
                             stdout=subprocess.PIPE, check=True).stdout
    subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
    new = version + "+debtest1"
    changelog = os.path.join(src, "debian", "changelog")
    old = open(changelog).read()
    first = old.split("\n", 1)[0]
    source = first.split()[0]
    trailer = re.search(r"(?m)^ -- .*$", old).group(0)
    entry = ("%s (%s) unstable; urgency=medium\n\n"
             "  * deb-test: a second build, to upgrade to.\n\n%s\n\n" % (
                 source, new, trailer))
    open(changelog, "w").write(entry + old)
    proc.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src,
             env=dict(os.environ, DEB_BUILD_OPTIONS="nocheck"),
             timeout=1800, quiet=True)
    out = {}
    for path in glob.glob(os.path.join(work, "*_%s_*.deb" % new)):
        name = os.path.basename(path).split("_")[0]
        if name in debs:
            out[name] = path
    for name in debs:
        if name not in out:
            raise Failure("the second build made no %s package" % name)
    return out


# ----------------------------------------------------------------- HTTP ---

def http(port, method, path, key=KEY, body=None, timeout=10):
    """(status, text) of one request to Apache in the root."""
    data = body.encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 data=data, method=method)
    if key:
        req.add_header("X-API-KEY", key)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except OSError as e:
        return 0, str(e)


def wait_http(port, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        status, _ = http(port, "GET", "/", key=None, timeout=2)
        if status:
            return True
        time.sleep(0.2)
    return False


EXAMPLE = "/usr/share/doc/libapache2-mod-charon/examples/charon-sqlite.conf"
PLACEHOLDER = "sha256:REPLACE-WITH-THE-64-HEX-DIGITS-OF-SHA256SUM"


def site_from_example(text, port):
    """The packaged SQLite example as a user edits it: where it listens,
    and the digests of its two keys (the run API's, then the management
    API's) in place of the placeholders."""
    if text.count(PLACEHOLDER) != 2 or "<VirtualHost *:80>" not in text:
        raise Failure("the SQLite example has not the two key placeholders "
                      "and the <VirtualHost *:80> the test edits")
    for key in (KEY, ADMIN_KEY):
        digest = hashlib.sha256(key.encode()).hexdigest()
        text = text.replace(PLACEHOLDER, "sha256:" + digest, 1)
    return ("Listen 127.0.0.1:%d\n" % port
            + text.replace("<VirtualHost *:80>",
                           "<VirtualHost 127.0.0.1:%d>" % port))


# ----------------------------------------------------------------- test ---

class DebTest:
    def __init__(self, quick, keep, deb_dir):
        self.quick, self.keep, self.deb_dir = quick, keep, deb_dir
        self.tally = Tally()
        self.port = proc.free_port()

    def run(self):
        debs = built_debs(self.deb_dir)
        say("packages: %s" % ", ".join(
            "%s %s" % (n, deb_field(p, "Version"))
            for n, p in sorted(debs.items())))
        work = proc.temp_dir("deb-test", 0o755)
        t0 = proc.now()
        higher = (repack_higher if self.quick else rebuild_higher)(debs, work)
        say("second build (%s): %s in %ss" % (
            "repacked" if self.quick else "dpkg-buildpackage",
            deb_field(higher["libapache2-mod-charon"], "Version"),
            proc.elapsed(t0)))
        path = os.path.join(work, "root")
        root = Root(path)
        proc.cleanup.push(self.finish_root, root)
        t0 = proc.now()
        root.make()
        say("root: mmdebstrap %s in %ss" % (SUITE, proc.elapsed(t0)))
        t0 = proc.now()
        root.run(["apt-get", "update", "-q"], timeout=600)
        root.run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
                  "apache2"], timeout=900)
        say("apache2 installed in the root in %ss" % proc.elapsed(t0))
        self.install(root, debs)
        self.configure(root)
        self.use(root)
        self.upgrade(root, higher)
        self.purge(root, debs)
        return self.tally

    def finish_root(self, root):
        root.undo()
        if self.keep:
            say("root kept in %s" % root.path)

    # ---- 2 ---------------------------------------------------------------
    def install(self, root, debs):
        for name, path in debs.items():
            shutil.copy(path, root.file("/tmp"))
        files = ["./" + os.path.basename(p) for p in debs.values()]
        t0 = proc.now()
        p = root.run(["sh", "-c", "cd /tmp && apt-get install -y -q "
                      + " ".join(files)], check=False, timeout=900)
        self.tally.check("apt install %s (%ss)" % (
            " ".join(files), proc.elapsed(t0)), p.returncode == 0, p.stdout)
        if p.returncode != 0:
            raise Failure("the packages do not install")
        st = root.run(["dpkg-query", "-W", "-f", "${Package} ${Status}\\n"]
                      + list(debs), check=False).stdout
        self.tally.check("dpkg: each package installed",
                         st.count("install ok installed") == len(debs), st)
        self.tally.check(
            "the module is installed disabled, its configuration in "
            "mods-available",
            os.path.exists(root.file("/etc/apache2/mods-available/charon.load"))
            and not os.path.exists(
                root.file("/etc/apache2/mods-enabled/charon.load")))
        sqlite_rec = root.run(["dpkg-query", "-W", "-f", "${Status}",
                               "libaprutil1-dbd-sqlite3"], check=False)
        self.tally.check("the SQLite driver came as a Recommends",
                         "install ok installed" in sqlite_rec.stdout,
                         sqlite_rec.stdout)
        self.files = {}
        for name in debs:
            listing = root.run(["dpkg", "-L", name]).stdout.split("\n")
            self.files[name] = [f for f in listing if f.strip()]

    # ---- 3 ---------------------------------------------------------------
    def configure(self, root):
        schema = "/usr/share/libapache2-mod-charon/sqlite.sql"
        root.sh("apt-get install -y -q --no-install-recommends sqlite3 "
                ">/dev/null")
        p = root.sh("mkdir -p /var/lib/charon && sqlite3 "
                    "/var/lib/charon/charon.db < %s && chown -R "
                    "www-data:www-data /var/lib/charon" % schema, check=False)
        self.tally.check("a SQLite database from %s" % schema,
                         p.returncode == 0, p.stdout)
        p = root.run(["a2enmod", "charon"], check=False)
        self.tally.check(
            "a2enmod charon enables dbd too",
            p.returncode == 0
            and os.path.exists(root.file("/etc/apache2/mods-enabled/charon.load"))
            and os.path.exists(root.file("/etc/apache2/mods-enabled/dbd.load")),
            p.stdout)
        # Only the test's port: port 80 of this host may be taken.
        with open(root.file("/etc/apache2/ports.conf"), "w") as f:
            f.write("# deb-test: the sites say where to listen\n")
        root.run(["a2dissite", "000-default"], check=False)
        site = root.file("/etc/apache2/sites-available/charon.conf")
        example = open(root.file(EXAMPLE)).read()
        with open(site, "w") as f:
            f.write("Listen 127.0.0.1:%d\n" % self.port + example.replace(
                "<VirtualHost *:80>", "<VirtualHost 127.0.0.1:%d>" % self.port))
        root.run(["a2ensite", "charon"])
        p = root.run(["apache2ctl", "configtest"], check=False)
        self.tally.check("the example as shipped: configtest refuses its "
                         "key placeholder", p.returncode != 0
                         and "CharonApiKey" in p.stdout, p.stdout)
        with open(site, "w") as f:
            f.write(site_from_example(example, self.port))
        p = root.run(["apache2ctl", "configtest"], check=False)
        self.tally.check("apache2ctl configtest", p.returncode == 0, p.stdout)
        p = root.run(["apache2ctl", "start"], check=False)
        self.tally.check("Apache starts and listens on 127.0.0.1:%d"
                         % self.port,
                         p.returncode == 0 and wait_http(self.port), p.stdout)

    # ---- 4 ---------------------------------------------------------------
    def sql(self, root, query):
        return root.run(["sqlite3", "/var/lib/charon/charon.db", query],
                        merge=False).stdout.strip()

    def use(self, root):
        port = self.port
        st, body = http(port, "PUT", "/admin/api/crons/deb-job",
                        key=ADMIN_KEY, body='{"name": "Deb job"}')
        self.tally.check("the management API creates a cron (201)",
                         st == 201, "%s %s" % (st, body))
        st, body = http(port, "GET", "/api/deb-job/can-start")
        self.tally.check("can-start: 200 canStart true",
                         st == 200 and '"canStart":true' in body,
                         "%s %s" % (st, body))
        cron_id = self.sql(root, "SELECT id FROM charon_cron WHERE slug = "
                                 "'deb-job'")
        st, body = http(port, "POST", "/api/%s/start" % cron_id)
        m = re.search(r'"id":(\d+)', body)
        self.tally.check("start: 200 with an id", st == 200 and m,
                         "%s %s" % (st, body))
        eid = m.group(1) if m else "0"
        st, body = http(port, "POST", "/api/%s/message" % eid,
                        body='{"type": "info", "message": "from deb-test"}')
        self.tally.check("message: 200", st == 200, "%s %s" % (st, body))
        st, body = http(port, "POST", "/api/%s/end" % eid,
                        body='{"type": "success", "success": true}')
        self.tally.check("end: 200", st == 200, "%s %s" % (st, body))
        row = self.sql(root, "SELECT e.success, e.type, e.api_key, (SELECT "
                             "message FROM charon_message WHERE execution_id "
                             "= e.id) FROM charon_execution e WHERE e.id = "
                             + eid)
        self.tally.check("read back: ended, successful, its message",
                         row == "1|success|billing-app|from deb-test", row)
        p = root.run(["env", "CHARON_URL=http://127.0.0.1:%d/api/" % port,
                      "CHARON_API_KEY=" + KEY, "charon-run", "--no-config",
                      "deb-job", "--", "/bin/echo", "hello from charon-run"],
                     check=False)
        n = self.sql(root, "SELECT COUNT(*) FROM charon_message m JOIN "
                           "charon_execution e ON e.id = m.execution_id "
                           "WHERE m.message LIKE '%hello from charon-run%'")
        self.tally.check("charon-run runs a job through it", p.returncode
                         == 0 and n == "1", p.stdout + " messages: " + n)
        plugin = ["/usr/lib/nagios/plugins/check_charon", "-H", "127.0.0.1",
                  "-p", str(port)]
        p = root.run(plugin, check=False)
        self.tally.check("check_charon: OK (exit 0)",
                         p.returncode == 0 and p.stdout.startswith(
                             "CHARON OK"), "exit %d: %s" % (p.returncode,
                                                            p.stdout))
        http(port, "PUT", "/admin/api/crons/deb-fail", key=ADMIN_KEY,
             body='{"name": "Deb failure"}')
        fail_id = self.sql(root, "SELECT id FROM charon_cron WHERE slug = "
                                 "'deb-fail'")
        _, body = http(port, "POST", "/api/%s/start" % fail_id)
        m = re.search(r'"id":(\d+)', body)
        http(port, "POST", "/api/%s/end" % (m.group(1) if m else "0"),
             body='{"type": "error", "success": false}')
        p = root.run(plugin, check=False)
        self.tally.check("check_charon: a failed run is WARNING (exit 1), "
                         "with its count",
                         p.returncode == 1 and p.stdout.startswith(
                             "CHARON WARNING") and "deb-fail" in p.stdout
                         and "'crons_failing'=1;" in p.stdout,
                         "exit %d: %s" % (p.returncode, p.stdout))

    # ---- 5 ---------------------------------------------------------------
    def upgrade(self, root, higher):
        conf = root.file("/etc/apache2/mods-available/charon.conf")
        with open(conf, "a") as f:
            f.write("# deb-test: the administrator's own line\n")
        for path in higher.values():
            shutil.copy(path, root.file("/tmp"))
        files = ["./" + os.path.basename(p) for p in higher.values()]
        t0 = proc.now()
        p = root.run(["sh", "-c", "cd /tmp && apt-get install -y -q "
                      + " ".join(files)], check=False, timeout=600)
        self.tally.check("upgrade to %s, asking nothing (%ss)" % (
            deb_field(higher["libapache2-mod-charon"], "Version"),
            proc.elapsed(t0)), p.returncode == 0 and "Configuration file"
            not in p.stdout, p.stdout)
        version = root.run(["dpkg-query", "-W", "-f", "${Version}",
                            "libapache2-mod-charon"]).stdout
        self.tally.check("the higher version is installed", version ==
                         deb_field(higher["libapache2-mod-charon"],
                                   "Version"), version)
        self.tally.check("the administrator's change is kept",
                         "the administrator's own line" in
                         open(conf).read()
                         and not glob.glob(conf + ".dpkg-*"))
        self.tally.check(
            "the module is still enabled",
            os.path.exists(root.file("/etc/apache2/mods-enabled/charon.load")))
        root.run(["apache2ctl", "graceful"], check=False)
        time.sleep(1)
        st, body = http(self.port, "GET", "/api/deb-job/can-start")
        n = self.sql(root, "SELECT COUNT(*) FROM charon_execution")
        self.tally.check("after the upgrade it serves, the runs are there",
                         st == 200 and n == "3", "%s %s; %s runs" % (
                             st, body, n))

    # ---- 6 ---------------------------------------------------------------
    def purge(self, root, debs):
        # The user's site uses the module's directives: it goes first.
        root.run(["a2dissite", "charon"])
        with open(root.file("/etc/apache2/ports.conf"), "w") as f:
            f.write("Listen 127.0.0.1:%d\n" % self.port)
        p = root.run(["apt-get", "purge", "-y", "-q"] + list(debs),
                     check=False, timeout=600)
        self.tally.check("apt purge", p.returncode == 0, p.stdout)
        left = []
        for name, files in self.files.items():
            for f in files:
                path = root.file(f)
                if os.path.lexists(path) and not os.path.isdir(path):
                    left.append(f)
        for f in ("/etc/apache2/mods-available/charon.load",
                  "/etc/apache2/mods-available/charon.conf",
                  "/etc/apache2/mods-enabled/charon.load",
                  "/etc/apache2/mods-enabled/charon.conf"):
            if os.path.lexists(root.file(f)):
                left.append(f)
        for d in ("/usr/share/libapache2-mod-charon",
                  "/usr/share/doc/libapache2-mod-charon"):
            if os.path.exists(root.file(d)):
                left.append(d + "/")
        self.tally.check("every file the packages installed is gone",
                         not left, "\n".join(left))
        p = root.run(["apache2ctl", "configtest"], check=False)
        ok = p.returncode == 0
        root.run(["apache2ctl", "stop"], check=False)
        time.sleep(1)
        q = root.run(["apache2ctl", "start"], check=False)
        self.tally.check("Apache still passes configtest and starts",
                         ok and q.returncode == 0 and wait_http(self.port),
                         p.stdout + q.stdout)


def parse_args(argv):
    opts = {"quick": False, "keep": False, "debs": DEB_DIR}
    argv = list(argv)
    while argv:
        a = argv.pop(0)
        if a == "--debs" and argv:
            opts["debs"] = argv.pop(0)
        elif a == "--quick":
            opts["quick"] = True
        elif a == "--keep":
            opts["keep"] = True
        elif a in ("-h", "--help"):
            return None
        else:
            raise proc.Usage("unknown argument '%s'" % a)
    return opts


def main():
    opts = parse_args(sys.argv[1:])
    if opts is None:
        print(__doc__)
        return 0
    if not proc.is_root():
        raise Failure("needs root (mmdebstrap, chroot, mount)")
    t0 = proc.now()
    test = DebTest(opts["quick"], opts["keep"], opts["debs"])
    try:
        tally = test.run()
    except Failure as e:
        test.tally.check("the test could go on", False, str(e))
        tally = test.tally
    say("total %ss" % proc.elapsed(t0))
    print("deb-test: %d passed, %d failed" % (tally.passed, tally.failed),
          flush=True)
    return 0 if tally.failed == 0 and tally.passed > 0 else 1


if __name__ == "__main__":
    proc.main("deb-test", main)
