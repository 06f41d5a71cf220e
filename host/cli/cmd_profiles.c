/* cmd_profiles.c: `llmhost profiles`: every [profile.NAME] of the config,
 * what it resolves to with the current settings (-s and the environment
 * included), and the error of each invalid one. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

int cmd_profiles(cli *c, int argc, char **argv);

static const char help[] =
    "Usage: llmhost profiles [--json]\n"
    "\n"
    "List the profiles of the config file ([profile.NAME] sections) and what each\n"
    "resolves to: provider, model, style, max_length (and the max_tokens it gives),\n"
    "confidence line, domain, expertise level, fallback chain, and the first line\n"
    "of the system prompt it sends. Invalid profiles are listed with their error.\n"
    "Use one with 'llmhost chat --profile NAME'.\n"
    "\n"
    "      --json   one JSON document: {\"profiles\": [{\"name\", \"valid\", \"error\",\n"
    "               \"provider\", \"model\", \"style\", \"max_length\", \"max_tokens\",\n"
    "               \"include_confidence\", \"domain\", \"expertise_level\", \"fallback\",\n"
    "               \"system\" (the whole prompt), \"source\"}]}\n"
    "\n"
    "Exit status: 0 all profiles are valid (or there are none), 2 a profile is\n"
    "invalid or the config cannot be read.\n";

/* "0.9" for 0.90: two decimals at most, no locale. */
static void level_text(double x, char *buf, size_t size)
{
    long h = (long)(x * 100 + 0.5);
    if (h % 100 == 0)
        snprintf(buf, size, "%ld", h / 100);
    else if (h % 10 == 0)
        snprintf(buf, size, "%ld.%ld", h / 100, (h % 100) / 10);
    else
        snprintf(buf, size, "%ld.%02ld", h / 100, h % 100);
}

static json_object *str_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *profile_json(const llmh_profile_info *p)
{
    json_object *o = json_object_new_object();
    char lv[32];
    json_object_object_add(o, "name", json_object_new_string(p->name));
    json_object_object_add(o, "valid", json_object_new_boolean(p->error == NULL));
    json_object_object_add(o, "error", str_or_null(p->error));
    json_object_object_add(o, "provider", str_or_null(p->provider));
    json_object_object_add(o, "model", str_or_null(p->model));
    json_object_object_add(o, "style", str_or_null(p->style));
    json_object_object_add(o, "max_length",
                           p->max_length > 0 ? json_object_new_int64(p->max_length) : NULL);
    json_object_object_add(o, "max_tokens",
                           p->max_tokens > 0 ? json_object_new_int64(p->max_tokens) : NULL);
    json_object_object_add(o, "include_confidence", json_object_new_boolean(p->include_confidence));
    json_object_object_add(o, "domain", str_or_null(p->domain));
    if (p->expertise_level >= 0) {
        level_text(p->expertise_level, lv, sizeof lv);
        json_object_object_add(o, "expertise_level",
                               json_object_new_double_s(p->expertise_level, lv));
    } else {
        json_object_object_add(o, "expertise_level", NULL);
    }
    json_object_object_add(o, "fallback", str_or_null(p->fallback));
    json_object_object_add(o, "system", str_or_null(p->system));
    json_object_object_add(o, "source",
                           p->source && *p->source ? json_object_new_string(p->source) : NULL);
    return o;
}

static void profile_text(const llmh_profile_info *p)
{
    if (p->error) {
        printf("%s  INVALID: %s\n", p->name, p->error);
        return;
    }
    printf("%s  %s/%s\n", p->name, p->provider ? p->provider : "(llm.provider not set)",
           p->model ? p->model : "(no model)");
    llmh_buf shape = {0};
    if (p->style)
        llmh_buf_printf(&shape, "style %s", p->style);
    if (p->max_length > 0)
        llmh_buf_printf(&shape, "%smax_length %ld words (max_tokens %ld)", shape.len ? ", " : "",
                        p->max_length, p->max_tokens);
    if (p->include_confidence)
        llmh_buf_printf(&shape, "%sconfidence line", shape.len ? ", " : "");
    if (p->domain)
        llmh_buf_printf(&shape, "%sdomain \"%s\"", shape.len ? ", " : "", p->domain);
    if (p->expertise_level >= 0) {
        char lv[32];
        level_text(p->expertise_level, lv, sizeof lv);
        llmh_buf_printf(&shape, "%sexpertise %s", shape.len ? ", " : "", lv);
    }
    if (shape.len)
        printf("    %s\n", shape.data);
    llmh_buf_free(&shape);
    if (p->fallback)
        printf("    fallback: %s\n", p->fallback);
    if (p->system) {
        size_t n = strcspn(p->system, "\n");
        int more = p->system[n] != '\0';
        if (n > 100) {
            n = 97;
            more = 1;
        }
        printf("    system: %.*s%s\n", (int)n, p->system, more ? " ..." : "");
    }
    if (p->source && *p->source)
        printf("    from %s\n", p->source);
}

int cmd_profiles(cli *c, int argc, char **argv)
{
    int json = 0;
    int rc = cli_json_only("profiles", help, argc, argv, &json);
    if (rc >= 0)
        return rc;
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx)
        return EXIT_USAGE;
    llmh_profile_info *v = NULL;
    size_t n = 0;
    llmh_error err;
    llmh_status st = llmh_profiles(ctx, &v, &n, &err);
    if (st != LLMH_OK) {
        cli_error("%s", err.message);
        return cli_exit_for(st);
    }
    size_t invalid = 0;
    for (size_t i = 0; i < n; i++)
        invalid += v[i].error != NULL;
    if (json) {
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < n; i++)
            json_object_array_add(arr, profile_json(&v[i]));
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "profiles", arr);
        cli_print_json(doc);
    } else if (n == 0) {
        const char *file = llmh_settings_file(ctx->settings);
        if (file)
            printf("No profiles: %s has no [profile.NAME] section (see etc/llmhost.ini).\n", file);
        else
            printf("No profiles: no config file was read (see -c FILE and etc/llmhost.ini).\n");
    } else {
        for (size_t i = 0; i < n; i++)
            profile_text(&v[i]);
    }
    if (invalid)
        cli_error("%zu of %zu profiles %s invalid", invalid, n, invalid == 1 ? "is" : "are");
    llmh_profiles_free(v, n);
    return invalid ? EXIT_USAGE : EXIT_OK;
}
