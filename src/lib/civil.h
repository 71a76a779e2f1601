/*
 * civil.h: dates and times of the proleptic Gregorian calendar, with no
 * zone: the local times a cron schedule names, counted in minutes.
 */
#ifndef CHARON_CIVIL_H
#define CHARON_CIVIL_H

#include <stdint.h>

typedef struct charon_civil_s {
    int year, month, day, hour, minute; /* month 1..12, day 1..31 */
} charon_civil_t;

/* Days from 1970-01-01 to the date (negative before). */
int64_t charon_civil_days(int year, int month, int day);
/* The date of a day count. */
void charon_civil_from_days(int64_t days, int *year, int *month, int *day);
int charon_civil_days_in_month(int year, int month);
/* 0..6, Sunday 0. */
int charon_civil_weekday(int year, int month, int day);
/* Minutes from 1970-01-01 00:00, and back. */
int64_t charon_civil_minutes(const charon_civil_t *c);
void charon_civil_from_minutes(int64_t minutes, charon_civil_t *c);

#endif /* CHARON_CIVIL_H */
