/* ratelimit.h: client-side rate limits per provider, requests and tokens per
 * minute, shared by all threads of a process (internal).
 *
 * Each limit is a GCRA (virtual scheduling) bucket: a reservation gets the
 * earliest start that keeps the bucket within its capacity and moves the
 * bucket's theoretical arrival time on, so waits are exact (in whole ms, no
 * drift for rates that do not divide a minute) and concurrent reservations
 * never share a slot. Pure: time is passed in as monotonic ms, nothing sleeps. */
#ifndef LLMH_RATELIMIT_H
#define LLMH_RATELIMIT_H

#include <stddef.h>

#include "settings.h"

typedef struct llmh_limits {
    long rpm;       /* requests per minute; 0 = unlimited */
    long tpm;       /* tokens per minute (a bucket of tpm tokens); 0 = unlimited */
    long rpm_burst; /* requests that may start at once; default 1: rpm 60 spaces requests
                       one second apart */
} llmh_limits;

/* llm.<provider>.rpm, llm.<provider>.tpm, llm.<provider>.rpm_burst. A value
 * that does not parse is warned about with the settings module's message and
 * the default used (0, 0, 1); out-of-range values are clamped with its warning.
 * provider NULL: no limits. */
void llmh_limits_from_settings(const llmh_settings *s, const char *provider, llmh_limits *l);

typedef struct llmh_ratelimit llmh_ratelimit;

/* Owned by the caller, freed with llmh_ratelimit_free() (NULL is fine);
 * aborts on OOM. */
llmh_ratelimit *llmh_ratelimit_new(void);
void llmh_ratelimit_free(llmh_ratelimit *r);

/* Reserves one request and est_tokens for provider (borrowed; copied on its
 * first use) and returns the wait in ms before the call may start (0: now).
 * When the wait would exceed max_wait_ms (< 0: no limit), reserves nothing,
 * sets *would_wait_ms (may be NULL) and returns -1. Concurrent callers get
 * successive slots: at rpm 60 two callers get 0 and 1000. A request larger
 * than the token bucket waits for a full bucket and leaves it in debt. NULL r,
 * provider or l, or no limits: 0. No allocation after a provider's first use. */
long llmh_ratelimit_acquire(llmh_ratelimit *r, const char *provider, const llmh_limits *l,
                            long est_tokens, long max_wait_ms, long long now_ms,
                            long *would_wait_ms);

/* After the call: corrects the token bucket at now_ms by actual_tokens -
 * est_tokens (from the reported usage): extra tokens are taken, unused ones
 * put back, never beyond a full bucket. actual_tokens < 0 (not reported)
 * changes nothing. */
void llmh_ratelimit_settle(llmh_ratelimit *r, const char *provider, const llmh_limits *l,
                           long est_tokens, long actual_tokens, long long now_ms);

/* A rough token estimate for a request: ceil(text_bytes / 4) over all message
 * text, plus max_tokens when it is positive. */
long llmh_ratelimit_estimate(size_t text_bytes, long max_tokens);

#endif
