/* retry.h: which failures are worth another attempt, and how long to wait
 * before it: exponential backoff with full jitter, honouring the server's
 * Retry-After up to a cap (internal). */
#ifndef LLMH_RETRY_H
#define LLMH_RETRY_H

#include <llmhost/types.h>

#include "settings.h"

typedef struct llmh_retry_policy {
    int max_retries;       /* retries after the first attempt, 0..5 */
    long initial_delay_ms; /* first backoff ceiling */
    long max_delay_ms;     /* backoff ceiling */
    long max_wait_ms;      /* longest server-requested wait we accept */
} llmh_retry_policy;

/* From llm.max_retries (and llm.<provider>.max_retries), llm.retry_initial_delay,
 * llm.retry_max_delay, llm.retry_max_wait (seconds). */
void llmh_retry_policy_from_settings(const llmh_settings *s, const char *provider,
                                     llmh_retry_policy *p);

/* 1 when err is a transient failure: connect, timeout, 408, 429, 500, 502,
 * 503, 504, 529, a cut stream, an overloaded error. */
int llmh_retry_is_retryable(const llmh_error *err);

/* The wait before retry number `retry` (1-based). A server hint wins; if it
 * exceeds max_wait_ms, returns -1 (the caller fails fast and says so). */
long llmh_retry_delay_ms(const llmh_retry_policy *p, int retry, long retry_after_ms);

/* Sleep, in a way a test can observe. */
void llmh_retry_sleep_ms(long ms);

#endif
