/* cmd_providers.c: `llmhost providers`: every provider, where it points and
 * whether a key is set (never the key). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "discover.h"
#include "error.h"
#include "provider.h"
#include "url.h"

static const char help[] =
    "Usage: llmhost providers [--json] [--available]\n"
    "\n"
    "List the providers registered by plugins and the config file: key, name,\n"
    "kind (local, cloud, custom), the base URL resolved from the settings, and\n"
    "whether an API key is set (keys themselves are never shown), and whether it\n"
    "is available: local servers are probed (all at once), cloud providers need\n"
    "a key.\n"
    "\n"
    "  --available  list only the available ones\n"
    "  --json       {\"providers\":[{\"key\",\"name\",\"kind\",\"base_url\",\"api_key_set\",\n"
    "               \"available\",\"reason\"}]}\n";

int cmd_providers(cli *c, int argc, char **argv)
{
    int json = 0, only_available = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--available")) {
            only_available = 1;
        } else {
            return cli_usage_error("providers", "unexpected argument \"%s\"", argv[i]);
        }
    }
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx)
        return EXIT_USAGE;
    llmh_ctx_load_plugins(ctx);
    const llmh_registry *r = ctx->registry;
    size_t np = llmh_registry_provider_count(r);
    const char **keys = calloc(np ? np : 1, sizeof *keys);
    for (size_t i = 0; i < np; i++)
        keys[i] = llmh_registry_provider(r, i)->p->key;
    llmh_probe *probes = calloc(np ? np : 1, sizeof *probes);
    llmh_probe_run(ctx, keys, np, 0, 0, probes);
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < np; i++) {
        const llmh_provider_rec *pr = llmh_registry_provider(r, i);
        if (only_available && !probes[i].available)
            continue;
        const llmh_provider *p = pr->p;
        llmh_error err;
        llmh_error_clear(&err);
        char *url = NULL;
        char *shown = NULL;
        if (llmh_provider_resolve_url(ctx->settings, p, &url, &err) == LLMH_OK)
            shown = llmh_url_redact(url);
        int key_set = llmh_provider_api_key(ctx->settings, p) != NULL;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "key", json_object_new_string(p->key));
        json_object_object_add(o, "name", json_object_new_string(p->display_name));
        json_object_object_add(o, "kind", json_object_new_string(llmh_kind_name(p->kind)));
        json_object_object_add(o, "base_url", shown ? json_object_new_string(shown) : NULL);
        json_object_object_add(o, "api_key_set", json_object_new_boolean(key_set));
        json_object_object_add(o, "plugin",
                               pr->plugin && !pr->declared ? json_object_new_string(pr->plugin->name) : NULL);
        if (!shown)
            json_object_object_add(o, "error", json_object_new_string(err.message));
        json_object_object_add(o, "available", json_object_new_boolean(probes[i].available));
        json_object_object_add(o, "reason", probes[i].reason ? json_object_new_string(probes[i].reason) : NULL);
        json_object_array_add(arr, o);
        free(url);
        free(shown);
    }
    for (size_t i = 0; i < np; i++)
        llmh_probe_clear(&probes[i]);
    free(probes);
    free(keys);
    if (json) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "providers", arr);
        cli_print_json(doc);
        return EXIT_OK;
    }
    if (json_object_array_length(arr) == 0)
        printf("No providers: no plugin is loaded. Run 'llmhost plugins' to see why.\n");
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *o = json_object_array_get_idx(arr, i), *v;
        json_object_object_get_ex(o, "base_url", &v);
        const char *url = v ? json_object_get_string(v) : NULL;
        json_object *e = NULL;
        json_object_object_get_ex(o, "error", &e);
        json_object *k, *kind, *ks, *av, *why;
        json_object_object_get_ex(o, "key", &k);
        json_object_object_get_ex(o, "kind", &kind);
        json_object_object_get_ex(o, "api_key_set", &ks);
        json_object_object_get_ex(o, "available", &av);
        json_object_object_get_ex(o, "reason", &why);
        printf("%-18s %-6s %-44s %-7s %s%s%s\n", json_object_get_string(k),
               json_object_get_string(kind), url ? url : (e ? json_object_get_string(e) : "-"),
               json_object_get_boolean(ks) ? "key set" : "no key",
               json_object_get_boolean(av) ? "available" : "not available",
               why ? ": " : "", why ? json_object_get_string(why) : "");
    }
    json_object_put(arr);
    return EXIT_OK;
}
