/* cmd_doctor.c: `llmhost doctor`: what is configured, what was found, what
 * is reachable, and what to do when nothing is. Never prints a key. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "discover.h"
#include "provider.h"
#include "url.h"
#include "util.h"

static const char help[] =
    "Usage: llmhost doctor [--json]\n"
    "\n"
    "Show the configuration file read, the plugin directories searched, the\n"
    "plugins loaded or refused, and for each provider its resolved URL, whether\n"
    "a key is set (never the key), whether it is available and why not.\n";

json_object *cli_plugin_json(const llmh_registry *r, const llmh_plugin_rec *p);

static void add_breaker(void *ud, const char *key, llmh_breaker_state st, int consecutive,
                        int window_failures, int window_requests, long retry_in_ms)
{
    json_object *o = json_object_new_object();
    const char *bar = strchr(key, '|');
    json_object_object_add(o, "provider", json_object_new_string_len(key, bar ? (int)(bar - key) : (int)strlen(key)));
    json_object_object_add(o, "base_url", bar ? json_object_new_string(bar + 1) : NULL);
    json_object_object_add(o, "state", json_object_new_string(llmh_breaker_state_name(st)));
    json_object_object_add(o, "consecutive_failures", json_object_new_int(consecutive));
    json_object_object_add(o, "window_failures", json_object_new_int(window_failures));
    json_object_object_add(o, "window_requests", json_object_new_int(window_requests));
    json_object_object_add(o, "retry_in_ms", st == LLMH_BREAKER_CLOSED ? NULL : json_object_new_int64(retry_in_ms));
    json_object_array_add(ud, o);
}

int cmd_doctor(cli *c, int argc, char **argv)
{
    int json = 0;
    int rc = cli_json_only("doctor", help, argc, argv, &json);
    if (rc >= 0)
        return rc;
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx)
        return EXIT_USAGE;
    llmh_ctx_load_plugins(ctx);
    const llmh_registry *r = ctx->registry;
    json_object *doc = json_object_new_object();
    const char *file = llmh_settings_file(ctx->settings);
    json_object *cfg = json_object_new_object();
    json_object_object_add(cfg, "file", file ? json_object_new_string(file) : NULL);
    json_object *searched = json_object_new_array();
    if (c->config_file) {
        json_object_array_add(searched, json_object_new_string(c->config_file));
    } else {
        char *p = llmh_settings_user_path();
        if (p)
            json_object_array_add(searched, json_object_new_string(p));
        free(p);
        json_object_array_add(searched, json_object_new_string("/etc/llmhost/llmhost.ini"));
    }
    json_object_object_add(cfg, "searched", searched);
    json_object_object_add(doc, "config", cfg);
    json_object *dirs = json_object_new_array();
    for (size_t i = 0; i < llmh_registry_dir_count(r); i++)
        json_object_array_add(dirs, json_object_new_string(llmh_registry_dir(r, i)));
    json_object_object_add(doc, "plugin_dirs", dirs);
    json_object *plugins = json_object_new_array();
    for (size_t i = 0; i < llmh_registry_plugin_count(r); i++)
        json_object_array_add(plugins, cli_plugin_json(r, llmh_registry_plugin(r, i)));
    json_object_object_add(doc, "plugins", plugins);

    size_t np = llmh_registry_provider_count(r);
    const char **keys = calloc(np ? np : 1, sizeof *keys);
    for (size_t i = 0; i < np; i++)
        keys[i] = llmh_registry_provider(r, i)->p->key;
    llmh_probe *probes = calloc(np ? np : 1, sizeof *probes);
    llmh_probe_run(ctx, keys, np, 0, 0, probes);
    llmh_probe_versions(probes, np);
    json_object *provs = json_object_new_array();
    size_t available = 0;
    for (size_t i = 0; i < np; i++) {
        const llmh_provider *p = llmh_registry_provider(r, i)->p;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "key", json_object_new_string(p->key));
        json_object_object_add(o, "name", json_object_new_string(p->display_name));
        json_object_object_add(o, "kind", json_object_new_string(llmh_kind_name(p->kind)));
        json_object_object_add(o, "base_url", probes[i].t.url_shown
                                                  ? json_object_new_string(probes[i].t.url_shown)
                                                  : NULL);
        char kbuf[256];
        json_object_object_add(o, "key_setting",
                               json_object_new_string(llmh_provider_key_key(p, kbuf, sizeof kbuf)));
        json_object_object_add(o, "api_key_set",
                               json_object_new_boolean(llmh_provider_api_key(ctx->settings, p) != NULL));
        json_object_object_add(o, "available", json_object_new_boolean(probes[i].available));
        json_object_object_add(o, "reason", probes[i].reason ? json_object_new_string(probes[i].reason) : NULL);
        if (probes[i].version)
            json_object_object_add(o, "server_version", json_object_new_string(probes[i].version));
        available += probes[i].available != 0;
        json_object_array_add(provs, o);
        llmh_probe_clear(&probes[i]);
    }
    free(probes);
    free(keys);
    json_object_object_add(doc, "providers", provs);
    json_object *breakers = json_object_new_array();
    llmh_breakers_foreach(ctx->breakers, llmh_now_ms(), add_breaker, breakers);
    json_object_object_add(doc, "breakers", breakers);
    const char *advice =
        available ? NULL
                  : "No provider is available. Start a local server (for example 'ollama serve' "
                    "or LM Studio's server), or set a cloud key (for example export "
                    "OPENAI_API_KEY=... or -s llm.openai.api_key=...), or point a provider at "
                    "your server with -s llm.openai_endpoint.url=http://HOST:PORT/v1.";
    json_object_object_add(doc, "advice", advice ? json_object_new_string(advice) : NULL);
    if (json) {
        cli_print_json(doc);
        return EXIT_OK;
    }
    printf("Configuration file: %s\n", file ? file : "none (defaults, environment and -s only)");
    printf("Plugin directories searched:\n");
    for (size_t i = 0; i < json_object_array_length(dirs); i++)
        printf("  %s\n", json_object_get_string(json_object_array_get_idx(dirs, i)));
    printf("Plugins:\n");
    for (size_t i = 0; i < llmh_registry_plugin_count(r); i++) {
        const llmh_plugin_rec *p = llmh_registry_plugin(r, i);
        printf("  %-18s %s%s%s\n", p->name, p->gate == LLMH_GATE_OK ? "loaded" : "refused",
               p->reason ? ": " : "", p->reason ? p->reason : "");
    }
    printf("Providers:\n");
    for (size_t i = 0; i < json_object_array_length(provs); i++) {
        json_object *o = json_object_array_get_idx(provs, i), *v;
        json_object_object_get_ex(o, "key", &v);
        printf("  %-18s ", json_object_get_string(v));
        json_object_object_get_ex(o, "base_url", &v);
        printf("%-44s ", v ? json_object_get_string(v) : "-");
        json_object_object_get_ex(o, "api_key_set", &v);
        printf("%-7s ", json_object_get_boolean(v) ? "key set" : "no key");
        json_object_object_get_ex(o, "available", &v);
        printf("%s", json_object_get_boolean(v) ? "available" : "not available");
        if (json_object_object_get_ex(o, "server_version", &v))
            printf(" (server %s)", json_object_get_string(v));
        json_object_object_get_ex(o, "reason", &v);
        printf("%s%s\n", v ? ": " : "", v ? json_object_get_string(v) : "");
    }
    size_t nb = json_object_array_length(breakers), shown_b = 0;
    for (size_t i = 0; i < nb; i++) {
        json_object *o = json_object_array_get_idx(breakers, i), *v, *p, *u;
        json_object_object_get_ex(o, "state", &v);
        if (!strcmp(json_object_get_string(v), "closed"))
            continue;
        if (!shown_b++)
            printf("Circuit breakers not closed:\n");
        json_object_object_get_ex(o, "provider", &p);
        json_object_object_get_ex(o, "base_url", &u);
        json_object *retry = NULL, *cf = NULL;
        json_object_object_get_ex(o, "retry_in_ms", &retry);
        json_object_object_get_ex(o, "consecutive_failures", &cf);
        printf("  %-18s %-44s %s after %d failures, next try in %.1f s\n", json_object_get_string(p),
               u ? json_object_get_string(u) : "", json_object_get_string(v),
               json_object_get_int(cf), retry ? json_object_get_int64(retry) / 1000.0 : 0.0);
    }
    if (advice)
        printf("\n%s\n", advice);
    json_object_put(doc);
    return EXIT_OK;
}
