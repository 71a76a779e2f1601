#!/usr/bin/env python3
"""Checks the source tree's layers from its #include lines.

    python3 tests/layers.py [TOP]       check TOP (default: the repository)
    python3 tests/layers.py --self-test  show that each rule can fail

Rules (README, "Where to change what"):
  1. Every file of src/ lives in a layer folder, and names the folder of
     each header it includes ("db/charon_db.h", never "charon_db.h").
  2. Includes point only downward: lib < conf < db < send < ops < http
     < manage < admin < server < mod_charon.c.  A layer may skip layers below it.
  3. Outside its folder, a layer is seen only through its public headers
     (charon_<layer>.h; db/statements.h is part of db's).
  4. Inside a folder, files do not include each other's private headers in
     a circle (a.c or a.h includes b.h, b.c or b.h includes a.h, ...).
  5. src/lib/ includes no header of httpd's: it is unit-tested and fuzzed
     without a server.
Headers that are not the project's (httpd's, APR's) are named as httpd
names them and checked by rule 5 only.

Prints one line per violation, then "layers: N files, M includes, K
violations"; exits 1 on any violation, or when it found no file at all.
"""

import os
import re
import sys
import tempfile

LAYERS = ["lib", "conf", "db", "send", "ops", "http", "manage", "admin",
          "server"]
TOP_RANK = len(LAYERS)
PUBLIC_EXTRA = {"db/statements.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+["<]([^">]+)[">]', re.M)
HTTPD_HEADER = re.compile(r'^(httpd|http_\w+|util_\w+|mod_\w+|ap_\w+|'
                          r'scoreboard|mpm_common)\.h$')


def sources(top):
    """(path relative to top, rank, folder) of every C file checked."""
    found = []
    if os.path.exists(os.path.join(top, "mod_charon.c")):
        found.append(("mod_charon.c", TOP_RANK, None))
    src = os.path.join(top, "src")
    for dirpath, _dirs, files in os.walk(src):
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                rel = os.path.relpath(os.path.join(dirpath, name), top)
                parts = rel.split(os.sep)
                folder = parts[1] if len(parts) == 3 else None
                rank = LAYERS.index(folder) if folder in LAYERS else None
                found.append((rel.replace(os.sep, "/"), rank, folder))
    return found


def public(header):
    folder, _, name = header.partition("/")
    return name == "charon_%s.h" % folder or header in PUBLIC_EXTRA


def stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def find_cycle(edges):
    """One cycle of the graph {node: set(nodes)}, as a list, or None."""
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def check(top):
    """(violations, files, includes) of the tree at top."""
    problems, n_includes = [], 0
    files = sources(top)
    ours = {rel[len("src/"):] for rel, _, _ in files if rel.startswith("src/")}
    basenames = {os.path.basename(h) for h in ours}
    graphs = {}                         # folder -> {stem: {stems}}
    for rel, rank, folder in files:
        if rel != "mod_charon.c" and rank is None:
            problems.append("%s: not in a layer folder (%s)"
                            % (rel, ", ".join(LAYERS)))
            continue
        with open(os.path.join(top, rel), encoding="utf-8") as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            n_includes += 1
            if folder == "lib" and HTTPD_HEADER.match(inc):
                problems.append('%s includes "%s": src/lib/ is httpd-free'
                                % (rel, inc))
            if inc not in ours:
                if inc in basenames:
                    problems.append('%s: includes "%s", which names no '
                                    'layer' % (rel, inc))
                continue                # httpd's, APR's, the system's
            target = inc.split("/")[0]
            if LAYERS.index(target) > rank:
                problems.append('%s (%s) includes "%s": a layer above it'
                                % (rel, folder or "top", inc))
            elif target != folder and not public(inc):
                problems.append('%s includes "%s": private to src/%s/'
                                % (rel, inc, target))
            elif target == folder and stem(inc) != stem(rel):
                graphs.setdefault(folder, {}).setdefault(
                    stem(rel), set()).add(stem(inc))
    for folder, edges in sorted(graphs.items()):
        cycle = find_cycle(edges)
        if cycle:
            problems.append("src/%s: files include each other's headers in "
                            "a circle: %s" % (folder, " -> ".join(cycle)))
    return problems, len(files), n_includes


def report(top):
    problems, n_files, n_includes = check(top)
    for p in problems:
        print("layers: " + p)
    if n_files == 0:
        problems.append("no source file found")
        print("layers: no source file found under %s" % top)
    print("layers: %d files, %d includes, %d violations"
          % (n_files, n_includes, len(problems)))
    return 1 if problems else 0


def self_test():
    """Each rule, broken on purpose in a small tree, must be caught."""
    cases = {
        "upward": {"src/lib/a.c": '#include "db/charon_db.h"\n',
                   "src/db/charon_db.h": ""},
        "no folder": {"src/db/a.c": '#include "charon_db.h"\n',
                      "src/db/charon_db.h": ""},
        "httpd in lib": {"src/lib/a.c": '#include "httpd.h"\n'},
        "private": {"src/ops/a.c": '#include "db/internal.h"\n',
                    "src/db/internal.h": ""},
        "circle": {"src/admin/a.c": '#include "admin/b.h"\n',
                   "src/admin/b.c": '#include "admin/a.h"\n',
                   "src/admin/a.h": "", "src/admin/b.h": ""},
        "loose file": {"src/x.c": ""},
    }
    good = {"mod_charon.c": '#include "server/charon_server.h"\n',
            "src/server/charon_server.h": '#include "ops/charon_ops.h"\n',
            "src/ops/charon_ops.h": '#include "db/charon_db.h"\n',
            "src/db/charon_db.h": '#include "db/statements.h"\n',
            "src/db/statements.h": "",
            "src/db/conn.c": '#include "db/internal.h"\n',
            "src/db/internal.h": '#include "db/charon_db.h"\n'}
    failed = 0
    for name, tree in [("a sound tree", good)] + sorted(cases.items()):
        with tempfile.TemporaryDirectory() as top:
            for rel, text in tree.items():
                path = os.path.join(top, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            problems, _, _ = check(top)
        ok = bool(problems) == (tree is not good)
        failed += not ok
        print("layers self-test: %s: %s (%d found)"
              % (name, "ok" if ok else "FAILED", len(problems)))
    print("layers self-test: %d passed, %d failed"
          % (len(cases) + 1 - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    sys.exit(report(sys.argv[1] if len(sys.argv) > 1
                    else os.path.join(os.path.dirname(__file__), "..")))
