/* ratelimit.c: requests-per-minute and tokens-per-minute buckets per provider,
 * in the GCRA virtual-scheduling form.
 *
 * A bucket of rate R per minute and capacity C units keeps a theoretical
 * arrival time TAT. A cost of u units starts at
 *     s = max(now, TAT - (C - min(u, C)) * 60000 / R)
 * and moves TAT to max(TAT, s) + u * 60000 / R. With C = rpm_burst and u = 1
 * that is the classic GCRA; with C = tpm it is a token bucket of tpm tokens
 * refilling tpm a minute, where a request larger than the bucket waits for a
 * full one instead of forever. TAT is held exactly as ms + rem / R, so rates
 * that do not divide a minute never drift. */
#include "ratelimit.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* Keeps u * 60000 and the sums of TATs far from overflow. */
#define MAX_UNITS 1000000000000LL
#define MAX_RATE 1000000000L

/* ms + rem / rate, with 0 <= rem < rate. */
typedef struct vtime {
    long long ms, rem;
} vtime;

typedef struct gcra {
    long rate; /* per minute; 0: this limit is off */
    vtime tat;
} gcra;

typedef struct provider {
    struct provider *next;
    char *name;
    gcra req, tok;
} provider;

struct llmh_ratelimit {
    pthread_mutex_t lock;
    provider *list;
};

/* ---- settings ---- */

static long limit_long(const llmh_settings *s, const char *provider_name, const char *name,
                       long def, long min, long max)
{
    char key[256];
    llmh_error err;
    long v = def;
    if ((size_t)snprintf(key, sizeof key, "llm.%s.%s", provider_name, name) >= sizeof key)
        return def;
    if (llmh_settings_get_long(s, key, def, min, max, &v, &err) != LLMH_OK)
        llmh_log(LLMH_LOG_WARN, "%s; using the default %ld", err.message, def);
    return v;
}

void llmh_limits_from_settings(const llmh_settings *s, const char *provider_name, llmh_limits *l)
{
    l->rpm = l->tpm = 0;
    l->rpm_burst = 1;
    if (!provider_name || !*provider_name)
        return;
    l->rpm = limit_long(s, provider_name, "rpm", 0, 0, MAX_RATE);
    l->tpm = limit_long(s, provider_name, "tpm", 0, 0, MAX_RATE);
    l->rpm_burst = limit_long(s, provider_name, "rpm_burst", 1, 1, 1000000);
}

long llmh_ratelimit_estimate(size_t text_bytes, long max_tokens)
{
    size_t t = text_bytes / 4 + (text_bytes % 4 != 0);
    long long n = t > (size_t)MAX_UNITS ? MAX_UNITS : (long long)t;
    if (max_tokens > 0)
        n += max_tokens;
    return n > LONG_MAX ? LONG_MAX : (long)n;
}

/* ---- exact time arithmetic ---- */

/* u units of a bucket of rate per minute, as time. */
static vtime units_time(long long u, long rate)
{
    if (u < 0)
        u = 0;
    if (u > MAX_UNITS)
        u = MAX_UNITS;
    long long t = u * 60000;
    vtime v = {t / rate, t % rate};
    return v;
}

static vtime vt_add(vtime a, vtime b, long rate)
{
    vtime v = {a.ms + b.ms, a.rem + b.rem};
    if (v.rem >= rate) {
        v.rem -= rate;
        v.ms++;
    }
    return v;
}

static vtime vt_sub(vtime a, vtime b, long rate)
{
    vtime v = {a.ms - b.ms, a.rem - b.rem};
    if (v.rem < 0) {
        v.rem += rate;
        v.ms--;
    }
    return v;
}

static long long vt_ceil(vtime v)
{
    return v.ms + (v.rem > 0);
}

/* Follows a change of rate in the settings: TAT rounded up to a whole ms is
 * exact in any rate. */
static void gcra_set_rate(gcra *g, long rate)
{
    if (rate > MAX_RATE)
        rate = MAX_RATE;
    if (g->rate == rate)
        return;
    g->tat.ms = vt_ceil(g->tat);
    g->tat.rem = 0;
    g->rate = rate;
}

static int vt_less(vtime a, vtime b)
{
    return a.ms < b.ms || (a.ms == b.ms && a.rem < b.rem);
}

/* The exact earliest start for u units of capacity cap. */
static vtime gcra_start(const gcra *g, long long cap, long long u, long long now_ms)
{
    vtime now = {now_ms, 0};
    if (g->rate <= 0)
        return now;
    long long slack = cap - (u < cap ? u : cap);
    vtime s = vt_sub(g->tat, units_time(slack, g->rate), g->rate);
    return vt_less(s, now) ? now : s;
}

/* Charges u units for a call starting at start_ms, the whole ms the caller
 * waits for. When this bucket set that start, its exact start is charged
 * instead, so rounding up to whole ms never accumulates. */
static void gcra_commit(gcra *g, long long u, vtime exact, long long start_ms)
{
    if (g->rate <= 0)
        return;
    vtime start = {start_ms, 0};
    if (vt_ceil(exact) == start_ms)
        start = exact;
    if (vt_less(g->tat, start))
        g->tat = start;
    g->tat = vt_add(g->tat, units_time(u, g->rate), g->rate);
}

/* ---- the set ---- */

llmh_ratelimit *llmh_ratelimit_new(void)
{
    llmh_ratelimit *r = llmh_xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void llmh_ratelimit_free(llmh_ratelimit *r)
{
    if (!r)
        return;
    provider *p = r->list;
    while (p) {
        provider *next = p->next;
        free(p->name);
        free(p);
        p = next;
    }
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Call with the lock held. */
static provider *find(llmh_ratelimit *r, const char *name, int create)
{
    for (provider *p = r->list; p; p = p->next)
        if (strcmp(p->name, name) == 0)
            return p;
    if (!create)
        return NULL;
    provider *p = llmh_xcalloc(1, sizeof *p);
    p->name = llmh_strdup(name);
    p->next = r->list;
    r->list = p;
    return p;
}

long llmh_ratelimit_acquire(llmh_ratelimit *r, const char *provider_name, const llmh_limits *l,
                            long est_tokens, long max_wait_ms, long long now_ms,
                            long *would_wait_ms)
{
    if (would_wait_ms)
        *would_wait_ms = 0;
    if (!r || !provider_name || !l || (l->rpm <= 0 && l->tpm <= 0))
        return 0;
    long long burst = l->rpm_burst > 0 ? l->rpm_burst : 1;
    long long tokens = est_tokens > 0 ? est_tokens : 0;

    pthread_mutex_lock(&r->lock);
    provider *p = find(r, provider_name, 1);
    gcra_set_rate(&p->req, l->rpm > 0 ? l->rpm : 0);
    gcra_set_rate(&p->tok, l->tpm > 0 ? l->tpm : 0);
    /* One start for both limits: the later of the two, and both are charged
     * at it, so neither bucket hands out a slot the other would refuse. */
    vtime er = gcra_start(&p->req, burst, 1, now_ms);
    vtime et = gcra_start(&p->tok, p->tok.rate, tokens, now_ms);
    long long s = vt_ceil(er) > vt_ceil(et) ? vt_ceil(er) : vt_ceil(et);
    long long wait = s - now_ms;
    long ret;
    if (max_wait_ms >= 0 && wait > max_wait_ms) {
        if (would_wait_ms)
            *would_wait_ms = wait > LONG_MAX ? LONG_MAX : (long)wait;
        ret = -1;
    } else {
        gcra_commit(&p->req, 1, er, s);
        gcra_commit(&p->tok, tokens, et, s);
        ret = wait > LONG_MAX ? LONG_MAX : (long)wait;
    }
    pthread_mutex_unlock(&r->lock);
    return ret;
}

void llmh_ratelimit_settle(llmh_ratelimit *r, const char *provider_name, const llmh_limits *l,
                           long est_tokens, long actual_tokens, long long now_ms)
{
    if (!r || !provider_name || !l || l->tpm <= 0 || actual_tokens < 0)
        return;
    long long delta = (long long)actual_tokens - (est_tokens > 0 ? est_tokens : 0);
    if (delta == 0)
        return;
    pthread_mutex_lock(&r->lock);
    provider *p = find(r, provider_name, 0);
    if (p) {
        gcra_set_rate(&p->tok, l->tpm);
        /* The bucket holds TAT - now of debt, never less than none: extra
         * tokens are taken now, unused ones are put back now, and a refund
         * cannot fill the bucket beyond its capacity. */
        gcra *g = &p->tok;
        vtime d = units_time(delta > 0 ? delta : -delta, g->rate);
        vtime now = {now_ms, 0};
        if (g->tat.ms < now_ms)
            g->tat = now;
        g->tat = delta > 0 ? vt_add(g->tat, d, g->rate) : vt_sub(g->tat, d, g->rate);
        if (g->tat.ms < now_ms)
            g->tat = now;
    }
    pthread_mutex_unlock(&r->lock);
}
