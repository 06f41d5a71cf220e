/* target.c: resolving a provider for one call. */
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "codec_openai.h"
#include "provider.h"
#include "url.h"

/* Hooks of a plugin that did not declare LLMH_P_THREAD_SAFE never run at
 * the same time: each wrapper takes the plugin's lock and forwards. */
#define PRIV(c) ((llmh_call_private *)(c)->host_private)
static llmh_status s_build_chat(const llmh_call *c, const llmh_chat_params *p,
                                llmh_http_req *req, llmh_error *err)
{
    pthread_mutex_lock(PRIV(c)->hook_lock);
    llmh_status st = PRIV(c)->real->build_chat(c, p, req, err);
    pthread_mutex_unlock(PRIV(c)->hook_lock);
    return st;
}
static llmh_status s_parse_chat(const llmh_call *c, const char *b, size_t n, llmh_chat_out *o,
                                llmh_error *err)
{
    pthread_mutex_lock(PRIV(c)->hook_lock);
    llmh_status st = PRIV(c)->real->parse_chat(c, b, n, o, err);
    pthread_mutex_unlock(PRIV(c)->hook_lock);
    return st;
}
static llmh_status s_parse_event(const llmh_call *c, const llmh_stream_event *ev,
                                 llmh_chat_out *o, int *done, llmh_error *err)
{
    pthread_mutex_lock(PRIV(c)->hook_lock);
    llmh_status st = PRIV(c)->real->parse_event(c, ev, o, done, err);
    pthread_mutex_unlock(PRIV(c)->hook_lock);
    return st;
}
static llmh_status s_build_models(const llmh_call *c, llmh_http_req *req, llmh_error *err)
{
    pthread_mutex_lock(PRIV(c)->hook_lock);
    llmh_status st = PRIV(c)->real->build_models(c, req, err);
    pthread_mutex_unlock(PRIV(c)->hook_lock);
    return st;
}
static llmh_status s_parse_models(const llmh_call *c, const char *b, size_t n,
                                  llmh_models_out *o, llmh_error *err)
{
    pthread_mutex_lock(PRIV(c)->hook_lock);
    llmh_status st = PRIV(c)->real->parse_models(c, b, n, o, err);
    pthread_mutex_unlock(PRIV(c)->hook_lock);
    return st;
}
static void s_classify_error(const llmh_call *c, int status, const char *b, size_t n,
                             llmh_error *err)
{
    pthread_mutex_lock(PRIV(c)->hook_lock);
    PRIV(c)->real->classify_error(c, status, b, n, err);
    pthread_mutex_unlock(PRIV(c)->hook_lock);
}
static llmh_status s_build_probe(const llmh_call *c, llmh_http_req *req, llmh_error *err)
{
    pthread_mutex_lock(PRIV(c)->hook_lock);
    llmh_status st = PRIV(c)->real->build_probe(c, req, err);
    pthread_mutex_unlock(PRIV(c)->hook_lock);
    return st;
}
static llmh_status s_build_model_info(const llmh_call *c, const char *m, llmh_http_req *req,
                                      llmh_error *err)
{
    pthread_mutex_lock(PRIV(c)->hook_lock);
    llmh_status st = PRIV(c)->real->build_model_info(c, m, req, err);
    pthread_mutex_unlock(PRIV(c)->hook_lock);
    return st;
}
static llmh_status s_parse_model_info(const llmh_call *c, const char *m, const char *b, size_t n,
                                      llmh_models_out *o, llmh_error *err)
{
    pthread_mutex_lock(PRIV(c)->hook_lock);
    llmh_status st = PRIV(c)->real->parse_model_info(c, m, b, n, o, err);
    pthread_mutex_unlock(PRIV(c)->hook_lock);
    return st;
}
static llmh_status s_build_version(const llmh_call *c, llmh_http_req *req, llmh_error *err)
{
    pthread_mutex_lock(PRIV(c)->hook_lock);
    llmh_status st = PRIV(c)->real->build_version(c, req, err);
    pthread_mutex_unlock(PRIV(c)->hook_lock);
    return st;
}
static llmh_status s_parse_version(const llmh_call *c, const char *b, size_t n, char *buf,
                                   size_t size, llmh_error *err)
{
    pthread_mutex_lock(PRIV(c)->hook_lock);
    llmh_status st = PRIV(c)->real->parse_version(c, b, n, buf, size, err);
    pthread_mutex_unlock(PRIV(c)->hook_lock);
    return st;
}

static void serialize_hooks(llmh_target *t)
{
    const llmh_codec *r = t->codec;
    llmh_codec *w = &t->serialized;
    memset(w, 0, sizeof *w);
    w->struct_size = sizeof *w;
    w->build_chat = r->build_chat ? s_build_chat : NULL;
    w->parse_chat = r->parse_chat ? s_parse_chat : NULL;
    w->parse_event = r->parse_event ? s_parse_event : NULL;
    w->build_models = r->build_models ? s_build_models : NULL;
    w->parse_models = r->parse_models ? s_parse_models : NULL;
    w->classify_error = r->classify_error ? s_classify_error : NULL;
    w->build_probe = r->build_probe ? s_build_probe : NULL;
    w->build_model_info = r->build_model_info ? s_build_model_info : NULL;
    w->parse_model_info = r->parse_model_info ? s_parse_model_info : NULL;
    w->build_version = r->build_version ? s_build_version : NULL;
    w->parse_version = r->parse_version ? s_parse_version : NULL;
    t->priv.real = r;
    t->priv.hook_lock = &t->rec->plugin->hook_lock;
    t->codec = w;
}

llmh_status llmh_target_resolve(llmh_ctx *ctx, const char *provider, llmh_target *t,
                                llmh_error *err)
{
    memset(t, 0, sizeof *t);
    t->ctx = ctx;
    if (!provider || !*provider)
        provider = llmh_settings_get(ctx->settings, "llm.provider", NULL);
    llmh_ctx_load_for(ctx, provider);
    llmh_ctx_hold_transport(ctx);
    if (!provider || !*provider)
        return llmh_error_set(err, LLMH_E_INVALID, 0,
                              "no provider given: use -p PROVIDER or set llm.provider "
                              "(see 'llmhost providers')");
    t->rec = llmh_registry_find(ctx->registry, provider);
    if (!t->rec) {
        llmh_buf known = {0};
        for (size_t i = 0; i < llmh_registry_provider_count(ctx->registry); i++) {
            if (i)
                llmh_buf_puts(&known, ", ");
            llmh_buf_puts(&known, llmh_registry_provider(ctx->registry, i)->p->key);
        }
        llmh_error_set(err, LLMH_E_INVALID, 0, "unknown provider \"%s\"; known: %s", provider,
                       known.len ? known.data : "none (no plugin loaded; see 'llmhost plugins')");
        llmh_buf_free(&known);
        return LLMH_E_INVALID;
    }
    t->p = t->rec->p;
    t->codec = t->p->codec ? t->p->codec : &llmh_codec_openai;
    llmh_status st = llmh_provider_resolve_url(ctx->settings, t->p, &t->base_url, err);
    if (st != LLMH_OK)
        return st;
    t->url_shown = llmh_url_redact(t->base_url);
    t->api_key = llmh_provider_api_key(ctx->settings, t->p);
    llmh_provider_key_key(t->p, t->key_setting, sizeof t->key_setting);
    llmh_settings_env_name(ctx->settings, t->key_setting, t->key_env, sizeof t->key_env);
    if (!t->p->api_key_env && strncmp(t->key_env, "LLMHOST_", 8) == 0)
        t->key_env[0] = '\0';
    snprintf(t->what, sizeof t->what, "%s at %s", t->p->display_name, t->url_shown);
    t->priv.settings = ctx->settings;
    t->call.struct_size = sizeof t->call;
    t->call.host = llmh_host_table();
    t->call.provider = t->p;
    t->call.base_url = t->base_url;
    t->call.api_key = t->api_key;
    t->call.plugin_state = t->rec->plugin ? t->rec->plugin->state : NULL;
    t->call.host_private = &t->priv;
    if (t->p->codec && t->rec->plugin && !(t->p->flags & LLMH_P_THREAD_SAFE))
        serialize_hooks(t);
    return LLMH_OK;
}

void llmh_target_clear(llmh_target *t)
{
    if (t->priv.tok)
        json_tokener_free(t->priv.tok);
    if (!t->borrowed) {
        free(t->base_url);
        free(t->url_shown);
    }
    memset(t, 0, sizeof *t);
}

llmh_status llmh_target_require_key(const llmh_target *t, llmh_error *err)
{
    if (!(t->p->flags & LLMH_P_KEY_REQUIRED) || t->api_key)
        return LLMH_OK;
    if (t->key_env[0])
        return llmh_error_set(err, LLMH_E_CONFIG, 0, "%s API key not configured: set %s (or %s)",
                              t->p->display_name, t->key_setting, t->key_env);
    return llmh_error_set(err, LLMH_E_CONFIG, 0, "%s API key not configured: set %s",
                          t->p->display_name, t->key_setting);
}

void llmh_target_err_ctx(const llmh_target *t, const char *model, llmh_err_ctx *x)
{
    memset(x, 0, sizeof *x);
    x->call = &t->call;
    x->codec = t->codec;
    x->display_name = t->p->display_name;
    x->url_shown = t->url_shown;
    x->model = model;
    x->key_setting = t->key_setting;
    x->key_env = t->key_env[0] ? t->key_env : NULL;
    x->secret = t->api_key;
}

const char *llmh_target_setting(const llmh_target *t, const char *name)
{
    char key[256];
    snprintf(key, sizeof key, "llm.%s.%s", t->p->key, name);
    const char *v = llmh_settings_get(t->ctx->settings, key, NULL);
    if (v && *v)
        return v;
    snprintf(key, sizeof key, "llm.%s", name);
    return llmh_settings_get(t->ctx->settings, key, NULL);
}

void llmh_target_xfer_opts(const llmh_target *t, llmh_xfer_opts *o)
{
    memset(o, 0, sizeof *o);
    long rt = llmh_settings_request_timeout(t->ctx->settings, t->p->key);
    o->idle_timeout_ms = rt * 1000;
    o->connect_timeout_ms = (rt < 5 ? rt : 5) * 1000;
    int verify = 1;
    llmh_settings_get_bool(t->ctx->settings, "llm.tls_verify", 1, &verify, NULL);
    if (!verify) {
        static int warned;
        if (!warned++)
            llmh_log(LLMH_LOG_WARN, "TLS certificate verification is off (llm.tls_verify=false)");
    }
    o->tls_verify = verify;
    o->what = t->what;
}

void llmh_dry_run_entry(json_object *arr, const llmh_http_req *req)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "method", json_object_new_string(req->method ? req->method : "GET"));
    char *shown = llmh_url_redact(req->url ? req->url : "");
    json_object_object_add(o, "url", json_object_new_string(shown));
    free(shown);
    json_object *h = json_object_new_object();
    for (size_t i = 0; i < req->n_headers; i++)
        json_object_object_add(h, req->headers[i].name,
                               json_object_new_string(req->headers[i].secret
                                                          ? "***"
                                                          : req->headers[i].value));
    json_object_object_add(o, "headers", h);
    json_object *body = NULL;
    if (req->body) {
        body = json_object_get(req->body);
    } else if (req->has_text) {
        body = json_tokener_parse(req->body_text.data ? req->body_text.data : "");
    }
    json_object_object_add(o, "body", body);
    json_object_array_add(arr, o);
}

static void target_copy(llmh_target *dst, const llmh_target *src, int borrow)
{
    memcpy(dst, src, sizeof *dst);
    dst->borrowed = borrow;
    if (!borrow) {
        dst->base_url = llmh_strdup(src->base_url);
        dst->url_shown = llmh_strdup(src->url_shown);
    }
    dst->priv.tok = NULL;
    dst->call.base_url = dst->base_url;
    dst->call.host_private = &dst->priv;
    if (src->codec == &src->serialized)
        dst->codec = &dst->serialized;
}

void llmh_target_clone(llmh_target *dst, const llmh_target *src) { target_copy(dst, src, 0); }

void llmh_target_borrow(llmh_target *dst, const llmh_target *src) { target_copy(dst, src, 1); }
