/*
 * civil.c: the proleptic Gregorian calendar in whole days, after Howard
 * Hinnant's days_from_civil and civil_from_days (public domain
 * algorithms: eras of 400 years).
 */
#include "lib/civil.h"

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t charon_civil_days(int year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

void charon_civil_from_days(int64_t days, int *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);

    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = m;
    *year = (int)(yoe + era * 400 + (m <= 2));
}

int charon_civil_days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 ? 28 + leap : days[month - 1];
}

int charon_civil_weekday(int year, int month, int day)
{
    /* 1970-01-01 was a Thursday. */
    return (int)(((charon_civil_days(year, month, day) % 7) + 11) % 7);
}

int64_t charon_civil_minutes(const charon_civil_t *c)
{
    return (charon_civil_days(c->year, c->month, c->day) * 24 + c->hour) * 60
           + c->minute;
}

void charon_civil_from_minutes(int64_t minutes, charon_civil_t *c)
{
    int64_t days = floor_div(minutes, 1440), rest = minutes - days * 1440;

    charon_civil_from_days(days, &c->year, &c->month, &c->day);
    c->hour = (int)(rest / 60);
    c->minute = (int)(rest % 60);
}
