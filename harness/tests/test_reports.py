"""reports: what counts as a sanitizer or valgrind report, and whose."""

import unittest

from harness import reports

ASAN = """\
==123==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020
READ of size 4 at 0x6020 thread T3
    #0 0x7f01 in charon_op_end /tmp/charon-test-sqlite.x/src/ops/end.c:42:7
    #1 0x7f02 in ap_run_handler (/usr/sbin/apache2+0x4a)

SUMMARY: AddressSanitizer: heap-use-after-free src/ops/end.c:42:7 in charon_op_end
==123==ABORTING
"""

LEAKS = """\
=================================================================
==77==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 24 byte(s) in 1 object(s) allocated from:
    #0 0x7f in malloc (/lib/x86_64-linux-gnu/libasan.so.8+0xd9)
    #1 0x7f in json_object_new_object (/lib/libjson-c.so.5+0x1)
    #2 0x7f in charon_json_answer src/http/send.c:12:5

Indirect leak of 8 byte(s) in 1 object(s) allocated from:
    #0 0x7f in malloc (/lib/x86_64-linux-gnu/libasan.so.8+0xd9)
    #1 0x7f in apr_palloc (/lib/libapr-1.so.0+0x2)

SUMMARY: AddressSanitizer: 32 byte(s) leaked in 2 allocation(s).
"""

UBSAN = """\
[Mon Dec 07] [charon:debug] a request line: src/x.c:1:2: runtime error: not a report
src/lib/json.c:88:12: runtime error: signed integer overflow
    #0 0x7f in charon_json_int /work/main/src/lib/json.c:88
    #1 0x7f in main
"""

VALGRIND = """\
==9== Memcheck, a memory error detector
==9==
==9== Thread 3:
==9== Invalid read of size 8
==9==    at 0x4C: charon_db_run (/work/main/src/db/run.c:77)
==9==    by 0x4D: ap_run_handler (in /usr/sbin/apache2)
==9==
==9== 16 bytes in 1 blocks are definitely lost in loss record 1 of 9
==9==    at 0x48: malloc (vg_replace_malloc.c:381)
==9==    by 0x49: apr_palloc (in /usr/lib/x86_64-linux-gnu/libapr-1.so.0.7.2)
==9==
{
   <insert_a_suppression_name_here>
   Memcheck:Leak
   fun:malloc
}
==9== 32 bytes in 2 blocks are possibly lost in loss record 2 of 9
==9==    at 0x48: calloc (vg_replace_malloc.c:1340)
==9==    by 0x4A: ??? (in /tmp/x/.libs/mod_charon.so)
==9==
==9== 8 bytes in 1 blocks are definitely lost in loss record 3 of 9
==9==    at 0x48: malloc (vg_replace_malloc.c:381)
==9==    by 0x4E: charon_conf_merge (mod_charon.c:310)
==9==
==9== LEAK SUMMARY:
==9==    definitely lost: 24 bytes in 2 blocks
"""


class TestFrames(unittest.TestCase):

    def test_ours(self):
        for frame in ("#2 0x7f in f src/db/conn.c:12:5",
                      "#2 0x7f in f /tmp/x/src/charon_db.c:12",
                      "by 0x4C: f (/work/main/src/ops/end.c:7)",
                      "by 0x4C: f (src/lib/utf8.c:7)",
                      "#1 0x7f in f (/tmp/x/.libs/mod_charon.so+0x12)",
                      "by 0x4E: charon_conf_merge (mod_charon.c:310)",
                      "src/charon_core.c:3:4: runtime error: x"):
            self.assertTrue(reports.OURS.search(frame), frame)

    def test_not_ours(self):
        for frame in ("#1 0x7f in apr_palloc (/lib/libapr-1.so.0+0x2)",
                      "by 0x4C: f (/build/apr/resrc/x.c:7)",
                      "#2 0x7f in f tools/charon_run_api.c:12",
                      "#2 0x7f in f mysrc/x.c:12",
                      "#2 0x7f in f src/x.h:12",
                      "by 0x49: malloc (vg_replace_malloc.c:381)"):
            self.assertFalse(reports.OURS.search(frame), frame)


class TestScan(unittest.TestCase):

    def test_asan(self):
        s = reports.scan("asan", [("sanitizer.1", ASAN), ("sanitizer.2", LEAKS),
                                  ("error_log", UBSAN)])
        c = s.counts()
        self.assertEqual(c, dict(errors=2, module_errors=2, leaks=2,
                                 module_leaks=1, other=0, checked=1))
        text = s.text()
        self.assertTrue(text.startswith("##### errors with a frame in mod_charon: 2"))
        self.assertIn("##### leaks with a frame in mod_charon: 1", text)
        self.assertIn("##### other leaks: 1", text)
        self.assertIn("--- sanitizer.2\nIndirect leak of 8 byte(s)", text)

    def test_asan_suppressed_only(self):
        s = reports.scan("asan", [("s", "Suppressions used:\n  count bytes\n")])
        self.assertEqual(s.counts()["checked"], 1)
        self.assertEqual(s.text(), "")

    def test_valgrind(self):
        s = reports.scan("valgrind", [("valgrind.9.log", VALGRIND)])
        self.assertEqual(s.counts(), dict(errors=1, module_errors=1, leaks=2,
                                          module_leaks=1, other=1, checked=1))
        # the suppression goes with the report before it
        leak = [b for _, b in s.leaks if "16 bytes" in b][0]
        self.assertIn("Memcheck:Leak", leak)

    def test_valgrind_blocks(self):
        blocks = reports.valgrind_blocks("==1== a\n==1== b\n==1==\n==1== c\n")
        self.assertEqual(blocks, ["==1== a\n==1== b\n", "==1== c\n"])


class TestJudge(unittest.TestCase):
    CLEAN = dict(errors=0, module_errors=0, leaks=0, module_leaks=0,
                 other=2, checked=3)

    def test_clean(self):
        failed, line, why = reports.judge("asan", self.CLEAN, 4)
        self.assertFalse(failed)
        self.assertEqual(line, "asan: 0 errors (0 in mod_charon), 0 leaks "
                         "(0 in mod_charon), 2 other; 3 processes leak-checked,"
                         " 4 report files")

    def test_asan_fails_on_any_error(self):
        c = dict(self.CLEAN, errors=1)
        self.assertEqual(reports.judge("asan", c, 1)[2], "sanitizer errors")
        # valgrind: only the module's errors
        self.assertFalse(reports.judge("valgrind", c, 1)[0])
        c["module_errors"] = 1
        self.assertEqual(reports.judge("valgrind", c, 1)[2],
                         "errors in mod_charon")

    def test_leaks_and_checks(self):
        c = dict(self.CLEAN, leaks=2, module_leaks=1, checked=0)
        failed, line, why = reports.judge("valgrind", c, 1, killed=2)
        self.assertTrue(failed)
        self.assertEqual(why, "no process's leak check at exit completed, "
                         "definite leaks in mod_charon")
        self.assertIn("; WARNING: 2 httpd children SIGKILLed", line)
        failed, line, _ = reports.judge("asan", dict(self.CLEAN, checked=0), 1,
                                        checks_off=True)
        self.assertFalse(failed)
        self.assertIn("leak checks off, 1 report files", line)

    def test_leak_checks_off(self):
        self.assertTrue(reports.leak_checks_off(
            "asan", {"LSAN_OPTIONS": "a=1:detect_leaks=0"}))
        self.assertTrue(reports.leak_checks_off(
            "asan", {"ASAN_OPTIONS": "detect_leaks=false"}))
        self.assertFalse(reports.leak_checks_off(
            "valgrind", {"ASAN_OPTIONS": "detect_leaks=0"}))
        self.assertFalse(reports.leak_checks_off("asan", {}))


if __name__ == "__main__":
    unittest.main()
