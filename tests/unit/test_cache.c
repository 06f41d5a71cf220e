/* test_cache.c: SHA-256 (host/lib/sha256.c) and the response cache
 * (host/lib/cache.c): both tiers, TTL, LRU bound, modes, persistence across
 * processes, corrupt-file recovery, single flight, stats/clear/prune. Every
 * file lives in a mkdtemp() folder; the real cache folder is never touched. */
#include "cache.h"

#include "log.h"
#include "sha256.h"

#include <CUnit/CUnit.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"

/* ---- fixtures: a temp root, captured warnings ---- */

static char g_root[64];
static int g_seq;

static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_log[8192];
static int g_log_lines;

static void capture_sink(void *ud, int level, const char *line)
{
    (void)ud;
    if (level > LLMH_LOG_WARN)
        return;
    pthread_mutex_lock(&g_log_lock);
    size_t n = strlen(g_log);
    snprintf(g_log + n, sizeof g_log - n, "%s\n", line);
    g_log_lines++;
    pthread_mutex_unlock(&g_log_lock);
}

static void log_capture(void)
{
    g_log[0] = '\0';
    g_log_lines = 0;
    llmh_log_set_sink(capture_sink, NULL);
}

static void log_restore(void)
{
    llmh_log_set_sink(NULL, NULL);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int suite_init(void)
{
    snprintf(g_root, sizeof g_root, "/tmp/llmh_cache_test_XXXXXX");
    return mkdtemp(g_root) ? 0 : -1;
}

static int suite_clean(void)
{
    log_restore();
    return nftw(g_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh folder under the root: a path to a cache file that does not exist
 * yet, malloc'd. */
static char *fresh_path(void)
{
    char dir[128], *p = malloc(160);
    snprintf(dir, sizeof dir, "%s/t%d", g_root, ++g_seq);
    mkdir(dir, 0700);
    snprintf(p, 160, "%s/sub/cache.sqlite", dir);
    return p;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static llmh_cache *open_cache(llmh_cache_mode mode, long ttl, size_t mem, const char *path)
{
    llmh_cache_config cfg = {mode, ttl, mem, (char *)path};
    llmh_error err;
    memset(&err, 0, sizeof err);
    llmh_cache *c = llmh_cache_open(&cfg, &err);
    if (!c)
        fprintf(stderr, "\nllmh_cache_open: %s\n", err.message);
    return c;
}

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static llmh_cached answer(const char *content, long long created_ms)
{
    llmh_cached a;
    memset(&a, 0, sizeof a);
    a.content = (char *)content;
    a.model = (char *)"m1";
    a.finish = LLMH_FINISH_STOP;
    a.usage.prompt_tokens = 3;
    a.usage.completion_tokens = 4;
    a.created_ms = created_ms;
    return a;
}

/* 1 when key hits with exactly this content. */
static int hits_with(llmh_cache *c, const char *key, const char *content)
{
    llmh_cached out;
    int hit = llmh_cache_get(c, key, &out);
    int ok = hit == 1 && out.content && strcmp(out.content, content) == 0;
    llmh_cached_clear(&out);
    return ok;
}

static int misses(llmh_cache *c, const char *key)
{
    llmh_cached out;
    int hit = llmh_cache_get(c, key, &out);
    int ok = hit == 0 && out.content == NULL && out.model == NULL;
    llmh_cached_clear(&out);
    return ok;
}

static long store_entries(llmh_cache *c)
{
    llmh_cache_stats st;
    llmh_error err;
    if (llmh_cache_stats_get(c, &st, &err) != LLMH_OK)
        return -1;
    return st.entries;
}

/* ---- SHA-256 ---- */

static int sha_is(const void *data, size_t len, const char *want)
{
    char hex[65];
    llmh_sha256_hex(data, len, hex);
    if (strcmp(hex, want) != 0)
        fprintf(stderr, "\nsha256 of %zu bytes = %s, want %s\n", len, hex, want);
    return strcmp(hex, want) == 0;
}

static void test_sha256_fips_180_vectors(void)
{
    CU_ASSERT(sha_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    CU_ASSERT(sha_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CU_ASSERT(sha_is(m448, strlen(m448),
                     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    CU_ASSERT(sha_is(m896, strlen(m896),
                     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    CU_ASSERT(sha_is(million, 1000000,
                     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    /* The same million fed incrementally in uneven pieces. */
    llmh_sha256_ctx ctx;
    unsigned char d[32], want[32];
    llmh_sha256(million, 1000000, want);
    llmh_sha256_init(&ctx);
    for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 997 + 1)
        llmh_sha256_update(&ctx, million + off, off + step > 1000000 ? 1000000 - off : step);
    llmh_sha256_final(&ctx, d);
    CU_ASSERT(memcmp(d, want, 32) == 0);
    free(million);
}

/* Lengths around the padding edges (55/56 bytes fit or spill the length
 * field); digests from coreutils sha256sum. */
static void test_sha256_padding_edges_one_shot_and_incremental(void)
{
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
        {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
    };
    char buf[128];
    memset(buf, 'a', sizeof buf);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        CU_ASSERT(sha_is(buf, v[i].n, v[i].hex));
        llmh_sha256_ctx ctx;
        unsigned char d[32];
        char hex[65];
        llmh_sha256_init(&ctx);
        for (size_t k = 0; k < v[i].n; k++)
            llmh_sha256_update(&ctx, buf + k, 1);
        llmh_sha256_update(&ctx, NULL, 0);
        llmh_sha256_final(&ctx, d);
        for (int j = 0; j < 32; j++)
            snprintf(hex + 2 * j, 3, "%02x", d[j]);
        CU_ASSERT_STRING_EQUAL(hex, v[i].hex);
    }
}

static void test_cache_key_is_sha256_hex_of_canonical_text(void)
{
    char key[65];
    llmh_cache_key("abc", 3, key);
    CU_ASSERT_STRING_EQUAL(key, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    char other[65];
    llmh_cache_key("abd", 3, other);
    CU_ASSERT(strcmp(key, other) != 0);
}

/* ---- configuration ---- */

static void test_cache_config_defaults_off_one_day_64mib_under_xdg_cache_home(void)
{
    char *old = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME")) : NULL;
    setenv("XDG_CACHE_HOME", "/nonexistent/xdg", 1);
    llmh_settings *s = llmh_settings_new();
    llmh_cache_config c;
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_cache_config_from_settings(s, "ollama", &c, &err), LLMH_OK);
    CU_ASSERT_EQUAL(c.mode, LLMH_CACHE_OFF);
    CU_ASSERT_EQUAL(c.ttl_s, 86400);
    CU_ASSERT_EQUAL(c.mem_bytes, (size_t)64 * 1024 * 1024);
    CU_ASSERT_STRING_EQUAL(c.path, "/nonexistent/xdg/llmhost/cache.sqlite");
    llmh_cache_config_clear(&c);
    CU_ASSERT_PTR_NULL(c.path);

    /* A relative XDG_CACHE_HOME is ignored, as the XDG spec says. */
    char *oldhome = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("XDG_CACHE_HOME", "relative", 1);
    setenv("HOME", "/nonexistent/home", 1);
    CU_ASSERT_EQUAL(llmh_cache_config_from_settings(s, NULL, &c, &err), LLMH_OK);
    CU_ASSERT_STRING_EQUAL(c.path, "/nonexistent/home/.cache/llmhost/cache.sqlite");
    llmh_cache_config_clear(&c);

    if (old)
        setenv("XDG_CACHE_HOME", old, 1);
    else
        unsetenv("XDG_CACHE_HOME");
    if (oldhome)
        setenv("HOME", oldhome, 1);
    free(old);
    free(oldhome);
    llmh_settings_free(s);
}

static void test_cache_config_provider_keys_override_globals(void)
{
    llmh_settings *s = llmh_settings_new();
    llmh_cache_config c;
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_settings_set(s, "llm.cache", "on", LLMH_SRC_CLI), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_set(s, "llm.cache_ttl", "60", LLMH_SRC_CLI), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_set(s, "llm.ollama.cache", "Read_Only", LLMH_SRC_CLI), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_set(s, "llm.ollama.cache_ttl", "0", LLMH_SRC_CLI), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_set(s, "cache.memory_bytes", "1000", LLMH_SRC_CLI), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_set(s, "cache.path", "/x/y.sqlite", LLMH_SRC_CLI), LLMH_OK);

    CU_ASSERT_EQUAL(llmh_cache_config_from_settings(s, "ollama", &c, &err), LLMH_OK);
    CU_ASSERT_EQUAL(c.mode, LLMH_CACHE_READ_ONLY);
    CU_ASSERT_EQUAL(c.ttl_s, 0);
    CU_ASSERT_EQUAL(c.mem_bytes, 1000);
    CU_ASSERT_STRING_EQUAL(c.path, "/x/y.sqlite");
    llmh_cache_config_clear(&c);

    CU_ASSERT_EQUAL(llmh_cache_config_from_settings(s, "anthropic", &c, &err), LLMH_OK);
    CU_ASSERT_EQUAL(c.mode, LLMH_CACHE_ON);
    CU_ASSERT_EQUAL(c.ttl_s, 60);
    llmh_cache_config_clear(&c);

    CU_ASSERT_EQUAL(llmh_settings_set(s, "llm.cache", "write-only", LLMH_SRC_CLI), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_cache_config_from_settings(s, NULL, &c, &err), LLMH_OK);
    CU_ASSERT_EQUAL(c.mode, LLMH_CACHE_WRITE_ONLY);
    llmh_cache_config_clear(&c);
    llmh_settings_free(s);
}

static void test_cache_config_bad_mode_is_config_error_naming_key_and_value(void)
{
    llmh_settings *s = llmh_settings_new();
    llmh_cache_config c;
    llmh_error err;
    memset(&err, 0, sizeof err);
    llmh_settings_set(s, "llm.cache", "sometimes", LLMH_SRC_CLI);
    CU_ASSERT_EQUAL(llmh_cache_config_from_settings(s, NULL, &c, &err), LLMH_E_CONFIG);
    CU_ASSERT_EQUAL(err.code, LLMH_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(
        err.message, "llm.cache: expected off, on, read_only or write_only, got \"sometimes\""));
    CU_ASSERT_PTR_NULL(c.path);

    llmh_settings_set(s, "llm.cache", "on", LLMH_SRC_CLI);
    llmh_settings_set(s, "llm.ollama.cache", "yes", LLMH_SRC_CLI);
    CU_ASSERT_EQUAL(llmh_cache_config_from_settings(s, "ollama", &c, &err), LLMH_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "llm.ollama.cache: expected"));

    llmh_settings_set(s, "llm.ollama.cache", NULL, LLMH_SRC_CLI);
    llmh_settings_set(s, "llm.cache_ttl", "a day", LLMH_SRC_CLI);
    CU_ASSERT_EQUAL(llmh_cache_config_from_settings(s, "ollama", &c, &err), LLMH_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "llm.cache_ttl"));
    llmh_settings_free(s);
}

/* ---- lookups, TTL, LRU ---- */

static void test_cache_miss_then_hit_round_trips_every_field(void)
{
    char *path = fresh_path();
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 3600, 1 << 20, path);
    char key[65];
    llmh_cache_key("req", 3, key);
    CU_ASSERT(misses(c, key));

    llmh_cached a = answer("héllo \"world\"\n\ttabs \\ / </script>", 0);
    a.reasoning = (char *)"thought";
    a.finish = LLMH_FINISH_TOOL_CALLS;
    a.usage.completion_tokens = -1;
    long long before = wall_ms();
    llmh_cache_put(c, key, &a);

    llmh_cached out;
    CU_ASSERT_EQUAL(llmh_cache_get(c, key, &out), 1);
    CU_ASSERT_STRING_EQUAL(out.content, a.content);
    CU_ASSERT_STRING_EQUAL(out.reasoning, "thought");
    CU_ASSERT_STRING_EQUAL(out.model, "m1");
    CU_ASSERT_EQUAL(out.finish, LLMH_FINISH_TOOL_CALLS);
    CU_ASSERT_EQUAL(out.usage.prompt_tokens, 3);
    CU_ASSERT_EQUAL(out.usage.completion_tokens, -1);
    CU_ASSERT(out.created_ms >= before && out.created_ms <= wall_ms());
    CU_ASSERT(out.content != a.content);
    llmh_cached_clear(&out);
    llmh_cache_close(c);

    /* The same through SQLite alone (a new handle has an empty memory tier). */
    c = open_cache(LLMH_CACHE_ON, 3600, 0, path);
    CU_ASSERT_EQUAL(llmh_cache_get(c, key, &out), 1);
    CU_ASSERT_STRING_EQUAL(out.content, a.content);
    CU_ASSERT_STRING_EQUAL(out.reasoning, "thought");
    CU_ASSERT_EQUAL(out.finish, LLMH_FINISH_TOOL_CALLS);
    CU_ASSERT_EQUAL(out.usage.prompt_tokens, 3);
    CU_ASSERT_EQUAL(out.usage.completion_tokens, -1);
    llmh_cached_clear(&out);
    llmh_cached b = answer("x", 0);
    b.model = NULL;
    llmh_cache_put(c, "k2", &b);
    CU_ASSERT_EQUAL(llmh_cache_get(c, "k2", &out), 1);
    CU_ASSERT_PTR_NULL(out.model);
    CU_ASSERT_PTR_NULL(out.reasoning);
    llmh_cached_clear(&out);
    llmh_cache_close(c);
    free(path);
}

/* Stored with a creation time in the past: expired in SQLite, so a miss
 * that also deletes the row. */
static void test_cache_expired_entry_is_a_miss_and_is_removed(void)
{
    char *path = fresh_path();
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 60, 1 << 20, path);
    llmh_cached old = answer("stale", wall_ms() - 61000), fresh = answer("fresh", 0);
    llmh_cache_put(c, "old", &old);
    llmh_cache_put(c, "new", &fresh);
    llmh_cache_stats st;
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_cache_stats_get(c, &st, &err), LLMH_OK);
    CU_ASSERT_EQUAL(st.entries, 2);
    CU_ASSERT_EQUAL(st.expired, 1);
    CU_ASSERT(misses(c, "old"));
    CU_ASSERT(hits_with(c, "new", "fresh"));
    CU_ASSERT_EQUAL(store_entries(c), 1);
    llmh_cache_close(c);
    free(path);
}

/* The memory tier expires too: created 0.5 s ago with a 1 s TTL, it hits, and
 * misses 0.6 s later. The only sleep of the suite. */
static void test_cache_memory_tier_entry_expires_after_ttl(void)
{
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 1, 1 << 20, NULL);
    llmh_cached a = answer("soon gone", wall_ms() - 500);
    llmh_cache_put(c, "k", &a);
    CU_ASSERT(hits_with(c, "k", "soon gone"));
    struct timespec ts = {0, 600 * 1000000L};
    nanosleep(&ts, NULL);
    CU_ASSERT(misses(c, "k"));
    llmh_cache_stats st;
    llmh_error err;
    llmh_cache_stats_get(c, &st, &err);
    CU_ASSERT_EQUAL(st.mem_entries, 0);
    CU_ASSERT_EQUAL(st.mem_bytes, 0);
    llmh_cache_close(c);
}

static void test_cache_ttl_zero_never_expires(void)
{
    char *path = fresh_path();
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 0, 1 << 20, path);
    llmh_cached a = answer("ancient", 1000); /* 1970 */
    llmh_cache_put(c, "k", &a);
    CU_ASSERT(hits_with(c, "k", "ancient"));
    llmh_cache_close(c);
    c = open_cache(LLMH_CACHE_ON, 0, 0, path);
    CU_ASSERT(hits_with(c, "k", "ancient"));
    llmh_cache_close(c);
    free(path);
}

static long long mem_bytes_of(llmh_cache *c, long *entries)
{
    llmh_cache_stats st;
    llmh_error err;
    llmh_cache_stats_get(c, &st, &err);
    if (entries)
        *entries = st.mem_entries;
    return st.mem_bytes;
}

/* Memory only (no path), so a memory miss is a real miss. */
static void test_cache_lru_evicts_least_recently_used_at_byte_bound(void)
{
    /* Measure one entry; all entries below have the same size. */
    llmh_cache *probe = open_cache(LLMH_CACHE_ON, 0, 1 << 20, NULL);
    llmh_cached a = answer("0123456789", 0);
    llmh_cache_put(probe, "A", &a);
    long long one = mem_bytes_of(probe, NULL);
    CU_ASSERT(one > 10);
    llmh_cache_close(probe);

    llmh_cache *c = open_cache(LLMH_CACHE_ON, 0, (size_t)(3 * one + one / 2), NULL);
    llmh_cache_put(c, "A", &a);
    llmh_cache_put(c, "B", &a);
    llmh_cache_put(c, "C", &a);
    long n;
    CU_ASSERT_EQUAL(mem_bytes_of(c, &n), 3 * one);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT(hits_with(c, "A", "0123456789")); /* A is now the most recent */
    llmh_cache_put(c, "D", &a);                 /* evicts B, the least recent */
    CU_ASSERT(misses(c, "B"));
    CU_ASSERT(hits_with(c, "A", "0123456789"));
    CU_ASSERT(hits_with(c, "C", "0123456789"));
    CU_ASSERT(hits_with(c, "D", "0123456789"));
    CU_ASSERT_EQUAL(mem_bytes_of(c, &n), 3 * one);
    CU_ASSERT_EQUAL(n, 3);

    /* Replacing a key keeps one entry for it. */
    llmh_cached b = answer("abcdefghij", 0);
    llmh_cache_put(c, "D", &b);
    CU_ASSERT(hits_with(c, "D", "abcdefghij"));
    CU_ASSERT_EQUAL(mem_bytes_of(c, &n), 3 * one);
    CU_ASSERT_EQUAL(n, 3);
    llmh_cache_close(c);
}

static void test_cache_entry_larger_than_memory_bound_is_not_kept(void)
{
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 0, 256, NULL);
    char big[1024];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    llmh_cached a = answer("small", 0), b = answer(big, 0);
    llmh_cache_put(c, "small", &a);
    llmh_cache_put(c, "big", &b);
    CU_ASSERT(misses(c, "big"));
    CU_ASSERT(hits_with(c, "small", "small")); /* nothing evicted for it */
    CU_ASSERT(mem_bytes_of(c, NULL) <= 256);
    llmh_cache_close(c);
}

static void test_cache_sqlite_hit_is_promoted_into_memory(void)
{
    char *path = fresh_path();
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 0, 1 << 20, path);
    llmh_cached a = answer("promoted", 0);
    llmh_cache_put(c, "k", &a);
    llmh_cache_close(c);

    c = open_cache(LLMH_CACHE_ON, 0, 1 << 20, path);
    long n;
    mem_bytes_of(c, &n);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT(hits_with(c, "k", "promoted"));
    mem_bytes_of(c, &n);
    CU_ASSERT_EQUAL(n, 1);
    /* Now served from memory even with the file gone. */
    unlink(path);
    CU_ASSERT(hits_with(c, "k", "promoted"));
    llmh_cache_close(c);
    free(path);
}

/* ---- persistence ---- */

/* A child process stores and is killed without closing; the parent, and a
 * handle that was already open, both see the entry. */
static void test_cache_persists_across_processes_and_a_killed_writer(void)
{
    char *path = fresh_path();
    llmh_cache *reader = open_cache(LLMH_CACHE_ON, 0, 1 << 20, path);
    CU_ASSERT(misses(reader, "k"));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        llmh_cache *w = open_cache(LLMH_CACHE_ON, 0, 1 << 20, path);
        llmh_cached a = answer("from the child", 0);
        llmh_cache_put(w, "k", &a);
        raise(SIGKILL);
        _exit(3);
    }
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CU_ASSERT(hits_with(reader, "k", "from the child"));
    llmh_cache_close(reader);
    llmh_cache *again = open_cache(LLMH_CACHE_ON, 0, 1 << 20, path);
    CU_ASSERT(hits_with(again, "k", "from the child"));
    llmh_cache_close(again);
    free(path);
}

/* ---- modes ---- */

static void test_cache_off_stores_nothing_and_creates_no_file(void)
{
    char *path = fresh_path();
    llmh_cache *c = open_cache(LLMH_CACHE_OFF, 0, 1 << 20, path);
    llmh_cached a = answer("x", 0);
    llmh_cache_put(c, "k", &a);
    CU_ASSERT(misses(c, "k"));
    CU_ASSERT_FALSE(exists(path));
    llmh_cache_stats st;
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_cache_stats_get(c, &st, &err), LLMH_OK);
    CU_ASSERT_EQUAL(st.entries + st.hits + st.misses + st.mem_entries, 0);
    CU_ASSERT_FALSE(exists(path));
    CU_ASSERT_EQUAL(llmh_cache_flight_begin(c, "k"), 1);
    CU_ASSERT_EQUAL(llmh_cache_flight_begin(c, "k"), 1); /* no coalescing */
    llmh_cache_flight_end(c, "k", NULL);
    llmh_cache_close(c);
    free(path);
}

static void test_cache_read_only_reads_but_never_writes(void)
{
    char *path = fresh_path();
    /* No file: a read_only cache does not create one. */
    llmh_cache *ro = open_cache(LLMH_CACHE_READ_ONLY, 60, 1 << 20, path);
    llmh_cached a = answer("x", 0);
    llmh_cache_put(ro, "k", &a);
    CU_ASSERT(misses(ro, "k"));
    CU_ASSERT_FALSE(exists(path));
    llmh_cache_close(ro);

    llmh_cache *rw = open_cache(LLMH_CACHE_ON, 60, 1 << 20, path);
    llmh_cached fresh = answer("fresh", 0), old = answer("old", wall_ms() - 61000);
    llmh_cache_put(rw, "fresh", &fresh);
    llmh_cache_put(rw, "old", &old);
    CU_ASSERT_EQUAL(store_entries(rw), 2);

    ro = open_cache(LLMH_CACHE_READ_ONLY, 60, 1 << 20, path);
    CU_ASSERT(hits_with(ro, "fresh", "fresh"));
    CU_ASSERT(misses(ro, "old"));
    llmh_cached other = answer("other", 0);
    llmh_cache_put(ro, "other", &other);
    CU_ASSERT(misses(ro, "other"));
    long removed = -1;
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_cache_clear(ro, &removed, &err), LLMH_E_INVALID);
    CU_ASSERT_EQUAL(llmh_cache_prune(ro, &removed, &err), LLMH_E_INVALID);
    CU_ASSERT_EQUAL(removed, 0);
    llmh_cache_close(ro);

    /* The expired row was not deleted, nothing was added. */
    CU_ASSERT_EQUAL(store_entries(rw), 2);
    CU_ASSERT(misses(rw, "other"));
    llmh_cache_close(rw);

    /* With no writer open (no -wal, no -shm), read_only still reads. */
    ro = open_cache(LLMH_CACHE_READ_ONLY, 60, 0, path);
    CU_ASSERT(hits_with(ro, "fresh", "fresh"));
    llmh_cache_close(ro);
    free(path);
}

static void test_cache_write_only_stores_but_never_reads(void)
{
    char *path = fresh_path();
    llmh_cache *rw = open_cache(LLMH_CACHE_ON, 0, 1 << 20, path);
    llmh_cached a = answer("before", 0);
    llmh_cache_put(rw, "existing", &a);

    llmh_cache *wo = open_cache(LLMH_CACHE_WRITE_ONLY, 0, 1 << 20, path);
    CU_ASSERT(misses(wo, "existing"));
    llmh_cached b = answer("written", 0), c2 = answer("refreshed", 0);
    llmh_cache_put(wo, "new", &b);
    llmh_cache_put(wo, "existing", &c2);
    CU_ASSERT(misses(wo, "new"));
    llmh_cache_stats st;
    llmh_error err;
    llmh_cache_stats_get(wo, &st, &err);
    CU_ASSERT_EQUAL(st.hits + st.misses + st.mem_entries, 0);
    CU_ASSERT_EQUAL(st.entries, 2);
    /* Every caller leads: write_only never answers from the cache. */
    CU_ASSERT_EQUAL(llmh_cache_flight_begin(wo, "new"), 1);
    CU_ASSERT_EQUAL(llmh_cache_flight_begin(wo, "new"), 1);
    llmh_cache_close(wo);

    llmh_cache *check = open_cache(LLMH_CACHE_ON, 0, 0, path);
    CU_ASSERT(hits_with(check, "new", "written"));
    CU_ASSERT(hits_with(check, "existing", "refreshed"));
    llmh_cache_close(check);
    llmh_cache_close(rw);
    free(path);
}

/* ---- damaged files and failures ---- */

static int count_corrupt_files(const char *path)
{
    char *dir = strdup(path), *slash = strrchr(dir, '/');
    *slash = '\0';
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s.corrupt-", slash + 1);
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && !strstr(e->d_name, "-wal"))
            n++;
    if (d)
        closedir(d);
    free(dir);
    return n;
}

static void write_file(const char *path, const void *data, size_t len, off_t at)
{
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT(pwrite(fd, data, len, at) == (ssize_t)len);
    close(fd);
}

static void test_cache_garbage_file_is_moved_aside_with_one_warning(void)
{
    char *path = fresh_path();
    char *dir = strdup(path);
    *strrchr(dir, '/') = '\0';
    mkdir(dir, 0700);
    char garbage[8192];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char)(i * 7 + 3);
    write_file(path, garbage, sizeof garbage, 0);

    log_capture();
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 0, 0, path);
    CU_ASSERT(misses(c, "k"));
    llmh_cached a = answer("after recovery", 0);
    llmh_cache_put(c, "k", &a);
    CU_ASSERT(hits_with(c, "k", "after recovery"));
    log_restore();

    CU_ASSERT_EQUAL(count_corrupt_files(path), 1);
    CU_ASSERT_EQUAL(g_log_lines, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, ".corrupt-"));
    if (g_log_lines != 1)
        fprintf(stderr, "\nwarnings: %s\n", g_log);
    llmh_cache_close(c);

    /* The new file is a good one: a second handle neither warns nor moves. */
    log_capture();
    c = open_cache(LLMH_CACHE_ON, 0, 0, path);
    CU_ASSERT(hits_with(c, "k", "after recovery"));
    log_restore();
    CU_ASSERT_EQUAL(g_log_lines, 0);
    CU_ASSERT_EQUAL(count_corrupt_files(path), 1);
    llmh_cache_close(c);
    free(dir);
    free(path);
}

/* A real database whose table pages were overwritten: the header is fine,
 * PRAGMA quick_check is not. */
static void test_cache_database_failing_quick_check_is_moved_aside(void)
{
    char *path = fresh_path();
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 0, 0, path);
    char content[600];
    memset(content, 'q', sizeof content - 1);
    content[sizeof content - 1] = '\0';
    for (int i = 0; i < 200; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        llmh_cached a = answer(content, 0);
        llmh_cache_put(c, key, &a);
    }
    llmh_cache_close(c);
    struct stat sb;
    CU_ASSERT_FATAL(stat(path, &sb) == 0 && sb.st_size > 16 * 4096);
    char junk[4096];
    memset(junk, 0xA5, sizeof junk);
    for (int page = 3; page < 12; page++)
        write_file(path, junk, sizeof junk, (off_t)page * 4096);

    log_capture();
    c = open_cache(LLMH_CACHE_ON, 0, 0, path);
    CU_ASSERT(misses(c, "k1"));
    llmh_cached a = answer("rebuilt", 0);
    llmh_cache_put(c, "k1", &a);
    CU_ASSERT(hits_with(c, "k1", "rebuilt"));
    log_restore();
    CU_ASSERT_EQUAL(count_corrupt_files(path), 1);
    CU_ASSERT_EQUAL(g_log_lines, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "corrupt"));
    CU_ASSERT_EQUAL(store_entries(c), 1);
    llmh_cache_close(c);
    free(path);
}

/* read_only never renames: the damaged file stays, a warning says why. */
static void test_cache_read_only_leaves_a_corrupt_file_in_place(void)
{
    char *path = fresh_path();
    char *dir = strdup(path);
    *strrchr(dir, '/') = '\0';
    mkdir(dir, 0700);
    write_file(path, "this is not a database, not at all, not even close.....", 56, 0);
    log_capture();
    llmh_cache *c = open_cache(LLMH_CACHE_READ_ONLY, 0, 0, path);
    CU_ASSERT(misses(c, "k"));
    CU_ASSERT(misses(c, "k"));
    llmh_cache_stats st;
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_cache_stats_get(c, &st, &err), LLMH_E_IO);
    log_restore();
    CU_ASSERT_EQUAL(g_log_lines, 1);
    CU_ASSERT_EQUAL(count_corrupt_files(path), 0);
    CU_ASSERT(exists(path));
    llmh_cache_close(c);
    free(dir);
    free(path);
}

/* A path below a regular file cannot be created: one warning, the memory
 * tier still works, nothing crashes. */
static void test_cache_unusable_path_degrades_to_memory_with_one_warning(void)
{
    char *path = fresh_path();
    char *dir = strdup(path);
    *strrchr(dir, '/') = '\0';
    write_file(dir, "file", 4, 0); /* "sub" is a file, not a folder */
    log_capture();
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 0, 1 << 20, path);
    llmh_cached a = answer("in memory", 0);
    llmh_cache_put(c, "k", &a);
    llmh_cache_put(c, "k2", &a);
    CU_ASSERT(hits_with(c, "k", "in memory"));
    CU_ASSERT(misses(c, "nope"));
    log_restore();
    CU_ASSERT_EQUAL(g_log_lines, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, dir));
    llmh_cache_stats st;
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_cache_stats_get(c, &st, &err), LLMH_E_IO);
    CU_ASSERT_EQUAL(st.mem_entries, 2);
    llmh_cache_close(c);
    free(dir);
    free(path);
}

/* ---- single flight ---- */

#define FLIGHT_THREADS 10

struct flight_run {
    llmh_cache *c;
    int fail;
    pthread_barrier_t start;
    atomic_int leaders, followers, got_answer, got_nothing, wrong;
};

static void *flight_thread(void *arg)
{
    struct flight_run *r = arg;
    pthread_barrier_wait(&r->start);
    if (llmh_cache_flight_begin(r->c, "same")) {
        atomic_fetch_add(&r->leaders, 1);
        /* Upstream takes until every other caller has joined (at most 5 s). */
        for (int i = 0; i < 5000 && atomic_load(&r->followers) < FLIGHT_THREADS - 1; i++) {
            struct timespec ts = {0, 1000000L};
            nanosleep(&ts, NULL);
        }
        llmh_cached a = answer("the leader's answer", 0);
        llmh_cache_flight_end(r->c, "same", r->fail ? NULL : &a);
    } else {
        atomic_fetch_add(&r->followers, 1);
        llmh_cached out;
        if (llmh_cache_flight_wait(r->c, "same", &out)) {
            if (out.content && strcmp(out.content, "the leader's answer") == 0)
                atomic_fetch_add(&r->got_answer, 1);
            else
                atomic_fetch_add(&r->wrong, 1);
        } else {
            if (out.content)
                atomic_fetch_add(&r->wrong, 1);
            atomic_fetch_add(&r->got_nothing, 1);
        }
        llmh_cached_clear(&out);
    }
    return NULL;
}

static void run_flight(struct flight_run *r, llmh_cache *c, int fail)
{
    memset(r, 0, sizeof *r);
    r->c = c;
    r->fail = fail;
    pthread_barrier_init(&r->start, NULL, FLIGHT_THREADS);
    pthread_t t[FLIGHT_THREADS];
    for (int i = 0; i < FLIGHT_THREADS; i++)
        pthread_create(&t[i], NULL, flight_thread, r);
    for (int i = 0; i < FLIGHT_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&r->start);
}

static void test_cache_single_flight_one_leader_nine_followers_share_its_answer(void)
{
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 0, 1 << 20, NULL);
    struct flight_run r;
    run_flight(&r, c, 0);
    CU_ASSERT_EQUAL(atomic_load(&r.leaders), 1);
    CU_ASSERT_EQUAL(atomic_load(&r.followers), 9);
    CU_ASSERT_EQUAL(atomic_load(&r.got_answer), 9);
    CU_ASSERT_EQUAL(atomic_load(&r.got_nothing), 0);
    CU_ASSERT_EQUAL(atomic_load(&r.wrong), 0);
    /* The flight is over: the next caller leads a new one. */
    CU_ASSERT_EQUAL(llmh_cache_flight_begin(c, "same"), 1);
    CU_ASSERT_EQUAL(llmh_cache_flight_begin(c, "other"), 1);
    llmh_cache_flight_end(c, "same", NULL);
    llmh_cache_flight_end(c, "other", NULL);
    llmh_cache_close(c);
}

static void test_cache_single_flight_leader_failure_gives_followers_a_miss(void)
{
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 0, 1 << 20, NULL);
    struct flight_run r;
    run_flight(&r, c, 1);
    CU_ASSERT_EQUAL(atomic_load(&r.leaders), 1);
    CU_ASSERT_EQUAL(atomic_load(&r.got_nothing), 9);
    CU_ASSERT_EQUAL(atomic_load(&r.got_answer), 0);
    CU_ASSERT_EQUAL(atomic_load(&r.wrong), 0);
    llmh_cache_close(c);
}

/* A follower that calls wait after the leader ended still gets the answer,
 * even when a new flight for the key has started meanwhile. */
static void test_cache_single_flight_late_waiter_gets_finished_answer(void)
{
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 0, 1 << 20, NULL);
    llmh_cached a = answer("first", 0), out;
    CU_ASSERT_EQUAL(llmh_cache_flight_begin(c, "k"), 1);
    CU_ASSERT_EQUAL(llmh_cache_flight_begin(c, "k"), 0);
    llmh_cache_flight_end(c, "k", &a);
    CU_ASSERT_EQUAL(llmh_cache_flight_begin(c, "k"), 1); /* a new flight */
    CU_ASSERT_EQUAL(llmh_cache_flight_wait(c, "k", &out), 1);
    CU_ASSERT_STRING_EQUAL(out.content, "first");
    llmh_cached_clear(&out);
    llmh_cache_flight_end(c, "k", NULL);
    /* wait without a flight is a miss, not a hang. */
    CU_ASSERT_EQUAL(llmh_cache_flight_wait(c, "k", &out), 0);
    llmh_cache_close(c);
}

/* ---- stats, clear, prune ---- */

static void test_cache_stats_prune_and_clear_count_entries(void)
{
    char *path = fresh_path();
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 60, 1 << 20, path);
    llmh_cache_stats st;
    llmh_error err;
    long removed = -1;
    /* No file yet: an empty store, and stats does not create it. */
    CU_ASSERT_EQUAL(llmh_cache_stats_get(c, &st, &err), LLMH_OK);
    CU_ASSERT_EQUAL(st.entries, 0);
    CU_ASSERT_STRING_EQUAL(st.path, path);
    CU_ASSERT_FALSE(exists(path));
    CU_ASSERT_EQUAL(llmh_cache_prune(c, &removed, &err), LLMH_OK);
    CU_ASSERT_EQUAL(removed, 0);

    long long now = wall_ms();
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        llmh_cached a = answer("0123456789", i < 2 ? now - 61000 : 0);
        llmh_cache_put(c, key, &a);
    }
    CU_ASSERT(hits_with(c, "k4", "0123456789"));
    CU_ASSERT(misses(c, "absent"));
    CU_ASSERT(misses(c, "absent2"));
    CU_ASSERT_EQUAL(llmh_cache_stats_get(c, &st, &err), LLMH_OK);
    CU_ASSERT_EQUAL(st.entries, 5);
    CU_ASSERT_EQUAL(st.expired, 2);
    CU_ASSERT(st.bytes > 5 * (2 + 10));
    CU_ASSERT_EQUAL(st.hits, 1);
    CU_ASSERT_EQUAL(st.misses, 2);
    CU_ASSERT_EQUAL(st.mem_entries, 3); /* expired answers are not kept in memory */
    CU_ASSERT(st.mem_bytes > 0);

    CU_ASSERT_EQUAL(llmh_cache_prune(c, &removed, &err), LLMH_OK);
    CU_ASSERT_EQUAL(removed, 2);
    CU_ASSERT_EQUAL(llmh_cache_stats_get(c, &st, &err), LLMH_OK);
    CU_ASSERT_EQUAL(st.entries, 3);
    CU_ASSERT_EQUAL(st.expired, 0);

    CU_ASSERT_EQUAL(llmh_cache_clear(c, &removed, &err), LLMH_OK);
    CU_ASSERT_EQUAL(removed, 3);
    CU_ASSERT_EQUAL(llmh_cache_stats_get(c, &st, &err), LLMH_OK);
    CU_ASSERT_EQUAL(st.entries, 0);
    CU_ASSERT_EQUAL(st.bytes, 0);
    CU_ASSERT_EQUAL(st.mem_entries, 0);
    CU_ASSERT_EQUAL(st.mem_bytes, 0);
    CU_ASSERT(misses(c, "k4")); /* clear empties the memory tier too */
    llmh_cache_close(c);

    /* Memory only: clear counts memory entries. */
    c = open_cache(LLMH_CACHE_ON, 0, 1 << 20, NULL);
    llmh_cached a = answer("x", 0);
    llmh_cache_put(c, "a", &a);
    llmh_cache_put(c, "b", &a);
    CU_ASSERT_EQUAL(llmh_cache_clear(c, &removed, &err), LLMH_OK);
    CU_ASSERT_EQUAL(removed, 2);
    llmh_cache_close(c);
    free(path);
}

/* ---- threads ---- */

struct hammer {
    llmh_cache *c;
    int id;
    atomic_int bad;
};

static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    char key[16], content[64];
    for (int i = 0; i < 400; i++) {
        snprintf(key, sizeof key, "k%d", (i * 7 + h->id) % 50);
        snprintf(content, sizeof content, "answer for %s", key);
        llmh_cached a = answer(content, 0), out;
        if (i % 3 == 0)
            llmh_cache_put(h->c, key, &a);
        if (llmh_cache_get(h->c, key, &out) && strcmp(out.content, content) != 0)
            atomic_fetch_add(&h->bad, 1);
        llmh_cached_clear(&out);
    }
    return NULL;
}

/* Eight threads on a small memory tier and a shared file: every hit is the
 * right answer, and the byte bound holds. */
static void test_cache_concurrent_gets_and_puts_stay_consistent(void)
{
    char *path = fresh_path();
    llmh_cache *c = open_cache(LLMH_CACHE_ON, 0, 2000, path);
    struct hammer h[8];
    pthread_t t[8];
    for (int i = 0; i < 8; i++) {
        h[i].c = c;
        h[i].id = i;
        atomic_init(&h[i].bad, 0);
        pthread_create(&t[i], NULL, hammer_thread, &h[i]);
    }
    int bad = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        bad += atomic_load(&h[i].bad);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(mem_bytes_of(c, NULL) <= 2000);
    CU_ASSERT_EQUAL(store_entries(c), 50);
    llmh_cache_close(c);
    free(path);
}

int llmh_test_register_cache(void)
{
    static const llmh_test tests[] = {
#define T(f) {#f, f}
        T(test_sha256_fips_180_vectors),
        T(test_sha256_padding_edges_one_shot_and_incremental),
        T(test_cache_key_is_sha256_hex_of_canonical_text),
        T(test_cache_config_defaults_off_one_day_64mib_under_xdg_cache_home),
        T(test_cache_config_provider_keys_override_globals),
        T(test_cache_config_bad_mode_is_config_error_naming_key_and_value),
        T(test_cache_miss_then_hit_round_trips_every_field),
        T(test_cache_expired_entry_is_a_miss_and_is_removed),
        T(test_cache_memory_tier_entry_expires_after_ttl),
        T(test_cache_ttl_zero_never_expires),
        T(test_cache_lru_evicts_least_recently_used_at_byte_bound),
        T(test_cache_entry_larger_than_memory_bound_is_not_kept),
        T(test_cache_sqlite_hit_is_promoted_into_memory),
        T(test_cache_persists_across_processes_and_a_killed_writer),
        T(test_cache_off_stores_nothing_and_creates_no_file),
        T(test_cache_read_only_reads_but_never_writes),
        T(test_cache_write_only_stores_but_never_reads),
        T(test_cache_garbage_file_is_moved_aside_with_one_warning),
        T(test_cache_database_failing_quick_check_is_moved_aside),
        T(test_cache_read_only_leaves_a_corrupt_file_in_place),
        T(test_cache_unusable_path_degrades_to_memory_with_one_warning),
        T(test_cache_single_flight_one_leader_nine_followers_share_its_answer),
        T(test_cache_single_flight_leader_failure_gives_followers_a_miss),
        T(test_cache_single_flight_late_waiter_gets_finished_answer),
        T(test_cache_stats_prune_and_clear_count_entries),
        T(test_cache_concurrent_gets_and_puts_stay_consistent),
#undef T
    };
    return llmh_test_suite("cache", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]);
}
