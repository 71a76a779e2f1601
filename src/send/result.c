/*
 * result.c: what every transport uses of a result: the monotonic clock,
 * the channel's time limit, a failure filled in.  Below the transports
 * and send.c, which dispatches to them.
 */
#include "send/internal.h"

#include <time.h>

apr_int64_t charon_send_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int charon_send_timeout_ms(const charon_channel_t *c)
{
    return c->timeout_ms > 0 ? c->timeout_ms : SEND_TIMEOUT_MS;
}

void charon_send_fail(charon_send_result_t *out, int retry, int status,
                      const char *error)
{
    out->ok = 0;
    out->retry = retry;
    out->status = status;
    out->error = error;
}
