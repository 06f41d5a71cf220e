/* cmd_discover.c: `llmhost discover`: probe the usual local servers and
 * every configured local provider at once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "Usage: llmhost discover [--json] [--timeout MS]\n"
    "\n"
    "Probe the usual local servers (Ollama on 11434, LM Studio on 1234, llama.cpp\n"
    "on 8080, vLLM on 8000, on localhost, or where their settings point) and every\n"
    "configured local provider, all at once, and list the models each one offers.\n"
    "\n"
    "  --timeout MS  how long each probe may take (default: 1000, Ollama 3000)\n"
    "  --json        {\"servers\":[{\"provider\",\"base_url\",\"available\",\"models\",\"reason\"}]}\n";

int cmd_discover(cli *c, int argc, char **argv)
{
    int json = 0;
    long timeout = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(help, stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--timeout")) {
            if (i + 1 >= argc)
                return cli_usage_error("discover", "--timeout needs milliseconds");
            char *end;
            errno = 0;
            timeout = strtol(argv[++i], &end, 10);
            if (errno || end == argv[i] || *end || timeout <= 0 || timeout > 600000)
                return cli_usage_error("discover",
                                       "--timeout expects milliseconds from 1 to 600000, got \"%s\"",
                                       argv[i]);
        } else {
            return cli_usage_error("discover", "unexpected argument \"%s\"", a);
        }
    }
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx)
        return EXIT_USAGE;
    llmh_server *servers = NULL;
    size_t n = 0;
    llmh_error err;
    llmh_discover(ctx, timeout, &servers, &n, &err);
    if (json) {
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "provider", json_object_new_string(servers[i].provider));
            json_object_object_add(o, "base_url",
                                   servers[i].base_url ? json_object_new_string(servers[i].base_url)
                                                       : NULL);
            json_object_object_add(o, "available", json_object_new_boolean(servers[i].available));
            json_object *m = json_object_new_array();
            for (size_t k = 0; k < servers[i].n_models; k++)
                json_object_array_add(m, json_object_new_string(servers[i].models[k]));
            json_object_object_add(o, "models", m);
            json_object_object_add(o, "reason",
                                   servers[i].reason ? json_object_new_string(servers[i].reason) : NULL);
            json_object_array_add(arr, o);
        }
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "servers", arr);
        cli_print_json(doc);
    } else {
        size_t up = 0;
        for (size_t i = 0; i < n; i++) {
            const llmh_server *s = &servers[i];
            printf("%-12s %-36s ", s->provider, s->base_url ? s->base_url : "-");
            if (s->available) {
                up++;
                printf("available, %zu model%s", s->n_models, s->n_models == 1 ? "" : "s");
                for (size_t k = 0; k < s->n_models && k < 5; k++)
                    printf("%s%s", k ? ", " : ": ", s->models[k]);
                printf("%s\n", s->n_models > 5 ? ", ..." : "");
            } else {
                printf("not available: %s\n", s->reason ? s->reason : "unknown");
            }
        }
        if (!up)
            printf("No local server found. Start one (for example 'ollama serve'), or point\n"
                   "llmhost at yours: llmhost -s llm.ollama.url=http://HOST:11434 discover\n");
    }
    llmh_servers_free(servers, n);
    return EXIT_OK;
}
