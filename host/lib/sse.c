/* sse.c: incremental Server-Sent Events parser (WHATWG HTML, "Interpreting an
 * event stream"). Lines are found with memchr and handed over in place when a
 * feed holds them whole; buffers are reused, so steady state allocates nothing. */
#include "sse.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SSE_DEFAULT_MAX ((size_t)16 * 1024 * 1024)

struct sse_buf {
    char *p;
    size_t len;
    size_t cap;
};

struct llmh_sse {
    llmh_sse_cb cb;
    void *ud;
    struct sse_buf line;  /* an unterminated line carried over to the next feed */
    struct sse_buf data;  /* data lines, each followed by LF */
    struct sse_buf event; /* event type buffer, NUL-terminated */
    struct sse_buf id;    /* last event ID buffer, NUL-terminated */
    size_t max;
    int retry;
    unsigned char bom;        /* BOM bytes matched so far; 3 once decided */
    unsigned char pending_cr; /* last feed ended in CR: a leading LF is its pair */
    unsigned char failed;
};

/* Make room for need bytes plus a NUL. */
static int buf_reserve(struct sse_buf *b, size_t need)
{
    if (need < b->cap)
        return 0;
    if (need >= SIZE_MAX / 2)
        return -1;
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap <= need)
        cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np)
        return -1;
    b->p = np;
    b->cap = cap;
    return 0;
}

static int buf_append(struct sse_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, b->len + n))
        return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static int buf_set(struct sse_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n))
        return -1;
    memcpy(b->p, s, n);
    b->len = n;
    b->p[n] = '\0';
    return 0;
}

static void buf_free(struct sse_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static int fail(llmh_sse *p)
{
    p->failed = 1;
    return -1;
}

llmh_sse *llmh_sse_new(llmh_sse_cb cb, void *ud)
{
    llmh_sse *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cb = cb;
    p->ud = ud;
    p->max = SSE_DEFAULT_MAX;
    p->retry = -1;
    return p;
}

void llmh_sse_free(llmh_sse *p)
{
    if (!p)
        return;
    buf_free(&p->line);
    buf_free(&p->data);
    buf_free(&p->event);
    buf_free(&p->id);
    free(p);
}

void llmh_sse_set_max_line(llmh_sse *p, size_t max)
{
    p->max = max ? max : SSE_DEFAULT_MAX;
}

int llmh_sse_retry_ms(const llmh_sse *p)
{
    return p->retry;
}

void llmh_sse_finish(llmh_sse *p)
{
    p->line.len = 0;
    p->data.len = 0;
    p->event.len = 0;
    p->pending_cr = 0;
    p->bom = 0;
}

void llmh_sse_reset(llmh_sse *p)
{
    /* Buffers are released: one huge event should not pin memory forever. */
    buf_free(&p->line);
    buf_free(&p->data);
    buf_free(&p->event);
    buf_free(&p->id);
    p->retry = -1;
    p->pending_cr = 0;
    p->bom = 0;
    p->failed = 0;
}

static int dispatch(llmh_sse *p)
{
    if (p->data.len == 0) {
        p->event.len = 0;
        return 0;
    }
    /* Every data line appended an LF, so the last byte is one: drop it. */
    size_t dlen = p->data.len - 1;
    p->data.p[dlen] = '\0';
    const char *ev = p->event.len ? p->event.p : "message";
    const char *id = p->id.len ? p->id.p : "";
    p->data.len = 0;
    p->event.len = 0;
    if (!p->cb)
        return 0;
    return p->cb(p->ud, ev, p->data.p, dlen, id);
}

static void set_retry(llmh_sse *p, const char *v, size_t n)
{
    if (n == 0)
        return;
    long long ms = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return;
        if (ms <= INT_MAX)
            ms = ms * 10 + (v[i] - '0');
    }
    p->retry = ms > INT_MAX ? INT_MAX : (int)ms;
}

/* One complete line, without its line end. Returns 0, the callback's value,
 * or -1 (with p->failed set) on OOM or when the event's data is too big. */
static int process_line(llmh_sse *p, const char *line, size_t len)
{
    if (len == 0)
        return dispatch(p);
    if (line[0] == ':')
        return 0;

    const char *colon = memchr(line, ':', len);
    size_t flen;
    const char *val;
    size_t vlen;
    if (colon) {
        flen = (size_t)(colon - line);
        val = colon + 1;
        vlen = len - flen - 1;
        if (vlen && *val == ' ') {
            val++;
            vlen--;
        }
    } else {
        flen = len;
        val = line + len;
        vlen = 0;
    }

    switch (flen) {
    case 4:
        if (memcmp(line, "data", 4) == 0) {
            if (p->data.len + vlen > p->max)
                return fail(p);
            if (buf_reserve(&p->data, p->data.len + vlen + 1))
                return fail(p);
            memcpy(p->data.p + p->data.len, val, vlen);
            p->data.len += vlen;
            p->data.p[p->data.len++] = '\n';
        }
        break;
    case 5:
        if (memcmp(line, "event", 5) == 0) {
            if (buf_set(&p->event, val, vlen))
                return fail(p);
        } else if (memcmp(line, "retry", 5) == 0) {
            set_retry(p, val, vlen);
        }
        break;
    case 2:
        if (line[0] == 'i' && line[1] == 'd' && !memchr(val, '\0', vlen)) {
            if (buf_set(&p->id, val, vlen))
                return fail(p);
        }
        break;
    default:
        break;
    }
    return 0;
}

int llmh_sse_feed(llmh_sse *p, const char *buf, size_t len)
{
    if (p->failed)
        return -1;
    if (len == 0)
        return 0;
    const char *s = buf;
    const char *end = buf + len;

    if (p->bom < 3) {
        static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
        while (s < end && p->bom < 3) {
            if (*s == bom[p->bom]) {
                p->bom++;
                s++;
            } else {
                /* Not a BOM after all: the bytes matched so far are text. */
                if (p->bom && buf_append(&p->line, bom, p->bom))
                    return fail(p);
                p->bom = 3;
            }
        }
    }
    if (s < end && p->pending_cr) {
        p->pending_cr = 0;
        if (*s == '\n')
            s++;
    }

    /* Next LF and next CR at or after s, each searched again only once passed,
     * so a stream using just one kind of line end is scanned once. */
    const char *lf = NULL, *cr = NULL;
    int lf_known = 0, cr_known = 0;
    while (s < end) {
        if (!lf_known || (lf && lf < s)) {
            lf = memchr(s, '\n', (size_t)(end - s));
            lf_known = 1;
        }
        if (!cr_known || (cr && cr < s)) {
            cr = memchr(s, '\r', (size_t)(end - s));
            cr_known = 1;
        }
        const char *eol = (lf && (!cr || lf < cr)) ? lf : cr;
        size_t n = eol ? (size_t)(eol - s) : (size_t)(end - s);

        if (!eol) {
            if (p->line.len + n > p->max || buf_append(&p->line, s, n))
                return fail(p);
            return 0;
        }

        const char *line;
        size_t llen;
        if (p->line.len) {
            if (p->line.len + n > p->max || buf_append(&p->line, s, n))
                return fail(p);
            line = p->line.p;
            llen = p->line.len;
        } else {
            if (n > p->max)
                return fail(p);
            line = s;
            llen = n;
        }
        s = eol + 1;
        if (*eol == '\r') {
            if (s < end) {
                if (*s == '\n')
                    s++;
            } else {
                p->pending_cr = 1;
            }
        }
        p->line.len = 0;
        int rc = process_line(p, line, llen);
        if (rc)
            return rc;
    }
    return 0;
}
