/* jscan.c: a JSON scanner without allocation. It validates what it walks
 * (strings, numbers, nesting) but builds nothing; decoding a string is done
 * only for the fields a caller keeps. llmh_jscan_fields reads fields by path
 * with it (host->json_fields, the plugins' fast path). */
#include "jscan.h"
#include "jscan_core.h"

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

void llmh_jscan_init(llmh_jscan *s, const char *text, size_t len)
{
    s->p = text;
    s->end = text + len;
}

char llmh_jscan_peek(llmh_jscan *s) { return jpeek(s); }

int llmh_jscan_eat(llmh_jscan *s, char c) { return jeat(s, c); }

int llmh_jscan_string(llmh_jscan *s, llmh_jspan *out) { return jstring(s, out); }

static int digit(const char *p, const char *end) { return p < end && *p >= '0' && *p <= '9'; }

/* A number as JSON writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * (json-c takes more, such as "1." or "01": those go to the full parser).
 * *is_double (may be NULL): it has a fraction or an exponent. */
static int number_ex(llmh_jscan *s, int *is_double)
{
    const char *p = s->p, *end = s->end;
    int dbl = 0;
    if (p < end && *p == '-')
        p++;
    if (!digit(p, end))
        return 0;
    if (*p == '0')
        p++;
    else
        while (digit(p, end))
            p++;
    if (p < end && *p == '.') {
        p++;
        if (!digit(p, end))
            return 0;
        while (digit(p, end))
            p++;
        dbl = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!digit(p, end))
            return 0;
        while (digit(p, end))
            p++;
        dbl = 1;
    }
    if (is_double)
        *is_double = dbl;
    s->p = p;
    return 1;
}

static int number(llmh_jscan *s) { return number_ex(s, NULL); }

static int literal(llmh_jscan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return 0;
    s->p += n;
    return 1;
}

/* Skip the value at the cursor; depth: the containers around it, at most max. */
static int skip_depth(llmh_jscan *s, int depth, int max)
{
    if (depth > max)
        return 0;
    char c = jpeek(s);
    llmh_jspan tmp;
    switch (c) {
    case '"': return jstring(s, &tmp);
    case '{': {
        s->p++;
        int first = 1;
        int r;
        while ((r = jnext_key(s, &first, &tmp)) == 1)
            if (!skip_depth(s, depth + 1, max))
                return 0;
        return r == 0;
    }
    case '[':
        s->p++;
        if (jeat(s, ']'))
            return 1;
        for (;;) {
            if (!skip_depth(s, depth + 1, max))
                return 0;
            if (jeat(s, ','))
                continue;
            return jeat(s, ']');
        }
    case 't': return literal(s, "true");
    case 'f': return literal(s, "false");
    case 'n': return literal(s, "null");
    default: return number(s);
    }
}

int llmh_jscan_skip(llmh_jscan *s) { return skip_depth(s, 0, MAX_DEPTH); }

int llmh_jscan_null(llmh_jscan *s)
{
    return jpeek(s) == 'n' && literal(s, "null");
}

/* A number at the cursor, copied NUL-terminated into buf; 0 if there is
 * none or it does not fit. */
static int number_text(llmh_jscan *s, char *buf, size_t size)
{
    jpeek(s);
    const char *start = s->p;
    if (!number(s))
        return 0;
    size_t n = (size_t)(s->p - start);
    if (n >= size)
        return 0;
    memcpy(buf, start, n);
    buf[n] = '\0';
    return 1;
}

int llmh_jscan_long(llmh_jscan *s, long *out)
{
    char buf[32];
    if (!number_text(s, buf, sizeof buf))
        return 0;
    char *end;
    long v = strtol(buf, &end, 10);
    if (*end) /* a fraction or exponent: not an integer */
        return 0;
    *out = v;
    return 1;
}

int llmh_jscan_next_key(llmh_jscan *s, int *first, llmh_jspan *key)
{
    return jnext_key(s, first, key);
}

int llmh_jspan_is(const llmh_jspan *k, const char *name)
{
    size_t n = strlen(name);
    return !k->escaped && k->len == n && memcmp(k->start, name, n) == 0;
}

static void put_utf8(llmh_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    llmh_buf_append(b, u, n);
}

void llmh_jspan_append(const llmh_jspan *v, llmh_buf *b)
{
    if (!v->start || !v->len)
        return;
    if (!v->escaped) {
        llmh_buf_append(b, v->start, v->len);
        return;
    }
    const char *p = v->start, *end = v->start + v->len;
    while (p < end) {
        const char *q = memchr(p, '\\', (size_t)(end - p));
        if (!q) {
            llmh_buf_append(b, p, (size_t)(end - p));
            return;
        }
        llmh_buf_append(b, p, (size_t)(q - p));
        char e = q[1];
        p = q + 2;
        switch (e) {
        case 'b': llmh_buf_append(b, "\b", 1); break;
        case 'f': llmh_buf_append(b, "\f", 1); break;
        case 'n': llmh_buf_append(b, "\n", 1); break;
        case 'r': llmh_buf_append(b, "\r", 1); break;
        case 't': llmh_buf_append(b, "\t", 1); break;
        case 'u': {
            unsigned cp = 0, lo;
            hex4(q + 2, &cp);
            p = q + 6;
            /* A high surrogate followed by a low one is one code point;
             * a lone surrogate becomes U+FFFD, as json-c does. */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, &lo) &&
                    lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            put_utf8(b, cp);
            break;
        }
        default: llmh_buf_append(b, &e, 1); break; /* \" \\ \/ */
        }
    }
}

/* ---- fields by path (host->json_fields) */

/* json-c's default tokener depth (32) lets a value sit inside at most 31
 * objects and arrays; json_parse fails beyond, so json_fields gives up too. */
#define FIELDS_MAX_DEPTH 31

/* A field still being looked for at the current level of the document. */
typedef struct fcand {
    size_t field;    /* its index in the caller's array */
    const char *seg; /* the rest of its path, from this level's segment on */
    size_t seglen;   /* the segment's length, once it matched */
} fcand;

typedef struct fctx {
    llmh_json_field *f;
    llmh_jspan *span; /* raw strings of LLMH_JSON_STRING fields, decoded at the end */
} fctx;

/* Is the path segment at seg the n bytes at k (which hold no NUL)? */
static inline int seg_is(const char *seg, const char *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (seg[i] != k[i])
            return 0;
    return seg[n] == '.' || seg[n] == '\0';
}

/* The segment at seg as an array index (decimal digits without a leading
 * zero, small enough), its length in *n; -1 if it is not one. */
static long seg_index(const char *seg, size_t *n)
{
    long v = 0;
    size_t i;
    for (i = 0; seg[i] >= '0' && seg[i] <= '9'; i++) {
        if (i == 9)
            return -1;
        v = v * 10 + (seg[i] - '0');
    }
    *n = i;
    if (!i || (seg[i] != '.' && seg[i] != '\0') || (seg[0] == '0' && i > 1))
        return -1;
    return v;
}

static void field_clear(llmh_json_field *f)
{
    f->type = LLMH_JSON_NULL;
    f->str = NULL;
    f->len = 0;
    f->i = 0;
    f->d = 0;
    f->b = 0;
}

/* The C locale for strtod, whatever the process set with setlocale. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

int llmh_jscan_double(llmh_jscan *s, double *out)
{
    char buf[64];
    if (!number_text(s, buf, sizeof buf))
        return 0;
    pthread_once(&c_locale_once, c_locale_init);
    if (c_locale == (locale_t)0)
        return 0;
    char *end;
    double v = strtod_l(buf, &end, c_locale);
    if (*end || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

/* The number in [start, end) as json-c reads it into the field. */
static int field_number(llmh_json_field *f, const char *start, const char *end, int is_double)
{
    size_t n = (size_t)(end - start);
    if (!is_double) {
        const char *p = start;
        int neg = *p == '-';
        unsigned long long v = 0;
        for (p += neg; p < end; p++) {
            unsigned d = (unsigned)(*p - '0');
            if (v > (ULLONG_MAX - d) / 10)
                return 0;
            v = v * 10 + d;
        }
        /* Beyond long long json-c keeps an unsigned value or clamps: not ours to mimic. */
        if (neg ? v > (unsigned long long)LLONG_MAX + 1 : v > (unsigned long long)LLONG_MAX)
            return 0;
        f->type = LLMH_JSON_INT;
        f->i = neg ? (v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v)
                   : (long long)v;
        f->d = (double)f->i;
        return 1;
    }
    char buf[64];
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, start, n);
    buf[n] = '\0';
    pthread_once(&c_locale_once, c_locale_init);
    if (c_locale == (locale_t)0)
        return 0;
    double d = strtod_l(buf, NULL, c_locale);
    if (!isfinite(d))
        return 0; /* 1e400: json-c's own business */
    f->type = LLMH_JSON_DOUBLE;
    f->d = d;
    /* json_object_get_int64 of a double: truncated, clamped. */
    f->i = d >= (double)LLONG_MAX ? LLONG_MAX : d <= (double)LLONG_MIN ? LLONG_MIN : (long long)d;
    return 1;
}

static int fields_object(fctx *x, llmh_jscan *s, int depth, const fcand *c, size_t nc);
static int fields_array(fctx *x, llmh_jscan *s, int depth, const fcand *c, size_t nc);

/* The value at the cursor, which the candidates m[0..nm) all name (as their
 * last segment, or on their way deeper); depth: the containers around it. */
static int fields_value(fctx *x, llmh_jscan *s, int depth, const fcand *m, size_t nm)
{
    if (depth > FIELDS_MAX_DEPTH)
        return 0;
    fcand next[nm]; /* nm >= 1; sized to it, so deep paths stay cheap on the stack */
    size_t nn = 0;
    for (size_t i = 0; i < nm; i++) {
        /* A duplicate member replaces what an earlier one gave. */
        field_clear(&x->f[m[i].field]);
        if (m[i].seg[m[i].seglen]) {
            next[nn].field = m[i].field;
            next[nn++].seg = m[i].seg + m[i].seglen + 1;
        }
    }
    char c = jpeek(s);
    llmh_json_type t;
    llmh_jspan str = {0};
    int bv = 0;
    llmh_json_field num = {0};
    if (c == '{' || c == '[') {
        t = c == '{' ? LLMH_JSON_OBJECT : LLMH_JSON_ARRAY;
        if (nn) {
            s->p++;
            if (!(c == '{' ? fields_object(x, s, depth + 1, next, nn)
                           : fields_array(x, s, depth + 1, next, nn)))
                return 0;
        } else if (!skip_depth(s, depth, FIELDS_MAX_DEPTH)) {
            return 0;
        }
    } else if (c == '"') {
        if (!jstring(s, &str))
            return 0;
        t = LLMH_JSON_STRING;
    } else if (c == 't' || c == 'f') {
        if (!literal(s, c == 't' ? "true" : "false"))
            return 0;
        t = LLMH_JSON_BOOL;
        bv = c == 't';
    } else if (c == 'n') {
        if (!literal(s, "null"))
            return 0;
        t = LLMH_JSON_NULL;
    } else {
        const char *start = s->p;
        int dbl = 0;
        if (!number_ex(s, &dbl))
            return 0;
        /* Parsed only when a field wants it. */
        int want = 0;
        for (size_t i = 0; i < nm && !want; i++)
            want = !m[i].seg[m[i].seglen];
        if (want && !field_number(&num, start, s->p, dbl))
            return 0;
        t = want ? num.type : LLMH_JSON_INT;
    }
    for (size_t i = 0; i < nm; i++) {
        if (m[i].seg[m[i].seglen])
            continue; /* on the way through: absent unless the recursion found it */
        llmh_json_field *f = &x->f[m[i].field];
        f->type = t;
        if (t == LLMH_JSON_STRING)
            x->span[m[i].field] = str;
        else if (t == LLMH_JSON_BOOL)
            f->b = bv;
        else if (t == LLMH_JSON_INT || t == LLMH_JSON_DOUBLE) {
            f->i = num.i;
            f->d = num.d;
        }
    }
    return 1;
}

/* Members of an object (cursor after '{') for the candidates c[0..nc). */
static int fields_object(fctx *x, llmh_jscan *s, int depth, const fcand *c, size_t nc)
{
    int first = 1, r;
    llmh_jspan k;
    fcand m[nc ? nc : 1];
    while ((r = jnext_key(s, &first, &k)) == 1) {
        /* An escaped name might decode to a wanted one: not sure, give up. */
        if (k.escaped && nc)
            return 0;
        size_t nm = 0;
        for (size_t i = 0; i < nc; i++)
            if (seg_is(c[i].seg, k.start, k.len)) {
                m[nm] = c[i];
                m[nm++].seglen = k.len;
            }
        if (!(nm ? fields_value(x, s, depth, m, nm) : skip_depth(s, depth, FIELDS_MAX_DEPTH)))
            return 0;
    }
    return r == 0;
}

/* Items of an array (cursor after '[') for the candidates c[0..nc). */
static int fields_array(fctx *x, llmh_jscan *s, int depth, const fcand *c, size_t nc)
{
    if (jeat(s, ']'))
        return 1;
    fcand m[nc]; /* nc >= 1 */
    long want[nc];
    size_t len[nc];
    for (size_t i = 0; i < nc; i++)
        want[i] = seg_index(c[i].seg, &len[i]);
    for (long idx = 0;; idx++) {
        size_t nm = 0;
        for (size_t i = 0; i < nc; i++)
            if (want[i] == idx) {
                m[nm] = c[i];
                m[nm++].seglen = len[i];
            }
        if (!(nm ? fields_value(x, s, depth, m, nm) : skip_depth(s, depth, FIELDS_MAX_DEPTH)))
            return 0;
        if (jeat(s, ','))
            continue;
        return jeat(s, ']');
    }
}

int llmh_jscan_fields(const char *text, size_t len, llmh_json_field *fields, size_t n,
                      llmh_buf *scratch)
{
    if (!text || (n && !fields) || n > LLMH_JSCAN_FIELDS_MAX || !scratch)
        return 0;
    fcand c[LLMH_JSCAN_FIELDS_MAX];
    llmh_jspan span[LLMH_JSCAN_FIELDS_MAX];
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        field_clear(&fields[i]);
        if (fields[i].path) {
            c[nc].field = i;
            c[nc++].seg = fields[i].path;
        }
    }
    fctx x = {fields, span};
    llmh_jscan s;
    llmh_jscan_init(&s, text, len);
    if (!jeat(&s, '{') || !fields_object(&x, &s, 1, c, nc))
        return 0;
    jpeek(&s);
    if (s.p != s.end)
        return 0; /* trailing bytes (a NUL included) */

    /* Decode the strings, then point at them: the buffer may move while it grows. */
    size_t need = 0, off[LLMH_JSCAN_FIELDS_MAX];
    for (size_t i = 0; i < n; i++)
        if (fields[i].type == LLMH_JSON_STRING)
            need += span[i].len + 1; /* decoding never makes a string longer */
    if (scratch->cap > ((size_t)1 << 20) && need < scratch->cap / 4)
        llmh_buf_free(scratch); /* one huge answer once: do not keep its buffer forever */
    if (scratch->cap < need + 1) {
        scratch->data = llmh_xrealloc(scratch->data, need + 1);
        scratch->cap = need + 1;
    }
    llmh_buf_reset(scratch);
    for (size_t i = 0; i < n; i++) {
        if (fields[i].type != LLMH_JSON_STRING)
            continue;
        off[i] = scratch->len;
        if (span[i].escaped) {
            llmh_jspan_append(&span[i], scratch);
        } else {
            memcpy(scratch->data + scratch->len, span[i].start, span[i].len);
            scratch->len += span[i].len;
        }
        fields[i].len = scratch->len - off[i];
        scratch->data[scratch->len++] = '\0'; /* each string NUL-terminated */
    }
    for (size_t i = 0; i < n; i++)
        if (fields[i].type == LLMH_JSON_STRING)
            fields[i].str = scratch->data + off[i];
    return 1;
}
