/*
 * slots.c: the watchdog's judgment of scheduled crons' slots.
 *
 * lib/judge.c decides, from the schedule and what the watch row says has
 * been judged, which slots are due, which starts belong to each and what
 * a slot with no start comes to; this file reads the rows it needs and
 * writes what it decided.  Each cron is judged in one transaction that
 * first claims its watch row (an update conditional on what was read): of
 * two servers judging one cron at once, the second changes nothing and
 * goes on to the next.
 */
#include "ops/charon_ops.h"

#include "apr_hash.h"
#include "apr_strings.h"

/* A slot is judged this long after its deadline at the earliest, so that
 * a start in flight at the deadline (a statement waits 5 s at most) is
 * counted. */
#define SETTLE 10

/* A schedule with no slot in the next ten years is looked at again
 * after this long (seconds). */
#define LOOK_AGAIN (366 * 86400)

/* ---- the tick's clock -------------------------------------------------- */

typedef struct {
    apr_int64_t gap;
    charon_clock_t *clock;
} clock_t_;

static int epoch_or(charon_db *db, const char *s, apr_int64_t dflt,
                    apr_int64_t *out)
{
    *out = dflt;
    return !s || charon_db_id(db, s, out);
}

static charon_db_e heartbeat(charon_db *db, void *baton)
{
    clock_t_ *c = baton;
    const char *args[HB_NARGS];
    const char *const *row;

    args[HB_ARG_GAP] = args[HB_ARG_GAP_2] = charon_db_num(db, c->gap);
    if (!charon_db_exec(db, ST_WD_HEARTBEAT, args, NULL)
        || !charon_db_row(db, ST_WD_CLOCK, NULL, &row)) {
        return CHARON_DB_FAILED;
    }
    if (!row || !epoch_or(db, row[CLOCK_COL_NOW], 0, &c->clock->now)
        || !c->clock->now
        || !epoch_or(db, row[CLOCK_COL_OUTAGE_FROM], 0, &c->clock->outage_from)
        || !epoch_or(db, row[CLOCK_COL_OUTAGE_TO], 0, &c->clock->outage_to)) {
        return CHARON_DB_FAILED;
    }
    return CHARON_DB_OK;
}

charon_db_e charon_op_heartbeat(charon_db *db, apr_int64_t gap,
                                charon_clock_t *clock)
{
    clock_t_ c = {gap, clock};

    memset(clock, 0, sizeof(*clock));
    return charon_db_run(db, 0, heartbeat, &c);
}

/* ---- schedules and zones, read once a tick ----------------------------- */

typedef struct {
    charon_schedule_t parsed;
    const char *why; /* NULL when it parsed */
} parsed_t;

typedef struct {
    charon_zone_t *zone; /* NULL when ICU does not know it */
    const char *why;
} zone_t;

struct charon_slots {
    apr_pool_t *p;
    apr_hash_t *schedules; /* text -> parsed_t */
    apr_hash_t *zones;     /* name -> zone_t */
    const char *default_zone;
    apr_int64_t interval; /* seconds between ticks */
};

static apr_status_t close_zones(void *data)
{
    charon_slots *sl = data;
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(NULL, sl->zones); hi; hi = apr_hash_next(hi)) {
        zone_t *z = apr_hash_this_val(hi);

        if (z->zone) {
            charon_zone_close(z->zone);
        }
    }
    return APR_SUCCESS;
}

charon_slots *charon_slots_make(apr_pool_t *p, const char *default_zone,
                                apr_int64_t interval)
{
    charon_slots *sl = apr_pcalloc(p, sizeof(*sl));

    sl->p = p;
    sl->schedules = apr_hash_make(p);
    sl->zones = apr_hash_make(p);
    sl->default_zone = default_zone;
    sl->interval = interval;
    apr_pool_cleanup_register(p, sl, close_zones, apr_pool_cleanup_null);
    return sl;
}

static const parsed_t *parsed(charon_slots *sl, const char *text)
{
    parsed_t *ps = apr_hash_get(sl->schedules, text, APR_HASH_KEY_STRING);
    char buf[160];

    if (!ps) {
        ps = apr_pcalloc(sl->p, sizeof(*ps));
        ps->why = charon_schedule_parse(text, &ps->parsed, buf, sizeof(buf));
        if (ps->why) {
            ps->why = apr_pstrdup(sl->p, ps->why);
        }
        apr_hash_set(sl->schedules, apr_pstrdup(sl->p, text),
                     APR_HASH_KEY_STRING, ps);
    }
    return ps;
}

static zone_t *zone(charon_slots *sl, const char *name)
{
    zone_t *z;

    if (!name || !*name) {
        name = sl->default_zone ? sl->default_zone : "UTC";
    }
    z = apr_hash_get(sl->zones, name, APR_HASH_KEY_STRING);
    if (!z) {
        z = apr_pcalloc(sl->p, sizeof(*z));
        z->zone = charon_zone_open(name, &z->why);
        apr_hash_set(sl->zones, apr_pstrdup(sl->p, name), APR_HASH_KEY_STRING,
                     z);
    }
    return z;
}

int charon_slots_next(charon_slots *sl, const char *schedule,
                      const char *timezone, apr_int64_t after,
                      apr_int64_t *slot)
{
    const parsed_t *ps = parsed(sl, schedule);
    zone_t *z = zone(sl, timezone);
    int64_t next;

    if (ps->why || !z->zone
        || !charon_schedule_next(&ps->parsed, z->zone, after, &next)) {
        return 0;
    }
    *slot = next;
    return 1;
}

/* ---- one cron's judgment ----------------------------------------------- */

typedef struct {
    const char *cron; /* its id, as text */
    const charon_judge_in_t *in;
    const charon_judgment_t *j;
    charon_slot_counts_t got; /* what this run wrote */
    int claimed;
} judge_t;

static const char *num(charon_db *db, apr_int64_t n)
{
    return charon_db_num(db, n);
}

static int claim(charon_db *db, judge_t *t)
{
    const char *args[CLAIM_NARGS];
    int changed = 0;
    int never = t->j->next_deadline < 0;

    args[CLAIM_ARG_CHECKED] = num(db, t->j->checked_until);
    args[CLAIM_ARG_STARTS] = num(db, t->j->starts_until);
    /* No slot in the ten years ahead (0 0 29 2 mon comes every 28
     * years or so): looked at again in a year, not never. */
    args[CLAIM_ARG_DEADLINE] =
        num(db, never ? t->in->now + LOOK_AGAIN : t->j->next_deadline);
    args[CLAIM_ARG_NEXT_SLOT] = never ? "" : num(db, t->j->next_slot);
    args[CLAIM_ARG_CRON] = t->cron;
    args[CLAIM_ARG_OLD_CHECKED] = num(db, t->in->checked_until);
    args[CLAIM_ARG_OLD_STARTS] = num(db, t->in->starts_until);
    if (!charon_db_exec(db, ST_WD_CLAIM, args, &changed)) {
        return 0;
    }
    t->claimed = changed > 0;
    return 1;
}

/* The slot's starts, or else its missed (or unknown) row: its state into
 * *state, NULL for a slot not judged (the cron was off). */
static int judge_slot(charon_db *db, judge_t *t, const charon_slot_t *sl,
                      const char **state)
{
    const char *args[BIND_NARGS], *margs[MISSED_NARGS];
    int changed = 0;

    args[BIND_ARG_SLOT] = num(db, sl->slot);
    args[BIND_ARG_CRON] = t->cron;
    args[BIND_ARG_LO] = num(db, sl->lo);
    args[BIND_ARG_HI] = num(db, sl->hi + 1);
    if (!charon_db_exec(db, ST_WD_BIND, args, &changed)) {
        return 0;
    }
    *state = "ok";
    if (changed) {
        t->got.bound += changed;
        return 1;
    }
    if (sl->fallback == CHARON_SLOT_SKIP) {
        *state = NULL;
        t->got.skipped++;
        return 1;
    }
    *state = sl->fallback == CHARON_SLOT_UNKNOWN ? "unknown" : "missed";
    margs[MISSED_ARG_CRON] = t->cron;
    margs[MISSED_ARG_SLOT] = num(db, sl->slot);
    margs[MISSED_ARG_KIND] = *state;
    if (!charon_db_exec(db, ST_WD_MISSED, margs, &changed)) {
        return 0;
    }
    if (changed && sl->fallback == CHARON_SLOT_UNKNOWN) {
        t->got.unknown++;
    }
    else if (changed) {
        t->got.missed++;
        t->got.last_missed = sl->slot;
    }
    return 1;
}

static int count(charon_db *db, judge_t *t)
{
    const char *args[SSTATS_NARGS];

    if (!t->got.missed && !t->got.unknown && !t->got.unscheduled) {
        return 1;
    }
    args[SSTATS_ARG_CRON] = t->cron;
    args[SSTATS_ARG_MISSED] = num(db, t->got.missed);
    args[SSTATS_ARG_UNKNOWN] = num(db, t->got.unknown);
    args[SSTATS_ARG_UNSCHEDULED] = num(db, t->got.unscheduled);
    args[SSTATS_ARG_LAST_MISSED] =
        t->got.last_missed ? num(db, t->got.last_missed) : "";
    return charon_db_exec(db, ST_WD_SLOT_STATS, args, NULL);
}

static charon_db_e judge_tx(charon_db *db, void *baton)
{
    judge_t *t = baton;
    const char *state = NULL, *last_state = NULL;
    const char *args[UNSCHED_NARGS], *sargs[WSTATE_NARGS];
    apr_int64_t last_slot = 0;
    int i, n;

    memset(&t->got, 0, sizeof(t->got));
    if (!claim(db, t)) {
        return CHARON_DB_FAILED;
    }
    if (!t->claimed) {
        return CHARON_DB_OK; /* another server judged it */
    }
    for (i = 0; i < t->j->n; i++) {
        if (!judge_slot(db, t, &t->j->slots[i], &state)) {
            return CHARON_DB_FAILED;
        }
        if (state) {
            last_state = state;
            last_slot = t->j->slots[i].slot;
        }
    }
    /* The starts that no slot took, now that none can. */
    if (t->j->starts_until > t->in->starts_until) {
        args[UNSCHED_ARG_CRON] = t->cron;
        args[UNSCHED_ARG_FROM] = num(db, t->in->starts_until);
        args[UNSCHED_ARG_TO] = num(db, t->j->starts_until);
        if (!charon_db_exec(db, ST_WD_UNSCHEDULED, args, &n)) {
            return CHARON_DB_FAILED;
        }
        t->got.unscheduled = n;
    }
    if (!count(db, t)) {
        return CHARON_DB_FAILED;
    }
    if (last_state) {
        sargs[WSTATE_ARG_SLOT] = num(db, last_slot);
        sargs[WSTATE_ARG_STATE] = last_state;
        sargs[WSTATE_ARG_CRON] = t->cron;
        if (!charon_db_exec(db, ST_WD_WATCH_STATE, sargs, NULL)) {
            return CHARON_DB_FAILED;
        }
    }
    return CHARON_DB_OK;
}

/* Records why a cron's schedule cannot be used; logs it when this server
 * was the first to see it. */
static charon_db_e refuse(charon_db *db, const char *const *row,
                          const char *why)
{
    const char *args[WERR_NARGS];
    int changed = 0;

    args[WERR_ARG_ERROR] = apr_pstrndup(charon_db_pool(db), why, 255);
    args[WERR_ARG_CRON] = row[DUE_COL_CRON];
    args[WERR_ARG_SCHEDULE] = row[DUE_COL_SCHEDULE];
    if (!charon_db_exec(db, ST_WD_WATCH_ERROR, args, &changed)) {
        return CHARON_DB_FAILED;
    }
    if (changed) {
        charon_db_log(db, APLOG_WARNING,
                      CHARON_LOGNO(310) "cron %s: its schedule '%s'%s%s "
                                        "cannot be used (%s): no slot of it "
                                        "is judged until it is changed",
                      row[DUE_COL_SLUG], row[DUE_COL_SCHEDULE],
                      row[DUE_COL_TIMEZONE] ? " in " : "",
                      row[DUE_COL_TIMEZONE] ? row[DUE_COL_TIMEZONE] : "", why);
    }
    return CHARON_DB_OK;
}

static charon_db_e judge_cron(charon_db *db, charon_slots *sl,
                              const charon_clock_t *clock,
                              const char *const *row,
                              charon_slot_counts_t *counts)
{
    const parsed_t *ps = parsed(sl, row[DUE_COL_SCHEDULE]);
    zone_t *z = zone(sl, row[DUE_COL_TIMEZONE]);
    charon_judge_in_t in;
    charon_judgment_t *j;
    judge_t t;
    apr_int64_t cron;

    if (ps->why) {
        return refuse(db, row, ps->why);
    }
    if (!z->zone) {
        return refuse(
            db, row,
            apr_pstrcat(charon_db_pool(db), "the time zone ", z->why, NULL));
    }
    memset(&in, 0, sizeof(in));
    if (!charon_db_id(db, row[DUE_COL_CRON], &cron)
        || !charon_db_id(db, row[DUE_COL_GRACE], &in.grace)
        || !epoch_or(db, row[DUE_COL_CHECKED], 0, &in.checked_until)
        || !epoch_or(db, row[DUE_COL_STARTS], 0, &in.starts_until)
        || !epoch_or(db, row[DUE_COL_OFF_SEEN], -1, &in.off_seen)) {
        return CHARON_DB_FAILED;
    }
    in.now = clock->now - SETTLE;
    in.outage_from = clock->outage_from;
    in.outage_to = clock->outage_to;
    in.interval = sl->interval;
    j = apr_palloc(charon_db_pool(db), sizeof(*j));
    if (!charon_judge(&ps->parsed, z->zone, &in, j)) {
        return refuse(db, row, "ICU could not compute its slots");
    }
    memset(&t, 0, sizeof(t));
    t.cron = row[DUE_COL_CRON];
    t.in = &in;
    t.j = j;
    if (charon_db_run(db, CHARON_DB_TX, judge_tx, &t) != CHARON_DB_OK) {
        return CHARON_DB_FAILED;
    }
    if (t.claimed) {
        counts->crons++;
        counts->bound += t.got.bound;
        counts->missed += t.got.missed;
        counts->unknown += t.got.unknown;
        counts->unscheduled += t.got.unscheduled;
        counts->skipped += t.got.skipped;
        if (t.got.missed) {
            charon_db_log(db, APLOG_DEBUG,
                          CHARON_LOGNO(311) "cron %s missed %d slot(s), the "
                                            "latest %" APR_INT64_T_FMT,
                          row[DUE_COL_SLUG], t.got.missed, t.got.last_missed);
        }
    }
    return CHARON_DB_OK;
}

typedef struct {
    const char *now;
    charon_rows_t rows;
} due_t;

static charon_db_e due(charon_db *db, void *baton)
{
    due_t *d = baton;
    const char *args[ONE_NARGS];

    args[ONE_ARG] = d->now;
    return charon_db_rows(db, ST_WD_DUE, args, CHARON_DB_BATCH, &d->rows)
               ? CHARON_DB_OK
               : CHARON_DB_FAILED;
}

charon_db_e charon_op_judge_batch(charon_db *db, charon_slots *sl,
                                  const charon_clock_t *clock,
                                  int (*stop)(void *), void *baton, int *crons,
                                  charon_slot_counts_t *counts)
{
    apr_pool_t *each, *batch;
    charon_db_e rv = CHARON_DB_OK;
    due_t d;
    int i;

    memset(&d, 0, sizeof(d));
    d.now = charon_db_num(db, clock->now - SETTLE);
    *crons = 0;
    if (charon_db_run(db, 0, due, &d) != CHARON_DB_OK) {
        return CHARON_DB_FAILED;
    }
    /* What one cron's statements allocate is freed before the next:
     * a tick may judge ten thousand. */
    if (apr_pool_create(&each, charon_db_pool(db)) != APR_SUCCESS) {
        return CHARON_DB_FAILED;
    }
    batch = charon_db_use_pool(db, each);
    for (i = 0; i < d.rows.nrows && rv == CHARON_DB_OK; i++) {
        if (i > 0 && stop && stop(baton)) {
            break;
        }
        rv = judge_cron(db, sl, clock, d.rows.rows[i], counts);
        apr_pool_clear(each);
        (*crons)++;
    }
    charon_db_use_pool(db, batch);
    apr_pool_destroy(each);
    return rv;
}
