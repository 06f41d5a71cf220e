/* retry.c: the retry policy every provider gets from the host. */
#include "retry.h"

#include <stdint.h>
#include <time.h>

#include "util.h"

void llmh_retry_policy_from_settings(const llmh_settings *s, const char *provider,
                                     llmh_retry_policy *p)
{
    double initial = 0.5, maxd = 30, maxw = 60;
    p->max_retries = (int)llmh_settings_max_retries(s, provider);
    llmh_settings_get_double(s, "llm.retry_initial_delay", 0.5, 0, 3600, &initial, NULL);
    llmh_settings_get_double(s, "llm.retry_max_delay", 30, 0, 3600, &maxd, NULL);
    llmh_settings_get_double(s, "llm.retry_max_wait", 60, 0, 86400, &maxw, NULL);
    p->initial_delay_ms = (long)(initial * 1000);
    p->max_delay_ms = (long)(maxd * 1000);
    p->max_wait_ms = (long)(maxw * 1000);
}

int llmh_retry_is_retryable(const llmh_error *e)
{
    switch (e->code) {
    case LLMH_E_CONNECT:
    case LLMH_E_TIMEOUT:
    case LLMH_E_STREAM_CUT:
    case LLMH_E_OVERLOADED:
    case LLMH_E_RATE_LIMITED:
        return 1;
    case LLMH_E_SERVER:
        /* 501 Not Implemented and 505 will not change on a retry. */
        return e->http_status == 0 || e->http_status == 500 || e->http_status == 502 ||
               e->http_status == 503 || e->http_status == 504 || e->http_status >= 520;
    default:
        return 0;
    }
}

/* xorshift seeded from the clock: jitter needs spread, not secrecy. */
static uint64_t next_random(void)
{
    static __thread uint64_t state;
    if (!state) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ 0x9E3779B97F4A7C15ull;
    }
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

long llmh_retry_delay_ms(const llmh_retry_policy *p, int retry, long retry_after_ms)
{
    if (retry_after_ms >= 0)
        return retry_after_ms > p->max_wait_ms ? -1 : retry_after_ms;
    long ceiling = p->initial_delay_ms;
    for (int i = 1; i < retry && ceiling < p->max_delay_ms; i++)
        ceiling *= 2;
    if (ceiling > p->max_delay_ms)
        ceiling = p->max_delay_ms;
    if (ceiling <= 0)
        return 0;
    return (long)(next_random() % (uint64_t)(ceiling + 1));
}

void llmh_retry_sleep_ms(long ms) { llmh_sleep_ms(ms); }
