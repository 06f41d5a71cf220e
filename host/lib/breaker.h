/* breaker.h: circuit breakers per provider and base URL, so that a provider
 * that keeps failing is skipped in microseconds instead of being waited on
 * (internal). States: closed -> open (after consecutive failures or a failure
 * rate over a rolling window) -> half-open (after the cooldown; one trial
 * call) -> closed (trial succeeded) or open again (trial failed).
 *
 * Pure and thread-safe: a set of breakers is protected by one mutex, time is
 * always passed in as monotonic milliseconds, and the only I/O is the state
 * file of llmh_breakers_load()/llmh_breakers_save(). */
#ifndef LLMH_BREAKER_H
#define LLMH_BREAKER_H

#include "settings.h"

typedef struct llmh_breaker_config {
    int failures;        /* consecutive failures that open it (breaker.failures, default 5; 0
                            disables this rule) */
    double failure_rate; /* open when failures/requests in the window >= this ...
                            (breaker.failure_rate, default 0.5; 0 disables) */
    int min_requests;    /* ... over at least this many requests (breaker.min_requests, default
                            10) */
    long window_ms;      /* the rolling window (breaker.window, seconds, default 60) */
    long cooldown_ms;    /* open -> half-open after this (breaker.cooldown, seconds, default
                            30), or the server's Retry-After when given and longer */
    int enabled;         /* breaker.enabled, default true */
} llmh_breaker_config;

/* The built-in defaults above. */
void llmh_breaker_config_defaults(llmh_breaker_config *c);
/* breaker.<provider>.<name> overrides breaker.<name> (provider may be NULL).
 * A value that does not parse is warned about with the settings module's
 * message and replaced by the global value, or the default; out-of-range
 * values are clamped with the settings module's warning. window and cooldown
 * are seconds and may be fractional. */
void llmh_breaker_config_from_settings(const llmh_settings *s, const char *provider,
                                       llmh_breaker_config *c);

typedef enum { LLMH_BREAKER_CLOSED, LLMH_BREAKER_OPEN, LLMH_BREAKER_HALF_OPEN } llmh_breaker_state;

/* A set of breakers keyed by a caller-built string ("ollama|http://host:11434"). */
typedef struct llmh_breakers llmh_breakers;

/* Owned by the caller, freed with llmh_breakers_free(); aborts on OOM. */
llmh_breakers *llmh_breakers_new(void);
void llmh_breakers_free(llmh_breakers *b); /* NULL is fine */

/* Before a call; key borrowed (copied on its first use). 1: go. 0: refused,
 * *retry_in_ms (may be NULL) = ms until the breaker half-opens. In half-open
 * exactly one caller gets the trial; the others are refused until it reports,
 * with *retry_in_ms = ms until the trial is presumed lost (a trial that has
 * not reported after one cooldown, and at least a minute, lets the next caller
 * try). A disabled config, or a NULL b or key, always allows. No allocation
 * after a key's first use. */
int llmh_breaker_allow(llmh_breakers *b, const char *key, const llmh_breaker_config *c,
                       long long now_ms, long *retry_in_ms);

/* After a call that was allowed; key borrowed. success=0 only for failures
 * that reflect the provider's health (the caller decides). retry_after_ms >=
 * 0 is the server's hint, used as the cooldown when it is longer. While
 * half-open the report is taken as the trial's: success closes the breaker
 * and resets its counters, failure reopens it with a fresh cooldown. While
 * open (a straggler allowed before it opened) only the counts change.
 * The rate rule is checked on failures only: a success never opens it.
 * Nothing is recorded when the config is disabled. */
void llmh_breaker_record(llmh_breakers *b, const char *key, const llmh_breaker_config *c,
                         int success, long retry_after_ms, long long now_ms);

/* The state at now_ms (HALF_OPEN once the cooldown has passed, trial or not);
 * *retry_in_ms (may be NULL) = ms until half-open, 0 unless OPEN. An unknown
 * key is CLOSED. */
llmh_breaker_state llmh_breaker_get(llmh_breakers *b, const char *key, long long now_ms,
                                    long *retry_in_ms);

/* "closed", "open", "half_open"; never NULL. */
const char *llmh_breaker_state_name(llmh_breaker_state s);

/* Calls fn for every breaker, in key order: key (borrowed for the call),
 * state, consecutive failures, failures and requests in the window, ms until
 * half-open. fn runs without the lock held, so it may call back into b. */
void llmh_breakers_foreach(llmh_breakers *b, long long now_ms,
                           void (*fn)(void *ud, const char *key, llmh_breaker_state st,
                                      int consecutive, int window_failures, int window_requests,
                                      long retry_in_ms),
                           void *ud);

/* The state file, for processes that live for one call (the CLI): JSON with
 * times as wall-clock epoch ms, converted from and to monotonic time with the
 * offset now_wall - now_mono, so a state saved by one process is valid in the
 * next. Load merges the file into b (the file wins for keys it names; an
 * in-flight trial is not persisted) and returns 0; a missing file is 0 and
 * silent; an unreadable or corrupt one is warned about once, leaves b
 * unchanged and returns -1. Save writes a temporary file beside path and
 * rename()s it over path, creating the directory if needed; 0, or -1 with one
 * warning. Both clear the dirty flag on success. */
int llmh_breakers_load(llmh_breakers *b, const char *path);
int llmh_breakers_save(llmh_breakers *b, const char *path);
/* The same with both clocks given, for tests and callers that hold them. */
int llmh_breakers_load_at(llmh_breakers *b, const char *path, long long now_mono_ms,
                          long long now_wall_ms);
int llmh_breakers_save_at(llmh_breakers *b, const char *path, long long now_mono_ms,
                          long long now_wall_ms);
/* 1 when something was recorded or changed state since the last load/save. */
int llmh_breakers_dirty(llmh_breakers *b);

#endif
