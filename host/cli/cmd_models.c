/* cmd_models.c: `llmhost models`: a provider's models. A server that is
 * down is not a failure: the list is empty and the reason is given. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "discover.h"
#include "error.h"
#include "util.h"

static const char help[] =
    "Usage: llmhost models [-p PROVIDER] [--json] [--refresh] [--details] [--dry-run]\n"
    "\n"
    "List the models a provider offers. Lists are cached for llm.models_ttl\n"
    "seconds (default a day) under $XDG_CACHE_HOME/llmhost/. Without -p (and no\n"
    "llm.provider setting), lists every available provider.\n"
    "\n"
    "  -p, --provider P  the provider key\n"
    "      --json        {\"provider\",\"models\":[{\"id\",\"label\",\"provider\",\n"
    "                    \"context_length\"}],\"error\",\"cached\"}\n"
    "      --refresh     ask the server even when the cache is fresh\n"
    "      --details     also ask each model's details (context length,\n"
    "                    capabilities, family...) where the provider can tell\n"
    "      --dry-run     print the HTTP request as JSON and send nothing\n";

static json_object *list_json(const llmh_model_list *l)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "provider", json_object_new_string(l->provider));
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < l->n; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "id", json_object_new_string(l->models[i].id));
        json_object_object_add(m, "label", json_object_new_string(l->models[i].label));
        json_object_object_add(m, "provider", json_object_new_string(l->models[i].provider));
        if (l->models[i].context_length > 0)
            json_object_object_add(m, "context_length",
                                   json_object_new_int64(l->models[i].context_length));
        size_t nd = llmh_model_detail_count(l, i);
        if (nd) {
            json_object *d = json_object_new_object();
            const char *k, *v;
            for (size_t j = 0; llmh_model_detail_at(l, i, j, &k, &v); j++) {
                if (!strcmp(k, "capabilities")) {
                    json_object *caps = json_object_new_array();
                    size_t n = 0;
                    char **items = llmh_split_list(v, ',', &n);
                    for (size_t c2 = 0; c2 < n; c2++)
                        json_object_array_add(caps, json_object_new_string(items[c2]));
                    llmh_strv_free(items, n);
                    json_object_object_add(d, k, caps);
                } else {
                    json_object_object_add(d, k, json_object_new_string(v));
                }
            }
            json_object_object_add(m, "details", d);
        }
        json_object_array_add(arr, m);
    }
    json_object_object_add(o, "models", arr);
    json_object_object_add(o, "error", l->error ? json_object_new_string(l->error) : NULL);
    json_object_object_add(o, "cached", json_object_new_boolean(l->cached));
    return o;
}

static void print_list(const llmh_model_list *l, int heading)
{
    if (heading)
        printf("== %s\n", l->provider);
    if (l->error)
        fprintf(stderr, "llmhost: %s: no models: %s\n", l->provider, l->error);
    for (size_t i = 0; i < l->n; i++) {
        const llmh_model *m = &l->models[i];
        if (strcmp(m->label, m->id) != 0)
            printf("%-40s  %s", m->id, m->label);
        else
            printf("%s", m->id);
        if (m->context_length > 0)
            printf("  (context %ld)", m->context_length);
        const char *caps = llmh_model_detail(l, i, "capabilities");
        if (caps)
            printf("  [%s]", caps);
        printf("\n");
    }
}

int cmd_models(cli *c, int argc, char **argv)
{
    const char *provider = NULL;
    int json = 0, refresh = 0, dry = 0, details = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(help, stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "-p") || !strcmp(a, "--provider")) {
            if (i + 1 >= argc)
                return cli_usage_error("models", "%s needs a provider key", a);
            provider = argv[++i];
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--refresh")) {
            refresh = 1;
        } else if (!strcmp(a, "--details")) {
            details = 1;
        } else if (!strcmp(a, "--dry-run")) {
            dry = 1;
        } else {
            return cli_usage_error("models", "unexpected argument \"%s\"", a);
        }
    }
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx)
        return EXIT_USAGE;
    llmh_error err;
    llmh_error_clear(&err);
    if (!provider)
        provider = llmh_get(ctx, "llm.provider");
    if (dry) {
        if (!provider)
            return cli_usage_error("models", "--dry-run needs -p PROVIDER");
        char *out = NULL;
        llmh_status st = llmh_models_dry_run(ctx, provider, &out, &err);
        if (st != LLMH_OK) {
            cli_error("%s", err.message);
            return cli_exit_for(st);
        }
        puts(out);
        free(out);
        return EXIT_OK;
    }
    if (provider) {
        llmh_model_list *l = NULL;
        unsigned flags = (refresh ? LLMH_MODELS_REFRESH : 0) | (details ? LLMH_MODELS_DETAILS : 0);
        llmh_status st = llmh_models(ctx, provider, flags, &l, &err);
        if (st != LLMH_OK) {
            cli_error("%s", err.message);
            return cli_exit_for(st);
        }
        if (json)
            cli_print_json(list_json(l));
        else
            print_list(l, 0);
        llmh_model_list_free(l);
        return EXIT_OK;
    }
    /* Every available provider. */
    llmh_ctx_load_plugins(ctx);
    size_t n = llmh_registry_provider_count(ctx->registry);
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = llmh_registry_provider(ctx->registry, i)->p->key;
    llmh_probe *probes = calloc(n ? n : 1, sizeof *probes);
    llmh_probe_run(ctx, keys, n, 0, 0, probes);
    json_object *lists = json_object_new_array();
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (!probes[i].available)
            continue;
        llmh_model_list *l = NULL;
        unsigned flags = (refresh ? LLMH_MODELS_REFRESH : 0) | (details ? LLMH_MODELS_DETAILS : 0);
        if (llmh_models(ctx, keys[i], flags, &l, &err) == LLMH_OK) {
            if (json)
                json_object_array_add(lists, list_json(l));
            else
                print_list(l, 1);
            shown++;
        }
        llmh_model_list_free(l);
    }
    for (size_t i = 0; i < n; i++)
        llmh_probe_clear(&probes[i]);
    free(probes);
    free(keys);
    if (json) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "lists", lists);
        cli_print_json(doc);
    } else {
        json_object_put(lists);
        if (!shown)
            fprintf(stderr, "llmhost: no provider is available; see 'llmhost doctor'\n");
    }
    return EXIT_OK;
}
