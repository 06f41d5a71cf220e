/* test_breaker.c: circuit breakers (host/lib/breaker.c): when they open,
 * refuse, half-open and close, their rolling window, their settings, and the
 * state file that carries them across processes. Time is always passed in;
 * nothing sleeps. */
#include "breaker.h"

#include "log.h"
#include "util.h"

#include <CUnit/CUnit.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"

#define K "mock|http://127.0.0.1:1"
#define K2 "other|http://127.0.0.1:2"
#define T0 1000000LL /* an arbitrary monotonic base */

/* ---- fixtures: captured warnings, a temp dir, a clean environment ---- */

static char g_log[8192];
static int g_log_lines;
static char g_dir[64];

static void capture_sink(void *ud, int level, const char *line)
{
    (void)ud;
    if (level > LLMH_LOG_WARN)
        return;
    size_t n = strlen(g_log);
    snprintf(g_log + n, sizeof g_log - n, "%s\n", line);
    g_log_lines++;
}

static void log_reset(void)
{
    g_log[0] = '\0';
    g_log_lines = 0;
}

extern char **environ;
static char *g_saved_env[64];
static int g_n_saved;

/* LLMHOST_BREAKER_* would change what the settings tests see. */
static void hide_breaker_env(void)
{
    for (int again = 1; again;) {
        again = 0;
        for (char **e = environ; *e; e++) {
            if (strncmp(*e, "LLMHOST_BREAKER_", 16) != 0 || g_n_saved == 64)
                continue;
            char *copy = strdup(*e);
            g_saved_env[g_n_saved++] = copy;
            *strchr(copy, '=') = '\0';
            unsetenv(copy);
            copy[strlen(copy)] = '=';
            again = 1;
            break;
        }
    }
}

static int suite_init(void)
{
    strcpy(g_dir, "/tmp/llmh_breaker_XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    hide_breaker_env();
    llmh_log_set_sink(capture_sink, NULL);
    return 0;
}

static int suite_clean(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", g_dir);
    for (int i = 0; i < g_n_saved; i++) {
        putenv(g_saved_env[i]); /* the string becomes part of the environment */
    }
    g_n_saved = 0;
    llmh_log_set_sink(NULL, NULL);
    return 0;
}

static const char *tmp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    return path;
}

static llmh_breaker_config cfg(int failures, double rate, int min_requests, long window_ms,
                               long cooldown_ms)
{
    llmh_breaker_config c;
    llmh_breaker_config_defaults(&c);
    c.failures = failures;
    c.failure_rate = rate;
    c.min_requests = min_requests;
    c.window_ms = window_ms;
    c.cooldown_ms = cooldown_ms;
    return c;
}

static void record_n(llmh_breakers *b, const char *key, const llmh_breaker_config *c, int success,
                     int n, long long now)
{
    for (int i = 0; i < n; i++)
        llmh_breaker_record(b, key, c, success, -1, now);
}

/* What foreach reports for one key. */
typedef struct seen {
    const char *want;
    int found, consecutive, failures, requests, count;
    llmh_breaker_state st;
    long retry;
} seen;

static void seen_fn(void *ud, const char *key, llmh_breaker_state st, int consecutive,
                    int window_failures, int window_requests, long retry_in_ms)
{
    seen *s = ud;
    s->count++;
    if (strcmp(key, s->want) != 0)
        return;
    s->found = 1;
    s->st = st;
    s->consecutive = consecutive;
    s->failures = window_failures;
    s->requests = window_requests;
    s->retry = retry_in_ms;
}

static seen visit(llmh_breakers *b, const char *key, long long now)
{
    seen s;
    memset(&s, 0, sizeof s);
    s.want = key;
    llmh_breakers_foreach(b, now, seen_fn, &s);
    return s;
}

/* Opens K at `now` with one failure (failures = 1). */
static void open_now(llmh_breakers *b, const llmh_breaker_config *c, long long now)
{
    llmh_breaker_record(b, K, c, 0, -1, now);
}

/* ---- opening ---- */

static void test_breaker_opens_after_n_consecutive_failures(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(3, 0, 10, 60000, 30000);
    long retry = -1;
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0, &retry), 1);
    CU_ASSERT_EQUAL(retry, 0);
    record_n(b, K, &c, 0, 2, T0);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0, NULL), LLMH_BREAKER_CLOSED);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0, &retry), 1);
    llmh_breaker_record(b, K, &c, 0, -1, T0);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0, &retry), LLMH_BREAKER_OPEN);
    CU_ASSERT_EQUAL(retry, 30000);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0, &retry), 0);
    CU_ASSERT_EQUAL(retry, 30000);
    /* Another key is unaffected. */
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K2, &c, T0, &retry), 1);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K2, T0, NULL), LLMH_BREAKER_CLOSED);
    llmh_breakers_free(b);
}

static void test_breaker_successes_reset_the_consecutive_count(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(3, 0, 10, 60000, 30000);
    record_n(b, K, &c, 0, 2, T0);
    llmh_breaker_record(b, K, &c, 1, -1, T0);
    CU_ASSERT_EQUAL(visit(b, K, T0).consecutive, 0);
    record_n(b, K, &c, 0, 2, T0);
    seen s = visit(b, K, T0);
    CU_ASSERT_EQUAL(s.consecutive, 2);
    CU_ASSERT_EQUAL(s.failures, 4);
    CU_ASSERT_EQUAL(s.requests, 5);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0, NULL), LLMH_BREAKER_CLOSED);
    llmh_breaker_record(b, K, &c, 0, -1, T0);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0, NULL), LLMH_BREAKER_OPEN);
    llmh_breakers_free(b);
}

static void test_breaker_opens_on_failure_rate_over_min_requests(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(0, 0.5, 10, 60000, 30000);
    /* 5 of 10: opens on the tenth. */
    record_n(b, K, &c, 1, 5, T0);
    record_n(b, K, &c, 0, 4, T0 + 1000);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0 + 1000, NULL), LLMH_BREAKER_CLOSED);
    llmh_breaker_record(b, K, &c, 0, -1, T0 + 1000);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0 + 1000, NULL), LLMH_BREAKER_OPEN);
    /* 4 of 10 stays closed. */
    record_n(b, K2, &c, 1, 6, T0);
    record_n(b, K2, &c, 0, 4, T0);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K2, T0, NULL), LLMH_BREAKER_CLOSED);
    llmh_breakers_free(b);
}

static void test_breaker_rate_rule_waits_for_min_requests(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(0, 0.5, 10, 60000, 30000);
    record_n(b, K, &c, 0, 9, T0); /* 100% failures, but only 9 requests */
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0, NULL), LLMH_BREAKER_CLOSED);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0, NULL), 1);
    llmh_breaker_record(b, K, &c, 0, -1, T0);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0, NULL), LLMH_BREAKER_OPEN);
    llmh_breakers_free(b);
}

static void test_breaker_a_success_never_opens_it(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(0, 0.5, 10, 60000, 30000);
    record_n(b, K, &c, 0, 5, T0);
    record_n(b, K, &c, 1, 5, T0); /* 5 of 10 is reached by a success */
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0, NULL), LLMH_BREAKER_CLOSED);
    llmh_breaker_record(b, K, &c, 0, -1, T0); /* 6 of 11 */
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0, NULL), LLMH_BREAKER_OPEN);
    llmh_breakers_free(b);
}

static void test_breaker_window_expiry_forgets_old_failures(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(0, 0.5, 10, 60000, 30000);
    /* K: five failures 70 s ago are gone; 1 of 5 now. */
    record_n(b, K, &c, 0, 5, T0);
    record_n(b, K, &c, 1, 4, T0 + 70000);
    llmh_breaker_record(b, K, &c, 0, -1, T0 + 70000);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0 + 70000, NULL), LLMH_BREAKER_CLOSED);
    seen s = visit(b, K, T0 + 70000);
    CU_ASSERT_EQUAL(s.failures, 1);
    CU_ASSERT_EQUAL(s.requests, 5);
    /* K2: the same 50 s apart is still inside the window: 6 of 10 opens. */
    record_n(b, K2, &c, 0, 5, T0);
    record_n(b, K2, &c, 1, 4, T0 + 50000);
    llmh_breaker_record(b, K2, &c, 0, -1, T0 + 50000);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K2, T0 + 50000, NULL), LLMH_BREAKER_OPEN);
    llmh_breakers_free(b);
}

/* ---- open, half-open, closed ---- */

static void test_breaker_refuses_while_open_with_time_until_half_open(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(1, 0, 10, 60000, 30000);
    long retry = -1;
    open_now(b, &c, T0);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0 + 1, &retry), 0);
    CU_ASSERT_EQUAL(retry, 29999);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0 + 29999, &retry), 0);
    CU_ASSERT_EQUAL(retry, 1);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0 + 29999, &retry), LLMH_BREAKER_OPEN);
    CU_ASSERT_EQUAL(retry, 1);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0 + 30000, &retry), LLMH_BREAKER_HALF_OPEN);
    CU_ASSERT_EQUAL(retry, 0);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0 + 30000, &retry), 1);
    llmh_breakers_free(b);
}

static void test_breaker_half_opens_after_a_longer_retry_after(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(1, 0, 10, 60000, 30000);
    long retry = -1;
    llmh_breaker_record(b, K, &c, 0, 45000, T0);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0, &retry), 0);
    CU_ASSERT_EQUAL(retry, 45000);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0 + 30000, &retry), 0);
    CU_ASSERT_EQUAL(retry, 15000);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0 + 45000, NULL), LLMH_BREAKER_HALF_OPEN);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0 + 45000, &retry), 1);
    /* A shorter hint does not shorten the cooldown. */
    llmh_breaker_record(b, K2, &c, 0, 5000, T0);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K2, &c, T0 + 5000, &retry), 0);
    CU_ASSERT_EQUAL(retry, 25000);
    llmh_breakers_free(b);
}

static void test_breaker_half_open_gives_exactly_one_trial(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(1, 0, 10, 60000, 30000);
    long retry = -1;
    long long t = T0 + 30000;
    open_now(b, &c, T0);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, t, &retry), 1);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, t, &retry), 0);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, t + 5000, &retry), 0);
    CU_ASSERT_EQUAL(retry, 55000); /* until the trial is presumed lost */
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, t + 5000, &retry), LLMH_BREAKER_HALF_OPEN);
    /* A trial that never reports is presumed lost after a minute. */
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, t + 60000, &retry), 1);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, t + 60000, &retry), 0);
    llmh_breakers_free(b);
}

typedef struct race {
    llmh_breakers *b;
    const llmh_breaker_config *c;
    pthread_barrier_t *start;
    int allowed;
} race;

static void *race_allow(void *arg)
{
    race *r = arg;
    pthread_barrier_wait(r->start);
    for (int i = 0; i < 100; i++)
        r->allowed += llmh_breaker_allow(r->b, K, r->c, T0 + 30000, NULL);
    return NULL;
}

static void test_breaker_half_open_gives_one_trial_among_threads(void)
{
    enum { N = 8 };
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(1, 0, 10, 60000, 30000);
    pthread_barrier_t start;
    pthread_t th[N];
    race r[N];
    open_now(b, &c, T0);
    pthread_barrier_init(&start, NULL, N);
    for (int i = 0; i < N; i++) {
        r[i] = (race){b, &c, &start, 0};
        pthread_create(&th[i], NULL, race_allow, &r[i]);
    }
    int total = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        total += r[i].allowed;
    }
    CU_ASSERT_EQUAL(total, 1);
    pthread_barrier_destroy(&start);
    llmh_breakers_free(b);
}

static void test_breaker_trial_success_closes_and_resets_counters(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(2, 0, 10, 60000, 30000);
    record_n(b, K, &c, 0, 2, T0);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0 + 30000, NULL), 1);
    llmh_breaker_record(b, K, &c, 1, -1, T0 + 31000);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0 + 31000, NULL), LLMH_BREAKER_CLOSED);
    seen s = visit(b, K, T0 + 31000);
    CU_ASSERT_EQUAL(s.consecutive, 0);
    CU_ASSERT_EQUAL(s.failures, 0);
    CU_ASSERT_EQUAL(s.requests, 0);
    /* Back to needing two failures in a row. */
    llmh_breaker_record(b, K, &c, 0, -1, T0 + 32000);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0 + 32000, NULL), 1);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0 + 32000, NULL), 1);
    llmh_breakers_free(b);
}

static void test_breaker_trial_failure_reopens_with_a_fresh_cooldown(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(1, 0, 10, 60000, 30000);
    long retry = -1;
    open_now(b, &c, T0);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0 + 30000, NULL), 1);
    llmh_breaker_record(b, K, &c, 0, -1, T0 + 31000);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0 + 31000, &retry), LLMH_BREAKER_OPEN);
    CU_ASSERT_EQUAL(retry, 30000);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0 + 60000, &retry), 0);
    CU_ASSERT_EQUAL(retry, 1000);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0 + 61000, &retry), 1);
    llmh_breakers_free(b);
}

static void test_breaker_disabled_always_allows(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(1, 0.1, 1, 60000, 30000);
    c.enabled = 0;
    long retry = -1;
    record_n(b, K, &c, 0, 100, T0);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0, &retry), 1);
    CU_ASSERT_EQUAL(retry, 0);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, T0, NULL), LLMH_BREAKER_CLOSED);
    CU_ASSERT_EQUAL(visit(b, K, T0).count, 0);
    CU_ASSERT_EQUAL(llmh_breakers_dirty(b), 0);
    /* Disabling an open breaker lets calls through too. */
    c.enabled = 1;
    open_now(b, &c, T0);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0, NULL), 0);
    c.enabled = 0;
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, T0, NULL), 1);
    llmh_breakers_free(b);
}

typedef struct order {
    char last[64];
    int count, sorted;
} order;

static void order_fn(void *ud, const char *key, llmh_breaker_state st, int consecutive,
                     int window_failures, int window_requests, long retry_in_ms)
{
    order *o = ud;
    (void)st, (void)consecutive, (void)window_failures, (void)window_requests, (void)retry_in_ms;
    if (o->count++ > 0 && strcmp(o->last, key) >= 0)
        o->sorted = 0;
    snprintf(o->last, sizeof o->last, "%s", key);
}

static void test_breaker_foreach_lists_every_key_in_order(void)
{
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(1, 0, 10, 60000, 30000);
    char key[64];
    /* Enough keys to grow the table, added out of order. */
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "p%03d|http://h", (i * 37) % 100);
        llmh_breaker_record(b, key, &c, i % 2, -1, T0);
    }
    order o = {"", 0, 1};
    llmh_breakers_foreach(b, T0, order_fn, &o);
    CU_ASSERT_EQUAL(o.count, 100);
    CU_ASSERT(o.sorted);
    /* 7 = 11 * 37 % 100 was recorded by an odd i: a success. */
    seen s = visit(b, "p007|http://h", T0 + 1000);
    CU_ASSERT(s.found);
    CU_ASSERT_EQUAL(s.st, LLMH_BREAKER_CLOSED);
    CU_ASSERT_EQUAL(s.consecutive, 0);
    CU_ASSERT_EQUAL(s.requests, 1);
    CU_ASSERT_EQUAL(s.retry, 0);
    /* 74 = 2 * 37 % 100: a failure, so open. */
    s = visit(b, "p074|http://h", T0 + 1000);
    CU_ASSERT_EQUAL(s.st, LLMH_BREAKER_OPEN);
    CU_ASSERT_EQUAL(s.retry, 29000);
    CU_ASSERT_EQUAL(s.consecutive, 1);
    CU_ASSERT_EQUAL(s.failures, 1);
    CU_ASSERT_EQUAL(s.requests, 1);
    llmh_breakers_free(b);
}

static void test_breaker_state_names(void)
{
    CU_ASSERT_STRING_EQUAL(llmh_breaker_state_name(LLMH_BREAKER_CLOSED), "closed");
    CU_ASSERT_STRING_EQUAL(llmh_breaker_state_name(LLMH_BREAKER_OPEN), "open");
    CU_ASSERT_STRING_EQUAL(llmh_breaker_state_name(LLMH_BREAKER_HALF_OPEN), "half_open");
    CU_ASSERT_PTR_NOT_NULL(llmh_breaker_state_name((llmh_breaker_state)42));
}

/* ---- the state file ---- */

#define WALL 1700000000000LL

static void test_breaker_state_survives_a_process_with_another_clock(void)
{
    const char *path = tmp_path("sub/breakers.json");
    llmh_breaker_config c = cfg(3, 0, 10, 60000, 30000);
    long retry = -1;

    /* Process one: monotonic T0 is wall WALL. K opens, K2 has two failures. */
    llmh_breakers *b = llmh_breakers_new();
    CU_ASSERT_EQUAL(llmh_breakers_dirty(b), 0);
    record_n(b, K, &c, 0, 3, T0);
    record_n(b, K2, &c, 0, 2, T0);
    llmh_breaker_record(b, "quiet|http://q", &c, 1, -1, T0 - 120000);
    CU_ASSERT_EQUAL(llmh_breakers_dirty(b), 1);
    log_reset();
    CU_ASSERT_EQUAL(llmh_breakers_save_at(b, path, T0 + 5000, WALL + 5000), 0);
    CU_ASSERT_EQUAL(g_log_lines, 0);
    CU_ASSERT_EQUAL(llmh_breakers_dirty(b), 0);
    llmh_breakers_free(b);
    FILE *f = fopen(path, "r");
    char text[4096] = "";
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, K));
    CU_ASSERT_PTR_NULL(strstr(text, "quiet")); /* nothing to remember */

    /* Process two: its monotonic clock reads 50000 at wall WALL + 10000. */
    b = llmh_breakers_new();
    CU_ASSERT_EQUAL(llmh_breakers_load_at(b, path, 50000, WALL + 10000), 0);
    CU_ASSERT_EQUAL(g_log_lines, 0);
    CU_ASSERT_EQUAL(llmh_breakers_dirty(b), 0);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, 50000, &retry), LLMH_BREAKER_OPEN);
    CU_ASSERT_EQUAL(retry, 20000);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, 69999, &retry), 0);
    CU_ASSERT_EQUAL(retry, 1);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, K, &c, 70000, &retry), 1);
    seen s = visit(b, K2, 50000);
    CU_ASSERT_EQUAL(s.st, LLMH_BREAKER_CLOSED);
    CU_ASSERT_EQUAL(s.consecutive, 2);
    CU_ASSERT_EQUAL(s.failures, 2);
    CU_ASSERT_EQUAL(s.requests, 2);
    /* The window moved with the clock: 70 s after the failures they are gone. */
    CU_ASSERT_EQUAL(visit(b, K2, 50000 + 60000).requests, 0);
    llmh_breaker_record(b, K2, &c, 0, -1, 50000);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K2, 50000, NULL), LLMH_BREAKER_OPEN);
    CU_ASSERT_EQUAL(llmh_breakers_dirty(b), 1);
    llmh_breakers_free(b);
}

static void test_breaker_save_and_load_on_the_real_clocks(void)
{
    const char *path = tmp_path("real.json");
    llmh_breaker_config c = cfg(1, 0, 10, 60000, 30000);
    long long now = llmh_now_ms();
    long retry = -1;
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_record(b, K, &c, 0, -1, now);
    CU_ASSERT_EQUAL(llmh_breakers_save(b, path), 0);
    llmh_breakers_free(b);
    b = llmh_breakers_new();
    CU_ASSERT_EQUAL(llmh_breakers_load(b, path), 0);
    CU_ASSERT_EQUAL(llmh_breaker_get(b, K, now, &retry), LLMH_BREAKER_OPEN);
    /* Two clock readings apart, so within a few ms of the cooldown. */
    CU_ASSERT(retry > 29000 && retry <= 30005);
    llmh_breakers_free(b);
}

static void test_breaker_missing_state_file_is_silent(void)
{
    llmh_breakers *b = llmh_breakers_new();
    log_reset();
    CU_ASSERT_EQUAL(llmh_breakers_load(b, tmp_path("does-not-exist.json")), 0);
    CU_ASSERT_EQUAL(g_log_lines, 0);
    CU_ASSERT_EQUAL(visit(b, K, T0).count, 0);
    llmh_breakers_free(b);
}

/* Loads text as a state file into a breaker set where K is open; 1 when that
 * gives -1, exactly one warning naming the file, and K still open. */
static int corrupt_is_refused(const char *text)
{
    const char *path = tmp_path("corrupt.json");
    FILE *f = fopen(path, "w");
    if (!f)
        return 0;
    fputs(text, f);
    fclose(f);
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(1, 0, 10, 60000, 30000);
    open_now(b, &c, T0);
    log_reset();
    int rc = llmh_breakers_load_at(b, path, T0, WALL);
    int ok = rc == -1 && g_log_lines == 1 && strstr(g_log, "corrupt") && strstr(g_log, path) &&
             llmh_breaker_get(b, K, T0, NULL) == LLMH_BREAKER_OPEN && visit(b, K, T0).count == 1;
    if (!ok)
        fprintf(stderr, "\nload of %s: rc %d, log \"%s\"\n", text, rc, g_log);
    llmh_breakers_free(b);
    return ok;
}

static void test_breaker_corrupt_state_file_warns_once_and_starts_fresh(void)
{
    const char *path = tmp_path("garbage.json");
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("{\"version\": 1, \"breakers\": {\"a|b\": {\"state\": \"op", f);
    fclose(f);
    llmh_breakers *b = llmh_breakers_new();
    llmh_breaker_config c = cfg(1, 0, 10, 60000, 30000);
    log_reset();
    CU_ASSERT_EQUAL(llmh_breakers_load(b, path), -1);
    CU_ASSERT_EQUAL(g_log_lines, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "corrupt"));
    CU_ASSERT_EQUAL(visit(b, "a|b", T0).count, 0);
    CU_ASSERT_EQUAL(llmh_breaker_allow(b, "a|b", &c, T0, NULL), 1);
    llmh_breakers_free(b);

    CU_ASSERT(corrupt_is_refused(""));
    CU_ASSERT(corrupt_is_refused("not json"));
    CU_ASSERT(corrupt_is_refused("[1, 2]"));
    CU_ASSERT(corrupt_is_refused("{\"version\": 1, \"breakers\": {}} trailing"));
    CU_ASSERT(corrupt_is_refused("{\"version\": 99, \"breakers\": {}}"));
    CU_ASSERT(corrupt_is_refused("{\"version\": 1}"));
    CU_ASSERT(corrupt_is_refused("{\"version\": 1, \"breakers\": {\"" K "\": "
                                 "{\"state\": \"closed\", \"consecutive\": -3}}}"));
    CU_ASSERT(corrupt_is_refused("{\"version\": 1, \"breakers\": {\"" K "\": "
                                 "{\"state\": \"open\", \"consecutive\": 1}}}"));
    CU_ASSERT(corrupt_is_refused("{\"version\": 1, \"breakers\": {\"" K "\": "
                                 "{\"state\": \"ajar\", \"consecutive\": 1}}}"));
    /* A good entry before a bad one is not half-applied. */
    CU_ASSERT(corrupt_is_refused("{\"version\": 1, \"breakers\": {"
                                 "\"" K "\": {\"state\": \"closed\", \"consecutive\": 0},"
                                 "\"x|y\": {\"state\": \"closed\", \"consecutive\": 1,"
                                 " \"bucket_ms\": 6000, \"buckets\": [[1, 5, 2]]}}}"));
}

/* ---- settings ---- */

static void test_breaker_config_from_settings_with_provider_overrides(void)
{
    llmh_settings *s = llmh_settings_new();
    llmh_breaker_config c;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    log_reset();
    llmh_breaker_config_from_settings(s, "brtest", &c);
    CU_ASSERT_EQUAL(c.failures, 5);
    CU_ASSERT_DOUBLE_EQUAL(c.failure_rate, 0.5, 1e-12);
    CU_ASSERT_EQUAL(c.min_requests, 10);
    CU_ASSERT_EQUAL(c.window_ms, 60000);
    CU_ASSERT_EQUAL(c.cooldown_ms, 30000);
    CU_ASSERT_EQUAL(c.enabled, 1);
    CU_ASSERT_EQUAL(g_log_lines, 0);

    llmh_settings_set(s, "breaker.failures", "7", LLMH_SRC_CLI);
    llmh_settings_set(s, "breaker.window", "0.5", LLMH_SRC_CLI);
    llmh_settings_set(s, "breaker.cooldown", "12", LLMH_SRC_CLI);
    llmh_settings_set(s, "breaker.brtest.failures", "2", LLMH_SRC_CLI);
    llmh_settings_set(s, "breaker.brtest.enabled", "off", LLMH_SRC_CLI);
    llmh_settings_set(s, "breaker.brtest.failure_rate", "0.25", LLMH_SRC_CLI);
    llmh_breaker_config_from_settings(s, "brtest", &c);
    CU_ASSERT_EQUAL(c.failures, 2);
    CU_ASSERT_DOUBLE_EQUAL(c.failure_rate, 0.25, 1e-12);
    CU_ASSERT_EQUAL(c.window_ms, 500);
    CU_ASSERT_EQUAL(c.cooldown_ms, 12000);
    CU_ASSERT_EQUAL(c.enabled, 0);
    llmh_breaker_config_from_settings(s, "other", &c);
    CU_ASSERT_EQUAL(c.failures, 7);
    CU_ASSERT_EQUAL(c.enabled, 1);
    CU_ASSERT_EQUAL(g_log_lines, 0);

    /* A bad per-provider value falls back to the global one, a bad global
     * value to the default, each with one warning; out of range is clamped. */
    llmh_settings_set(s, "breaker.brtest.cooldown", "soon", LLMH_SRC_CLI);
    llmh_settings_set(s, "breaker.min_requests", "many", LLMH_SRC_CLI);
    llmh_settings_set(s, "breaker.brtest.failure_rate", "1.5", LLMH_SRC_CLI);
    log_reset();
    llmh_breaker_config_from_settings(s, "brtest", &c);
    CU_ASSERT_EQUAL(c.cooldown_ms, 12000);
    CU_ASSERT_EQUAL(c.min_requests, 10);
    CU_ASSERT_DOUBLE_EQUAL(c.failure_rate, 1.0, 1e-12);
    CU_ASSERT_EQUAL(g_log_lines, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "breaker.brtest.cooldown"));
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "breaker.min_requests"));
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "breaker.brtest.failure_rate"));

    llmh_breaker_config_from_settings(s, NULL, &c);
    CU_ASSERT_EQUAL(c.failures, 7);
    llmh_settings_free(s);
}

int llmh_test_register_breaker(void)
{
    static const llmh_test tests[] = {
        {"test_breaker_opens_after_n_consecutive_failures",
         test_breaker_opens_after_n_consecutive_failures},
        {"test_breaker_successes_reset_the_consecutive_count",
         test_breaker_successes_reset_the_consecutive_count},
        {"test_breaker_opens_on_failure_rate_over_min_requests",
         test_breaker_opens_on_failure_rate_over_min_requests},
        {"test_breaker_rate_rule_waits_for_min_requests",
         test_breaker_rate_rule_waits_for_min_requests},
        {"test_breaker_a_success_never_opens_it", test_breaker_a_success_never_opens_it},
        {"test_breaker_window_expiry_forgets_old_failures",
         test_breaker_window_expiry_forgets_old_failures},
        {"test_breaker_refuses_while_open_with_time_until_half_open",
         test_breaker_refuses_while_open_with_time_until_half_open},
        {"test_breaker_half_opens_after_a_longer_retry_after",
         test_breaker_half_opens_after_a_longer_retry_after},
        {"test_breaker_half_open_gives_exactly_one_trial",
         test_breaker_half_open_gives_exactly_one_trial},
        {"test_breaker_half_open_gives_one_trial_among_threads",
         test_breaker_half_open_gives_one_trial_among_threads},
        {"test_breaker_trial_success_closes_and_resets_counters",
         test_breaker_trial_success_closes_and_resets_counters},
        {"test_breaker_trial_failure_reopens_with_a_fresh_cooldown",
         test_breaker_trial_failure_reopens_with_a_fresh_cooldown},
        {"test_breaker_disabled_always_allows", test_breaker_disabled_always_allows},
        {"test_breaker_foreach_lists_every_key_in_order",
         test_breaker_foreach_lists_every_key_in_order},
        {"test_breaker_state_names", test_breaker_state_names},
        {"test_breaker_state_survives_a_process_with_another_clock",
         test_breaker_state_survives_a_process_with_another_clock},
        {"test_breaker_save_and_load_on_the_real_clocks",
         test_breaker_save_and_load_on_the_real_clocks},
        {"test_breaker_missing_state_file_is_silent", test_breaker_missing_state_file_is_silent},
        {"test_breaker_corrupt_state_file_warns_once_and_starts_fresh",
         test_breaker_corrupt_state_file_warns_once_and_starts_fresh},
        {"test_breaker_config_from_settings_with_provider_overrides",
         test_breaker_config_from_settings_with_provider_overrides},
    };
    return llmh_test_suite("breaker", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]);
}
