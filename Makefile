# mod_charon: build, run, test.
#
#   make            build .libs/mod_charon.so with apxs
#   make install    install it into Apache's module directory (apxs -i)
#   make run        demo on 127.0.0.1:8080 with SQLite (installs what is missing)
#   make test       everything, as CI runs it: unit tests and fuzz corpus
#                   replay, the source tree's checks (make lint), the
#                   schema upgrade test, Apache::Test on SQLite,
#                   PostgreSQL, MariaDB, one fault run on each, a smoke run
#                   of the benchmark on SQLite (it prints a whole table)
#                   and of the alerts' benchmark (100 alerts)
#   make check      the fast loop for a developer: the build with warnings
#                   as errors, the unit tests, make lint, Apache::Test on
#                   SQLite (about two minutes)
#   make lint       the include lines keep to the layers (tests/layers.py)
#                   and clang-format (.clang-format) would change no C file
#   make screenshots  the README's pictures of the manager page, of make
#                   run's demo (python3 -m harness.screenshots: a fresh
#                   demo database, its own httpd on 127.0.0.1, headless
#                   Chromium; about 2 minutes). Not part of make test: it
#                   rewrites docs/screenshots/*.png, which are committed
#   make            also builds build/charon-run, the cron wrapper (tools/)
#   make install    also installs charon-run and its man page under PREFIX
#                   (/usr/local)
#   make deb        the Debian packages libapache2-mod-charon, charon-run
#                   and monitoring-plugin-charon (debian/), built by
#                   dpkg-buildpackage from a
#                   copy of the git-tracked files, into build/deb/, then
#                   checked by lintian (installs what it needs first)
#   make deb-test   those installed, used, upgraded and purged in a fresh
#                   Debian 12 root (harness/deb_test.py; make test runs it)
#   make unit       the C unit tests, the fuzz corpus replay, the
#                   harness's own unit tests (python3 -m unittest) and the
#                   alert transports against local sinks (python3 -m
#                   harness.send_test: webhook, SMTP, sendmail, programs,
#                   files; about 15 s)
#   make upgrade-test  sql/upgrade/*/*.sql on a schema-1 database with
#                   data, against a fresh sql/*.sql, on SQLite, PostgreSQL,
#                   MariaDB (python3 -m harness.upgrade_test, about 20 s)
#   The harness (tests, benchmarks, fault runs) is the Python package
#   harness/ (standard library only), run from the top as
#   python3 -m harness.<module>; scripts/ holds what installs and starts.
#   make bench      the benchmark (python3 -m harness.bench): its own
#                   httpd and databases on 127.0.0.1, wrk, pgbench, the
#                   databases' clients; prints a markdown table of figures
#                   and ratios to their references, big tables (10M
#                   executions, 50M messages) on PostgreSQL; under 10
#                   minutes on 2 cores (QUICK=1 make bench: under 2);
#                   then the minute-0 burst on the three databases
#                   (harness.bench_burst, make bench-burst alone) and
#                   what mod_dbd's ping costs on MariaDB
#                   (harness.bench_ping, make bench-ping alone)
#   make bench-bigtables  big tables on PostgreSQL and SQLite (MYSQL=1:
#                   and MariaDB), with their plans (python3 -m
#                   harness.bigtables; QUICK=1: about a minute)
#   make bench-alerts  the API's latency at c32 while 1,000 alerts are
#                   being delivered, beside the same with none (python3 -m
#                   harness.bench_alerts; SQLite; ALERT_DBS="sqlite pgsql mysql"
#                   for more; about 90 s a database, QUICK=1: a minute)

APXS    ?= apxs
CC      ?= cc
# Debian's python3: the harness uses its standard library only.
PYTHON  ?= $(firstword $(wildcard /usr/bin/python3) python3)
WERROR  ?=
# The version's one place is debian/changelog (its first line:
# "mod-charon (VERSION) ..."): `dch -v` or an edited first entry changes
# it for the packages, for charon-run (-DCR_VERSION below) and for what
# `make install` builds.  tools/charon_run.h and tools/charon-run.1 keep a
# copy for builds without this Makefile; `make version-check` (run by
# `make deb`) fails when they differ.  Read with sed, not
# dpkg-parsechangelog: the Makefile also builds where dpkg-dev is not.
# (Braces, not parentheses, around `shell`: the sed script has unmatched
# ones.)
VERSION := ${shell sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog 2>/dev/null}
# The module: mod_charon.c and src/<layer>/*.c (see README, "Where to
# change what").  LIB_SOURCES need no httpd: unit-tested and fuzzed.
SOURCES  = mod_charon.c $(wildcard src/*/*.c)
HEADERS  = $(wildcard src/*/*.h)
LIB_SOURCES = $(wildcard src/lib/*.c)
DIALECT_SOURCES = src/db/dialects.c $(wildcard src/db/dialect_*.c)
WARN     = -Wall -Wextra $(if $(WERROR),-Werror)
ICU_LIBS := $(shell pkg-config --libs icu-i18n 2>/dev/null || echo -licui18n -licuuc -licudata)
# SQLite's own API, for a busy handler on the driver's connections
# (src/db/sqlite_writers.c).
SQLITE_LIBS := $(shell pkg-config --libs sqlite3 2>/dev/null || echo -lsqlite3)
LIBS     = -ljson-c -lcrypto $(ICU_LIBS)
# The module's alerts (src/send/) post webhooks and speak SMTP with libcurl.
CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

APR_CFLAGS := $(shell apr-1-config --cflags --cppflags --includes 2>/dev/null)
APR_LIBS   := $(shell apr-1-config --link-ld --libs 2>/dev/null)

.PHONY: openapi-lint openapi-selftest all install deb deb-test version-check unit harness-unit upgrade-test test check lint test-mysql-plain run screenshots bench bench-bigtables bench-slots bench-alerts bench-burst bench-ping deps browser-deps charon-run clean

all: .libs/mod_charon.so build/charon-run

# CPPFLAGS, CFLAGS and LDFLAGS (empty unless given; the Debian package's
# build sets them, from dpkg-buildflags) go to apxs with -Wc, and -Wl,.
.libs/mod_charon.so: $(SOURCES) $(HEADERS) Makefile
	$(APXS) -c -n charon -o mod_charon.la \
		$(addprefix -Wc$(comma),$(WARN) $(CPPFLAGS) $(CFLAGS)) \
		$(addprefix -Wl$(comma),$(LDFLAGS)) \
		-Isrc $(SOURCES) $(LIBS) $(CURL_LIBS) $(SQLITE_LIBS)

comma := ,

install: all
	$(APXS) -i -n charon mod_charon.la
	install -D -m 0755 build/charon-run $(DESTDIR)$(PREFIX)/bin/charon-run
	install -D -m 0644 tools/charon-run.1 \
		$(DESTDIR)$(PREFIX)/share/man/man1/charon-run.1

# ---- Debian packages: debian/ ------------------------------------------
# make deb: libapache2-mod-charon and charon-run (with their -dbgsym
# packages, .buildinfo and .changes) in build/deb/, then lintian on them
# (its report also in build/deb/lintian.txt; info and pedantic tags shown
# too): an error or a warning fails.  Built by dpkg-buildpackage in
# build/deb/src, a copy of the files git tracks (as the working tree has
# them; a new file counts once `git add`ed), so nothing untracked and no
# build product gets in.  debian/rules runs the C unit tests;
# DEB_BUILD_OPTIONS=nocheck skips them.
DEB_DIR = build/deb
deb: version-check
	@git ls-files --error-unmatch debian/control debian/rules >/dev/null 2>&1 \
	 || { echo "deb: debian/ is not tracked by git: make deb packages the" \
	           "git-tracked files only (git add debian)"; exit 1; }
	./scripts/deps.sh --deb
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/src
	git ls-files -z | tar --null --no-recursion -T - -cf - \
	    | tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -b
	lintian --info --pedantic --fail-on error,warning $(DEB_DIR)/*.changes \
	    > $(DEB_DIR)/lintian.txt 2>&1; status=$$?; \
	cat $(DEB_DIR)/lintian.txt; \
	[ $$status -eq 0 ] || { echo "deb: lintian found errors or warnings (above)"; exit 1; }
	@echo "deb: lintian: no error, no warning"; ls -1 $(DEB_DIR)/*.deb

# The packages installed as a user would, in a fresh Debian 12 root
# (mmdebstrap): install, a database from the installed schema, a2enmod,
# the packaged example as the site, the API used, an upgrade to a second
# build of a higher version (dpkg-buildpackage again, the changelog
# raised), apt purge (harness/deb_test.py).  About 45 s after make deb;
# make test runs it whole.  (--quick repacks the same build with the
# version raised instead of building again.)
deb-test: deb
	$(PYTHON) -m harness.deb_test

# The version's copies agree with debian/changelog (see VERSION).
version-check:
	@[ -n "$(VERSION)" ] || { echo "version-check: no version in debian/changelog"; exit 1; }
	@h=$$(sed -n 's/^#define CR_VERSION "\(.*\)"$$/\1/p' tools/charon_run.h); \
	 m=$$(sed -n 's/^\.TH .* "charon-run \([^"]*\)".*/\1/p' tools/charon-run.1); \
	 [ "$$h" = "$(VERSION)" ] && [ "$$m" = "$(VERSION)" ] \
	 || { echo "version-check: debian/changelog says $(VERSION)," \
	           "tools/charon_run.h '$$h', tools/charon-run.1 '$$m':" \
	           "make them say the same"; exit 1; }; \
	 echo "version-check: $(VERSION) everywhere"

# ---- charon-run: the cron wrapper (tools/, docs/CHARON-RUN.md) ---------
PREFIX     ?= /usr/local
CR_SOURCES  = tools/charon-run.c tools/charon_run_loop.c \
              tools/charon_run_job.c tools/charon_run_api.c \
              tools/charon_run_config.c tools/charon_run_options.c \
              tools/charon_run_files.c tools/charon_run_text.c \
              tools/charon_run_output.c tools/charon_run_schedule.c \
              tools/charon_run_next.c tools/charon_run_apply.c \
              tools/charon_run_apply_file.c tools/charon_run_apply_doc.c
CR_HEADERS  = tools/charon_run.h
# charon-run apply reads the management API's answers with json-c.
CR_JSON_LIBS := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
# The module's schedules (no APR, no httpd; ICU for the zones): charon-run
# checks --schedule, --timezone and --grace with the module's own parser.
CR_LIB      = src/lib/schedule.c src/lib/slots.c src/lib/civil.c
CR_LIB_H    = src/lib/schedule.h src/lib/civil.h

# The version from debian/changelog (see VERSION), when there is one.
CR_VERSION_DEF = $(if $(VERSION),-DCR_VERSION='"$(VERSION)"')
build/charon-run: $(CR_SOURCES) $(CR_HEADERS) $(CR_LIB) $(CR_LIB_H) \
                  $(wildcard debian/changelog)
	@mkdir -p build
	$(CC) $(WARN) -O2 $(CPPFLAGS) $(CFLAGS) $(CR_VERSION_DEF) -Itools -Isrc \
		$(CR_SOURCES) $(CR_LIB) $(LDFLAGS) -lcurl \
		$(CR_JSON_LIBS) $(ICU_LIBS) -o $@

# charon-run's parts with no libcurl and no I/O.
CR_TESTS = $(wildcard tests/charon-run/*.c)
CR_PURE  = tools/charon_run_text.c tools/charon_run_output.c \
           tools/charon_run_schedule.c tools/charon_run_next.c \
           tools/charon_run_apply_file.c tools/charon_run_apply_doc.c
build/test_charon_run: $(CR_TESTS) tests/charon-run/test_cr.h $(CR_PURE) \
                       $(CR_HEADERS) $(CR_LIB) $(CR_LIB_H)
	@mkdir -p build
	$(CC) $(WARN) -g -Itools -Isrc $(CR_TESTS) $(CR_PURE) $(CR_LIB) \
		$(CR_JSON_LIBS) $(ICU_LIBS) -o $@

charon-run: build/charon-run

# The module's SQL, one statement a line (tests/bench/sql_dump.c), for the
# benchmarks' baselines and plans.
HTTPD_INC := $(shell $(APXS) -q INCLUDEDIR 2>/dev/null)
APU_INC   := $(shell apu-1-config --includes 2>/dev/null)
build/sql_dump: tests/bench/sql_dump.c $(DIALECT_SOURCES) $(wildcard src/db/dialect*.h) \
                $(wildcard src/db/statements*.h)
	@mkdir -p build
	$(CC) $(WARN) -Isrc tests/bench/sql_dump.c $(DIALECT_SOURCES) -o $@

# The big-table benchmark's rows (harness/bigt_data.py), 60 million of them:
# C, for speed (tests/bench/bigtables_gen.c says how much).
build/bigtables_gen: tests/bench/bigtables_gen.c
	@mkdir -p build
	$(CC) $(WARN) -O2 tests/bench/bigtables_gen.c -o $@

# One apr_dbd connection opened as mod_dbd opens it, timed (tests/dbd/):
# what DBDParams and the client library's option files do against a
# server that does not answer, for the Galera runs (harness/galera.py).
APU_LIBS := $(shell apu-1-config --link-ld --libs 2>/dev/null)
build/dbd_probe: tests/dbd/dbd_probe.c
	@mkdir -p build
	$(CC) $(WARN) -O2 $(APR_CFLAGS) $(APU_INC) tests/dbd/dbd_probe.c \
		$(APU_LIBS) $(APR_LIBS) -o $@

UNIT_SOURCES = $(wildcard tests/unit/*.c)
UNIT_HEADERS = $(wildcard tests/unit/*.h)

build/test_core: $(UNIT_SOURCES) $(UNIT_HEADERS) $(LIB_SOURCES) \
                 $(DIALECT_SOURCES) $(wildcard src/lib/*.h) \
                 $(wildcard src/db/statements*.h) src/db/dialect.h
	@mkdir -p build
	$(CC) $(WARN) -g $(APR_CFLAGS) -Isrc $(UNIT_SOURCES) \
		$(LIB_SOURCES) $(DIALECT_SOURCES) $(APR_LIBS) $(LIBS) -o $@

unit: build/test_core build/test_charon_run build/test_send harness-unit
	./build/test_core
	./build/test_charon_run
	$(PYTHON) -m harness.send_test

# The alert transports (src/send/) with libcurl, against the harness's
# sinks: python3 -m harness.send_test starts them and runs this.
SEND_SOURCES = $(wildcard src/send/*.c)
SEND_TESTS   = $(wildcard tests/send/*.c)
build/test_send: $(SEND_TESTS) tests/send/test_send.h $(SEND_SOURCES) \
                 $(wildcard src/send/*.h) $(LIB_SOURCES) $(wildcard src/lib/*.h)
	@mkdir -p build
	$(CC) $(WARN) -g $(APR_CFLAGS) -Isrc -Itests/send $(SEND_TESTS) \
		$(SEND_SOURCES) $(LIB_SOURCES) $(APR_LIBS) $(LIBS) $(CURL_LIBS) \
		-lpthread -o $@

# The harness's pure parts: statistics, report scanning, argument parsing.
harness-unit:
	$(PYTHON) -m unittest discover -s harness/tests -t .

upgrade-test: deps
	$(PYTHON) -m harness.upgrade_test

deps:
	@./scripts/deps.sh

# Warnings are errors here: what CI builds must be clean.
test: deps
	$(MAKE) clean
	./scripts/deps.sh --browser
	$(MAKE) WERROR=1 all unit lint
	$(PYTHON) -m harness.upgrade_test
	$(MAKE) deb DEB_BUILD_OPTIONS=nocheck
	$(PYTHON) -m harness.deb_test
	$(PYTHON) -m harness.apache_test
	$(MAKE) test-mysql-plain
	$(PYTHON) -m harness.reliability --quick
	$(PYTHON) -m harness.scale --quick
	$(PYTHON) -m harness.bench --smoke
	$(PYTHON) -m harness.bench_alerts --smoke
	$(MAKE) build/sql_dump
	$(PYTHON) -m harness.bench_burst --smoke

# On MariaDB 10.5+ the module inserts with RETURNING; MySQL 8 (not
# installable here) takes LAST_INSERT_ID() in a transaction.  This runs the
# tests that insert on MariaDB the MySQL 8 way (httpd -D
# CHARON_MYSQL_LAST_INSERT_ID), and checks from the log that it did.
PLAIN_TESTS = t/start.t t/message.t t/end.t t/lock.t t/idempotency.t \
              t/concurrency.t
PLAIN_LOGS  = build/apache-test-mysql-plain
test-mysql-plain:
	CHARON_TEST_LOGDIR=$(CURDIR)/$(PLAIN_LOGS) $(PYTHON) -m harness.apache_test mysql -- \
		-defines CHARON_MYSQL_LAST_INSERT_ID $(PLAIN_TESTS)
	@grep -q 'CHARON113: new database connection: mysql$$' \
		$(PLAIN_LOGS)/mysql/error_log \
	 && ! grep -q 'CHARON113: .*(mariadb)' $(PLAIN_LOGS)/mysql/error_log \
	 || { echo 'test-mysql-plain: the MySQL 8 way was not taken'; exit 1; }
	@echo 'test-mysql-plain: every connection took the MySQL 8 way'

# playwright-core for t/browser.t, in build/browser (make test runs it).
browser-deps:
	./scripts/deps.sh --browser

run: deps all
	./scripts/run.sh

screenshots: deps all
	./scripts/deps.sh --browser
	$(PYTHON) -m harness.screenshots

# The figures, then the minute-0 burst on the three databases and what
# mod_dbd's ping costs on MariaDB (issue 18).
bench: deps all build/sql_dump build/noping.so
	$(PYTHON) -m harness.bench $(if $(filter-out 0,$(QUICK)),--quick)
	$(PYTHON) -m harness.bench_burst $(if $(filter-out 0,$(QUICK)),--quick)
	$(PYTHON) -m harness.bench_ping $(if $(filter-out 0,$(QUICK)),--quick)

# The big tables on PostgreSQL and SQLite side by side (make bench does
# PostgreSQL's); MYSQL=1 adds MariaDB (9 more minutes of loading).
bench-bigtables: deps all build/sql_dump build/bigtables_gen
	$(PYTHON) -m harness.bigtables $(if $(filter-out 0,$(QUICK)),--quick) \
	    $(if $(filter-out 0,$(MYSQL)),--mysql)

# 100,000 scheduled crons on each database: the watchdog's idle tick, one
# pass judging all of them, the API's latency during it (about 20 minutes;
# QUICK=1: 10,000 crons, 4 minutes).  docs/PERFORMANCE.md, "Schedules".
bench-slots: deps all
	$(PYTHON) -m harness.bench_slots $(if $(filter-out 0,$(QUICK)),--quick)

# The API at c32 with no alert queued, then while 1,000 crons go down at
# once and their alerts are delivered to a webhook sink answering in
# 20 ms, then again (docs/PERFORMANCE.md, "Alerts").  Not in make bench,
# which is one program; make test runs its --smoke (100 alerts, 25 s).
ALERT_DBS ?= sqlite
bench-alerts: deps all
	$(PYTHON) -m harness.bench_alerts $(if $(filter-out 0,$(QUICK)),--quick) $(ALERT_DBS)

# The minute-0 burst (issue 18): 10,000 POST start from 200 clients at once
# (ab -n 10000 -c 200, no keep-alive) against one httpd, beside the
# database's own client running the module's INSERT from 200 connections
# (pgbench, mariadb, sqlite3): wall time, p50, p99, non-2xx, and whether
# SQLite meets the issue's targets (docs/PERFORMANCE.md, "The minute-0
# burst").  PostgreSQL, MariaDB, SQLite unless BURST_DBS names some; about
# 30 s (QUICK=1: 2,000 starts); make bench runs it, make test its --smoke.
BURST_DBS ?=
# What mod_dbd's check of each pooled MySQL connection (mysql_ping) costs:
# can-start on MariaDB with it and without it (build/noping.so preloaded).
build/noping.so: tests/bench/noping.c
	@mkdir -p build
	$(CC) $(WARN) -O2 -shared -fPIC $< -o $@

bench-ping: deps all build/noping.so
	$(PYTHON) -m harness.bench_ping $(if $(filter-out 0,$(QUICK)),--quick)

bench-burst: deps all build/sql_dump
	$(PYTHON) -m harness.bench_burst $(if $(filter-out 0,$(QUICK)),--quick) $(BURST_DBS)

clean:
	rm -rf .libs build *.la *.lo *.slo *.o src/*/*.lo src/*/*.slo src/*/*.o \
		src/*/.libs

# ---- fuzzing: tests/fuzz/ ---------------------------------------------
#
#   make fuzz          each libFuzzer harness (clang, ASan + UBSan) for
#                      FUZZ_SECONDS from its committed corpus, then its
#                      executions, cov/ft and line coverage of src/lib
#   make fuzz-replay   every committed corpus through its harness, built
#                      with $(CC) without libFuzzer; `make unit` runs it
#   make fuzz-merge    minimize committed + grown corpora (build/fuzz/corpus)
#                      into tests/fuzz/corpus/ (to commit)
#   make fuzz-cov      line coverage of src/lib by the corpora
#   make fuzz-deps     install clang, libclang-rt-14-dev and llvm-14
#
# FUZZ_TARGETS=body runs one harness; FUZZ_OPTS adds libFuzzer flags
# ("-fork=1 -ignore_crashes=1" goes on past a known crash; then executions
# are libFuzzer's last "#N:" count).  Crashes land in build/fuzz/crashes/.

FUZZ_TARGETS  ?= body route keys utf8_json html_form schedule alert_line \
                 alert_doc manage
FUZZ_SECONDS  ?= 60
FUZZ_OPTS     ?=
FUZZ_CC       ?= clang
LLVM_PROFDATA ?= llvm-profdata-14
LLVM_COV      ?= llvm-cov-14
FUZZ_PKGS      = clang libclang-rt-14-dev llvm-14
FUZZ_DIR       = build/fuzz
FUZZ_CORPUS    = tests/fuzz/corpus
FUZZ_DEPS      = tests/fuzz/fuzz.h tests/fuzz/json_ref.h tests/fuzz/schedule_ref.h \
                 tests/fuzz/alert_line_ref.h tests/fuzz/fuzz_manage_query.h \
                 $(LIB_SOURCES) src/lib/charon_lib.h
FUZZ_INC       = $(APR_CFLAGS) -Isrc -Itests/fuzz
FUZZ_SAN       = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# No jump or lookup tables: each case of a switch stays an edge of its own.
FUZZ_CFLAGS    = -g -O1 -fno-omit-frame-pointer -fno-jump-tables

.PHONY: fuzz fuzz-build fuzz-replay fuzz-merge fuzz-cov fuzz-deps

# The harness with libFuzzer, for `make fuzz` and `make fuzz-merge`.
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DEPS)
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) $(FUZZ_INC) \
		$< $(LIB_SOURCES) $(APR_LIBS) $(LIBS) -o $@

# The harness with tests/fuzz/replay.c, no libFuzzer, the usual compiler.
$(FUZZ_DIR)/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_DEPS)
	@mkdir -p $(FUZZ_DIR)
	$(CC) -Wall -Wextra -Werror -g -O1 $(FUZZ_INC) tests/fuzz/replay.c \
		$< $(LIB_SOURCES) $(APR_LIBS) $(LIBS) -o $@

# The same, instrumented for llvm-cov.
$(FUZZ_DIR)/cov_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_DEPS)
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) -g -O0 -fprofile-instr-generate -fcoverage-mapping \
		$(FUZZ_INC) tests/fuzz/replay.c $< $(LIB_SOURCES) \
		$(APR_LIBS) $(LIBS) -o $@

fuzz-build: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))

# Last line: "fuzz-replay: N passed, M failed", N the files replayed.
fuzz-replay: $(addprefix $(FUZZ_DIR)/replay_,$(FUZZ_TARGETS))
	@pass=0; fail=0; \
	for t in $(FUZZ_TARGETS); do \
	    $(FUZZ_DIR)/replay_$$t $(FUZZ_CORPUS)/$$t > $(FUZZ_DIR)/replay_$$t.out; \
	    rc=$$?; line=$$(tail -n 1 $(FUZZ_DIR)/replay_$$t.out); \
	    echo "  $$line"; \
	    set -- $$line; \
	    case "$$2$$4" in \
	        ''|*[!0-9]*) fail=$$((fail + 1)); continue ;; \
	    esac; \
	    pass=$$((pass + $$2)); fail=$$((fail + $$4)); \
	    if [ $$rc -ne 0 ] && [ $$4 -eq 0 ]; then fail=$$((fail + 1)); fi; \
	done; \
	echo "fuzz-replay: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ] && [ $$pass -gt 0 ]

unit: fuzz-replay

fuzz-deps:
	@missing=""; \
	for p in $(FUZZ_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" \
	        || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "fuzz-deps: installing:$$missing"; \
	    SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	        --no-install-recommends $$missing > /dev/null; \
	fi

# New inputs go to build/fuzz/corpus/<target>, the committed corpus is only
# read; the table at the end gives libFuzzer's own figures per target.
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-build
	@mkdir -p $(FUZZ_DIR)/crashes; status=0; \
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_CORPUS)/$$t; \
	    dict=""; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s, log in $(FUZZ_DIR)/$$t.log"; \
	    $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crashes/$$t- \
	        $$dict $(FUZZ_OPTS) $(FUZZ_DIR)/corpus/$$t $(FUZZ_CORPUS)/$$t \
	        > $(FUZZ_DIR)/$$t.log 2>&1 \
	    || { status=1; echo "fuzz: $$t FAILED: see $(FUZZ_DIR)/$$t.log"; \
	         grep -m 3 -E 'FUZZ_CHECK|ERROR:|runtime error|Test unit written' \
	             $(FUZZ_DIR)/$$t.log; }; \
	done; \
	printf '%-10s %12s %6s %7s %8s\n' target executions cov ft corpus; \
	for t in $(FUZZ_TARGETS); do \
	    log=$(FUZZ_DIR)/$$t.log; \
	    execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -n 1); \
	    last=$$(grep ' cov: ' $$log | tail -n 1); \
	    [ -n "$$execs" ] || execs=$$(echo "$$last" | sed -n 's/^#\([0-9]*\).*/\1/p'); \
	    cov=$$(echo "$$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p'); \
	    ft=$$(echo "$$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p'); \
	    corp=$$(echo "$$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p'); \
	    printf '%-10s %12s %6s %7s %8s\n' $$t "$${execs:-?}" "$${cov:-?}" \
	        "$${ft:-?}" "$${corp:-?}"; \
	done; \
	$(MAKE) --no-print-directory fuzz-cov || status=1; \
	exit $$status

# Replays committed and grown corpora (one profile merged over the child
# processes, %m) and reports lines of src/lib covered; inputs
# that fail (known bugs in a grown corpus) are counted, not covered.
fuzz-cov: fuzz-deps $(addprefix $(FUZZ_DIR)/cov_,$(FUZZ_TARGETS))
	@rm -rf $(FUZZ_DIR)/cov; mkdir -p $(FUZZ_DIR)/cov; objs=""; \
	printf '%-10s %-22s %s\n' target "lines of src/lib" inputs; \
	for t in $(FUZZ_TARGETS); do \
	    dirs=$(FUZZ_CORPUS)/$$t; \
	    [ -d $(FUZZ_DIR)/corpus/$$t ] && dirs="$$dirs $(FUZZ_DIR)/corpus/$$t"; \
	    LLVM_PROFILE_FILE=$(FUZZ_DIR)/cov/$$t-%m.profraw \
	        $(FUZZ_DIR)/cov_$$t $$dirs > $(FUZZ_DIR)/cov/$$t.out 2>&1; \
	    inputs=$$(tail -n 1 $(FUZZ_DIR)/cov/$$t.out | sed 's/^[^:]*: //'); \
	    $(LLVM_PROFDATA) merge -sparse $(FUZZ_DIR)/cov/$$t-*.profraw \
	        -o $(FUZZ_DIR)/cov/$$t.profdata || exit 1; \
	    $(LLVM_COV) report $(FUZZ_DIR)/cov_$$t \
	        -instr-profile=$(FUZZ_DIR)/cov/$$t.profdata $(LIB_SOURCES) \
	        | awk -v t=$$t -v i="$$inputs" '$$1 == "TOTAL" { printf "%-10s %-22s %s\n", t, sprintf("%d/%d (%s)", $$8 - $$9, $$8, $$10), i }'; \
	    if [ -z "$$objs" ]; then objs=$(FUZZ_DIR)/cov_$$t; \
	    else objs="$$objs -object $(FUZZ_DIR)/cov_$$t"; fi; \
	done; \
	$(LLVM_PROFDATA) merge -sparse $(FUZZ_DIR)/cov/*.profraw \
	    -o $(FUZZ_DIR)/cov/all.profdata || exit 1; \
	$(LLVM_COV) report $$objs -instr-profile=$(FUZZ_DIR)/cov/all.profdata \
	    $(LIB_SOURCES) \
	    | awk '$$1 == "TOTAL" { printf "%-10s %d/%d (%s)\n", "all", $$8 - $$9, $$8, $$10 }'; \
	$(LLVM_COV) show $$objs -instr-profile=$(FUZZ_DIR)/cov/all.profdata \
	    $(LIB_SOURCES) > $(FUZZ_DIR)/cov/lib.txt; \
	echo "fuzz-cov: line by line in $(FUZZ_DIR)/cov/lib.txt"

# Keeps, of the committed and grown corpora, the inputs that add coverage
# (smallest first), and makes them the committed corpus.
fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    rm -rf $(FUZZ_DIR)/merge/$$t; \
	    mkdir -p $(FUZZ_DIR)/merge/$$t $(FUZZ_DIR)/corpus/$$t $(FUZZ_CORPUS)/$$t; \
	    $(FUZZ_DIR)/fuzz_$$t -merge=1 $(FUZZ_DIR)/merge/$$t $(FUZZ_CORPUS)/$$t \
	        $(FUZZ_DIR)/corpus/$$t > $(FUZZ_DIR)/merge-$$t.log 2>&1 \
	    || { echo "fuzz-merge: $$t failed: see $(FUZZ_DIR)/merge-$$t.log"; exit 1; }; \
	    [ -n "$$(ls $(FUZZ_DIR)/merge/$$t)" ] \
	    || { echo "fuzz-merge: $$t: nothing kept, corpus left as is"; exit 1; }; \
	    rm -f $(FUZZ_CORPUS)/$$t/*; \
	    cp $(FUZZ_DIR)/merge/$$t/* $(FUZZ_CORPUS)/$$t/; \
	    echo "fuzz-merge: $$t: $$(ls $(FUZZ_CORPUS)/$$t | wc -l) files," \
	         "$$(cat $(FUZZ_CORPUS)/$$t/* | wc -c) bytes"; \
	done

# Fault injection under load on PostgreSQL, MariaDB and SQLite: database
# down at start, restarts, crashes, locks, an exhausted pool, a frozen
# server, graceful restarts, clients leaving mid-body, a child ending
# during a watchdog tick; checks that nothing acknowledged is lost. About
# 8 minutes, as root. See docs/RELIABILITY.md. (python3 -m
# harness.reliability --quick: one fault per database, under 2 minutes.)
.PHONY: reliability
reliability: all
	$(PYTHON) -m harness.reliability

# Two Apache servers on a replicated database, under load, while a node
# dies, a standby is promoted, a node is cut off, an Apache server is
# killed and the other restarted gracefully: nothing acknowledged is lost,
# nothing is done twice, the overlap lock and the watchdog still act once
# (python3 -m harness.scale; PostgreSQL primary + synchronous standby, and
# a three-node MariaDB Galera cluster). Logs in build/scale/<topology>/.
# QUICK=1: one fault per topology (python3 -m harness.scale --quick, which
# make test runs).
.PHONY: scale-test
scale-test: all
	$(PYTHON) -m harness.scale $(if $(filter-out 0,$(QUICK)),--quick)

# ---- MPMs and memory checks: harness.apache_test --mpm, --check ---------
#
#   make test-mpm       the Apache::Test suite on $(MPM_DBS) under each MPM
#                       of $(MPMS)
#   make test-mpm-all   the same on SQLite, PostgreSQL and MariaDB
#   make asan           the module built with AddressSanitizer and UBSan
#                       ($(SANITIZE)) at the usual .libs/mod_charon.so
#   make test-asan      make asan; the suite on $(CHECK_DBS) with httpd
#                       preloading the sanitizers' runtimes; then removes
#                       the module (an ASan build cannot be loaded without
#                       them: `make` builds the normal one again)
#   make test-valgrind  the suite on $(CHECK_DBS), httpd in one process under
#                       valgrind's memcheck (apt-get install valgrind)
#
# CHECK_MPM=worker (or a list) picks the MPM of test-asan and test-valgrind.
# Each prints a line per run, then "apache-test: N passed, M failed", and
# fails when a run does; logs and reports go to build/apache-test/<run>/.

MPMS      ?= event,worker,prefork
MPM_DBS   ?= sqlite
CHECK_DBS ?= sqlite
CHECK_MPM ?=
SANITIZE  ?= -fsanitize=address,undefined -fno-omit-frame-pointer

.PHONY: test-mpm test-mpm-all asan test-asan test-valgrind

check: deps
	./scripts/deps.sh --browser
	$(MAKE) WERROR=1 all unit lint
	$(PYTHON) -m harness.apache_test sqlite

# Every C file of the project, as clang-format sees it.
C_FILES = mod_charon.c $(wildcard src/*/*.[ch] tools/*.[ch] tests/unit/*.[ch] \
          tests/fuzz/*.[ch] tests/charon-run/*.[ch] tests/bench/*.c \
          tests/send/*.[ch] tests/dbd/*.c)

# docs/openapi.yaml against the OpenAPI 3.1 rules and Redocly's
# recommended ones (tests/openapi/redocly.yaml): no error, no warning.
REDOCLY = build/openapi/node_modules/.bin/redocly
openapi-lint:
	./scripts/deps.sh --openapi
	$(REDOCLY) lint --config tests/openapi/redocly.yaml --max-problems 50 \
		--format stylish docs/openapi.yaml 2>&1 | tee build/openapi-lint.txt
	@! grep -q -i -E "(error|warning|problem)" build/openapi-lint.txt \
	    || { echo "openapi-lint: docs/openapi.yaml has problems (above)"; exit 1; }

# The answer checker must be able to fail: each answer of a bad*.jsonl
# breaks the document in one way, so a file of N answers is N mismatches
# (N read from the file, at most 30: check.js shows 30); good.jsonl's keep
# it, none.
OPENAPI_CHECK = node tests/openapi/check.js --doc docs/openapi.yaml \
	--conf tests/openapi/fixtures/conf --answers
OPENAPI_BAD = $(sort $(wildcard tests/openapi/fixtures/bad*.jsonl))
openapi-selftest: openapi-lint
	$(OPENAPI_CHECK) tests/openapi/fixtures/good.jsonl
	@for f in $(OPENAPI_BAD); do \
	  n=$$(grep -c . $$f); out=$$($(OPENAPI_CHECK) $$f); rc=$$?; \
	  echo "$$out" | head -1; \
	  if [ $$rc -ne 1 ] || ! echo "$$out" | grep -q "; $$n mismatched$$" \
	     || [ $$(echo "$$out" | grep -c MISMATCH) -ne $$n ]; then \
	    echo "$$out"; echo "openapi-selftest: the checker passed answers of $$f it must refuse"; exit 1; \
	  fi; echo "openapi-selftest: the checker refused each of the $$n bad answers of $$f"; \
	done

lint: deps openapi-lint openapi-selftest
	$(PYTHON) tests/layers.py --self-test
	$(PYTHON) tests/layers.py
	@clang-format --dry-run --Werror $(C_FILES) \
	    && echo "clang-format: $(words $(C_FILES)) files as .clang-format has them" \
	    || { echo "clang-format would change the files above: run" \
	              "clang-format -i on them"; exit 1; }

test-mpm: deps
	$(MAKE) clean
	./scripts/deps.sh --browser
	$(MAKE) WERROR=1 all
	$(PYTHON) -m harness.apache_test --mpm=$(MPMS) $(MPM_DBS)

test-mpm-all:
	$(MAKE) test-mpm MPM_DBS="sqlite pgsql mysql"

# Each flag to the compiler (-Wc,), and -fsanitize=... to the link (-Wl,),
# so that the module names the runtimes it needs (ldd), which
# harness.apache_test --check=asan preloads into httpd.
asan:
	$(MAKE) clean
	$(MAKE) all WARN="$(WARN) $(SANITIZE)" \
		APXS="$(APXS) $(addprefix -Wl$(comma),$(filter -fsanitize=%,$(SANITIZE)))"

# Removes the ASan module afterwards, but not build/ (the reports).
test-asan: deps
	$(MAKE) asan
	./scripts/deps.sh --browser
	$(PYTHON) -m harness.apache_test --check=asan $(if $(CHECK_MPM),--mpm=$(CHECK_MPM)) \
		$(CHECK_DBS); status=$$?; \
	rm -rf .libs *.la *.lo *.slo *.o src/*/*.lo src/*/*.slo src/*/*.o \
		src/*/.libs; \
	exit $$status

test-valgrind: deps
	$(MAKE) clean
	./scripts/deps.sh --browser
	$(MAKE) all
	$(PYTHON) -m harness.apache_test --check=valgrind $(if $(CHECK_MPM),--mpm=$(CHECK_MPM)) \
		$(CHECK_DBS)
