/* util.h: small string and path helpers shared by the host (internal). */
#ifndef LLMH_UTIL_H
#define LLMH_UTIL_H

#include <stddef.h>
#include <string.h>

/* malloc'd formatted string; aborts the process on out-of-memory, because
 * every caller would otherwise need a path it cannot test. */
char *llmh_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *llmh_strdup(const char *s);   /* NULL stays NULL; aborts on OOM */
char *llmh_strndup(const char *s, size_t n);
void *llmh_xmalloc(size_t n);
void *llmh_xcalloc(size_t n, size_t size);
void *llmh_xrealloc(void *p, size_t n);
char *llmh_dirname(const char *path);  /* malloc'd */
const char *llmh_basename(const char *path); /* borrowed, points into path */
int llmh_is_ident(const char *s);      /* [a-z0-9_]+ */
int llmh_str_ends_with(const char *s, const char *suffix);
int llmh_mkdir_p(const char *dir, unsigned mode); /* 0 on success */
/* The non-empty, white-space-trimmed items of a sep-separated list;
 * malloc'd array of malloc'd strings (NULL when none), freed with
 * llmh_strv_free. */
char **llmh_split_list(const char *s, char sep, size_t *n);
void llmh_strv_free(char **v, size_t n);
/* $var/llmhost/rel, else $HOME/home_dir/llmhost/rel (var "XDG_CACHE_HOME",
 * home_dir ".cache"); a relative $var is ignored, as XDG says. malloc'd, or
 * NULL when neither is set. */
char *llmh_xdg_path(const char *var, const char *home_dir, const char *rel);
/* Growable byte buffer, always NUL-terminated. */
typedef struct llmh_buf {
    char *data;
    size_t len, cap;
} llmh_buf;
/* Make room for n more bytes (and the NUL) without changing the contents. */
void llmh_buf_grow(llmh_buf *b, size_t n);
static inline void llmh_buf_reserve(llmh_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap)
        llmh_buf_grow(b, n);
}
/* Inline: request bodies and result lines are built from many small pieces. */
static inline void llmh_buf_append(llmh_buf *b, const char *s, size_t n)
{
    llmh_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}
static inline void llmh_buf_puts(llmh_buf *b, const char *s) { llmh_buf_append(b, s, strlen(s)); }
void llmh_buf_printf(llmh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void llmh_buf_reset(llmh_buf *b);
void llmh_buf_free(llmh_buf *b);
/* Monotonic milliseconds. */
long long llmh_now_ms(void);
void llmh_sleep_ms(long ms);

#endif
