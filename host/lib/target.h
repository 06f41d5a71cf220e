/* target.h: one provider resolved for a call: descriptor, codec, base URL,
 * key and the llmh_call handed to its hooks (internal). */
#ifndef LLMH_TARGET_H
#define LLMH_TARGET_H

#include "ctx.h"
#include "errors.h"
#include "hostapi.h"
#include "transport.h"

typedef struct llmh_target {
    llmh_ctx *ctx;
    const llmh_provider_rec *rec;
    const llmh_provider *p;
    const llmh_codec *codec;
    char *base_url;      /* normalized; may hold credentials: never print */
    char *url_shown;     /* redacted */
    const char *api_key; /* NULL when none */
    char key_setting[160];
    char key_env[96];    /* "" when none */
    char what[512];      /* "Ollama at http://..." for messages */
    llmh_call call;
    llmh_call_private priv;
    llmh_codec serialized;  /* the plugin's hooks behind its lock (see target.c) */
    int borrowed;           /* base_url and url_shown belong to another target */
} llmh_target;

/* Resolve provider (NULL: llm.provider). LLMH_E_INVALID for an unknown one
 * (the message lists the known keys); LLMH_E_CONFIG for a bad URL. */
llmh_status llmh_target_resolve(llmh_ctx *ctx, const char *provider, llmh_target *t,
                                llmh_error *err);
void llmh_target_clear(llmh_target *t);
/* A resolved target copied for another call (its own strings and call). */
void llmh_target_clone(llmh_target *dst, const llmh_target *src);
/* The same, sharing src's strings: src must outlive dst (a batch's targets). */
void llmh_target_borrow(llmh_target *dst, const llmh_target *src);

/* Fail with the PROVIDERS.md message when a required key is missing. */
llmh_status llmh_target_require_key(const llmh_target *t, llmh_error *err);

/* The error-wording context for this target. */
void llmh_target_err_ctx(const llmh_target *t, const char *model, llmh_err_ctx *x);

/* Transport options from settings: connect min(5 s, request_timeout), idle
 * request_timeout, TLS verification. */
void llmh_target_xfer_opts(const llmh_target *t, llmh_xfer_opts *o);

/* A setting for this provider: llm.<key>.<name>, else llm.<name>. Borrowed. */
const char *llmh_target_setting(const llmh_target *t, const char *name);

/* Append a dry-run entry for req to the array arr (json_object). */
void llmh_dry_run_entry(json_object *arr, const llmh_http_req *req);

#endif
