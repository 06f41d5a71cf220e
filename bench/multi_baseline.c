/* multi_baseline.c: the baseline for bench/batch_vs_multi.sh: a plain libcurl
 * multi loop that sends N POSTs (one JSON body per line of a file), at most
 * C in flight, reusing connections, and reads every answer into memory.
 *
 * usage: multi_baseline URL BODIES.jsonl CONCURRENCY [--json]
 *
 * Only http://127.0.0.1 URLs are accepted. Each line of BODIES.jsonl is sent
 * as one request body (Content-Type: application/json). A transfer that fails
 * or gets a status other than 200 counts as an error. Prints
 * "N requests, E errors, S s, R requests/s" (or one JSON object with
 * --json); exits 0 when every request got a 200, 1 otherwise, 2 on bad
 * usage.
 *
 * Build: cc -O2 -o multi_baseline multi_baseline.c $(pkg-config --cflags --libs libcurl) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct slot {
    CURL *easy;
    size_t body;     /* index of the request in flight */
    char *resp;      /* the answer, grown as needed, reused */
    size_t len, cap;
    int busy;
} slot;

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    slot *s = ud;
    size_t add = size * n;
    if (s->len + add + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + add + 1)
            cap *= 2;
        char *r = realloc(s->resp, cap);
        if (!r)
            return 0;
        s->resp = r;
        s->cap = cap;
    }
    memcpy(s->resp + s->len, p, add);
    s->len += add;
    s->resp[s->len] = '\0';
    return add;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "--json") != 0)) {
        fprintf(stderr, "usage: multi_baseline URL BODIES.jsonl CONCURRENCY [--json]\n");
        return 2;
    }
    const char *url = argv[1];
    if (strncmp(url, "http://127.0.0.1:", 17) != 0) {
        fprintf(stderr, "multi_baseline: only http://127.0.0.1 URLs, got %s\n", url);
        return 2;
    }
    int conc = atoi(argv[3]);
    if (conc < 1 || conc > 1024)
        return 2;
    int json = argc == 5;

    /* The bodies, one per line, read before the clock starts. */
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    char **bodies = NULL;
    size_t n = 0, cap = 0, lcap = 0;
    char *line = NULL;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!len)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            bodies = realloc(bodies, cap * sizeof *bodies);
            if (!bodies)
                return 2;
        }
        bodies[n++] = strdup(line);
    }
    free(line);
    fclose(f);
    if (!n) {
        fprintf(stderr, "multi_baseline: no bodies in %s\n", argv[2]);
        return 2;
    }

    double t0 = now_s();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)conc);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    slot *slots = calloc((size_t)conc, sizeof *slots);
    size_t next = 0, done = 0, errors = 0;
    int running = 0;

    for (int i = 0; i < conc; i++) {
        slot *s = &slots[i];
        s->easy = curl_easy_init();
        curl_easy_setopt(s->easy, CURLOPT_URL, url);
        curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
        curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, 30L);
        curl_easy_setopt(s->easy, CURLOPT_PROXY, "");
    }

    /* Start a request on an idle slot. */
#define START(s)                                                                            \
    do {                                                                                    \
        (s)->body = next++;                                                                 \
        (s)->len = 0;                                                                       \
        (s)->busy = 1;                                                                      \
        curl_easy_setopt((s)->easy, CURLOPT_POSTFIELDS, bodies[(s)->body]);                 \
        curl_easy_setopt((s)->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(bodies[(s)->body])); \
        curl_multi_add_handle(multi, (s)->easy);                                            \
    } while (0)

    for (int i = 0; i < conc && next < n; i++)
        START(&slots[i]);

    while (done < n) {
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            slot *s;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            long code = 0;
            curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
            if (m->data.result != CURLE_OK || code != 200 || !s->len)
                errors++;
            curl_multi_remove_handle(multi, s->easy);
            s->busy = 0;
            done++;
            if (next < n)
                START(s);
        }
        if (done < n)
            curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    double secs = now_s() - t0;

    for (int i = 0; i < conc; i++) {
        curl_easy_cleanup(slots[i].easy);
        free(slots[i].resp);
    }
    free(slots);
    curl_slist_free_all(hdrs);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    for (size_t i = 0; i < n; i++)
        free(bodies[i]);
    free(bodies);

    if (json)
        printf("{\"requests\":%zu,\"errors\":%zu,\"seconds\":%.6f,\"rps\":%.1f}\n", n, errors, secs,
               n / secs);
    else
        printf("%zu requests, %zu errors, %.3f s, %.1f requests/s\n", n, errors, secs, n / secs);
    return errors ? 1 : 0;
}
