/* cache_bench.c: hit latency of the response cache (host/lib/cache.c), each
 * tier on its own, one thread, median and p99 of single lookups timed with
 * CLOCK_MONOTONIC. Targets (issue 5): memory tier median under 20 us, SQLite
 * tier median under 300 us.
 *
 *   memory  a cache with a 64 MiB memory tier holding every key; each lookup
 *           is a memory hit (hash, LRU touch, copying the answer out).
 *   sqlite  a second handle on the same file with the memory tier disabled
 *           (cache.memory_bytes = 0); each lookup is a SELECT by primary key
 *           plus decoding the stored JSON.
 *
 * Keys are SHA-256 hex (as llmh_cache_key makes them), looked up in a random
 * order. The file lives in a fresh mkdtemp() folder, removed at the end.
 *
 * Usage: cache_bench [--mem N] [--sqlite N] [--keys K] [--size BYTES]
 *   --mem     memory-tier lookups (default 200000, at least 100000 advised)
 *   --sqlite  SQLite-tier lookups (default 50000, at least 20000 advised)
 *   --keys    distinct entries (default 2000)
 *   --size    bytes of content per answer (default 1000)
 * Exit status: 0 measured (whatever the numbers), 1 a lookup missed or the
 * setup failed (then nothing useful was measured), 2 usage.
 *
 * Build, from the top of the tree after make in build/ (cache.c and sha256.c
 * are listed for when libllmhost_core.a lacks them; harmless when it has them):
 */
// clang-format off
/* cc -std=gnu11 -O2 -D_GNU_SOURCE -Wall -Wextra -Isdk -Ihost/lib -Ibuild -o bench/out/cache_bench bench/cache_bench.c host/lib/cache.c host/lib/sha256.c build/.libs/libllmhost_core.a $(pkg-config --cflags --libs libcurl json-c sqlite3) -lltdl -lm -lpthread */
// clang-format on
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;

static unsigned long long next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Times n lookups of random keys; 0 when every one hit. */
static int measure(llmh_cache *c, char (*keys)[65], long nkeys, long n, long long *ns)
{
    for (long i = 0; i < n; i++) {
        const char *key = keys[next_random() % (unsigned long long)nkeys];
        llmh_cached out;
        long long t0 = now_ns();
        int hit = llmh_cache_get(c, key, &out);
        ns[i] = now_ns() - t0;
        llmh_cached_clear(&out);
        if (!hit) {
            fprintf(stderr, "cache_bench: lookup %ld of %s missed\n", i, key);
            return 1;
        }
    }
    return 0;
}

static void report(const char *tier, long long *ns, long n, double target_us)
{
    double sum = 0;
    for (long i = 0; i < n; i++)
        sum += (double)ns[i];
    qsort(ns, (size_t)n, sizeof *ns, cmp_ll);
    double median = ns[n / 2] / 1000.0, p99 = ns[(long)(n * 0.99)] / 1000.0;
    printf("%-7s %8ld lookups  median %8.2f us  p99 %8.2f us  mean %8.2f us  max %9.2f us"
           "  target median < %.0f us: %s\n",
           tier, n, median, p99, sum / n / 1000.0, ns[n - 1] / 1000.0, target_us,
           median < target_us ? "met" : "MISSED");
}

static long arg_long(int argc, char **argv, int *i)
{
    char *end;
    if (*i + 1 >= argc)
        return -1;
    long v = strtol(argv[++*i], &end, 10);
    return *end || v <= 0 ? -1 : v;
}

int main(int argc, char **argv)
{
    long nmem = 200000, nsql = 50000, nkeys = 2000, size = 1000;
    for (int i = 1; i < argc; i++) {
        long *dst = strcmp(argv[i], "--mem") == 0      ? &nmem
                    : strcmp(argv[i], "--sqlite") == 0 ? &nsql
                    : strcmp(argv[i], "--keys") == 0   ? &nkeys
                    : strcmp(argv[i], "--size") == 0   ? &size
                                                       : NULL;
        if (!dst || (*dst = arg_long(argc, argv, &i)) < 0) {
            fprintf(stderr,
                    "usage: cache_bench [--mem N] [--sqlite N] [--keys K] [--size BYTES]\n");
            return 2;
        }
    }

    char dir[] = "/tmp/llmh_cache_bench_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("cache_bench: mkdtemp");
        return 1;
    }
    char path[sizeof dir + 32];
    snprintf(path, sizeof path, "%s/cache.sqlite", dir);

    char(*keys)[65] = malloc((size_t)nkeys * sizeof *keys);
    char *content = malloc((size_t)size + 1);
    long long *ns = malloc((size_t)(nmem > nsql ? nmem : nsql) * sizeof *ns);
    if (!keys || !content || !ns)
        return 1;
    for (long i = 0; i < size; i++)
        content[i] = (char)('a' + i % 26);
    content[size] = '\0';

    llmh_cache_config cfg = {LLMH_CACHE_ON, 0, 64u << 20, path};
    llmh_error err;
    llmh_cache *c = llmh_cache_open(&cfg, &err);
    if (!c) {
        fprintf(stderr, "cache_bench: %s\n", err.message);
        return 1;
    }
    for (long i = 0; i < nkeys; i++) {
        char canonical[64];
        int len = snprintf(canonical, sizeof canonical, "{\"model\":\"m\",\"n\":%ld}", i);
        llmh_cache_key(canonical, (size_t)len, keys[i]);
        llmh_cached a = {content, NULL, (char *)"bench-model", LLMH_FINISH_STOP, {12, 250}, 0};
        llmh_cache_put(c, keys[i], &a);
    }

    printf("cache_bench: %ld entries of %ld bytes, %s\n", nkeys, size, path);
    int failed = measure(c, keys, nkeys, nkeys, ns); /* warm-up */
    if (!failed && !(failed = measure(c, keys, nkeys, nmem, ns)))
        report("memory", ns, nmem, 20);
    llmh_cache_close(c);

    cfg.mem_bytes = 0;
    c = failed ? NULL : llmh_cache_open(&cfg, &err);
    if (c) {
        failed = measure(c, keys, nkeys, nkeys, ns);
        if (!failed && !(failed = measure(c, keys, nkeys, nsql, ns)))
            report("sqlite", ns, nsql, 300);
        llmh_cache_close(c);
    }

    char wal[sizeof path + 8], shm[sizeof path + 8];
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(wal);
    unlink(shm);
    unlink(path);
    rmdir(dir);
    free(keys);
    free(content);
    free(ns);
    return failed ? 1 : 0;
}
