/* error.h: filling an llmh_error and naming status codes (internal). */
#ifndef LLMH_ERROR_INTERNAL_H
#define LLMH_ERROR_INTERNAL_H

#include <llmhost/types.h>
#include <stdarg.h>

/* Set code, HTTP status and a printf-style one-line message. err may be NULL.
 * Returns code so callers can write `return llmh_error_set(...)`. */
llmh_status llmh_error_set(llmh_error *err, llmh_status code, int http_status,
                           const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Like llmh_error_set, but keeps err->retry_after_ms (a plugin refining an
 * error must not lose the server's Retry-After). */
llmh_status llmh_error_vset(llmh_error *err, llmh_status code, int http_status, const char *fmt,
                            va_list ap) __attribute__((format(printf, 4, 0)));

/* Reset to LLMH_OK, no message, retry_after_ms -1. err may be NULL. */
void llmh_error_clear(llmh_error *err);

#endif
