/* provider.c: where a provider's base URL and key come from. */
#include "provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "url.h"
#include "util.h"

const char *llmh_kind_name(llmh_kind k)
{
    switch (k) {
    case LLMH_KIND_LOCAL: return "local";
    case LLMH_KIND_CLOUD: return "cloud";
    default: return "custom";
    }
}

const char *llmh_provider_url_key(const llmh_provider *p, char *buf, size_t size)
{
    if (p->url_setting)
        snprintf(buf, size, "%s", p->url_setting);
    else
        snprintf(buf, size, "llm.%s.url", p->key);
    return buf;
}

const char *llmh_provider_key_key(const llmh_provider *p, char *buf, size_t size)
{
    if (p->api_key_setting)
        snprintf(buf, size, "%s", p->api_key_setting);
    else
        snprintf(buf, size, "llm.%s.api_key", p->key);
    return buf;
}

llmh_status llmh_provider_resolve_url(const llmh_settings *s, const llmh_provider *p, char **out,
                                      llmh_error *err)
{
    char key[256], generic[256];
    llmh_provider_url_key(p, key, sizeof key);
    snprintf(generic, sizeof generic, "llm.%s.url", p->key);
    const char *v = s ? llmh_settings_get(s, key, NULL) : NULL;
    if ((!v || !*v) && s && strcmp(key, generic) != 0)
        v = llmh_settings_get(s, generic, NULL);
    if (v) {
        while (*v == ' ' || *v == '\t')
            v++;
    }
    if (!v || !*v)
        v = p->default_base_url;
    if (!v || !*v)
        return llmh_error_set(err, LLMH_E_CONFIG, 0, "%s has no URL: set %s", p->display_name,
                              key);
    char *norm = NULL;
    /* A provider with its own port (Ollama) is a local-style server: a bare
     * "host" or "host:port" means plain http, as its own client assumes. */
    char *with_scheme = NULL;
    if (p->default_port > 0 && !strstr(v, "://"))
        v = with_scheme = llmh_sprintf("http://%s", v);
    llmh_status st = llmh_url_normalize(v, &norm, err);
    int had_scheme = with_scheme == NULL;
    free(with_scheme);
    if (st != LLMH_OK) {
        /* Name the setting so the user knows where to fix it. */
        if (err) {
            char msg[LLMH_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err->message);
            llmh_error_set(err, st, 0, "%s (%s): %s", p->display_name, key, msg);
        }
        return st;
    }
    /* Like Ollama's own client: "host" or "host:port" without a scheme
     * means the provider's port; an explicit scheme means its standard one. */
    if (st == LLMH_OK && p->default_port > 0 && !had_scheme) {
        char *with = llmh_url_with_default_port(norm, p->default_port);
        free(norm);
        norm = with;
    }
    if (p->url_suffix && *p->url_suffix) {
        char *with = llmh_url_ensure_suffix(norm, p->url_suffix);
        free(norm);
        norm = with;
    }
    *out = norm;
    return LLMH_OK;
}

const char *llmh_provider_api_key(const llmh_settings *s, const llmh_provider *p)
{
    char key[256];
    if (!s)
        return NULL;
    if (!p->api_key_setting) {
        /* Providers without a key setting can still be given one generically. */
        snprintf(key, sizeof key, "llm.%s.api_key", p->key);
        return llmh_settings_get_secret(s, key);
    }
    return llmh_settings_get_secret(s, p->api_key_setting);
}
