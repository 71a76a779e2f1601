"""AddressSanitizer, UBSan, LeakSanitizer and valgrind, for --check.

apache_test --check=asan|valgrind runs httpd under one of them: with
``environment``'s variables (t/TEST.PL puts CHARON_TEST_HTTPD_WRAPPER before
httpd's command line). Afterwards ``collect`` keeps the report files,
``scan`` sorts what they hold into memory errors, leaks and the rest, tells
the module's from the others', and ``judge`` decides whether the run fails.
``scan`` and ``judge`` are pure: text in, text out.
"""

import glob
import os
import re
import shutil
from dataclasses import dataclass, field

from . import proc

# A frame in the module: its shared object, mod_charon.c, or any C file
# under a src/ directory, relative or absolute (src/db/conn.c:12,
# /tmp/x/src/charon_db.c:12), whatever the layout of src/ is.
OURS = re.compile(r"mod_charon\.so"
                  r"|\bmod_charon\.c:\d+"
                  r"|(?:^|[\s(/'\"])src/(?:[\w.+-]+/)*[\w.+-]+\.c:\d+", re.M)

# print_suppressions=1: LeakSanitizer says what it suppressed, or it lists
# leaks: either way the leak check at exit ran to its end.
_ASAN_CHECKED = re.compile(
    r"^Suppressions used:|ERROR: LeakSanitizer: detected memory leaks", re.M)
# The patterns are anchored on the sanitizers' own line formats: the
# error_log is read too, and requests may carry any text.
_ASAN_ERRORS = (
    # AddressSanitizer errors, from ERROR to SUMMARY (blank lines inside)
    re.compile(r"(^==\d+==ERROR: AddressSanitizer.*?"
               r"^SUMMARY: AddressSanitizer[^\n]*)", re.M | re.S),
    # its own failures, and LeakSanitizer's that are no leak list
    re.compile(r"^(==\d+==\s*(?:AddressSanitizer CHECK failed|"
               r"ERROR: LeakSanitizer: (?!detected memory leaks))[^\n]*)", re.M),
    # UndefinedBehaviorSanitizer: "file:line:col: runtime error: ...", then
    # its stack
    re.compile(r"^([^\s:]+:\d+:\d+: runtime error: [^\n]*\n"
               r"(?:[ \t]+#\d[^\n]*\n?)*)", re.M),
)
# LeakSanitizer: one paragraph a leak
_ASAN_LEAK = re.compile(r"^((?:Direct|Indirect) leak of .*?)(?=\n[ \t]*\n|\Z)",
                        re.M | re.S)

_VG_CHECKED = re.compile(r"^==\d+== (?:LEAK SUMMARY:|All heap blocks were freed)",
                         re.M)
_VG_BLANK = re.compile(r"^==\d+==\s*$")
_VG_LINE = re.compile(r"^==\d+== ")
_VG_FIRST = re.compile(r"^==\d+== (\S.*)$", re.M)
_VG_FRAME = re.compile(r"^==\d+==\s+(?:at|by) 0x", re.M)


@dataclass
class Scan:
    """What the reports hold: (file, text) of each report, by kind."""
    errors: list = field(default_factory=list)
    leaks: list = field(default_factory=list)
    other: list = field(default_factory=list)
    checked: int = 0      # processes whose leak check at exit completed

    @staticmethod
    def ours(reports):
        return [r for r in reports if OURS.search(r[1])]

    def counts(self):
        return dict(errors=len(self.errors),
                    module_errors=len(self.ours(self.errors)),
                    leaks=len(self.leaks),
                    module_leaks=len(self.ours(self.leaks)),
                    other=len(self.other), checked=self.checked)

    def text(self):
        """Every report, those with a frame in mod_charon first."""
        def others(reports):
            return [r for r in reports if not OURS.search(r[1])]
        out = []
        for title, reports in (
                ("errors with a frame in mod_charon", self.ours(self.errors)),
                ("leaks with a frame in mod_charon", self.ours(self.leaks)),
                ("other errors", others(self.errors)),
                ("other leaks", others(self.leaks)),
                ("other reports", self.other)):
            if reports:
                out.append("##### %s: %d\n\n" % (title, len(reports)))
                out.extend("--- %s\n%s\n\n" % r for r in reports)
        return "".join(out)


def scan(mode, texts):
    """Scan (file name, text) pairs of mode asan or valgrind."""
    s = Scan()
    for name, text in texts:
        if mode == "asan":
            _scan_asan(s, name, text)
        else:
            _scan_valgrind(s, name, text)
    return s


def _scan_asan(s, name, text):
    if _ASAN_CHECKED.search(text):
        s.checked += 1
    for pattern in _ASAN_ERRORS:
        s.errors.extend((name, m.group(1)) for m in pattern.finditer(text))
    s.leaks.extend((name, m.group(1)) for m in _ASAN_LEAK.finditer(text))


def valgrind_blocks(text):
    """valgrind's reports: "==PID== " lines, separated by "==PID==" alone;
    the suppressions printed by --gen-suppressions (lines without the
    prefix) go with the report before them."""
    blocks = [""]
    for line in text.rstrip("\n").split("\n"):
        if _VG_BLANK.match(line):
            if blocks[-1] != "":
                blocks.append("")
        elif _VG_LINE.match(line):
            blocks[-1] += line + "\n"
        else:
            i = -2 if blocks[-1] == "" and len(blocks) > 1 else -1
            blocks[i] += line + "\n"
    return [b for b in blocks if b.strip()]


def _scan_valgrind(s, name, text):
    if _VG_CHECKED.search(text):
        s.checked += 1
    for b in valgrind_blocks(text):
        # the report's first line ("Thread N:" says whose it is)
        first = next((x for x in _VG_FIRST.findall(b)
                      if not re.match(r"Thread \d+", x)), "")
        if re.search(r"bytes in [\d,]+ blocks are definitely lost", first):
            s.leaks.append((name, b))
        elif re.search(r"bytes in [\d,]+ blocks are ", first):
            s.other.append((name, b))
        elif _VG_FRAME.search(b):
            s.errors.append((name, b))


def leak_checks_off(mode, environ):
    """Whether the caller turned LeakSanitizer off (then no process's leak
    check is expected)."""
    opts = environ.get("ASAN_OPTIONS", "") + ":" + environ.get("LSAN_OPTIONS", "")
    return mode == "asan" and bool(re.search(r"detect_leaks=(?:0|false)", opts))


def judge(mode, counts, n_files, killed=0, checks_off=False):
    """(failed, line, why): the verdict on a run's reports, its summary
    line and the reasons it failed.
    asan: any sanitizer error fails (only the module is instrumented, so
    an error comes from its code or from libc calls made on memory it
    handles), and so do the module's leaks. valgrind: the module's errors
    and definite leaks fail. Either fails when no process finished its
    leak check at exit (it did not run under the check, or was killed)."""
    c = dict(counts)
    why = []
    if checks_off:
        c["checked"] = -1
    if c["checked"] == 0:
        why.append("no process's leak check at exit completed")
    if mode == "asan":
        if c["errors"]:
            why.append("sanitizer errors")
        if c["module_leaks"]:
            why.append("leaks in mod_charon")
    else:
        if c["module_errors"]:
            why.append("errors in mod_charon")
        if c["module_leaks"]:
            why.append("definite leaks in mod_charon")
    checked = ("leak checks off" if c["checked"] < 0
               else "%d processes leak-checked" % c["checked"])
    line = ("%s: %d errors (%d in mod_charon), %d leaks (%d in mod_charon), "
            "%d other; %s, %d report files" % (
                mode, c["errors"], c["module_errors"], c["leaks"],
                c["module_leaks"], c["other"], checked, n_files))
    # httpd SIGKILLs children that do not exit within a few seconds of its
    # SIGTERM (AH00046); on a loaded machine LeakSanitizer at exit in many
    # children at once can take that long, and their leaks go unchecked.
    if killed:
        line += ("; WARNING: %d httpd children SIGKILLed at shutdown "
                 "(AH00046), their leaks unchecked" % killed)
    return bool(why), line, ", ".join(why)


def environment(mode, copy, runtimes, environ):
    """What --check adds to the tests' environment, for the tree at copy.
    runtimes: the sanitizer runtimes to preload (asan). The sanitizers'
    options: ours first, the caller's after them (the last value of an
    option wins)."""
    logs = os.path.join(copy, "t", "logs")

    def opts(name, ours):
        theirs = environ.get(name)
        return ours + (":" + theirs if theirs else "")
    if mode == "asan":
        # One log_path for both: the last one parsed applies to ASan's
        # reports, and UBSan's go to stderr (the error_log) anyway.
        # detect_leaks: LeakSanitizer at each process's exit, after httpd
        # destroyed its pools; fast_unwind_on_malloc=0: complete allocation
        # stacks through libraries built without frame pointers (json-c,
        # apr), or a leak of the module's through them would not show its
        # frames. exitcode=0: LeakSanitizer's status would be that of
        # httpd's first process (it exits when httpd detaches), which
        # Apache::Test takes for a failed start; reports are judged from
        # the files. halt_on_error: a memory error ends the process.
        # abort_on_error=0, disable_coredump: no core dumps of ASan's
        # shadow memory.
        return {
            "CHARON_TEST_HTTPD_WRAPPER": "env LD_PRELOAD=" + runtimes,
            "ASAN_OPTIONS": opts(
                "ASAN_OPTIONS", "log_path=%s/sanitizer:detect_leaks=1:"
                "fast_unwind_on_malloc=0:malloc_context_size=40:"
                "halt_on_error=1:abort_on_error=0:exitcode=0:"
                "disable_coredump=1:detect_stack_use_after_return=1:"
                "check_initialization_order=1:strict_string_checks=1" % logs),
            "LSAN_OPTIONS": opts(
                "LSAN_OPTIONS",
                "suppressions=%s/t/lsan.supp:print_suppressions=1" % copy),
            "UBSAN_OPTIONS": opts(
                "UBSAN_OPTIONS", "log_path=%s/sanitizer:print_stacktrace=1:"
                "halt_on_error=0:report_error_type=1" % logs),
        }
    if mode == "valgrind":
        # --keep-debuginfo: httpd unloads its modules before exiting, when
        # the leaks are reported; without it their frames are ???.
        # --fullpath-after= (empty): frames name the source files by their
        # whole path, so that OURS sees the src/ of src/db/conn.c:12.
        extra = environ.get("CHARON_TEST_VALGRIND_OPTS")
        return {"CHARON_TEST_HTTPD_WRAPPER":
                "valgrind --tool=memcheck --leak-check=full "
                "--show-leak-kinds=definite,possible "
                "--errors-for-leak-kinds=definite --keep-debuginfo=yes "
                "--fullpath-after= --num-callers=40 --error-limit=no "
                "--trace-children=no --child-silent-after-fork=yes "
                "--gen-suppressions=all --suppressions=%s/t/valgrind.supp "
                "--log-file=%s/valgrind.%%p.log%s"
                % (copy, logs, " " + extra if extra else "")}
    return {}


def collect(mode, logs, keep, environ):
    """After httpd stopped: copy the report files of t/logs (logs) to
    keep/<mode>/, write every report to keep/<mode>-report.txt and judge
    them. Returns judge()'s (failed, line, why) and what to show: the
    first 80 lines of the reports when there is anything to see, else ''."""
    pattern = "sanitizer.*" if mode == "asan" else "valgrind.*.log"
    files = sorted(f for f in glob.glob(os.path.join(logs, pattern))
                   if os.path.isfile(f))
    os.makedirs(os.path.join(keep, mode), exist_ok=True)
    for f in files:
        shutil.copy(f, os.path.join(keep, mode))
    texts = [(f, proc.read_text(f)) for f in files]
    el = os.path.join(logs, "error_log")
    error_log = proc.read_text(el) if os.path.isfile(el) else ""
    # Before log_path applies, or when it cannot be written, the sanitizers
    # write to stderr, which is httpd's error_log.
    if mode == "asan" and os.path.isfile(el):
        texts.append((el, error_log))
    found = scan(mode, texts)
    report = os.path.join(keep, mode + "-report.txt")
    with open(report, "w") as f:
        f.write(found.text())
    counts = found.counts()
    failed, line, why = judge(mode, counts, len(files),
                              error_log.count("AH00046"),
                              leak_checks_off(mode, environ))
    shown = ""
    if failed or counts["errors"] or counts["leaks"]:
        # the first reports, mod_charon's first; all of them in the file
        shown = "\n".join(found.text().split("\n")[:80] +
                          ["----- all reports: %s -----" % report])
    return failed, line, why, shown
