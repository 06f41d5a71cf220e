/* error.c: filling llmh_error, and llmh_strerror(). */
#include "error.h"

#include <llmhost/llmhost.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

llmh_status llmh_error_vset(llmh_error *err, llmh_status code, int http_status, const char *fmt,
                            va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    err->http_status = http_status;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return code;
}

llmh_status llmh_error_set(llmh_error *err, llmh_status code, int http_status,
                           const char *fmt, ...)
{
    if (err)
        err->retry_after_ms = -1;
    va_list ap;
    va_start(ap, fmt);
    llmh_error_vset(err, code, http_status, fmt, ap);
    va_end(ap);
    return code;
}

void llmh_error_clear(llmh_error *err)
{
    if (!err)
        return;
    err->code = LLMH_OK;
    err->http_status = 0;
    err->retry_after_ms = -1;
    err->message[0] = '\0';
}

const char *llmh_strerror(llmh_status code)
{
    switch (code) {
    case LLMH_OK: return "success";
    case LLMH_E_INVALID: return "invalid argument";
    case LLMH_E_NOMEM: return "out of memory";
    case LLMH_E_CONFIG: return "configuration error";
    case LLMH_E_PLUGIN: return "plugin error";
    case LLMH_E_AUTH: return "authentication failed";
    case LLMH_E_PERMISSION: return "permission denied";
    case LLMH_E_NOT_FOUND: return "not found";
    case LLMH_E_RATE_LIMITED: return "rate limited";
    case LLMH_E_BAD_REQUEST: return "bad request";
    case LLMH_E_CONTEXT_LENGTH: return "context length exceeded";
    case LLMH_E_SERVER: return "server error";
    case LLMH_E_OVERLOADED: return "server overloaded";
    case LLMH_E_TIMEOUT: return "timed out";
    case LLMH_E_CONNECT: return "connection failed";
    case LLMH_E_PROTOCOL: return "protocol error";
    case LLMH_E_UNAVAILABLE: return "provider unavailable";
    case LLMH_E_CANCELLED: return "cancelled";
    case LLMH_E_IO: return "I/O error";
    case LLMH_E_UNSUPPORTED: return "not supported";
    case LLMH_E_STREAM_CUT: return "stream cut before its end";
    }
    return "unknown status";
}
