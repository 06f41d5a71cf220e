/* errors.h: turning a non-2xx answer into one line a person can act on
 * (internal). The host classifies by status; the provider's codec refines
 * with the server's message; this module words the result. */
#ifndef LLMH_ERRORS_H
#define LLMH_ERRORS_H

#include <llmhost/plugin.h>

/* The class of an HTTP status. */
llmh_status llmh_status_from_http(int status);

typedef struct llmh_err_ctx {
    const llmh_call *call;     /* for the codec's classify_error */
    const llmh_codec *codec;
    const char *display_name;  /* "Ollama" */
    const char *url_shown;     /* redacted base URL */
    const char *model;         /* NULL for listing */
    const char *key_setting;   /* "llm.openai.api_key" */
    const char *key_env;       /* "OPENAI_API_KEY" or NULL */
    const char *secret;        /* the API key, scrubbed from server messages */
} llmh_err_ctx;

/* Fill err for an HTTP answer with a non-2xx status. */
void llmh_classify_http_error(const llmh_err_ctx *x, int status, long retry_after_ms,
                              const char *body, size_t len, llmh_error *err);

/* Replace every occurrence of secret in s (in place) with "***". */
void llmh_scrub_secret(char *s, size_t size, const char *secret);

#endif
