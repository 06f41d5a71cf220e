/* plugin_harness.c: see plugin_harness.h. */
#include "plugin_harness.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>

#include "provider.h"
#include "util.h"

#ifndef PLUGIN_DIR
#error "PLUGIN_DIR must name the directory of the built provider plugins"
#endif

llmh_registry *th_reg;
static llmh_settings *g_reg_settings; /* the registry's own */
static char g_tmp[256];

int th_suite_init(const char *prefix, const char *const *env_vars)
{
    snprintf(g_tmp, sizeof g_tmp, "%s", prefix);
    if (!mkdtemp(g_tmp))
        return -1;
    char *xdg = llmh_sprintf("%s/xdg-data", g_tmp);
    setenv("XDG_DATA_HOME", xdg, 1);
    free(xdg);
    for (size_t i = 0; env_vars[i]; i++)
        unsetenv(env_vars[i]);
    g_reg_settings = llmh_settings_new();
    if (!g_reg_settings)
        return -1;
    th_reg = llmh_registry_new(g_reg_settings);
    llmh_registry_set_cli_path(th_reg, PLUGIN_DIR);
    llmh_registry_load(th_reg);
    return 0;
}

int th_suite_clean(void)
{
    llmh_registry_free(th_reg);
    th_reg = NULL;
    llmh_settings_free(g_reg_settings);
    g_reg_settings = NULL;
    char *cmd = llmh_sprintf("rm -rf '%s'", g_tmp);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

int tcall_open(tcall *t, const char *key, llmh_settings *s, const char *api_key)
{
    memset(t, 0, sizeof *t);
    t->rec = th_reg ? llmh_registry_find(th_reg, key) : NULL;
    CU_ASSERT_PTR_NOT_NULL(t->rec);
    if (!t->rec) {
        fprintf(stderr, "\n  provider %s is not registered (plugins from %s)\n", key, PLUGIN_DIR);
        llmh_settings_free(s);
        return -1;
    }
    t->s = s ? s : llmh_settings_new();
    llmh_error err;
    memset(&err, 0, sizeof err);
    llmh_status st = llmh_provider_resolve_url(t->s, t->rec->p, &t->url, &err);
    CU_ASSERT_EQUAL(st, LLMH_OK);
    if (st != LLMH_OK) {
        fprintf(stderr, "\n  %s: %s\n", key, err.message);
        llmh_settings_free(t->s);
        return -1;
    }
    t->priv.settings = t->s;
    t->call.struct_size = sizeof(llmh_call);
    t->call.host = llmh_host_table();
    t->call.provider = t->rec->p;
    t->call.base_url = t->url;
    t->call.api_key = api_key;
    t->call.plugin_state = t->rec->plugin ? t->rec->plugin->state : NULL;
    t->call.host_private = &t->priv;
    llmh_http_req_init(&t->req, t->url);
    return 0;
}

void tcall_close(tcall *t)
{
    if (t->priv.tok)
        json_tokener_free(t->priv.tok);
    llmh_http_req_clear(&t->req);
    free(t->url);
    llmh_settings_free(t->s);
    memset(t, 0, sizeof *t);
}

const llmh_codec *codec_of(const tcall *t)
{
    return t->rec->p->codec ? t->rec->p->codec : llmh_host_table()->openai;
}

/* Settings from key, value pairs ending with NULL. */
llmh_settings *settings_of(const char *key, ...)
{
    llmh_settings *s = llmh_settings_new();
    va_list ap;
    va_start(ap, key);
    for (const char *k = key; k; k = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        llmh_settings_set(s, k, v, LLMH_SRC_CLI);
    }
    va_end(ap);
    return s;
}

const llmh_header *find_header(const llmh_http_req *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return &r->headers[i];
    return NULL;
}

const char *body_text(llmh_http_req *r)
{
    /* The tree, made from the text when the codec wrote text. */
    json_object *body = llmh_http_req_body(r);
    return body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE)
                : "(no body)";
}
