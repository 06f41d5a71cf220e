/* jscan.h: a small JSON scanner that walks a text without building a tree
 * or allocating, for hot paths that need a few fields of a known shape
 * (stream chunks). Anything it is not sure of makes it give up, so callers
 * fall back to the full parser (internal). */
#ifndef LLMH_JSCAN_H
#define LLMH_JSCAN_H

#include <llmhost/plugin.h>
#include <stddef.h>
#include <string.h>

#include "util.h"

typedef struct llmh_jscan {
    const char *p;
    const char *end;
} llmh_jscan;

/* A JSON string's contents as found in the text, escapes not yet decoded. */
typedef struct llmh_jspan {
    const char *start; /* after the opening quote; NULL when absent or null */
    size_t len;        /* raw bytes up to the closing quote */
    int escaped;       /* contains backslash escapes */
} llmh_jspan;

void llmh_jscan_init(llmh_jscan *s, const char *text, size_t len);
/* Skip white space; returns the next byte or 0 at the end. */
char llmh_jscan_peek(llmh_jscan *s);
/* Consume c (after white space); 0 if the next byte is something else. */
int llmh_jscan_eat(llmh_jscan *s, char c);
/* A string at the cursor into *out (raw span); 0 on a syntax error. */
int llmh_jscan_string(llmh_jscan *s, llmh_jspan *out);
/* Skip any value; 0 on a syntax error. */
int llmh_jscan_skip(llmh_jscan *s);
/* An integer at the cursor; 0 if it is not one. */
int llmh_jscan_long(llmh_jscan *s, long *out);
/* A number at the cursor (integer or not); 0 if it is not one. */
int llmh_jscan_double(llmh_jscan *s, double *out);
/* Is the value at the cursor null? Consumes it if so. */
int llmh_jscan_null(llmh_jscan *s);
/* Object iteration: call after '{' was eaten. Returns 1 with *key set and
 * the cursor on the value, 0 at '}' (consumed), -1 on a syntax error. */
int llmh_jscan_next_key(llmh_jscan *s, int *first, llmh_jspan *key);
/* Does the raw key equal name (keys with escapes never match)? */
int llmh_jspan_is(const llmh_jspan *k, const char *name);
/* The same for a string literal, its length known when compiled. */
#define LLMH_JSPAN_IS(k, lit)                                                                 \
    (!(k)->escaped && (k)->len == sizeof(lit) - 1 && memcmp((k)->start, lit, sizeof(lit) - 1) == 0)
/* Append the decoded string to b (escapes, \uXXXX and surrogate pairs to UTF-8). */
void llmh_jspan_append(const llmh_jspan *v, llmh_buf *b);

/* The most fields one llmh_jscan_fields call reads. */
#define LLMH_JSCAN_FIELDS_MAX 64
/* host->json_fields (see <llmhost/plugin.h>) with the buffer for the
 * decoded strings given: scratch is reset, then holds them. */
int llmh_jscan_fields(const char *text, size_t len, llmh_json_field *fields, size_t n,
                      llmh_buf *scratch);

#endif
