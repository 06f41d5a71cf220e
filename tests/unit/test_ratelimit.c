/* test_ratelimit.c: client-side rpm/tpm buckets (host/lib/ratelimit.c): exact
 * waits, bursts, the max-wait refusal, token refill and correction, and
 * non-overlapping slots for concurrent threads. Time is passed in; nothing
 * sleeps. */
#include "ratelimit.h"

#include "log.h"
#include "util.h"

#include <CUnit/CUnit.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

#define P "rltest"
#define T0 5000000LL /* an arbitrary monotonic base */

static char g_log[4096];
static int g_log_lines;

static void capture_sink(void *ud, int level, const char *line)
{
    (void)ud;
    if (level > LLMH_LOG_WARN)
        return;
    size_t n = strlen(g_log);
    snprintf(g_log + n, sizeof g_log - n, "%s\n", line);
    g_log_lines++;
}

static int suite_init(void)
{
    llmh_log_set_sink(capture_sink, NULL);
    return 0;
}

static int suite_clean(void)
{
    llmh_log_set_sink(NULL, NULL);
    return 0;
}

static llmh_limits limits(long rpm, long tpm, long burst)
{
    llmh_limits l = {rpm, tpm, burst};
    return l;
}

static long acquire(llmh_ratelimit *r, const llmh_limits *l, long tokens, long long now)
{
    return llmh_ratelimit_acquire(r, P, l, tokens, -1, now, NULL);
}

static void test_ratelimit_rpm_60_spaces_requests_a_second_apart(void)
{
    llmh_ratelimit *r = llmh_ratelimit_new();
    llmh_limits l = limits(60, 0, 1);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0), 1000);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0), 2000);
    /* The next slot is T0 + 3000, so 500 ms before it the wait is exact. */
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0 + 2500), 500);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0 + 10000), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0 + 10000), 1000);
    /* Providers are independent. */
    CU_ASSERT_EQUAL(llmh_ratelimit_acquire(r, "other", &l, 0, -1, T0 + 10000, NULL), 0);
    llmh_ratelimit_free(r);
}

static void test_ratelimit_burst_lets_that_many_through_at_once(void)
{
    llmh_ratelimit *r = llmh_ratelimit_new();
    llmh_limits l = limits(60, 0, 3);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0), 1000);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0), 2000);
    /* After three idle seconds the burst is back. */
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0 + 6000), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0 + 6000), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0 + 6000), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0 + 6000), 1000);
    llmh_ratelimit_free(r);
}

static void test_ratelimit_wait_beyond_max_wait_reserves_nothing(void)
{
    llmh_ratelimit *r = llmh_ratelimit_new();
    llmh_limits l = limits(60, 0, 1);
    long would = -5;
    CU_ASSERT_EQUAL(llmh_ratelimit_acquire(r, P, &l, 0, 1500, T0, &would), 0);
    CU_ASSERT_EQUAL(would, 0);
    CU_ASSERT_EQUAL(llmh_ratelimit_acquire(r, P, &l, 0, 1500, T0, &would), 1000);
    CU_ASSERT_EQUAL(llmh_ratelimit_acquire(r, P, &l, 0, 1500, T0, &would), -1);
    CU_ASSERT_EQUAL(would, 2000);
    CU_ASSERT_EQUAL(llmh_ratelimit_acquire(r, P, &l, 0, 1500, T0, &would), -1);
    CU_ASSERT_EQUAL(would, 2000);
    /* The refusals took no slot: the next patient caller gets 2000, not 4000. */
    CU_ASSERT_EQUAL(llmh_ratelimit_acquire(r, P, &l, 0, 2000, T0, &would), 2000);
    /* max_wait 0: only an immediate start. */
    CU_ASSERT_EQUAL(llmh_ratelimit_acquire(r, P, &l, 0, 0, T0 + 3000, &would), 0);
    CU_ASSERT_EQUAL(llmh_ratelimit_acquire(r, P, &l, 0, 0, T0 + 3000, &would), -1);
    CU_ASSERT_EQUAL(would, 1000);
    llmh_ratelimit_free(r);
}

static void test_ratelimit_tpm_blocks_a_big_request_until_refill(void)
{
    llmh_ratelimit *r = llmh_ratelimit_new();
    llmh_limits l = limits(0, 1000, 1);
    CU_ASSERT_EQUAL(acquire(r, &l, 600, T0), 0);
    /* 400 left; 200 more refill in 200 * 60 ms. */
    CU_ASSERT_EQUAL(acquire(r, &l, 600, T0), 12000);
    /* That left a full minute of debt at T0 + 12000: one token takes 60 ms. */
    CU_ASSERT_EQUAL(acquire(r, &l, 1, T0 + 12000), 60);
    llmh_ratelimit_free(r);
}

static void test_ratelimit_request_larger_than_the_bucket_waits_for_a_full_one(void)
{
    llmh_ratelimit *r = llmh_ratelimit_new();
    llmh_limits l = limits(0, 1000, 1);
    CU_ASSERT_EQUAL(acquire(r, &l, 500, T0), 0);
    /* Half the bucket refills in 30 s; then 5000 goes through and leaves a
     * debt of 4000 tokens (four minutes), then one more minute for a token. */
    CU_ASSERT_EQUAL(acquire(r, &l, 5000, T0), 30000);
    CU_ASSERT_EQUAL(acquire(r, &l, 1, T0), 30000 + 300000 - 59940);
    /* On a fresh provider it goes at once. */
    CU_ASSERT_EQUAL(llmh_ratelimit_acquire(r, "fresh", &l, 5000, -1, T0, NULL), 0);
    llmh_ratelimit_free(r);
}

static void test_ratelimit_settle_corrects_the_token_bucket(void)
{
    llmh_ratelimit *r = llmh_ratelimit_new();
    llmh_limits l = limits(0, 1000, 1);
    /* Estimated 1000, used 100: 900 go back. */
    CU_ASSERT_EQUAL(acquire(r, &l, 1000, T0), 0);
    llmh_ratelimit_settle(r, P, &l, 1000, 100, T0);
    CU_ASSERT_EQUAL(acquire(r, &l, 100, T0), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 900, T0), 6000);
    llmh_ratelimit_free(r);

    /* Estimated 100, used 700: 600 more are taken. */
    r = llmh_ratelimit_new();
    CU_ASSERT_EQUAL(acquire(r, &l, 100, T0), 0);
    llmh_ratelimit_settle(r, P, &l, 100, 700, T0);
    CU_ASSERT_EQUAL(acquire(r, &l, 1000, T0), 42000);
    llmh_ratelimit_free(r);

    /* Extra tokens reported after the bucket refilled are taken from then on. */
    r = llmh_ratelimit_new();
    CU_ASSERT_EQUAL(acquire(r, &l, 100, T0), 0);
    llmh_ratelimit_settle(r, P, &l, 100, 700, T0 + 100000);
    CU_ASSERT_EQUAL(acquire(r, &l, 1000, T0 + 100000), 36000);
    llmh_ratelimit_free(r);

    /* Unreported usage changes nothing; a refund never overfills. */
    r = llmh_ratelimit_new();
    CU_ASSERT_EQUAL(acquire(r, &l, 100, T0), 0);
    llmh_ratelimit_settle(r, P, &l, 100, -1, T0);
    CU_ASSERT_EQUAL(acquire(r, &l, 1000, T0), 6000);
    llmh_ratelimit_settle(r, P, &l, 1000, 0, T0 + 6000);
    llmh_ratelimit_settle(r, P, &l, 5000, 0, T0 + 6000);
    CU_ASSERT_EQUAL(acquire(r, &l, 1000, T0 + 6000), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 1, T0 + 6000), 60);
    llmh_ratelimit_free(r);
}

static void test_ratelimit_rpm_and_tpm_together_take_the_later_start(void)
{
    llmh_ratelimit *r = llmh_ratelimit_new();
    llmh_limits l = limits(60, 1000, 1);
    CU_ASSERT_EQUAL(acquire(r, &l, 600, T0), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 600, T0), 12000); /* tokens decide */
    CU_ASSERT_EQUAL(acquire(r, &l, 1, T0), 13000);   /* requests decide */
    llmh_ratelimit_free(r);
}

static void test_ratelimit_rates_that_do_not_divide_a_minute_do_not_drift(void)
{
    llmh_ratelimit *r = llmh_ratelimit_new();
    llmh_limits l = limits(7, 0, 1);
    long w[15];
    for (int i = 0; i < 15; i++)
        w[i] = acquire(r, &l, 0, T0);
    CU_ASSERT_EQUAL(w[0], 0);
    CU_ASSERT_EQUAL(w[1], 8572);  /* ceil(60000 / 7) */
    CU_ASSERT_EQUAL(w[2], 17143); /* ceil(120000 / 7) */
    CU_ASSERT_EQUAL(w[7], 60000);
    CU_ASSERT_EQUAL(w[14], 120000);
    llmh_ratelimit_free(r);
}

static void test_ratelimit_no_limits_never_wait(void)
{
    llmh_ratelimit *r = llmh_ratelimit_new();
    llmh_limits l = limits(0, 0, 1);
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_EQUAL_FATAL(acquire(r, &l, 100000, T0), 0);
    /* A limit switched on later starts from a full bucket. */
    l.rpm = 60;
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0), 0);
    CU_ASSERT_EQUAL(acquire(r, &l, 0, T0), 1000);
    llmh_ratelimit_free(r);
}

/* ---- threads ---- */

enum { THREADS = 8 };

typedef struct worker {
    llmh_ratelimit *r;
    const llmh_limits *l;
    pthread_barrier_t *start;
    int real_clock, n;
    long long *starts;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(w->start);
    for (int i = 0; i < w->n; i++) {
        long long now = w->real_clock ? llmh_now_ms() : T0;
        long wait = llmh_ratelimit_acquire(w->r, P, w->l, 10, -1, now, NULL);
        w->starts[i] = wait < 0 ? -1 : now + wait;
    }
    return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* THREADS threads make per_thread acquires each at rpm 6000 (a slot every
 * 10 ms); returns every start time (now + wait), sorted, malloc'd. */
static long long *run_workers(int real_clock, int per_thread)
{
    llmh_ratelimit *r = llmh_ratelimit_new();
    llmh_limits l = limits(6000, 0, 1);
    pthread_barrier_t start;
    pthread_t th[THREADS];
    worker w[THREADS];
    long long *all = llmh_xmalloc(sizeof *all * THREADS * per_thread);
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){r, &l, &start, real_clock, per_thread, all + (size_t)i * per_thread};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    llmh_ratelimit_free(r);
    qsort(all, (size_t)THREADS * per_thread, sizeof *all, cmp_ll);
    return all;
}

/* 1 when the sorted starts are exactly T0, T0 + 10, T0 + 20, ... */
static int successive_slots(const long long *all, int n)
{
    for (int i = 0; i < n; i++) {
        if (all[i] != T0 + 10LL * i) {
            fprintf(stderr, "\nstart %d is %lld, want %lld\n", i, all[i], T0 + 10LL * i);
            return 0;
        }
    }
    return 1;
}

static void test_ratelimit_concurrent_threads_get_successive_slots(void)
{
    long long *all = run_workers(0, 50);
    CU_ASSERT(successive_slots(all, THREADS * 50));
    free(all);
}

/* Enough contention that a missing lock shows even without a sanitizer. */
static void test_ratelimit_heavy_contention_never_shares_a_slot(void)
{
    long long *all = run_workers(0, 20000);
    CU_ASSERT(successive_slots(all, THREADS * 20000));
    free(all);
}

static void test_ratelimit_concurrent_threads_on_the_real_clock_never_overlap(void)
{
    long long *all = run_workers(1, 50);
    int apart = all[0] >= 0;
    for (int i = 1; i < THREADS * 50; i++)
        apart &= all[i] - all[i - 1] >= 10;
    CU_ASSERT(apart);
    free(all);
}

/* ---- estimate and settings ---- */

static void test_ratelimit_estimate_is_a_quarter_of_the_bytes_plus_max_tokens(void)
{
    CU_ASSERT_EQUAL(llmh_ratelimit_estimate(400, 100), 200);
    CU_ASSERT_EQUAL(llmh_ratelimit_estimate(401, 0), 101);
    CU_ASSERT_EQUAL(llmh_ratelimit_estimate(3, -1), 1);
    CU_ASSERT_EQUAL(llmh_ratelimit_estimate(0, -1), 0);
}

static void test_ratelimit_limits_from_settings(void)
{
    llmh_settings *s = llmh_settings_new();
    llmh_limits l;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    g_log[0] = '\0';
    g_log_lines = 0;
    llmh_limits_from_settings(s, P, &l);
    CU_ASSERT_EQUAL(l.rpm, 0);
    CU_ASSERT_EQUAL(l.tpm, 0);
    CU_ASSERT_EQUAL(l.rpm_burst, 1);
    llmh_settings_set(s, "llm." P ".rpm", "60", LLMH_SRC_CLI);
    llmh_settings_set(s, "llm." P ".tpm", "90000", LLMH_SRC_CLI);
    llmh_settings_set(s, "llm." P ".rpm_burst", "3", LLMH_SRC_CLI);
    llmh_limits_from_settings(s, P, &l);
    CU_ASSERT_EQUAL(l.rpm, 60);
    CU_ASSERT_EQUAL(l.tpm, 90000);
    CU_ASSERT_EQUAL(l.rpm_burst, 3);
    CU_ASSERT_EQUAL(g_log_lines, 0);
    /* Not a number: the default, with the settings module's message; out of
     * range: clamped with its warning. */
    llmh_settings_set(s, "llm." P ".rpm", "fast", LLMH_SRC_CLI);
    llmh_settings_set(s, "llm." P ".rpm_burst", "0", LLMH_SRC_CLI);
    llmh_limits_from_settings(s, P, &l);
    CU_ASSERT_EQUAL(l.rpm, 0);
    CU_ASSERT_EQUAL(l.rpm_burst, 1);
    CU_ASSERT_EQUAL(g_log_lines, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "llm." P ".rpm:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "llm." P ".rpm_burst"));
    llmh_limits_from_settings(s, NULL, &l);
    CU_ASSERT_EQUAL(l.rpm, 0);
    CU_ASSERT_EQUAL(l.rpm_burst, 1);
    llmh_settings_free(s);
}

int llmh_test_register_ratelimit(void)
{
    static const llmh_test tests[] = {
        {"test_ratelimit_rpm_60_spaces_requests_a_second_apart",
         test_ratelimit_rpm_60_spaces_requests_a_second_apart},
        {"test_ratelimit_burst_lets_that_many_through_at_once",
         test_ratelimit_burst_lets_that_many_through_at_once},
        {"test_ratelimit_wait_beyond_max_wait_reserves_nothing",
         test_ratelimit_wait_beyond_max_wait_reserves_nothing},
        {"test_ratelimit_tpm_blocks_a_big_request_until_refill",
         test_ratelimit_tpm_blocks_a_big_request_until_refill},
        {"test_ratelimit_request_larger_than_the_bucket_waits_for_a_full_one",
         test_ratelimit_request_larger_than_the_bucket_waits_for_a_full_one},
        {"test_ratelimit_settle_corrects_the_token_bucket",
         test_ratelimit_settle_corrects_the_token_bucket},
        {"test_ratelimit_rpm_and_tpm_together_take_the_later_start",
         test_ratelimit_rpm_and_tpm_together_take_the_later_start},
        {"test_ratelimit_rates_that_do_not_divide_a_minute_do_not_drift",
         test_ratelimit_rates_that_do_not_divide_a_minute_do_not_drift},
        {"test_ratelimit_no_limits_never_wait", test_ratelimit_no_limits_never_wait},
        {"test_ratelimit_concurrent_threads_get_successive_slots",
         test_ratelimit_concurrent_threads_get_successive_slots},
        {"test_ratelimit_heavy_contention_never_shares_a_slot",
         test_ratelimit_heavy_contention_never_shares_a_slot},
        {"test_ratelimit_concurrent_threads_on_the_real_clock_never_overlap",
         test_ratelimit_concurrent_threads_on_the_real_clock_never_overlap},
        {"test_ratelimit_estimate_is_a_quarter_of_the_bytes_plus_max_tokens",
         test_ratelimit_estimate_is_a_quarter_of_the_bytes_plus_max_tokens},
        {"test_ratelimit_limits_from_settings", test_ratelimit_limits_from_settings},
    };
    return llmh_test_suite("ratelimit", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]);
}
