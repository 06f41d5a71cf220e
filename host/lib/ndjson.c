/* ndjson.c: newline-delimited JSON framing. Lines are found with memchr and
 * copied once into a reused buffer to be NUL-terminated. */
#include "ndjson.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NDJSON_DEFAULT_MAX ((size_t)16 * 1024 * 1024)

struct llmh_ndjson {
    llmh_ndjson_cb cb;
    void *ud;
    char *buf;   /* the current line; holds a partial line between feeds */
    size_t len;
    size_t cap;
    size_t max;
    int failed;
};

llmh_ndjson *llmh_ndjson_new(llmh_ndjson_cb cb, void *ud)
{
    llmh_ndjson *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cb = cb;
    p->ud = ud;
    p->max = NDJSON_DEFAULT_MAX;
    return p;
}

void llmh_ndjson_free(llmh_ndjson *p)
{
    if (!p)
        return;
    free(p->buf);
    free(p);
}

void llmh_ndjson_set_max_line(llmh_ndjson *p, size_t max)
{
    p->max = max ? max : NDJSON_DEFAULT_MAX;
}

static int append(llmh_ndjson *p, const char *s, size_t n)
{
    /* One byte of slack over the limit for a CR that a later LF will strip. */
    if (p->len + n > p->max + 1 || p->len + n >= SIZE_MAX / 2)
        return -1;
    size_t need = p->len + n + 1;
    if (need > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        while (cap < need)
            cap *= 2;
        char *nb = realloc(p->buf, cap);
        if (!nb)
            return -1;
        p->buf = nb;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    return 0;
}

/* Deliver the buffered line and empty the buffer. */
static int deliver(llmh_ndjson *p)
{
    size_t n = p->len;
    p->len = 0;
    if (n && p->buf[n - 1] == '\r')
        n--;
    if (n > p->max) {
        p->failed = 1;
        return -1;
    }
    size_t i = 0;
    while (i < n && (p->buf[i] == ' ' || p->buf[i] == '\t' || p->buf[i] == '\r'))
        i++;
    if (i == n)
        return 0;
    p->buf[n] = '\0';
    return p->cb ? p->cb(p->ud, p->buf, n) : 0;
}

int llmh_ndjson_feed(llmh_ndjson *p, const char *buf, size_t len)
{
    if (p->failed)
        return -1;
    if (len == 0)
        return 0;
    const char *s = buf, *end = buf + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        if (append(p, s, n)) {
            p->failed = 1;
            return -1;
        }
        if (!nl)
            break;
        s = nl + 1;
        int rc = deliver(p);
        if (rc)
            return rc;
    }
    return 0;
}

int llmh_ndjson_finish(llmh_ndjson *p)
{
    if (p->failed)
        return -1;
    return deliver(p);
}
