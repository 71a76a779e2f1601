"""apache_test: the command line, the verdict and what it reads."""

import unittest

from harness import apache_test as at
from harness.proc import Failure


class TestArgs(unittest.TestCase):

    def test_defaults(self):
        o = at.parse_args([], {})
        self.assertEqual((o.dbs, o.mpms, o.check, o.pass_args),
                         (["sqlite", "pgsql", "mysql"], [""], "", []))

    def test_everything(self):
        o = at.parse_args(["mysql", "sqlite", "--mpm=worker,prefork",
                           "--check", "valgrind", "--", "-verbose", "t/a.t",
                           "pgsql"], {})
        self.assertEqual(o.dbs, ["mysql", "sqlite"])
        self.assertEqual(o.mpms, ["worker", "prefork"])
        self.assertEqual(o.check, "valgrind")
        self.assertEqual(o.pass_args, ["-verbose", "t/a.t", "pgsql"])

    def test_environment(self):
        o = at.parse_args(["--mpm", "event"], {"CHARON_TEST_MPM": "prefork",
                                               "CHARON_TEST_CHECK": "asan"})
        self.assertEqual((o.mpms, o.check), (["event"], "asan"))
        o = at.parse_args([], {"CHARON_TEST_MPM": "event worker"})
        self.assertEqual(o.mpms, ["event", "worker"])

    def test_help(self):
        self.assertIsNone(at.parse_args(["sqlite", "--help"], {}))

    def test_errors(self):
        for argv in (["oracle"], ["--mpm=itk"], ["--check=msan"], ["--mpm"],
                     ["--check"], ["-verbose"]):
            with self.assertRaises(Failure, msg=argv):
                at.parse_args(argv, {})


class TestVerdict(unittest.TestCase):

    def test_pass(self):
        log = "t/a.t .. ok\nFiles=2, Tests=40,  1 wallclock\nResult: PASS\n"
        self.assertEqual(at.verdict(log, 0), (True, "Files=2, Tests=40"))

    def test_exit_status_counts(self):
        log = "Files=2, Tests=40,  1 wallclock\nResult: PASS\n"
        self.assertEqual(at.verdict(log, 1),
                         (False, "Files=2, Tests=40, exit 1"))

    def test_no_test(self):
        # Apache::Test as root: exits 0, runs nothing
        self.assertEqual(at.verdict("[  error] Apache cannot spawn child "
                                    "processes as root\n", 0),
                         (False, "no test ran, exit 0"))
        log = "Files=0, Tests=0,  0 wallclock\nResult: PASS\n"
        self.assertEqual(at.verdict(log, 0),
                         (False, "Files=0, Tests=0: no test ran, exit 0"))

    def test_fail_and_last_counts(self):
        log = ("Files=1, Tests=3\nFailed 1/21 test programs.\n"
               "Files=21, Tests=1678,  88 wallclock secs\nResult: FAIL\n")
        self.assertEqual(at.verdict(log, 0),
                         (False, "Files=21, Tests=1678, exit 0"))
        # "Result: PASS" must start a line
        self.assertFalse(at.verdict("Files=1, Tests=1\nnot Result: PASS\n", 0)[0])


class TestReading(unittest.TestCase):

    def test_sanitizer_runtimes(self):
        ldd = ("\tlinux-vdso.so.1 (0x00007ffd)\n"
               "\tlibasan.so.8 => /lib/x86_64-linux-gnu/libasan.so.8 (0x7f1)\n"
               "\tlibubsan.so.1 => /lib/x86_64-linux-gnu/libubsan.so.1 (0x7f2)\n"
               "\tlibjson-c.so.5 => /lib/x86_64-linux-gnu/libjson-c.so.5 (0x7f)\n"
               "\tlibasan.so.6 => not found\n")
        self.assertEqual(at.sanitizer_runtimes(ldd),
                         "/lib/x86_64-linux-gnu/libasan.so.8:"
                         "/lib/x86_64-linux-gnu/libubsan.so.1")
        self.assertEqual(at.sanitizer_runtimes("\tlibc.so.6 => /lib/libc.so.6"),
                         "")

    def test_port_args(self):
        self.assertEqual(at.port_args(["-port", "8000"], {}), [])
        self.assertEqual(at.port_args(["--port=8000"], {}), [])
        self.assertEqual(at.port_args([], {"APACHE_TEST_PORT": "9000"}),
                         ["-port", "select"])
        opt, base = at.port_args(["-portable"], {})
        self.assertEqual(opt, "-port")
        self.assertTrue(base == "select" or 10000 <= int(base) < 20000)

    def test_quiet_error_log(self):
        text = ("[x] [core:trace3] [pid 1] noise\n[x] [charon:debug] dbg\n"
                "[x] [charon:error] [pid 2] CHARON001: bad\n[x] [mpm_event:notice] up\n")
        self.assertEqual(at.quiet_error_log(text),
                         ["[x] [charon:error] [pid 2] CHARON001: bad",
                          "[x] [mpm_event:notice] up"])
        self.assertEqual(len(at.quiet_error_log("a\n" * 100)), 60)

    def test_excluded_from_the_copy(self):
        for path in ("build", "t/logs", "t/conf/db.conf", ".git"):
            self.assertIn(path, at.EXCLUDE)
        self.assertNotIn("t/conf/extra.conf.in", at.EXCLUDE)


if __name__ == "__main__":
    unittest.main()
