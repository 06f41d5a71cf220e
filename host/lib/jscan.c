/* jscan.c: a JSON scanner without allocation. It validates what it walks
 * (strings, numbers, nesting) but builds nothing; decoding a string is done
 * only for the fields a caller keeps. */
#include "jscan.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

void llmh_jscan_init(llmh_jscan *s, const char *text, size_t len)
{
    s->p = text;
    s->end = text + len;
}

static void ws(llmh_jscan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

char llmh_jscan_peek(llmh_jscan *s)
{
    ws(s);
    return s->p < s->end ? *s->p : 0;
}

int llmh_jscan_eat(llmh_jscan *s, char c)
{
    if (llmh_jscan_peek(s) != c)
        return 0;
    s->p++;
    return 1;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

int llmh_jscan_string(llmh_jscan *s, llmh_jspan *out)
{
    if (!llmh_jscan_eat(s, '"'))
        return 0;
    const char *start = s->p;
    int escaped = 0;
    for (;;) {
        /* Jump to the next byte that ends or escapes the string. */
        const char *q = s->p;
        while (q < s->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
            q++;
        if (q >= s->end || (unsigned char)*q < 0x20)
            return 0;
        if (*q == '"') {
            out->start = start;
            out->len = (size_t)(q - start);
            out->escaped = escaped;
            s->p = q + 1;
            return 1;
        }
        escaped = 1;
        if (q + 1 >= s->end)
            return 0;
        char e = q[1];
        if (e == 'u') {
            unsigned v;
            if (q + 6 > s->end || !hex4(q + 2, &v))
                return 0;
            s->p = q + 6;
        } else if (strchr("\"\\/bfnrt", e) && e) {
            s->p = q + 2;
        } else {
            return 0;
        }
    }
}

static int number(llmh_jscan *s)
{
    const char *p = s->p;
    if (p < s->end && *p == '-')
        p++;
    if (p >= s->end || *p < '0' || *p > '9')
        return 0;
    while (p < s->end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' ||
                          *p == '+' || *p == '-'))
        p++;
    s->p = p;
    return 1;
}

static int literal(llmh_jscan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return 0;
    s->p += n;
    return 1;
}

static int skip_depth(llmh_jscan *s, int depth)
{
    if (depth > MAX_DEPTH)
        return 0;
    char c = llmh_jscan_peek(s);
    llmh_jspan tmp;
    switch (c) {
    case '"': return llmh_jscan_string(s, &tmp);
    case '{': {
        s->p++;
        int first = 1;
        int r;
        while ((r = llmh_jscan_next_key(s, &first, &tmp)) == 1)
            if (!skip_depth(s, depth + 1))
                return 0;
        return r == 0;
    }
    case '[':
        s->p++;
        if (llmh_jscan_eat(s, ']'))
            return 1;
        for (;;) {
            if (!skip_depth(s, depth + 1))
                return 0;
            if (llmh_jscan_eat(s, ','))
                continue;
            return llmh_jscan_eat(s, ']');
        }
    case 't': return literal(s, "true");
    case 'f': return literal(s, "false");
    case 'n': return literal(s, "null");
    default: return number(s);
    }
}

int llmh_jscan_skip(llmh_jscan *s) { return skip_depth(s, 0); }

int llmh_jscan_null(llmh_jscan *s)
{
    return llmh_jscan_peek(s) == 'n' && literal(s, "null");
}

int llmh_jscan_long(llmh_jscan *s, long *out)
{
    llmh_jscan_peek(s);
    const char *start = s->p;
    if (!number(s))
        return 0;
    char buf[32];
    size_t n = (size_t)(s->p - start);
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, start, n);
    buf[n] = '\0';
    char *end;
    long v = strtol(buf, &end, 10);
    if (*end) /* a fraction or exponent: not an integer */
        return 0;
    *out = v;
    return 1;
}

int llmh_jscan_next_key(llmh_jscan *s, int *first, llmh_jspan *key)
{
    if (llmh_jscan_eat(s, '}'))
        return 0;
    if (!*first && !llmh_jscan_eat(s, ','))
        return -1;
    *first = 0;
    if (!llmh_jscan_string(s, key) || !llmh_jscan_eat(s, ':'))
        return -1;
    return 1;
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
