/* cmd_cache.c: `llmhost cache stats|clear|prune`: the persistent response
 * cache under $XDG_CACHE_HOME/llmhost/ (see llm.cache). */
#include <string.h>

#include "cli.h"
#include "error.h"

static const char help[] =
    "Usage: llmhost cache stats [--json] | clear | prune\n"
    "\n"
    "The response cache keeps answers keyed by a hash of the request (provider,\n"
    "base URL, model, messages and every parameter that changes the answer; never\n"
    "the API key). It is off unless llm.cache is on, read_only or write_only;\n"
    "llm.cache_ttl sets how long answers stay (seconds, default a day).\n"
    "\n"
    "  stats   entries, expired entries and bytes in the store, and its path\n"
    "  clear   remove every entry\n"
    "  prune   remove expired entries\n";

int cmd_cache(cli *c, int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *sub = argv[1];
    int json = 0;
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--json") && !strcmp(sub, "stats")) {
            json = 1;
        } else {
            return cli_usage_error("cache", "unexpected argument \"%s\"", argv[i]);
        }
    }
    if (strcmp(sub, "stats") && strcmp(sub, "clear") && strcmp(sub, "prune"))
        return cli_usage_error("cache", "unknown cache subcommand \"%s\"", sub);
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx)
        return EXIT_USAGE;
    llmh_cache *cache = llmh_ctx_cache(ctx);
    if (!cache) {
        cli_error("the response cache cannot be opened (see the warning above)");
        return EXIT_USAGE;
    }
    llmh_error err;
    llmh_error_clear(&err);
    if (!strcmp(sub, "stats")) {
        llmh_cache_stats st;
        memset(&st, 0, sizeof st);
        if (llmh_cache_stats_get(cache, &st, &err) != LLMH_OK) {
            cli_error("%s", err.message);
            return EXIT_USAGE;
        }
        const char *mode = llmh_get(ctx, "llm.cache");
        if (json) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "path", st.path ? json_object_new_string(st.path) : NULL);
            json_object_object_add(o, "mode", json_object_new_string(mode ? mode : "off"));
            json_object_object_add(o, "entries", json_object_new_int64(st.entries));
            json_object_object_add(o, "expired", json_object_new_int64(st.expired));
            json_object_object_add(o, "bytes", json_object_new_int64(st.bytes));
            cli_print_json(o);
        } else {
            printf("path:     %s\n", st.path ? st.path : "(memory only)");
            printf("mode:     %s (llm.cache)\n", mode ? mode : "off");
            printf("entries:  %ld (%ld expired)\n", st.entries, st.expired);
            printf("bytes:    %lld\n", st.bytes);
        }
        return EXIT_OK;
    }
    long removed = 0;
    llmh_status st = !strcmp(sub, "clear") ? llmh_cache_clear(cache, &removed, &err)
                                           : llmh_cache_prune(cache, &removed, &err);
    if (st != LLMH_OK) {
        cli_error("%s", err.message);
        return EXIT_USAGE;
    }
    printf("removed %ld entr%s\n", removed, removed == 1 ? "y" : "ies");
    return EXIT_OK;
}
