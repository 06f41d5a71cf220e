/* cmd_plugins.c: `llmhost plugins`: every plugin found, loaded or refused. */
#include <string.h>

#include "cli.h"

static const char help[] =
    "Usage: llmhost plugins [--json]\n"
    "\n"
    "List the plugins found on the plugin search path, loaded or refused, with\n"
    "the reason for each refusal and the providers each one registers.\n"
    "\n"
    "  --json   one JSON document: {\"plugins\":[{\"name\",\"path\",\"version\",\n"
    "           \"abi\",\"status\",\"reason\",\"providers\"}]}\n";

json_object *cli_plugin_json(const llmh_registry *r, const llmh_plugin_rec *p);

json_object *cli_plugin_json(const llmh_registry *r, const llmh_plugin_rec *p)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(p->name));
    json_object_object_add(o, "path", json_object_new_string(p->path));
    json_object_object_add(o, "version", p->version ? json_object_new_string(p->version) : NULL);
    char abi[32];
    if (p->abi_major || p->abi_minor) {
        snprintf(abi, sizeof abi, "%u.%u", p->abi_major, p->abi_minor);
        json_object_object_add(o, "abi", json_object_new_string(abi));
    } else {
        json_object_object_add(o, "abi", NULL);
    }
    int ok = p->gate == LLMH_GATE_OK;
    json_object_object_add(o, "status", json_object_new_string(ok ? "loaded" : "refused"));
    json_object_object_add(o, "gate", json_object_new_string(llmh_gate_name(p->gate)));
    json_object_object_add(o, "reason", ok ? NULL : json_object_new_string(p->reason));
    json_object *provs = json_object_new_array();
    for (size_t i = 0; ok && i < llmh_registry_provider_count(r); i++) {
        const llmh_provider_rec *pr = llmh_registry_provider(r, i);
        if (pr->plugin == p && !pr->declared)
            json_object_array_add(provs, json_object_new_string(pr->p->key));
    }
    json_object_object_add(o, "providers", provs);
    return o;
}

int cmd_plugins(cli *c, int argc, char **argv)
{
    int json = 0;
    int rc = cli_json_only("plugins", help, argc, argv, &json);
    if (rc >= 0)
        return rc;
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx)
        return EXIT_USAGE;
    llmh_ctx_load_plugins(ctx);
    const llmh_registry *r = ctx->registry;
    size_t n = llmh_registry_plugin_count(r);
    if (json) {
        json_object *doc = json_object_new_object();
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < n; i++)
            json_object_array_add(arr, cli_plugin_json(r, llmh_registry_plugin(r, i)));
        json_object_object_add(doc, "plugins", arr);
        cli_print_json(doc);
        return EXIT_OK;
    }
    if (n == 0) {
        printf("No plugins found. Searched:\n");
        for (size_t i = 0; i < llmh_registry_dir_count(r); i++)
            printf("  %s\n", llmh_registry_dir(r, i));
        return EXIT_OK;
    }
    for (size_t i = 0; i < n; i++) {
        const llmh_plugin_rec *p = llmh_registry_plugin(r, i);
        if (p->gate == LLMH_GATE_OK) {
            printf("%-18s loaded   %-8s", p->name, p->version ? p->version : "");
            const char *sep = " ";
            for (size_t k = 0; k < llmh_registry_provider_count(r); k++) {
                const llmh_provider_rec *pr = llmh_registry_provider(r, k);
                if (pr->plugin == p && !pr->declared) {
                    printf("%s%s", sep, pr->p->key);
                    sep = ", ";
                }
            }
            printf("\n");
        } else {
            printf("%-18s refused  %s\n", p->name, p->reason ? p->reason : "");
        }
    }
    return EXIT_OK;
}
