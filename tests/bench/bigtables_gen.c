/*
 * bigtables_gen.c: the rows of the big-table benchmark (harness/bigt_data.py)
 * for PostgreSQL's COPY and MariaDB's LOAD DATA, tab-separated, \N for
 * NULL.  Built by `make build/bigtables_gen`.
 *
 *   bigtables_gen pg|my exec|msg N R C FIRST LAST NOW
 *
 * The executions FIRST..LAST of N (exec), or their messages (msg, R per
 * execution), of C crons.  NOW: Unix time; the newest execution started a
 * minute before it.  Every value is a function of the row's id, so every
 * database gets the same rows: the SQLite load (bigt_data.py) computes the
 * same values in SQL, and a change here is a change there.
 *
 * Why C: Python writes the same rows 5 to 7 times slower (3.4 us a row
 * against 0.5 to 1.3 here: 60 million rows would take three and a half
 * minutes of a core instead of 40 s, on two cores the loads already
 * share).  PostgreSQL's generate_series needs no program, but loaded 1M
 * executions and 5M messages in 38 to 42 s against 21 to 36 s for COPY
 * ... FREEZE from this (which runs beside the backend, on the other core),
 * and leaves the rows for VACUUM to freeze; MariaDB's LOAD DATA wants a
 * file or a pipe anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long N, R, C, tail;
static double now;

static void ts(char *buf, double t, const char *suffix)
{
    time_t s = (time_t)t;
    struct tm tm;
    size_t n;

    gmtime_r(&s, &tm);
    n = strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + n, 48 - n, ".%06d%s", (int)((t - (double)s) * 1e6), suffix);
}

int main(int argc, char **argv)
{
    static const char *mtype[10] = {"warning", "error",  "info", "info",
                                    "info",    "info",   "info", "info",
                                    "info",    "success"};
    static char out[1 << 16];
    char a[48], b[48];
    long long i, k, first, last;
    int pg, msg;
    const char *sfx, *t_, *f_;

    if (argc != 9) {
        fprintf(stderr, "usage: bigtables_gen pg|my exec|msg N R C FIRST "
                        "LAST NOW\n");
        return 2;
    }
    pg = strcmp(argv[1], "pg") == 0;
    msg = strcmp(argv[2], "msg") == 0;
    N = atoll(argv[3]);
    R = atoll(argv[4]);
    C = atoll(argv[5]);
    first = atoll(argv[6]);
    last = atoll(argv[7]);
    now = atof(argv[8]);
    tail = N / 10000 < 10 ? 10 : N / 10000;
    sfx = pg ? "+00" : "";
    t_ = pg ? "t" : "1";
    f_ = pg ? "f" : "0";
    setvbuf(stdout, out, _IOFBF, sizeof out);
    for (i = first; i <= last; i++) {
        long long cron = (i - 1) % C + 1;
        double start =
            now - 60.0 - 365.0 * 86400.0 * (double)(N - i) / (double)N;
        double dur =
            (double)((i * 7919) % 600 + 1) + (double)(i % 1000) / 1000.0;
        /* r running, l lost, f failed, o succeeded */
        int st = (i > N - tail && i % 2 == 0) || start + dur > now ? 'r'
                 : i % 1000 == 7                                   ? 'l'
                 : i % 20 == 3                                     ? 'f'
                                                                   : 'o';
        int ended = st == 'o' || st == 'f';
        /* A 'forbid' cron's runs hold its lock while running: only its
         * newest may be running then (the partial unique index). */
        int forbid = cron % 50 == 25 && (st != 'r' || i > N - C);

        if (!msg) {
            ts(a, start, sfx);
            printf("%lld\t%lld\t%s\t", i, cron, a);
            if (ended) {
                ts(b, start + dur, sfx);
                printf("%s\t%s\t%s\t", b, st == 'o' ? t_ : f_,
                       st == 'o' ? "success" : "error");
            }
            else {
                fputs("\\N\t\\N\t\\N\t", stdout);
            }
            printf("app-%lld\t10.0.%lld.%lld\t%s\t", i % 20, i % 4, i % 250,
                   forbid ? t_ : f_);
            if (st == 'l') {
                ts(b, start + 3600.0, sfx);
                printf("%s\n", b);
            }
            else {
                fputs("\\N\n", stdout);
            }
        }
        else {
            double span = ended ? dur : 30.0;

            for (k = 0; k < R; k++) {
                long long j = (i - 1) * R + k + 1;

                ts(a, start + span * (double)k / (double)R, sfx);
                printf("%lld\t%lld\t%s\tstep %lld: processed %lld "
                       "records\t%s\n",
                       j, i, mtype[j % 10], k + 1, (j * 31) % 9973, a);
            }
        }
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
