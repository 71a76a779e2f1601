/*
 * schedule.h: cron schedules and their slots, in a time zone.
 *
 * No httpd and no APR: charon-run's `next` links schedule.c too.  Time
 * zones come from ICU's calendar (its tz database, kept up to date with
 * libicu), never from TZ.  Instants are Unix seconds, UTC.
 */
#ifndef CHARON_SCHEDULE_H
#define CHARON_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

/* A parsed schedule: Debian cron's five fields, or @every. */
typedef struct {
    uint64_t minutes; /* bit m: minute m, 0..59 */
    uint32_t hours;   /* bit h: 0..23 */
    uint32_t days;    /* bit d: day of month 1..31 */
    uint16_t months;  /* bit m: 1..12 */
    uint8_t weekdays; /* bit w: 0..6, Sunday 0 (7 is Sunday too) */
    uint8_t dom_star; /* day of month starts with '*' */
    uint8_t dow_star; /* day of week starts with '*' */
    uint8_t fixed;    /* neither minute nor hour starts with '*' */
    int64_t every;    /* @every: seconds between slots; 0: the fields */
} charon_schedule_t;

/* The shortest and longest @every. */
#define CHARON_EVERY_MIN 60
#define CHARON_EVERY_MAX (366 * 86400)

/* A cron's grace, seconds: the schemas' CHECK and default. */
#define CHARON_GRACE_MIN     1
#define CHARON_GRACE_MAX     31622400
#define CHARON_GRACE_DEFAULT 300
/* The schemas' columns. */
#define CHARON_SCHEDULE_MAX  255 /* bytes */
#define CHARON_ZONE_MAX      64

/* A grace as the API takes it: whole seconds ("600") or a number and one
 * unit of s, m, h, d, w ("10m"), CHARON_GRACE_MIN to CHARON_GRACE_MAX.
 * 1 and *secs, or 0.  (The module's charon_parse_duration reads the same
 * syntax with APR; this one is for charon-run, which has none.) */
int charon_grace_parse(const char *text, int64_t *secs);

/* Parses a schedule (five fields, a nickname, or @every DURATION).
 * Returns NULL with *out filled, or a sentence saying why not; why may
 * point into buf (len bytes) for a sentence naming the field. */
const char *charon_schedule_parse(const char *text, charon_schedule_t *out,
                                  char *buf, size_t len);

/* The first local time (a minute) strictly after *c that the five fields
 * name, into *c: 1, or 0 past the end of last_year. */
struct charon_civil_s;
int charon_schedule_next_local(const charon_schedule_t *s,
                               struct charon_civil_s *c, int last_year);

/* A time zone, as ICU knows it: one thread at a time. */
typedef struct charon_zone charon_zone_t;

/* NULL name is UTC.  NULL when ICU does not know it (*why says so). */
charon_zone_t *charon_zone_open(const char *name, const char **why);
void charon_zone_close(charon_zone_t *z);
/* Keeps ICU loaded across httpd's restarts (its caches live as long as
 * it does); called once a load of the module. */
void charon_zone_pin(void);
/* The zone's canonical name ("Europe/Paris"). */
const char *charon_zone_name(const charon_zone_t *z);

/* Local time of an instant. */
typedef struct {
    int year, month, day, hour, minute, second; /* month 1..12 */
    int weekday;                                /* 0..6, Sunday 0 */
    int offset;                                 /* seconds east of UTC */
} charon_local_t;

int charon_zone_local(charon_zone_t *z, int64_t t, charon_local_t *out);

/* The first slot strictly after `after`: 1 and *slot, or 0 when the
 * schedule has none in the next ten years (or ICU failed).
 *
 * Daylight saving time as Debian cron has it (documented by cronsim): a
 * fixed-time schedule runs a local time that does not exist at the first
 * instant after the gap, and one that happens twice once, at its first
 * occurrence; a wildcard schedule follows absolute time: both copies of a
 * repeated hour, none of a skipped one.  @every counts from the Unix
 * epoch, whatever the zone. */
int charon_schedule_next(const charon_schedule_t *s, charon_zone_t *z,
                         int64_t after, int64_t *slot);

#define CHARON_ISO_LEN 64

/* "2026-12-07T10:00:00Z", in buf (CHARON_ISO_LEN bytes). */
const char *charon_iso_utc(int64_t t, char *buf);
/* "2026-12-07 11:00 +01:00", a local time with its offset (the same). */
const char *charon_iso_local(const charon_local_t *l, char *buf);
/* "2026-12-07T11:00:00+01:00": ISO 8601 with the offset (the same); the
 * offset's seconds follow when it has some ("+00:09:21", Paris before
 * 1911), as Python's isoformat writes them. */
const char *charon_iso_offset(const charon_local_t *l, char *buf);

#endif /* CHARON_SCHEDULE_H */
