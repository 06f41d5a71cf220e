/* ctx.c: the embedding API's context: settings, plugins, providers. */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "hostapi.h"
#include "provider.h"
#include "transport.h"
#include "util.h"
#include "version.h"

const char *llmh_version(void) { return LLMH_VERSION_STRING; }

llmh_status llmh_ctx_new(const llmh_options *opts, llmh_ctx **out, llmh_error *err)
{
    llmh_error_clear(err);
    *out = NULL;
    llmh_options o;
    memset(&o, 0, sizeof o);
    if (opts)
        memcpy(&o, opts, opts->struct_size < sizeof o ? opts->struct_size : sizeof o);
    llmh_ctx *ctx = llmh_xcalloc(1, sizeof *ctx);
    pthread_mutex_init(&ctx->lock, NULL);
    ctx->settings = llmh_settings_new();
    if (!o.no_config) {
        llmh_status st = llmh_settings_load(ctx->settings, o.config_file, err);
        if (st != LLMH_OK) {
            llmh_settings_free(ctx->settings);
            pthread_mutex_destroy(&ctx->lock);
            free(ctx);
            return st;
        }
    }
    ctx->registry = llmh_registry_new(ctx->settings);
    ctx->breakers = llmh_breakers_new();
    ctx->breakers_path = llmh_xdg_path("XDG_CACHE_HOME", ".cache", "breakers.json");
    /* Breaker state outlives one CLI process, so a dead server is skipped fast. */
    if (ctx->breakers_path)
        llmh_breakers_load(ctx->breakers, ctx->breakers_path);
    if (o.plugin_path)
        llmh_registry_set_cli_path(ctx->registry, o.plugin_path);
    *out = ctx;
    return LLMH_OK;
}

void llmh_ctx_free(llmh_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->breakers_path && llmh_breakers_dirty(ctx->breakers))
        llmh_breakers_save(ctx->breakers, ctx->breakers_path);
    llmh_breakers_free(ctx->breakers);
    free(ctx->breakers_path);
    llmh_cache_close(ctx->cache);
    llmh_registry_free(ctx->registry);
    llmh_settings_free(ctx->settings);
    pthread_mutex_destroy(&ctx->lock);
    if (ctx->transport_held)
        llmh_transport_unref();
    free(ctx);
}

void llmh_ctx_load_plugins(llmh_ctx *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    if (!ctx->plugins_loaded) {
        llmh_host_set_global_settings(ctx->settings);
        llmh_registry_load(ctx->registry);
        llmh_settings_warn_unknown(ctx->settings);
        ctx->plugins_loaded = 1;
    }
    pthread_mutex_unlock(&ctx->lock);
}

void llmh_ctx_load_for(llmh_ctx *ctx, const char *key)
{
    pthread_mutex_lock(&ctx->lock);
    int done = ctx->plugins_loaded;
    if (!done && key && *key) {
        llmh_host_set_global_settings(ctx->settings);
        /* Unknown-key warnings wait for a full load: with one plugin open,
         * other providers' settings would look unknown. */
        done = llmh_registry_load_named(ctx->registry, key);
    }
    pthread_mutex_unlock(&ctx->lock);
    if (!done)
        llmh_ctx_load_plugins(ctx);
}

llmh_status llmh_set(llmh_ctx *ctx, const char *key, const char *value, llmh_error *err)
{
    if (!ctx || !key || !*key || !value)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "llmh_set needs a key and a value");
    return llmh_settings_set(ctx->settings, key, value, LLMH_SRC_CLI);
}

const char *llmh_get(llmh_ctx *ctx, const char *key)
{
    return ctx && key ? llmh_settings_get(ctx->settings, key, NULL) : NULL;
}

size_t llmh_plugin_count(llmh_ctx *ctx)
{
    llmh_ctx_load_plugins(ctx);
    return llmh_registry_plugin_count(ctx->registry);
}

llmh_status llmh_plugin_get(llmh_ctx *ctx, size_t i, llmh_plugin_info *out)
{
    llmh_ctx_load_plugins(ctx);
    const llmh_plugin_rec *p = llmh_registry_plugin(ctx->registry, i);
    if (!p)
        return LLMH_E_INVALID;
    out->name = p->name;
    out->path = p->path;
    out->version = p->version ? p->version : "";
    out->loaded = p->gate == LLMH_GATE_OK;
    out->gate = (int)p->gate;
    out->reason = p->reason;
    return LLMH_OK;
}

size_t llmh_provider_count(llmh_ctx *ctx)
{
    llmh_ctx_load_plugins(ctx);
    return llmh_registry_provider_count(ctx->registry);
}

llmh_status llmh_provider_get(llmh_ctx *ctx, size_t i, llmh_provider_info *out)
{
    llmh_ctx_load_plugins(ctx);
    const llmh_provider_rec *pr = llmh_registry_provider(ctx->registry, i);
    if (!pr)
        return LLMH_E_INVALID;
    out->key = pr->p->key;
    out->display_name = pr->p->display_name;
    out->kind = llmh_kind_name(pr->p->kind);
    out->plugin = pr->plugin && !pr->declared ? pr->plugin->name : NULL;
    out->api_key_set = llmh_provider_api_key(ctx->settings, pr->p) != NULL;
    return LLMH_OK;
}

char *llmh_provider_base_url(llmh_ctx *ctx, const char *key, llmh_error *err)
{
    llmh_ctx_load_for(ctx, key);
    const llmh_provider_rec *pr = llmh_registry_find(ctx->registry, key);
    if (!pr) {
        llmh_error_set(err, LLMH_E_INVALID, 0, "unknown provider \"%s\"", key);
        return NULL;
    }
    char *url = NULL;
    if (llmh_provider_resolve_url(ctx->settings, pr->p, &url, err) != LLMH_OK)
        return NULL;
    return url;
}

llmh_cache *llmh_ctx_cache(llmh_ctx *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    if (!ctx->cache && !ctx->cache_failed) {
        llmh_cache_config c;
        memset(&c, 0, sizeof c);
        llmh_error err;
        llmh_error_clear(&err);
        if (llmh_cache_config_from_settings(ctx->settings, NULL, &c, &err) == LLMH_OK) {
            /* Opened able to read and write; each call's own mode decides. */
            c.mode = LLMH_CACHE_ON;
            ctx->cache = llmh_cache_open(&c, &err);
        }
        if (!ctx->cache) {
            ctx->cache_failed = 1;
            llmh_log(LLMH_LOG_WARN, "response cache unavailable: %s", err.message);
        }
        llmh_cache_config_clear(&c);
    }
    pthread_mutex_unlock(&ctx->lock);
    return ctx->cache;
}

void llmh_ctx_hold_transport(llmh_ctx *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    if (!ctx->transport_held) {
        llmh_transport_ref();
        ctx->transport_held = 1;
    }
    pthread_mutex_unlock(&ctx->lock);
}
