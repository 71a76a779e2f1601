"""mod_charon's test and benchmark harness (Python 3 standard library only).

Run from the top of the tree as ``python3 -m harness.<module>``:

  proc          processes, the cleanup stack, ports, passwords, timing
  db            throwaway PostgreSQL, MariaDB and SQLite databases
  galera        a throwaway 3-node MariaDB Galera cluster, its faults
  httpd         a throwaway httpd with a configuration of the caller's
  stats         percentiles, ratios, the markdown table
  reports       the AddressSanitizer and valgrind report scanner
  sqldump       the module's SQL, from build/sql_dump
  wrk           wrk runs, and the BENCH line of tests/bench/*.lua
  load          the load client of the fault runs (load_client: one
                connection), also runnable on its own
  ledger        the database against what the load client was told
  faults        the faults of the reliability run, and their checks
  apache_test   the Apache::Test suite on each database (make test)
  upgrade_test  the schema upgrade scripts (make upgrade-test)
  reliability   faults under load on each database (make reliability)
  bench         the benchmark (make bench); its parts: bench_figures,
                bench_db, bench_soak, bench_report, bench_big
  bigtables     the big-table benchmark (make bench-bigtables); its parts
                bigt_data (the rows and their loads), bigt_plans,
                bigt_watchdog, bigt_wrk (latency, big against empty)
  scale         two Apache servers on a replicated database under faults
                (make scale-test); its parts: scale_topo (the topologies,
                the Apache servers), scale_checks, scale_faults

Every server a module of it starts listens on 127.0.0.1 only and is stopped
by the program that started it, also when a test fails, on Ctrl-C and on
SIGTERM (``proc.main`` and ``proc.cleanup``).
"""
