/* think.c: the <think> tag state machine. Bytes outside a possible tag go
 * out in spans found with memchr; a '<' starts a held prefix that is kept
 * only while it can still become one of the four tags. */
#include "think.h"

#include <stdlib.h>
#include <string.h>

/* No tag is a prefix of another complete tag (all end in '>', which occurs
 * nowhere else), so a held prefix matches at most one complete tag, and only
 * the first byte of a valid prefix is '<'. */
static const struct {
    const char *s;
    size_t len;
    int close;
} tags[] = {
    {"<think>", 7, 0},
    {"</think>", 8, 1},
    {"<thinking>", 10, 0},
    {"</thinking>", 11, 1},
};

#define THINK_MAX_TAG 11

enum match { M_NONE, M_PREFIX, M_OPEN, M_CLOSE };

struct llmh_think {
    char held[THINK_MAX_TAG]; /* a proper prefix of some tag, starts with '<' */
    size_t held_len;
    int in_block;  /* inside <think>: text is reasoning */
    int drop_ws;   /* just after a close tag: leading whitespace is dropped */
};

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static enum match match_tag(const char *s, size_t n)
{
    enum match m = M_NONE;
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        if (n > tags[i].len)
            continue;
        size_t k = 0;
        while (k < n && ascii_lower(s[k]) == tags[i].s[k])
            k++;
        if (k < n)
            continue;
        if (n == tags[i].len)
            return tags[i].close ? M_CLOSE : M_OPEN;
        m = M_PREFIX;
    }
    return m;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Send text to the part the machine is in. */
static void emit(llmh_think *t, const char *s, size_t n, llmh_buf *answer, llmh_buf *reasoning)
{
    if (n == 0)
        return;
    if (t->in_block) {
        if (reasoning)
            llmh_buf_append(reasoning, s, n);
        return;
    }
    if (t->drop_ws) {
        while (n > 0 && is_ws(*s)) {
            s++;
            n--;
        }
        if (n == 0)
            return;
        t->drop_ws = 0;
    }
    if (answer)
        llmh_buf_append(answer, s, n);
}

llmh_think *llmh_think_new(void)
{
    return llmh_xcalloc(1, sizeof(llmh_think));
}

void llmh_think_free(llmh_think *t)
{
    free(t);
}

void llmh_think_reset(llmh_think *t)
{
    memset(t, 0, sizeof *t);
}

void llmh_think_feed(llmh_think *t, const char *text, size_t len, llmh_buf *answer,
                     llmh_buf *reasoning)
{
    size_t i = 0;
    while (i < len) {
        if (t->held_len == 0) {
            const char *lt = memchr(text + i, '<', len - i);
            size_t end = lt ? (size_t)(lt - text) : len;
            emit(t, text + i, end - i, answer, reasoning);
            if (!lt)
                return;
            t->held[0] = '<';
            t->held_len = 1;
            i = end + 1;
            continue;
        }
        char tmp[THINK_MAX_TAG];
        size_t n = t->held_len + 1;
        memcpy(tmp, t->held, t->held_len);
        tmp[t->held_len] = text[i];
        enum match m = match_tag(tmp, n);
        if (m == M_NONE) {
            /* The held bytes were a valid prefix with '<' only first, so they
             * are plain text; text[i] is looked at afresh (it may be '<'). */
            emit(t, t->held, t->held_len, answer, reasoning);
            t->held_len = 0;
            continue;
        }
        i++;
        if (m == M_PREFIX) {
            memcpy(t->held, tmp, n);
            t->held_len = n;
            continue;
        }
        t->held_len = 0;
        if (m == M_OPEN) {
            if (t->in_block)
                emit(t, tmp, n, answer, reasoning);
            else
                t->in_block = 1;
        } else {
            t->in_block = 0;
            t->drop_ws = 1;
        }
    }
}

void llmh_think_finish(llmh_think *t, llmh_buf *answer, llmh_buf *reasoning)
{
    emit(t, t->held, t->held_len, answer, reasoning);
    llmh_think_reset(t);
}

static char *take(llmh_buf *b)
{
    if (!b->data)
        return llmh_strdup("");
    return b->data;
}

void llmh_think_strip(const char *text, size_t len, char **answer, char **reasoning)
{
    llmh_think t;
    llmh_buf a = {0}, r = {0};
    llmh_think_reset(&t);
    llmh_think_feed(&t, text, len, answer ? &a : NULL, reasoning ? &r : NULL);
    llmh_think_finish(&t, answer ? &a : NULL, reasoning ? &r : NULL);
    if (answer)
        *answer = take(&a);
    if (reasoning)
        *reasoning = take(&r);
}
