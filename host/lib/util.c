/* util.c: small string, buffer and path helpers. */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void oom(void)
{
    fputs("llmhost: out of memory\n", stderr);
    abort();
}

void *llmh_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *llmh_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *llmh_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom();
    return q;
}

char *llmh_sprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    return s;
}

char *llmh_strdup(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        oom();
    return d;
}

char *llmh_strndup(const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (!d)
        oom();
    return d;
}

char *llmh_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return llmh_strdup(".");
    if (slash == path)
        return llmh_strdup("/");
    return llmh_strndup(path, (size_t)(slash - path));
}

const char *llmh_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int llmh_is_ident(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

int llmh_str_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int llmh_mkdir_p(const char *dir, unsigned mode)
{
    char *p = llmh_strdup(dir);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, mode) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *q = '/';
    }
    int rc = (mkdir(p, mode) != 0 && errno != EEXIST) ? -1 : 0;
    free(p);
    return rc;
}

void llmh_buf_grow(llmh_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = llmh_xrealloc(b->data, cap);
        b->cap = cap;
        b->data[b->len] = '\0';
    }
}

void llmh_buf_printf(llmh_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    llmh_buf_append(b, s, (size_t)n);
    free(s);
}

void llmh_buf_reset(llmh_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void llmh_buf_free(llmh_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

long long llmh_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void llmh_sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

char **llmh_split_list(const char *s, char sep, size_t *n)
{
    char **v = NULL;
    *n = 0;
    while (s && *s) {
        const char *e = strchr(s, sep);
        const char *end = e ? e : s + strlen(s);
        const char *a = s, *z = end;
        while (a < z && (*a == ' ' || *a == '\t'))
            a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
            z--;
        if (z > a) {
            v = llmh_xrealloc(v, (*n + 1) * sizeof *v);
            v[(*n)++] = llmh_strndup(a, (size_t)(z - a));
        }
        s = e ? e + 1 : end;
    }
    return v;
}

void llmh_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

char *llmh_xdg_path(const char *var, const char *home_dir, const char *rel)
{
    const char *xdg = getenv(var), *home = getenv("HOME");
    /* The XDG spec says a relative value is to be ignored. */
    if (xdg && xdg[0] == '/')
        return llmh_sprintf("%s/llmhost/%s", xdg, rel);
    if (home && *home)
        return llmh_sprintf("%s/%s/llmhost/%s", home, home_dir, rel);
    return NULL;
}
