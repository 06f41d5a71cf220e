/* cache.c: the response cache. The memory tier is a chained hash table plus a
 * doubly linked LRU list, bounded in bytes. The persistent tier is one SQLite
 * table, entries(key, value, created, expires), times in wall-clock ms since
 * the epoch, expires 0 for never; value is the answer as a JSON object. Each
 * part has its own lock, so a memory hit never waits for SQLite. */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "sha256.h"
#include "util.h"

#define DEFAULT_TTL_S 86400L
#define DEFAULT_MEM_BYTES (64L * 1024 * 1024)
#define BUSY_TIMEOUT_MS 5000
#define SCHEMA_VERSION 1

enum { S_GET, S_PUT, S_DEL_EXPIRED_KEY, S_STATS, S_CLEAR, S_PRUNE, N_STMT };

static const char *const stmt_sql[N_STMT] = {
    "SELECT value, created, expires FROM entries WHERE key = ?1",
    "INSERT OR REPLACE INTO entries(key, value, created, expires) VALUES (?1, ?2, ?3, ?4)",
    /* The conditions again: another process may have refreshed the row since. */
    "DELETE FROM entries WHERE key = ?1 AND expires > 0 AND expires <= ?2",
    "SELECT count(*), coalesce(sum(expires > 0 AND expires <= ?1), 0),"
    " coalesce(sum(length(key) + length(value)), 0) FROM entries",
    "DELETE FROM entries",
    "DELETE FROM entries WHERE expires > 0 AND expires <= ?1",
};

enum { DB_CLOSED, DB_OPEN, DB_BROKEN };

struct mem_entry {
    struct mem_entry *chain;         /* next in the hash bucket */
    struct mem_entry *newer, *older; /* LRU list */
    uint64_t hash;
    size_t size;
    long long expires_ms; /* 0: never */
    const char *key;      /* points into text */
    llmh_cached a;        /* strings point into text */
    char text[];
};

struct flight {
    struct flight *next;
    char *key;
    int done, ok;
    int pending; /* followers that have not come back from wait yet */
    llmh_cached answer;
    pthread_cond_t cond;
};

struct llmh_cache {
    llmh_cache_mode mode;
    long ttl_s;
    size_t mem_limit;
    char *path;

    pthread_mutex_t mem_lock; /* the memory tier and the counters */
    struct mem_entry **buckets;
    size_t nbuckets, mem_count, mem_used;
    struct mem_entry *newest, *oldest;
    long hits, misses;

    pthread_mutex_t db_lock; /* everything SQLite */
    sqlite3 *db;
    int db_state;
    int warned;
    sqlite3_stmt *st[N_STMT];
    json_tokener *tok;
    char db_error[256];

    pthread_mutex_t flight_lock;
    struct flight *flights; /* oldest first */
};

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- configuration ---- */

static const char *const mode_names[] = {"off", "on", "read_only", "write_only"};

static int is_blank(const char *v)
{
    for (; v && *v; v++)
        if (*v != ' ' && *v != '\t' && *v != '\r' && *v != '\n')
            return 0;
    return 1;
}

/* Case-insensitive, surrounding blanks ignored, '-' taken for '_'. */
static int parse_mode(const char *v, llmh_cache_mode *out)
{
    char word[16];
    size_t n = 0;
    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v && *v != ' ' && *v != '\t'; v++) {
        if (n + 1 >= sizeof word)
            return 0;
        word[n++] = *v == '-' ? '_' : *v;
    }
    word[n] = '\0';
    if (!is_blank(v))
        return 0;
    for (int i = 0; i < 4; i++)
        if (strcasecmp(word, mode_names[i]) == 0) {
            *out = (llmh_cache_mode)i;
            return 1;
        }
    return 0;
}

/* key_buf gets llm.<provider>.<suffix> when that is set, else llm.<suffix>. */
static const char *pick_key(const llmh_settings *s, const char *provider, const char *suffix,
                            char *key_buf, size_t size)
{
    if (provider && *provider &&
        (size_t)snprintf(key_buf, size, "llm.%s.%s", provider, suffix) < size &&
        !is_blank(llmh_settings_get(s, key_buf, NULL)))
        return key_buf;
    snprintf(key_buf, size, "llm.%s", suffix);
    return key_buf;
}

static char *default_path(void)
{
    return llmh_xdg_path("XDG_CACHE_HOME", ".cache", "cache.sqlite");
}

llmh_status llmh_cache_config_from_settings(const llmh_settings *s, const char *provider,
                                            llmh_cache_config *c, llmh_error *err)
{
    char key[256], src[300];
    long ttl = DEFAULT_TTL_S, mem = DEFAULT_MEM_BYTES;
    llmh_status st;

    memset(c, 0, sizeof *c);
    c->ttl_s = DEFAULT_TTL_S;
    c->mem_bytes = (size_t)DEFAULT_MEM_BYTES;

    pick_key(s, provider, "cache", key, sizeof key);
    const char *v = llmh_settings_get(s, key, NULL);
    if (!is_blank(v) && !parse_mode(v, &c->mode)) {
        char shown[70];
        size_t n = strlen(v);
        snprintf(shown, sizeof shown, "%.60s%s", v, n > 60 ? "..." : "");
        llmh_settings_source_text(s, key, src, sizeof src);
        return llmh_error_set(err, LLMH_E_CONFIG, 0,
                              "%s: expected off, on, read_only or write_only, got \"%s\" "
                              "(from %s)",
                              key, shown, src);
    }

    pick_key(s, provider, "cache_ttl", key, sizeof key);
    /* INT_MAX seconds (68 years) keeps created + ttl far from overflow. */
    if ((st = llmh_settings_get_long(s, key, DEFAULT_TTL_S, 0, INT_MAX, &ttl, err)) != LLMH_OK)
        return st;
    if ((st = llmh_settings_get_long(s, "cache.memory_bytes", DEFAULT_MEM_BYTES, 0, LONG_MAX, &mem,
                                     err)) != LLMH_OK)
        return st;
    c->ttl_s = ttl;
    c->mem_bytes = (size_t)mem;

    const char *p = llmh_settings_get(s, "cache.path", NULL);
    const char *home = getenv("HOME");
    if (!is_blank(p) && p[0] == '~' && p[1] == '/' && home && *home)
        c->path = llmh_sprintf("%s%s", home, p + 1);
    else if (!is_blank(p))
        c->path = llmh_strdup(p);
    else
        c->path = default_path();
    if (!c->path && c->mode != LLMH_CACHE_OFF) {
        llmh_cache_config_clear(c);
        return llmh_error_set(err, LLMH_E_CONFIG, 0,
                              "cache.path: not set, and neither XDG_CACHE_HOME nor HOME is");
    }
    return LLMH_OK;
}

void llmh_cache_config_clear(llmh_cache_config *c)
{
    if (!c)
        return;
    free(c->path);
    memset(c, 0, sizeof *c);
}

/* ---- answers ---- */

void llmh_cached_clear(llmh_cached *a)
{
    if (!a)
        return;
    free(a->content);
    free(a->reasoning);
    free(a->model);
    memset(a, 0, sizeof *a);
}

static void cached_copy(llmh_cached *dst, const llmh_cached *src)
{
    *dst = *src;
    dst->content = llmh_strdup(src->content);
    dst->reasoning = llmh_strdup(src->reasoning);
    dst->model = llmh_strdup(src->model);
}

static const char *const finish_names[] = {"none",       "stop",           "length",
                                           "tool_calls", "content_filter", "other"};
#define N_FINISH (sizeof finish_names / sizeof finish_names[0])

static char *serialize(const llmh_cached *a, size_t *len)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "v", json_object_new_int(SCHEMA_VERSION));
    if (a->content)
        json_object_object_add(o, "content", json_object_new_string(a->content));
    if (a->reasoning)
        json_object_object_add(o, "reasoning", json_object_new_string(a->reasoning));
    if (a->model)
        json_object_object_add(o, "model", json_object_new_string(a->model));
    unsigned f = (unsigned)a->finish < N_FINISH ? (unsigned)a->finish : LLMH_FINISH_OTHER;
    json_object_object_add(o, "finish", json_object_new_string(finish_names[f]));
    json_object_object_add(o, "prompt_tokens", json_object_new_int64(a->usage.prompt_tokens));
    json_object_object_add(o, "completion_tokens",
                           json_object_new_int64(a->usage.completion_tokens));
    json_object_object_add(o, "created_ms", json_object_new_int64(a->created_ms));
    const char *text = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
    char *copy = text ? llmh_strndup(text, *len) : NULL;
    json_object_put(o);
    return copy;
}

static char *json_str(json_object *o, const char *name)
{
    json_object *v;
    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return llmh_strndup(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

static long long json_int(json_object *o, const char *name, long long def)
{
    json_object *v;
    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_int))
        return def;
    return json_object_get_int64(v);
}

/* 1 and *out filled, or 0 when the bytes are not an answer. */
static int deserialize(json_tokener *tok, const void *data, int len, llmh_cached *out)
{
    if (!data || len <= 0)
        return 0;
    json_tokener_reset(tok);
    json_object *o = json_tokener_parse_ex(tok, data, len);
    if (!o || json_tokener_get_error(tok) != json_tokener_success ||
        !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return 0;
    }
    memset(out, 0, sizeof *out);
    out->content = json_str(o, "content");
    out->reasoning = json_str(o, "reasoning");
    out->model = json_str(o, "model");
    out->finish = LLMH_FINISH_OTHER;
    json_object *f;
    if (json_object_object_get_ex(o, "finish", &f))
        for (unsigned i = 0; i < N_FINISH; i++)
            if (strcmp(json_object_get_string(f), finish_names[i]) == 0)
                out->finish = (llmh_finish)i;
    out->usage.prompt_tokens = (long)json_int(o, "prompt_tokens", -1);
    out->usage.completion_tokens = (long)json_int(o, "completion_tokens", -1);
    out->created_ms = json_int(o, "created_ms", 0);
    json_object_put(o);
    return 1;
}

/* ---- memory tier (callers hold mem_lock) ---- */

static uint64_t hash_key(const char *key)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 0x100000001b3ull;
    return h;
}

static struct mem_entry *mem_find(llmh_cache *c, const char *key, uint64_t h)
{
    if (!c->nbuckets)
        return NULL;
    for (struct mem_entry *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->chain)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void lru_unlink(llmh_cache *c, struct mem_entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push_newest(llmh_cache *c, struct mem_entry *e)
{
    e->newer = NULL;
    e->older = c->newest;
    if (c->newest)
        c->newest->newer = e;
    else
        c->oldest = e;
    c->newest = e;
}

/* Takes e out of the table and the list; the caller frees it. */
static void mem_remove(llmh_cache *c, struct mem_entry *e)
{
    struct mem_entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    lru_unlink(c, e);
    c->mem_count--;
    c->mem_used -= e->size;
}

static void mem_grow(llmh_cache *c)
{
    size_t n = c->nbuckets ? c->nbuckets * 2 : 64;
    struct mem_entry **b = llmh_xcalloc(n, sizeof *b);
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct mem_entry *e = c->buckets[i], *next;
        for (; e; e = next) {
            next = e->chain;
            e->chain = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

static void free_list(struct mem_entry *e)
{
    while (e) {
        struct mem_entry *next = e->chain;
        free(e);
        e = next;
    }
}

static size_t slen(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static char *place(char **cursor, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(*cursor, s, n);
    *cursor += n;
    return d;
}

/* Stores a copy of a, evicting the least recently used entries to fit. */
static void mem_insert(llmh_cache *c, const char *key, const llmh_cached *a, long long expires)
{
    size_t text = slen(key) + slen(a->content) + slen(a->reasoning) + slen(a->model);
    size_t size = sizeof(struct mem_entry) + text;
    struct mem_entry *e = NULL, *dead = NULL, *old;
    uint64_t h = hash_key(key);

    if (size <= c->mem_limit) {
        e = llmh_xmalloc(size);
        char *cursor = e->text;
        e->key = place(&cursor, key);
        e->a = *a;
        e->a.content = place(&cursor, a->content);
        e->a.reasoning = place(&cursor, a->reasoning);
        e->a.model = place(&cursor, a->model);
        e->hash = h;
        e->size = size;
        e->expires_ms = expires;
    }
    pthread_mutex_lock(&c->mem_lock);
    if ((old = mem_find(c, key, h)) != NULL) {
        mem_remove(c, old);
        old->chain = dead;
        dead = old;
    }
    if (e) {
        while (c->oldest && c->mem_used + size > c->mem_limit) {
            old = c->oldest;
            mem_remove(c, old);
            old->chain = dead;
            dead = old;
        }
        if (c->mem_count >= c->nbuckets)
            mem_grow(c);
        e->chain = c->buckets[h & (c->nbuckets - 1)];
        c->buckets[h & (c->nbuckets - 1)] = e;
        lru_push_newest(c, e);
        c->mem_count++;
        c->mem_used += size;
    }
    pthread_mutex_unlock(&c->mem_lock);
    free_list(dead);
}

/* Removes every entry (expired_before 0) or the expired ones; returns how many. */
static long mem_drop(llmh_cache *c, long long expired_before)
{
    struct mem_entry *dead = NULL, *e, *older;
    long n = 0;
    pthread_mutex_lock(&c->mem_lock);
    for (e = c->newest; e; e = older) {
        older = e->older;
        if (expired_before && !(e->expires_ms > 0 && e->expires_ms <= expired_before))
            continue;
        mem_remove(c, e);
        e->chain = dead;
        dead = e;
        n++;
    }
    pthread_mutex_unlock(&c->mem_lock);
    free_list(dead);
    return n;
}

/* ---- persistent tier (callers hold db_lock) ---- */

/* One warning per handle for run-time failures: a broken disk must not flood
 * the log with a line per request. */
static void db_warn(llmh_cache *c, const char *what, int rc)
{
    snprintf(c->db_error, sizeof c->db_error, "%s %s: %s", what, c->path,
             c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    if (c->warned)
        return;
    c->warned = 1;
    llmh_log(LLMH_LOG_WARN, "cache: %s (further cache errors are not reported)", c->db_error);
}

static void db_close(llmh_cache *c)
{
    for (int i = 0; i < N_STMT; i++) {
        sqlite3_finalize(c->st[i]);
        c->st[i] = NULL;
    }
    sqlite3_close(c->db);
    c->db = NULL;
}

static int is_corrupt_rc(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
}

enum { OPEN_OK, OPEN_CORRUPT, OPEN_FAILED, OPEN_NO_TABLE, OPEN_BUSY };

/* Opens the existing file at c->path, checks it, prepares the statements.
 * Leaves c->db NULL unless OPEN_OK; *why gets a reason on failure. */
static int db_open_file(llmh_cache *c, char *why, size_t size)
{
    int ro = c->mode == LLMH_CACHE_READ_ONLY;
    int flags = (ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(c->path, &c->db, flags, NULL);
    int result = OPEN_FAILED;
    sqlite3_stmt *q = NULL;

    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    if ((rc = sqlite3_prepare_v2(c->db, "PRAGMA quick_check(1)", -1, &q, NULL)) != SQLITE_OK)
        goto fail;
    if ((rc = sqlite3_step(q)) != SQLITE_ROW)
        goto fail;
    const char *verdict = (const char *)sqlite3_column_text(q, 0);
    if (!verdict || strcmp(verdict, "ok") != 0) {
        const char *skip = "*** in database main ***\n";
        if (verdict && strncmp(verdict, skip, strlen(skip)) == 0)
            verdict += strlen(skip);
        snprintf(why, size, "quick_check: %s", verdict ? verdict : "no answer");
        for (char *p = why; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' '; /* log lines are one line */
        result = OPEN_CORRUPT;
        goto out;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (!ro) {
        /* journal_mode is persistent, so read-only openers find WAL set. */
        rc = sqlite3_exec(c->db,
                          "PRAGMA journal_mode=WAL;"
                          "PRAGMA synchronous=NORMAL;"
                          "CREATE TABLE IF NOT EXISTS entries(key TEXT PRIMARY KEY, value BLOB,"
                          " created INTEGER, expires INTEGER);"
                          "CREATE INDEX IF NOT EXISTS entries_expires ON entries(expires);"
                          "PRAGMA user_version=" /* for later format changes */
                          "1;",
                          NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            goto fail;
    }
    for (int i = 0; i < N_STMT; i++) {
        /* A read-only opener cannot prepare writes; those stay NULL. */
        if (ro && (i == S_PUT || i == S_DEL_EXPIRED_KEY || i == S_CLEAR || i == S_PRUNE))
            continue;
        rc = sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL);
        if (rc != SQLITE_OK) {
            if (ro && strstr(sqlite3_errmsg(c->db), "no such table")) {
                result = OPEN_NO_TABLE; /* a writer has yet to create it */
                goto out;
            }
            goto fail;
        }
    }
    return OPEN_OK;
fail:
    snprintf(why, size, "%s", c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    if (is_corrupt_rc(rc))
        result = OPEN_CORRUPT;
    else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        result = OPEN_BUSY;
out:
    sqlite3_finalize(q);
    db_close(c);
    return result;
}

/* An empty file is a valid new database; creating it ourselves sets its mode
 * (SQLite gives the -wal and -shm files the same). */
static int create_file(llmh_cache *c)
{
    char *dir = llmh_dirname(c->path);
    int ok = llmh_mkdir_p(dir, 0700) == 0;
    if (!ok)
        snprintf(c->db_error, sizeof c->db_error, "cannot create directory %s: %s", dir,
                 strerror(errno));
    free(dir);
    if (ok) {
        int fd = open(c->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            snprintf(c->db_error, sizeof c->db_error, "cannot create %s: %s", c->path,
                     strerror(errno));
            ok = 0;
        } else {
            close(fd);
        }
    }
    return ok;
}

/* Renames the corrupt file (and any -wal, which must not be replayed into the
 * new file) to PATH.corrupt-<epoch>; 1 when the path is free again. */
static int quarantine(llmh_cache *c, const char *why)
{
    long long epoch = (long long)time(NULL);
    char *dest = llmh_sprintf("%s.corrupt-%lld", c->path, epoch);
    for (int n = 2; access(dest, F_OK) == 0 && n < 100; n++) {
        free(dest);
        dest = llmh_sprintf("%s.corrupt-%lld-%d", c->path, epoch, n);
    }
    int ok = 1;
    if (rename(c->path, dest) != 0) {
        /* ENOENT: another process moved it first. */
        if (errno != ENOENT) {
            snprintf(c->db_error, sizeof c->db_error, "cannot move corrupt %s to %s: %s", c->path,
                     dest, strerror(errno));
            ok = 0;
        }
    } else {
        char *from = llmh_sprintf("%s-wal", c->path), *to = llmh_sprintf("%s-wal", dest);
        rename(from, to);
        free(from);
        free(to);
        from = llmh_sprintf("%s-shm", c->path);
        unlink(from);
        free(from);
        llmh_log(LLMH_LOG_WARN,
                 "cache file %s is corrupt (%s); moved it to %s and started a new one", c->path,
                 why, dest);
    }
    free(dest);
    return ok;
}

/* 1 when the store is open. create: a missing file may be made. */
static int db_ready(llmh_cache *c, int create)
{
    char why[200];
    struct stat sb;

    if (c->db_state == DB_OPEN)
        return 1;
    if (c->db_state == DB_BROKEN || !c->path)
        return 0;
    if (stat(c->path, &sb) != 0) {
        if (!create)
            return 0; /* nothing stored yet */
        if (!create_file(c)) {
            llmh_log(LLMH_LOG_WARN, "cache: %s; answers are not kept on disk", c->db_error);
            c->warned = 1;
            c->db_state = DB_BROKEN;
            return 0;
        }
    }
    int r = db_open_file(c, why, sizeof why);
    if (r == OPEN_CORRUPT) {
        if (c->mode == LLMH_CACHE_READ_ONLY) {
            snprintf(c->db_error, sizeof c->db_error, "cache file %s is corrupt (%s)", c->path,
                     why);
            llmh_log(LLMH_LOG_WARN, "%s; not using it (read_only)", c->db_error);
            c->db_state = DB_BROKEN;
            return 0;
        }
        if (!quarantine(c, why) || !create_file(c)) {
            llmh_log(LLMH_LOG_WARN, "cache: %s", c->db_error);
            c->db_state = DB_BROKEN;
            return 0;
        }
        r = db_open_file(c, why, sizeof why);
    }
    if (r == OPEN_NO_TABLE)
        return 0;
    if (r == OPEN_BUSY) {
        /* Another process held the file past the busy timeout: try again later. */
        db_warn(c, "opening (busy)", SQLITE_BUSY);
        return 0;
    }
    if (r != OPEN_OK) {
        snprintf(c->db_error, sizeof c->db_error, "cannot open %s: %s", c->path, why);
        llmh_log(LLMH_LOG_WARN, "cache: %s; answers are not kept on disk", c->db_error);
        c->warned = 1;
        c->db_state = DB_BROKEN;
        return 0;
    }
    c->db_state = DB_OPEN;
    return 1;
}

/* After a failed step: warn once; a store found corrupt is left alone until
 * the next open moves it aside. */
static void db_failed(llmh_cache *c, const char *what, int rc)
{
    db_warn(c, what, rc);
    if (is_corrupt_rc(rc)) {
        db_close(c);
        c->db_state = DB_BROKEN;
    }
}

static int db_get(llmh_cache *c, const char *key, long long now, llmh_cached *out,
                  long long *expires)
{
    int hit = 0, expired = 0;
    pthread_mutex_lock(&c->db_lock);
    if (!db_ready(c, 0))
        goto out;
    sqlite3_stmt *q = c->st[S_GET];
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *expires = sqlite3_column_int64(q, 2);
        if (*expires > 0 && *expires <= now)
            expired = 1;
        else
            hit = deserialize(c->tok, sqlite3_column_blob(q, 0), sqlite3_column_bytes(q, 0), out);
    } else if (rc != SQLITE_DONE) {
        db_failed(c, "lookup in", rc);
    }
    if (c->db_state != DB_OPEN)
        goto out;
    sqlite3_reset(q);
    if (expired && c->st[S_DEL_EXPIRED_KEY]) {
        q = c->st[S_DEL_EXPIRED_KEY];
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, now);
        if ((rc = sqlite3_step(q)) != SQLITE_DONE)
            db_failed(c, "removing an expired entry from", rc);
        if (c->db_state == DB_OPEN)
            sqlite3_reset(q);
    }
out:
    pthread_mutex_unlock(&c->db_lock);
    return hit;
}

static void db_put(llmh_cache *c, const char *key, const llmh_cached *a, long long expires)
{
    size_t len = 0;
    char *value = serialize(a, &len);
    if (!value || len > INT_MAX) { /* SQLite binds at most INT_MAX bytes */
        free(value);
        return;
    }
    pthread_mutex_lock(&c->db_lock);
    if (db_ready(c, 1)) {
        sqlite3_stmt *q = c->st[S_PUT];
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_blob(q, 2, value, (int)len, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, a->created_ms);
        sqlite3_bind_int64(q, 4, expires);
        int rc = sqlite3_step(q);
        if (rc != SQLITE_DONE)
            db_failed(c, "storing into", rc);
        if (c->db_state == DB_OPEN) {
            sqlite3_reset(q);
            sqlite3_clear_bindings(q); /* value is freed below */
        }
    }
    pthread_mutex_unlock(&c->db_lock);
    free(value);
}

/* ---- the handle ---- */

llmh_cache *llmh_cache_open(const llmh_cache_config *cfg, llmh_error *err)
{
    if (!cfg || (unsigned)cfg->mode > LLMH_CACHE_WRITE_ONLY || cfg->ttl_s < 0) {
        llmh_error_set(err, LLMH_E_INVALID, 0, "cache: invalid configuration");
        return NULL;
    }
    llmh_cache *c = llmh_xcalloc(1, sizeof *c);
    c->mode = cfg->mode;
    c->ttl_s = cfg->ttl_s;
    c->mem_limit = cfg->mem_bytes;
    c->path = cfg->path && *cfg->path ? llmh_strdup(cfg->path) : NULL;
    pthread_mutex_init(&c->mem_lock, NULL);
    pthread_mutex_init(&c->db_lock, NULL);
    pthread_mutex_init(&c->flight_lock, NULL);
    c->tok = json_tokener_new();
    if (!c->tok) {
        llmh_cache_close(c);
        llmh_error_set(err, LLMH_E_NOMEM, 0, "cache: out of memory");
        return NULL;
    }
    return c;
}

static void flight_free(struct flight *f)
{
    pthread_cond_destroy(&f->cond);
    llmh_cached_clear(&f->answer);
    free(f->key);
    free(f);
}

void llmh_cache_close(llmh_cache *c)
{
    if (!c)
        return;
    db_close(c);
    mem_drop(c, 0);
    free(c->buckets);
    while (c->flights) {
        struct flight *f = c->flights;
        c->flights = f->next;
        flight_free(f);
    }
    if (c->tok)
        json_tokener_free(c->tok);
    pthread_mutex_destroy(&c->mem_lock);
    pthread_mutex_destroy(&c->db_lock);
    pthread_mutex_destroy(&c->flight_lock);
    free(c->path);
    free(c);
}

void llmh_cache_key(const char *canonical, size_t len, char out[65])
{
    llmh_sha256_hex(canonical, len, out);
}

int llmh_cache_get(llmh_cache *c, const char *key, llmh_cached *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!c || !key || !out || (c->mode != LLMH_CACHE_ON && c->mode != LLMH_CACHE_READ_ONLY))
        return 0;
    long long now = wall_ms(), expires = 0;
    uint64_t h = hash_key(key);
    struct mem_entry *e, *dead = NULL;
    int hit = 0;

    pthread_mutex_lock(&c->mem_lock);
    if ((e = mem_find(c, key, h)) != NULL) {
        if (e->expires_ms > 0 && e->expires_ms <= now) {
            mem_remove(c, e);
            dead = e;
        } else {
            lru_unlink(c, e);
            lru_push_newest(c, e);
            cached_copy(out, &e->a);
            c->hits++;
            hit = 1;
        }
    }
    pthread_mutex_unlock(&c->mem_lock);
    free(dead);
    if (hit)
        return 1;

    hit = c->path ? db_get(c, key, now, out, &expires) : 0;
    if (hit && c->mem_limit)
        mem_insert(c, key, out, expires);
    pthread_mutex_lock(&c->mem_lock);
    if (hit)
        c->hits++;
    else
        c->misses++;
    pthread_mutex_unlock(&c->mem_lock);
    return hit;
}

void llmh_cache_put(llmh_cache *c, const char *key, const llmh_cached *a)
{
    if (!c || !key || !a || (c->mode != LLMH_CACHE_ON && c->mode != LLMH_CACHE_WRITE_ONLY))
        return;
    long long now = wall_ms();
    llmh_cached stored = *a;
    if (stored.created_ms <= 0)
        stored.created_ms = now;
    long long expires = c->ttl_s > 0 ? stored.created_ms + c->ttl_s * 1000LL : 0;
    int live = expires == 0 || expires > now;
    if (c->mode == LLMH_CACHE_ON && c->mem_limit && live)
        mem_insert(c, key, &stored, expires);
    if (c->path)
        db_put(c, key, &stored, expires);
}

/* ---- single flight ---- */

static int flights_on(const llmh_cache *c)
{
    return c->mode == LLMH_CACHE_ON || c->mode == LLMH_CACHE_READ_ONLY;
}

int llmh_cache_flight_begin(llmh_cache *c, const char *key)
{
    if (!c || !key || !flights_on(c))
        return 1;
    pthread_mutex_lock(&c->flight_lock);
    struct flight **tail = &c->flights;
    for (struct flight *f = c->flights; f; f = f->next) {
        if (!f->done && strcmp(f->key, key) == 0) {
            f->pending++;
            pthread_mutex_unlock(&c->flight_lock);
            return 0;
        }
        tail = &f->next;
    }
    struct flight *f = llmh_xcalloc(1, sizeof *f);
    f->key = llmh_strdup(key);
    pthread_cond_init(&f->cond, NULL);
    *tail = f;
    pthread_mutex_unlock(&c->flight_lock);
    return 1;
}

static void flight_unlink(llmh_cache *c, struct flight *f)
{
    struct flight **pp = &c->flights;
    while (*pp != f)
        pp = &(*pp)->next;
    *pp = f->next;
}

int llmh_cache_flight_wait(llmh_cache *c, const char *key, llmh_cached *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!c || !key || !flights_on(c))
        return 0;
    pthread_mutex_lock(&c->flight_lock);
    /* Identical requests have interchangeable answers, so a follower may take
     * any flight of its key that still counts a follower: the counts add up. */
    struct flight *f = c->flights;
    while (f && !(f->pending > 0 && strcmp(f->key, key) == 0))
        f = f->next;
    if (!f) {
        pthread_mutex_unlock(&c->flight_lock);
        return 0;
    }
    while (!f->done)
        pthread_cond_wait(&f->cond, &c->flight_lock);
    int ok = f->ok;
    if (ok && out)
        cached_copy(out, &f->answer);
    if (--f->pending == 0)
        flight_unlink(c, f);
    else
        f = NULL;
    pthread_mutex_unlock(&c->flight_lock);
    if (f)
        flight_free(f);
    return ok;
}

void llmh_cache_flight_end(llmh_cache *c, const char *key, const llmh_cached *answer_or_null)
{
    if (!c || !key || !flights_on(c))
        return;
    pthread_mutex_lock(&c->flight_lock);
    struct flight *f = c->flights;
    while (f && !(!f->done && strcmp(f->key, key) == 0))
        f = f->next;
    if (!f) {
        pthread_mutex_unlock(&c->flight_lock);
        return;
    }
    f->done = 1;
    f->ok = answer_or_null != NULL;
    if (answer_or_null)
        cached_copy(&f->answer, answer_or_null);
    pthread_cond_broadcast(&f->cond);
    if (f->pending == 0)
        flight_unlink(c, f);
    else
        f = NULL;
    pthread_mutex_unlock(&c->flight_lock);
    if (f)
        flight_free(f);
}

/* ---- stats, clear, prune ---- */

static llmh_status db_unusable(llmh_cache *c, llmh_error *err)
{
    /* No file yet is an empty store; a file we cannot use is an error. */
    if (c->db_state != DB_BROKEN)
        return LLMH_OK;
    return llmh_error_set(err, LLMH_E_IO, 0, "cache: %s", c->db_error);
}

static llmh_status db_exec_delete(llmh_cache *c, int which, long long now, long *removed,
                                  llmh_error *err)
{
    sqlite3_stmt *q = c->st[which];
    if (which == S_PRUNE)
        sqlite3_bind_int64(q, 1, now);
    int rc = sqlite3_step(q);
    llmh_status st = LLMH_OK;
    if (rc == SQLITE_DONE) {
        *removed = (long)sqlite3_changes(c->db);
    } else {
        st = llmh_error_set(err, LLMH_E_IO, 0, "cache: cannot change %s: %s", c->path,
                            sqlite3_errmsg(c->db));
        db_failed(c, "changing", rc);
    }
    if (c->db_state == DB_OPEN)
        sqlite3_reset(q);
    return st;
}

llmh_status llmh_cache_stats_get(llmh_cache *c, llmh_cache_stats *st, llmh_error *err)
{
    if (st)
        memset(st, 0, sizeof *st);
    if (!c || !st)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "cache: no cache");
    pthread_mutex_lock(&c->mem_lock);
    st->hits = c->hits;
    st->misses = c->misses;
    st->mem_entries = (long)c->mem_count;
    st->mem_bytes = (long long)c->mem_used;
    pthread_mutex_unlock(&c->mem_lock);
    st->path = c->path;

    llmh_status r = LLMH_OK;
    pthread_mutex_lock(&c->db_lock);
    if (db_ready(c, 0)) {
        sqlite3_stmt *q = c->st[S_STATS];
        sqlite3_bind_int64(q, 1, wall_ms());
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            st->entries = (long)sqlite3_column_int64(q, 0);
            st->expired = (long)sqlite3_column_int64(q, 1);
            st->bytes = sqlite3_column_int64(q, 2);
        } else {
            r = llmh_error_set(err, LLMH_E_IO, 0, "cache: cannot read %s: %s", c->path,
                               sqlite3_errmsg(c->db));
            db_failed(c, "reading", rc);
        }
        if (c->db_state == DB_OPEN)
            sqlite3_reset(q);
    } else if (c->path) {
        r = db_unusable(c, err);
    }
    pthread_mutex_unlock(&c->db_lock);
    return r;
}

/* clear (expired_before 0) or prune. */
static llmh_status drop(llmh_cache *c, long long expired_before, long *removed, llmh_error *err)
{
    long n = 0;
    if (removed)
        *removed = 0;
    if (!c)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "cache: no cache");
    if (c->mode == LLMH_CACHE_READ_ONLY)
        return llmh_error_set(err, LLMH_E_INVALID, 0,
                              "cache: the cache is read_only (llm.cache); nothing removed");
    long mem = mem_drop(c, expired_before);
    if (!c->path) {
        if (removed)
            *removed = mem;
        return LLMH_OK;
    }
    llmh_status r = LLMH_OK;
    pthread_mutex_lock(&c->db_lock);
    if (db_ready(c, 0))
        r = db_exec_delete(c, expired_before ? S_PRUNE : S_CLEAR, expired_before, &n, err);
    else
        r = db_unusable(c, err);
    pthread_mutex_unlock(&c->db_lock);
    if (removed)
        *removed = n;
    return r;
}

llmh_status llmh_cache_clear(llmh_cache *c, long *removed, llmh_error *err)
{
    return drop(c, 0, removed, err);
}

llmh_status llmh_cache_prune(llmh_cache *c, long *removed, llmh_error *err)
{
    return drop(c, wall_ms(), removed, err);
}
