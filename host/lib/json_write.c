/* json_write.c: a compact JSON printer for json-c trees. Strings are
 * escaped as JSON requires (quote, backslash, control characters); numbers
 * keep json-c's own text so a double set with json_object_new_double_s
 * prints as it was given. */
#include "json_write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_string(llmh_buf *b, const char *s, size_t n);

void llmh_json_write_str(llmh_buf *b, const char *s)
{
    if (!s)
        llmh_buf_append(b, "null", 4);
    else
        write_string(b, s, strlen(s));
}

void llmh_json_write_int(llmh_buf *b, long long x)
{
    /* By hand: printf's machinery costs more than the rest of a body. */
    unsigned long long u = x < 0 ? 0ull - (unsigned long long)x : (unsigned long long)x;
    char n[24], *p = n + sizeof n;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (x < 0)
        *--p = '-';
    llmh_buf_append(b, p, (size_t)(n + sizeof n - p));
}

void llmh_json_write_double(llmh_buf *b, double d)
{
    if (!isfinite(d)) {
        llmh_buf_append(b, "null", 4);
        return;
    }
    /* Most numbers in requests are a few decimals (temperature 0.7, top_p
     * 0.95): when d is exactly the double nearest to k/1000, "k/1000"
     * written out reads back as d (division rounds correctly, as strtod
     * does) and is what %.15g would print, without printf's cost. */
    if (fabs(d) < 1e12) {
        long long k = llround(d * 1000);
        if ((double)k / 1000 == d) {
            unsigned long long u = k < 0 ? 0ull - (unsigned long long)k : (unsigned long long)k;
            char n[32], *p = n + sizeof n;
            unsigned frac = (unsigned)(u % 1000);
            u /= 1000;
            int digits = 3;
            while (digits && frac % 10 == 0) {
                frac /= 10;
                digits--;
            }
            for (int i = 0; i < digits; i++) {
                *--p = (char)('0' + frac % 10);
                frac /= 10;
            }
            if (digits)
                *--p = '.';
            do
                *--p = (char)('0' + u % 10);
            while ((u /= 10) != 0);
            if (k < 0 || (k == 0 && signbit(d)))
                *--p = '-';
            llmh_buf_append(b, p, (size_t)(n + sizeof n - p));
            return;
        }
    }
    char n[40];
    int len = snprintf(n, sizeof n, "%.15g", d);
    if (strtod(n, NULL) != d)
        len = snprintf(n, sizeof n, "%.17g", d);
    llmh_buf_append(b, n, (size_t)len);
}

static void write_string(llmh_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* Most strings need no escape: one copy between the quotes. */
    llmh_buf_reserve(b, n + 2);
    llmh_buf_append(b, "\"", 1);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        llmh_buf_append(b, s + start, i - start);
        start = i + 1;
        switch (c) {
        case '"': llmh_buf_append(b, "\\\"", 2); break;
        case '\\': llmh_buf_append(b, "\\\\", 2); break;
        case '\n': llmh_buf_append(b, "\\n", 2); break;
        case '\r': llmh_buf_append(b, "\\r", 2); break;
        case '\t': llmh_buf_append(b, "\\t", 2); break;
        case '\b': llmh_buf_append(b, "\\b", 2); break;
        case '\f': llmh_buf_append(b, "\\f", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            llmh_buf_append(b, u, 6);
        }
        }
    }
    llmh_buf_append(b, s + start, n - start);
    llmh_buf_append(b, "\"", 1);
}

void llmh_json_write(llmh_buf *b, json_object *v)
{
    if (b->cap < 512) { /* one allocation for a typical request body */
        b->data = llmh_xrealloc(b->data, 512);
        b->data[b->len] = '\0';
        b->cap = 512;
    }
    switch (json_object_get_type(v)) {
    case json_type_null: llmh_buf_append(b, "null", 4); break;
    case json_type_boolean:
        if (json_object_get_boolean(v))
            llmh_buf_append(b, "true", 4);
        else
            llmh_buf_append(b, "false", 5);
        break;
    case json_type_int: llmh_json_write_int(b, (long long)json_object_get_int64(v)); break;
    case json_type_double: llmh_json_write_double(b, json_object_get_double(v)); break;
    case json_type_string:
        write_string(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        break;
    case json_type_array: {
        llmh_buf_append(b, "[", 1);
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                llmh_buf_append(b, ",", 1);
            llmh_json_write(b, json_object_array_get_idx(v, i));
        }
        llmh_buf_append(b, "]", 1);
        break;
    }
    case json_type_object: {
        llmh_buf_append(b, "{", 1);
        int first = 1;
        json_object_object_foreach(v, key, val)
        {
            if (!first)
                llmh_buf_append(b, ",", 1);
            first = 0;
            write_string(b, key, strlen(key));
            llmh_buf_append(b, ":", 1);
            llmh_json_write(b, val);
        }
        llmh_buf_append(b, "}", 1);
        break;
    }
    }
}
