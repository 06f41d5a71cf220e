/* errors.c: the wording of provider errors. Each message names who failed,
 * the HTTP status, the server's own message, and what to do next. */
#include "errors.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

llmh_status llmh_status_from_http(int s)
{
    if (s == 401)
        return LLMH_E_AUTH;
    if (s == 403)
        return LLMH_E_PERMISSION;
    if (s == 404)
        return LLMH_E_NOT_FOUND;
    if (s == 408)
        return LLMH_E_TIMEOUT;
    if (s == 413)
        return LLMH_E_CONTEXT_LENGTH;
    if (s == 429)
        return LLMH_E_RATE_LIMITED;
    if (s == 529)
        return LLMH_E_OVERLOADED;
    if (s >= 500)
        return LLMH_E_SERVER;
    if (s >= 400)
        return LLMH_E_BAD_REQUEST;
    return LLMH_E_PROTOCOL;
}

void llmh_scrub_secret(char *s, size_t size, const char *secret)
{
    if (!secret || strlen(secret) < 4)
        return;
    size_t sl = strlen(secret);
    char *p;
    while ((p = strstr(s, secret)) != NULL) {
        size_t tail = strlen(p + sl);
        if (p + 3 + tail + 1 > s + size)
            tail = (size_t)(s + size - p) - 4;
        memmove(p + 3, p + sl, tail);
        memcpy(p, "***", 3);
        p[3 + tail] = '\0';
    }
}

/* A server message as one printable line of bounded length. */
static void one_line(const char *in, size_t len, char *out, size_t size)
{
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < len && o + 4 < size; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ') {
            space = o > 0;
            continue;
        }
        if (ch < 0x20)
            continue;
        if (space) {
            out[o++] = ' ';
            space = 0;
        }
        out[o++] = (char)ch;
    }
    if (o + 4 >= size && size > 4) {
        memcpy(out + size - 4, "...", 3);
        o = size - 1;
    }
    out[o] = '\0';
}

void llmh_classify_http_error(const llmh_err_ctx *x, int status, long retry_after_ms,
                              const char *body, size_t len, llmh_error *err)
{
    llmh_error_clear(err);
    err->code = llmh_status_from_http(status);
    err->http_status = status;
    err->retry_after_ms = retry_after_ms;
    if (x->codec && x->codec->classify_error)
        x->codec->classify_error(x->call, status, body, len, err);
    err->http_status = status;
    if (retry_after_ms >= 0 && err->retry_after_ms < 0)
        err->retry_after_ms = retry_after_ms;
    char server[256];
    if (err->message[0])
        one_line(err->message, strlen(err->message), server, sizeof server);
    else if (body && len)
        one_line(body, len, server, sizeof server);
    else
        server[0] = '\0';
    llmh_scrub_secret(server, sizeof server, x->secret);
    const char *sep = server[0] ? ": " : "";
    const char *who = x->display_name ? x->display_name : "the server";
    const char *url = x->url_shown ? x->url_shown : "";
    switch (err->code) {
    case LLMH_E_AUTH:
        if (x->key_env)
            snprintf(err->message, sizeof err->message,
                     "%s rejected the API key (HTTP %d)%s%s; check %s (or %s)", who, status, sep,
                     server, x->key_setting ? x->key_setting : "the API key setting", x->key_env);
        else
            snprintf(err->message, sizeof err->message,
                     "%s rejected the API key (HTTP %d)%s%s; check %s", who, status, sep, server,
                     x->key_setting ? x->key_setting : "the API key setting");
        break;
    case LLMH_E_PERMISSION:
        snprintf(err->message, sizeof err->message,
                 "%s refused access (HTTP %d)%s%s; the key lacks permission for this", who, status,
                 sep, server);
        break;
    case LLMH_E_NOT_FOUND:
        if (x->model)
            snprintf(err->message, sizeof err->message,
                     "model \"%s\" not found on %s at %s (HTTP %d)%s%s", x->model, who, url,
                     status, sep, server);
        else
            snprintf(err->message, sizeof err->message,
                     "%s at %s answered 404 Not Found%s%s; check the URL", who, url, sep, server);
        break;
    case LLMH_E_RATE_LIMITED:
        if (err->retry_after_ms >= 0)
            snprintf(err->message, sizeof err->message,
                     "%s is rate limiting requests (HTTP %d); retry after %ld s%s%s", who, status,
                     (err->retry_after_ms + 999) / 1000, sep, server);
        else
            snprintf(err->message, sizeof err->message,
                     "%s is rate limiting requests (HTTP %d)%s%s", who, status, sep, server);
        break;
    case LLMH_E_CONTEXT_LENGTH:
        snprintf(err->message, sizeof err->message,
                 "the prompt does not fit %s's context window (HTTP %d)%s%s",
                 x->model ? x->model : who, status, sep, server);
        break;
    case LLMH_E_BAD_REQUEST:
        snprintf(err->message, sizeof err->message, "%s rejected the request (HTTP %d)%s%s", who,
                 status, sep, server);
        break;
    case LLMH_E_OVERLOADED:
        snprintf(err->message, sizeof err->message, "%s is overloaded (HTTP %d)%s%s", who, status,
                 sep, server);
        break;
    case LLMH_E_SERVER:
        snprintf(err->message, sizeof err->message, "%s server error (HTTP %d)%s%s", who, status,
                 sep, server);
        break;
    case LLMH_E_TIMEOUT:
        snprintf(err->message, sizeof err->message, "%s timed out (HTTP %d)%s%s", who, status,
                 sep, server);
        break;
    default:
        snprintf(err->message, sizeof err->message, "%s answered HTTP %d%s%s", who, status, sep,
                 server);
        break;
    }
}
