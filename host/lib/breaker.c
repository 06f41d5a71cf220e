/* breaker.c: circuit breakers per provider and base URL, their settings, and
 * the small JSON file that carries their state from one process to the next. */
#include "breaker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "util.h"

/* The rolling window is NBUCKETS buckets of window/NBUCKETS each: the window
 * seen at any moment spans between 9/10 and all of it, and memory stays fixed
 * however many calls go through. */
#define NBUCKETS 10
/* A trial that has not reported within max(cooldown, this) is presumed lost
 * (its caller crashed or forgot), so a breaker cannot stay half-open forever. */
#define TRIAL_LEASE_MIN_MS 60000LL
#define STATE_VERSION 1
#define STATE_MAX_BYTES (4L << 20)
#define KEY_MAX 4096

enum { ST_CLOSED, ST_OPEN, ST_TRIAL }; /* ST_OPEN past open_until reads as half-open */

typedef struct bucket {
    long long epoch; /* now_ms / width of the bucket's interval */
    int failures, requests;
} bucket;

typedef struct node {
    struct node *next;
    unsigned hash;
    char *key;
    int st;
    long long open_until;  /* ST_OPEN, ST_TRIAL: end of the cooldown */
    long long trial_until; /* ST_TRIAL: when the trial is presumed lost */
    int consecutive;
    long long width; /* bucket width in ms; 0 until the first record */
    bucket w[NBUCKETS];
} node;

struct llmh_breakers {
    pthread_mutex_t lock;
    node **slots;
    size_t nslots, n;
    unsigned long changes, saved_changes;
};

/* ---- settings ---- */

void llmh_breaker_config_defaults(llmh_breaker_config *c)
{
    c->failures = 5;
    c->failure_rate = 0.5;
    c->min_requests = 10;
    c->window_ms = 60000;
    c->cooldown_ms = 30000;
    c->enabled = 1;
}

/* key for breaker.<provider>.<name>, or NULL when there is no provider. */
static const char *provider_key(char *buf, size_t size, const char *provider, const char *name)
{
    if (!provider || !*provider)
        return NULL;
    if ((size_t)snprintf(buf, size, "breaker.%s.%s", provider, name) >= size)
        return NULL;
    return buf;
}

static long cfg_long(const llmh_settings *s, const char *provider, const char *name, long def,
                     long min, long max)
{
    char key[256];
    llmh_error err;
    long v = def;
    snprintf(key, sizeof key, "breaker.%s", name);
    if (llmh_settings_get_long(s, key, def, min, max, &v, &err) != LLMH_OK)
        llmh_log(LLMH_LOG_WARN, "%s; using the default %ld", err.message, def);
    /* The global value is the per-provider key's default, so a bad or unset
     * per-provider value falls back to it. */
    if (provider_key(key, sizeof key, provider, name) &&
        llmh_settings_get_long(s, key, v, min, max, &v, &err) != LLMH_OK)
        llmh_log(LLMH_LOG_WARN, "%s; using breaker.%s", err.message, name);
    return v;
}

static double cfg_double(const llmh_settings *s, const char *provider, const char *name, double def,
                         double min, double max)
{
    char key[256];
    llmh_error err;
    double v = def;
    snprintf(key, sizeof key, "breaker.%s", name);
    if (llmh_settings_get_double(s, key, def, min, max, &v, &err) != LLMH_OK)
        llmh_log(LLMH_LOG_WARN, "%s; using the default %g", err.message, def);
    if (provider_key(key, sizeof key, provider, name) &&
        llmh_settings_get_double(s, key, v, min, max, &v, &err) != LLMH_OK)
        llmh_log(LLMH_LOG_WARN, "%s; using breaker.%s", err.message, name);
    return v;
}

static int cfg_bool(const llmh_settings *s, const char *provider, const char *name, int def)
{
    char key[256];
    llmh_error err;
    int v = def;
    snprintf(key, sizeof key, "breaker.%s", name);
    if (llmh_settings_get_bool(s, key, def, &v, &err) != LLMH_OK)
        llmh_log(LLMH_LOG_WARN, "%s; using the default %s", err.message, def ? "true" : "false");
    if (provider_key(key, sizeof key, provider, name) &&
        llmh_settings_get_bool(s, key, v, &v, &err) != LLMH_OK)
        llmh_log(LLMH_LOG_WARN, "%s; using breaker.%s", err.message, name);
    return v;
}

void llmh_breaker_config_from_settings(const llmh_settings *s, const char *provider,
                                       llmh_breaker_config *c)
{
    llmh_breaker_config d;
    llmh_breaker_config_defaults(&d);
    c->failures = (int)cfg_long(s, provider, "failures", d.failures, 0, 1000000);
    c->failure_rate = cfg_double(s, provider, "failure_rate", d.failure_rate, 0, 1);
    c->min_requests = (int)cfg_long(s, provider, "min_requests", d.min_requests, 1, 1000000);
    /* Seconds, never negative, to the nearest ms. */
    c->window_ms =
        (long)(cfg_double(s, provider, "window", d.window_ms / 1000.0, 0.01, 86400) * 1000 + 0.5);
    c->cooldown_ms =
        (long)(cfg_double(s, provider, "cooldown", d.cooldown_ms / 1000.0, 0, 86400) * 1000 + 0.5);
    c->enabled = cfg_bool(s, provider, "enabled", d.enabled);
}

const char *llmh_breaker_state_name(llmh_breaker_state s)
{
    switch (s) {
    case LLMH_BREAKER_CLOSED: return "closed";
    case LLMH_BREAKER_OPEN: return "open";
    case LLMH_BREAKER_HALF_OPEN: return "half_open";
    }
    return "unknown";
}

/* ---- the set ---- */

llmh_breakers *llmh_breakers_new(void)
{
    llmh_breakers *b = llmh_xcalloc(1, sizeof *b);
    pthread_mutex_init(&b->lock, NULL);
    b->nslots = 16;
    b->slots = llmh_xcalloc(b->nslots, sizeof *b->slots);
    return b;
}

void llmh_breakers_free(llmh_breakers *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nslots; i++) {
        node *n = b->slots[i];
        while (n) {
            node *next = n->next;
            free(n->key);
            free(n);
            n = next;
        }
    }
    free(b->slots);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static unsigned hash_key(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static node *find(llmh_breakers *b, const char *key, unsigned h)
{
    for (node *n = b->slots[h & (b->nslots - 1)]; n; n = n->next)
        if (n->hash == h && strcmp(n->key, key) == 0)
            return n;
    return NULL;
}

static void clear_window(node *n)
{
    for (int i = 0; i < NBUCKETS; i++) {
        n->w[i].epoch = LLONG_MIN;
        n->w[i].failures = n->w[i].requests = 0;
    }
}

static void grow(llmh_breakers *b)
{
    size_t nslots = b->nslots * 2;
    node **slots = llmh_xcalloc(nslots, sizeof *slots);
    for (size_t i = 0; i < b->nslots; i++) {
        node *n = b->slots[i];
        while (n) {
            node *next = n->next;
            n->next = slots[n->hash & (nslots - 1)];
            slots[n->hash & (nslots - 1)] = n;
            n = next;
        }
    }
    free(b->slots);
    b->slots = slots;
    b->nslots = nslots;
}

/* The key's breaker, created closed on first use. Call with the lock held. */
static node *find_or_add(llmh_breakers *b, const char *key)
{
    unsigned h = hash_key(key);
    node *n = find(b, key, h);
    if (n)
        return n;
    if (b->n >= b->nslots)
        grow(b);
    n = llmh_xcalloc(1, sizeof *n);
    n->hash = h;
    n->key = llmh_strdup(key);
    n->st = ST_CLOSED;
    clear_window(n);
    n->next = b->slots[h & (b->nslots - 1)];
    b->slots[h & (b->nslots - 1)] = n;
    b->n++;
    return n;
}

/* ---- time and the window ---- */

static long long floor_div(long long a, long long d)
{
    long long q = a / d;
    if (a % d != 0 && (a < 0) != (d < 0))
        q--;
    return q;
}

static long clamp_ms(long long ms)
{
    if (ms < 0)
        return 0;
    return ms > LONG_MAX ? LONG_MAX : (long)ms;
}

static long long bucket_width(const llmh_breaker_config *c)
{
    long long w = c->window_ms / NBUCKETS;
    return w > 0 ? w : 1;
}

static void window_add(node *n, long long width, long long now_ms, int success)
{
    if (n->width != width) {
        clear_window(n);
        n->width = width;
    }
    long long e = floor_div(now_ms, width);
    bucket *k = &n->w[(size_t)(e - floor_div(e, NBUCKETS) * NBUCKETS)];
    if (k->epoch != e) {
        k->epoch = e;
        k->failures = k->requests = 0;
    }
    if (k->requests < INT_MAX) {
        k->requests++;
        k->failures += !success;
    }
}

static int in_window(const node *n, const bucket *k, long long now_ms)
{
    if (n->width <= 0 || k->requests == 0)
        return 0;
    long long e = floor_div(now_ms, n->width);
    return k->epoch <= e && k->epoch > e - NBUCKETS;
}

static void window_sum(const node *n, long long now_ms, int *failures, int *requests)
{
    long long f = 0, r = 0;
    for (int i = 0; i < NBUCKETS; i++) {
        if (in_window(n, &n->w[i], now_ms)) {
            f += n->w[i].failures;
            r += n->w[i].requests;
        }
    }
    *failures = f > INT_MAX ? INT_MAX : (int)f;
    *requests = r > INT_MAX ? INT_MAX : (int)r;
}

static int should_open(const node *n, const llmh_breaker_config *c, long long now_ms)
{
    if (c->failures > 0 && n->consecutive >= c->failures)
        return 1;
    if (c->failure_rate > 0) {
        int f, r;
        window_sum(n, now_ms, &f, &r);
        int min = c->min_requests > 0 ? c->min_requests : 1;
        /* A quotient, not f >= rate * r: 3/10 and 0.3 round to the same double,
         * 0.3 * 10 does not round to 3. */
        if (r >= min && (double)f / r >= c->failure_rate)
            return 1;
    }
    return 0;
}

static llmh_breaker_state public_state(const node *n, long long now_ms, long *retry_in_ms)
{
    long retry = 0;
    llmh_breaker_state st = LLMH_BREAKER_CLOSED;
    if (n->st == ST_TRIAL) {
        st = LLMH_BREAKER_HALF_OPEN;
    } else if (n->st == ST_OPEN) {
        if (now_ms < n->open_until) {
            st = LLMH_BREAKER_OPEN;
            retry = clamp_ms(n->open_until - now_ms);
        } else {
            st = LLMH_BREAKER_HALF_OPEN;
        }
    }
    if (retry_in_ms)
        *retry_in_ms = retry;
    return st;
}

/* ---- the hot path ---- */

int llmh_breaker_allow(llmh_breakers *b, const char *key, const llmh_breaker_config *c,
                       long long now_ms, long *retry_in_ms)
{
    long retry = 0;
    int ok = 1;
    if (b && key && c && c->enabled) {
        long long lease = c->cooldown_ms > TRIAL_LEASE_MIN_MS ? c->cooldown_ms : TRIAL_LEASE_MIN_MS;
        pthread_mutex_lock(&b->lock);
        node *n = find_or_add(b, key);
        switch (n->st) {
        case ST_OPEN:
            if (now_ms < n->open_until) {
                ok = 0;
                retry = clamp_ms(n->open_until - now_ms);
            } else {
                n->st = ST_TRIAL;
                n->trial_until = now_ms + lease;
                b->changes++;
            }
            break;
        case ST_TRIAL:
            if (now_ms < n->trial_until) {
                ok = 0;
                retry = clamp_ms(n->trial_until - now_ms);
            } else {
                n->trial_until = now_ms + lease;
                b->changes++;
            }
            break;
        default: break;
        }
        pthread_mutex_unlock(&b->lock);
    }
    if (retry_in_ms)
        *retry_in_ms = retry;
    return ok;
}

void llmh_breaker_record(llmh_breakers *b, const char *key, const llmh_breaker_config *c,
                         int success, long retry_after_ms, long long now_ms)
{
    if (!b || !key || !c || !c->enabled)
        return;
    long long cooldown = c->cooldown_ms > 0 ? c->cooldown_ms : 0;
    if (retry_after_ms > cooldown)
        cooldown = retry_after_ms;
    pthread_mutex_lock(&b->lock);
    node *n = find_or_add(b, key);
    int before_st = n->st, before_consecutive = n->consecutive;
    window_add(n, bucket_width(c), now_ms, success);
    if (success)
        n->consecutive = 0;
    else if (n->consecutive < INT_MAX)
        n->consecutive++;
    switch (n->st) {
    case ST_TRIAL:
        if (success) {
            n->st = ST_CLOSED;
            n->consecutive = 0;
            clear_window(n);
        } else {
            n->st = ST_OPEN;
            n->open_until = now_ms + cooldown;
        }
        break;
    case ST_CLOSED:
        if (!success && should_open(n, c, now_ms)) {
            n->st = ST_OPEN;
            n->open_until = now_ms + cooldown;
        }
        break;
    default: break; /* a straggler's report while open changes only the counts */
    }
    /* A success on a healthy breaker leaves nothing worth saving; not
     * counting it spares every CLI call a write of the state file. */
    int window_failures = 0, window_requests = 0;
    window_sum(n, now_ms, &window_failures, &window_requests);
    if (!success || before_st != n->st || before_consecutive != 0 || window_failures > 0)
        b->changes++;
    pthread_mutex_unlock(&b->lock);
}

llmh_breaker_state llmh_breaker_get(llmh_breakers *b, const char *key, long long now_ms,
                                    long *retry_in_ms)
{
    llmh_breaker_state st = LLMH_BREAKER_CLOSED;
    if (retry_in_ms)
        *retry_in_ms = 0;
    if (!b || !key)
        return st;
    pthread_mutex_lock(&b->lock);
    node *n = find(b, key, hash_key(key));
    if (n)
        st = public_state(n, now_ms, retry_in_ms);
    pthread_mutex_unlock(&b->lock);
    return st;
}

/* ---- visiting ---- */

typedef struct snap {
    const char *key; /* nodes live until llmh_breakers_free() */
    llmh_breaker_state st;
    int consecutive, failures, requests;
    long retry;
} snap;

static int snap_cmp(const void *a, const void *b)
{
    return strcmp(((const snap *)a)->key, ((const snap *)b)->key);
}

void llmh_breakers_foreach(llmh_breakers *b, long long now_ms,
                           void (*fn)(void *ud, const char *key, llmh_breaker_state st,
                                      int consecutive, int window_failures, int window_requests,
                                      long retry_in_ms),
                           void *ud)
{
    if (!b || !fn)
        return;
    pthread_mutex_lock(&b->lock);
    size_t count = 0;
    snap *v = llmh_xcalloc(b->n ? b->n : 1, sizeof *v);
    for (size_t i = 0; i < b->nslots; i++) {
        for (node *n = b->slots[i]; n; n = n->next) {
            snap *s = &v[count++];
            s->key = n->key;
            s->st = public_state(n, now_ms, &s->retry);
            s->consecutive = n->consecutive;
            window_sum(n, now_ms, &s->failures, &s->requests);
        }
    }
    pthread_mutex_unlock(&b->lock);
    qsort(v, count, sizeof *v, snap_cmp);
    for (size_t i = 0; i < count; i++)
        fn(ud, v[i].key, v[i].st, v[i].consecutive, v[i].failures, v[i].requests, v[i].retry);
    free(v);
}

int llmh_breakers_dirty(llmh_breakers *b)
{
    if (!b)
        return 0;
    pthread_mutex_lock(&b->lock);
    int dirty = b->changes != b->saved_changes;
    pthread_mutex_unlock(&b->lock);
    return dirty;
}

/* ---- the state file ----
 * {"version": 1, "saved_at": WALL_MS, "breakers": {"KEY": {"state": "open",
 *  "consecutive": 5, "open_until": WALL_MS, "bucket_ms": 6000,
 *  "buckets": [[START_WALL_MS, FAILURES, REQUESTS], ...]}, ...}}
 * Breakers with nothing to remember (closed, no failures, an empty window)
 * are left out so the file stays small. */

static long long wall_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_object *node_to_json(const node *n, long long now_mono, long long offset)
{
    int any_bucket = 0;
    for (int i = 0; i < NBUCKETS; i++)
        any_bucket |= in_window(n, &n->w[i], now_mono);
    if (n->st == ST_CLOSED && n->consecutive == 0 && !any_bucket)
        return NULL;
    json_object *o = json_object_new_object();
    json_object_object_add(
        o, "state",
        json_object_new_string(llmh_breaker_state_name(public_state(n, now_mono, NULL))));
    json_object_object_add(o, "consecutive", json_object_new_int(n->consecutive));
    if (n->st != ST_CLOSED)
        json_object_object_add(o, "open_until", json_object_new_int64(n->open_until + offset));
    if (any_bucket) {
        json_object *a = json_object_new_array();
        json_object_object_add(o, "bucket_ms", json_object_new_int64(n->width));
        /* Oldest first, for a reader. */
        long long cur = floor_div(now_mono, n->width);
        for (long long e = cur - NBUCKETS + 1; e <= cur; e++) {
            const bucket *b = &n->w[(size_t)(e - floor_div(e, NBUCKETS) * NBUCKETS)];
            if (b->epoch != e || !in_window(n, b, now_mono))
                continue;
            json_object *k = json_object_new_array();
            json_object_array_add(k, json_object_new_int64(b->epoch * n->width + offset));
            json_object_array_add(k, json_object_new_int(b->failures));
            json_object_array_add(k, json_object_new_int(b->requests));
            json_object_array_add(a, k);
        }
        json_object_object_add(o, "buckets", a);
    }
    return o;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int llmh_breakers_save_at(llmh_breakers *b, const char *path, long long now_mono_ms,
                          long long now_wall_ms)
{
    if (!b || !path)
        return -1;
    long long offset = now_wall_ms - now_mono_ms;
    json_object *root = json_object_new_object();
    json_object *all = json_object_new_object();
    json_object_object_add(root, "version", json_object_new_int(STATE_VERSION));
    json_object_object_add(root, "saved_at", json_object_new_int64(now_wall_ms));
    json_object_object_add(root, "breakers", all);
    pthread_mutex_lock(&b->lock);
    unsigned long changes = b->changes;
    for (size_t i = 0; i < b->nslots; i++) {
        for (node *n = b->slots[i]; n; n = n->next) {
            json_object *o = node_to_json(n, now_mono_ms, offset);
            if (o)
                json_object_object_add(all, n->key, o);
        }
    }
    pthread_mutex_unlock(&b->lock);
    const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);

    int rc = -1;
    char *dir = llmh_dirname(path);
    /* Unique per process and per save, so concurrent savers never share a file. */
    static unsigned long seq;
    char *tmp = llmh_sprintf("%s.tmp.%ld.%lu", path, (long)getpid(),
                             __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
    llmh_mkdir_p(dir, 0700);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        llmh_log(LLMH_LOG_WARN, "cannot save breaker state to %s: %s", tmp, strerror(errno));
    } else {
        int bad =
            write_all(fd, text, strlen(text)) != 0 || write_all(fd, "\n", 1) != 0 || fsync(fd) != 0;
        int err = errno;
        if (close(fd) != 0 && !bad) {
            bad = 1;
            err = errno;
        }
        if (!bad && rename(tmp, path) != 0) {
            bad = 1;
            err = errno;
        }
        if (bad) {
            llmh_log(LLMH_LOG_WARN, "cannot save breaker state to %s: %s", path, strerror(err));
            unlink(tmp);
        } else {
            rc = 0;
        }
    }
    if (rc == 0) {
        pthread_mutex_lock(&b->lock);
        b->saved_changes = changes;
        pthread_mutex_unlock(&b->lock);
    }
    free(tmp);
    free(dir);
    json_object_put(root);
    return rc;
}

int llmh_breakers_save(llmh_breakers *b, const char *path)
{
    return llmh_breakers_save_at(b, path, llmh_now_ms(), wall_now_ms());
}

/* One breaker parsed from the file, in monotonic time. */
typedef struct loaded {
    const char *key; /* borrowed from the parsed JSON */
    int st, consecutive;
    long long open_until, width;
    bucket w[NBUCKETS];
} loaded;

static int get_int64(json_object *o, const char *name, int required, long long min, long long max,
                     long long *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, name, &v))
        return !required;
    if (!json_object_is_type(v, json_type_int))
        return 0;
    long long x = json_object_get_int64(v);
    if (x < min || x > max)
        return 0;
    *out = x;
    return 1;
}

/* NULL on success, else why the entry is corrupt. */
static const char *parse_entry(const char *key, json_object *o, long long offset, loaded *l)
{
    json_object *v;
    long long x;
    memset(l, 0, sizeof *l);
    l->key = key;
    for (int i = 0; i < NBUCKETS; i++)
        l->w[i].epoch = LLONG_MIN;
    if (!*key || strlen(key) > KEY_MAX)
        return "a bad key";
    if (!json_object_is_type(o, json_type_object))
        return "an entry that is not an object";
    if (!json_object_object_get_ex(o, "state", &v) || !json_object_is_type(v, json_type_string))
        return "a missing state";
    const char *st = json_object_get_string(v);
    if (strcmp(st, "closed") == 0)
        l->st = ST_CLOSED;
    else if (strcmp(st, "open") == 0 || strcmp(st, "half_open") == 0)
        l->st = ST_OPEN;
    else
        return "an unknown state";
    if (!get_int64(o, "consecutive", 1, 0, INT_MAX, &x))
        return "a bad consecutive count";
    l->consecutive = (int)x;
    if (l->st == ST_OPEN) {
        /* Keep the arithmetic far from overflow whatever the file says. */
        if (!get_int64(o, "open_until", 1, -(1LL << 53), 1LL << 53, &x))
            return "a bad open_until";
        l->open_until = x - offset;
    }
    if (!json_object_object_get_ex(o, "buckets", &v))
        return NULL;
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > NBUCKETS)
        return "bad buckets";
    if (!get_int64(o, "bucket_ms", 1, 1, 86400000LL, &l->width))
        return "a bad bucket_ms";
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_object *k = json_object_array_get_idx(v, i);
        long long t[3];
        if (!json_object_is_type(k, json_type_array) || json_object_array_length(k) != 3)
            return "a bad bucket";
        for (size_t j = 0; j < 3; j++) {
            json_object *e = json_object_array_get_idx(k, j);
            if (!json_object_is_type(e, json_type_int))
                return "a bad bucket";
            t[j] = json_object_get_int64(e);
        }
        if (t[0] < -(1LL << 53) || t[0] > (1LL << 53) || t[1] < 0 || t[2] < 0 || t[1] > t[2] ||
            t[2] > INT_MAX)
            return "a bad bucket";
        long long e = floor_div(t[0] - offset, l->width);
        bucket *slot = &l->w[(size_t)(e - floor_div(e, NBUCKETS) * NBUCKETS)];
        slot->epoch = e;
        slot->failures = (int)t[1];
        slot->requests = (int)t[2];
    }
    return NULL;
}

/* The whole file, NUL-terminated, or NULL with errno (EFBIG when too large). */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    llmh_buf buf = {0};
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf.len + got > STATE_MAX_BYTES) {
            llmh_buf_free(&buf);
            fclose(f);
            errno = EFBIG;
            return NULL;
        }
        llmh_buf_append(&buf, chunk, got);
    }
    int bad = ferror(f);
    int err = errno;
    fclose(f);
    if (bad) {
        llmh_buf_free(&buf);
        errno = err ? err : EIO;
        return NULL;
    }
    if (!buf.data)
        llmh_buf_append(&buf, "", 0);
    *len = buf.len;
    return buf.data;
}

static int corrupt(const char *path, const char *why)
{
    llmh_log(LLMH_LOG_WARN, "breaker state %s is corrupt (%s); starting with fresh breakers", path,
             why);
    return -1;
}

int llmh_breakers_load_at(llmh_breakers *b, const char *path, long long now_mono_ms,
                          long long now_wall_ms)
{
    if (!b || !path)
        return -1;
    size_t len = 0;
    char *text = read_file(path, &len);
    if (!text) {
        if (errno == ENOENT)
            return 0;
        if (errno == EFBIG)
            return corrupt(path, "larger than 4 MiB");
        llmh_log(LLMH_LOG_WARN, "cannot read breaker state %s: %s; starting with fresh breakers",
                 path, strerror(errno));
        return -1;
    }
    json_tokener *tok = json_tokener_new();
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    while (root && end < len && strchr(" \t\r\n", text[end]))
        end++;
    const char *why = NULL;
    json_object *all = NULL;
    long long version = 0;
    if (!root || jerr != json_tokener_success || end != len)
        why = jerr == json_tokener_continue || jerr == json_tokener_success
                  ? "truncated or trailing data"
                  : json_tokener_error_desc(jerr);
    else if (!json_object_is_type(root, json_type_object))
        why = "not a JSON object";
    else if (!get_int64(root, "version", 1, 0, INT_MAX, &version))
        why = "no version";
    else if (version != STATE_VERSION)
        why = "an unsupported version";
    else if (!json_object_object_get_ex(root, "breakers", &all) ||
             !json_object_is_type(all, json_type_object))
        why = "no breakers object";
    free(text);
    if (why) {
        json_object_put(root);
        return corrupt(path, why);
    }

    /* Parse everything first, so that a bad entry leaves b untouched. */
    long long offset = now_wall_ms - now_mono_ms;
    size_t count = (size_t)json_object_object_length(all), i = 0;
    loaded *ls = llmh_xcalloc(count ? count : 1, sizeof *ls);
    json_object_object_foreach(all, key, entry)
    {
        why = parse_entry(key, entry, offset, &ls[i++]);
        if (why)
            break;
    }
    if (why) {
        free(ls);
        json_object_put(root);
        return corrupt(path, why);
    }

    pthread_mutex_lock(&b->lock);
    for (i = 0; i < count; i++) {
        node *n = find_or_add(b, ls[i].key);
        n->st = ls[i].st;
        n->consecutive = ls[i].consecutive;
        n->open_until = ls[i].open_until;
        n->trial_until = 0;
        n->width = ls[i].width;
        memcpy(n->w, ls[i].w, sizeof n->w);
    }
    b->saved_changes = b->changes;
    pthread_mutex_unlock(&b->lock);
    free(ls);
    json_object_put(root);
    return 0;
}

int llmh_breakers_load(llmh_breakers *b, const char *path)
{
    return llmh_breakers_load_at(b, path, llmh_now_ms(), wall_now_ms());
}
