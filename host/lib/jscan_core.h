/* jscan_core.h: the scanner's inner steps as inline functions, for the
 * host's own hot loops (the OpenAI codec, batch input) to use without a call
 * per token; jscan.c wraps them as the llmh_jscan_* API (internal). */
#ifndef LLMH_JSCAN_CORE_H
#define LLMH_JSCAN_CORE_H

#include <stdint.h>
#include <string.h>

#include "jscan.h"

/* The scanner's steps, inlined into its own loops; the llmh_jscan_* API
 * wraps them. */
static inline char jpeek(llmh_jscan *s)
{
    /* Every JSON white space byte is below '!': one test in the usual case. */
    while (s->p < s->end && (unsigned char)*s->p <= ' ' &&
           (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
    return s->p < s->end ? *s->p : 0;
}

static inline int jeat(llmh_jscan *s, char c)
{
    if (jpeek(s) != c)
        return 0;
    s->p++;
    return 1;
}



static inline int hex4(const char *p, unsigned *out)
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

/* Bytes that end or escape a string, or may not appear in one. */
static const unsigned char string_stop[256] = {
    [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

/* Eight bytes at a time: the bytes of w that are '"', '\\' or below 0x20,
 * as their high bits. Exact up to the first such byte (borrows only move
 * towards later bytes), so on a little-endian load the lowest set bit is it. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline uint64_t word_stops(uint64_t w)
{
    uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');
    return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w)) & HIGHS;
}

/* The first byte from q on that ends or escapes a string; end if none. */
static inline const char *string_stop_at(const char *q, const char *end)
{
    uint64_t w, m;
    while (end - q >= 8) {
        memcpy(&w, q, 8);
        if ((m = word_stops(w)) != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return q + (__builtin_ctzll(m) >> 3);
#else
            break;
#endif
        }
        q += 8;
    }
    while (q < end && !string_stop[(unsigned char)*q])
        q++;
    return q;
}

static inline __attribute__((always_inline)) int jstring(llmh_jscan *s, llmh_jspan *out)
{
    if (!jeat(s, '"'))
        return 0;
    const char *start = s->p;
    int escaped = 0;
    for (;;) {
        /* Jump to the next byte that ends or escapes the string. */
        const char *q = string_stop_at(s->p, s->end);
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


static inline int jnext_key(llmh_jscan *s, int *first, llmh_jspan *key)
{
    if (jeat(s, '}'))
        return 0;
    if (!*first && !jeat(s, ','))
        return -1;
    *first = 0;
    if (!jstring(s, key) || !jeat(s, ':'))
        return -1;
    return 1;
}

#endif
