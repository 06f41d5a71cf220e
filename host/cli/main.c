/* main.c: the llmhost binary: global options, then one subcommand. Nothing
 * here opens a plugin; --help and --version stay cheap. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "log.h"

static const char usage_text[] =
    "Usage: llmhost [OPTIONS] COMMAND [ARGS]...\n"
    "\n"
    "One interface to every LLM provider: local servers (Ollama, LM Studio,\n"
    "llama.cpp, vLLM) and cloud APIs, through provider plugins.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE      read settings from FILE (default:\n"
    "                         $XDG_CONFIG_HOME/llmhost/llmhost.ini, then\n"
    "                         /etc/llmhost/llmhost.ini)\n"
    "  -s, --set KEY=VALUE    set any setting for this run (repeatable); wins\n"
    "                         over environment and file\n"
    "      --plugin-path DIRS search these colon-separated dirs for plugins first\n"
    "  -v, --verbose          say more on stderr (repeat for debug detail)\n"
    "  -q, --quiet            only errors on stderr\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n"
    "\n"
    "Commands:\n"
    "  chat       send a prompt, stream the answer (chat -p PROVIDER -m MODEL PROMPT)\n"
    "  pipeline   run a multi-stage pipeline from the config (pipeline NAME QUERY)\n"
    "  profiles   list the config's profiles and what they resolve to\n"
    "  models     list a provider's models\n"
    "  discover   probe the usual local servers (Ollama, LM Studio, llama.cpp, vLLM)\n"
    "  providers  list providers: base URL, key set or not, available or not\n"
    "  doctor     what is configured, reachable, and why not\n"
    "  cache      stats | clear | prune the response cache (llm.cache)\n"
    "  plugins    list plugins, loaded and refused, with reasons\n"
    "  plugin     install FILE | remove NAME | info NAME\n"
    "\n"
    "Every command takes --help. Settings: see llmhost(1) and etc/llmhost.ini.\n"
    "Environment: LLMHOST_<KEY> (dots as underscores, e.g. LLMHOST_LLM_OLLAMA_URL),\n"
    "OPENAI_API_KEY, ANTHROPIC_API_KEY, OLLAMA_HOST and the other providers' own\n"
    "variables, LLMHOST_PLUGIN_PATH.\n"
    "\n"
    "Exit status: 0 success, 2 usage or configuration error, 3 provider or\n"
    "network error, 4 plugin error.\n";

/* Profiles and pipelines (cmd_profiles.c, cmd_pipeline.c). */
int cmd_profiles(cli *c, int argc, char **argv);
int cmd_pipeline(cli *c, int argc, char **argv);

static const struct {
    const char *name;
    cli_cmd_fn fn;
} commands[] = {
    {"plugins", cmd_plugins},
    {"providers", cmd_providers},
    {"plugin", cmd_plugin},
    {"models", cmd_models},
    {"chat", cmd_chat},
    {"discover", cmd_discover},
    {"doctor", cmd_doctor},
    {"cache", cmd_cache},
    {"profiles", cmd_profiles},
    {"pipeline", cmd_pipeline},
};

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("llmhost: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("llmhost: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fprintf(stderr, "Try 'llmhost %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

void cli_print_json(json_object *doc)
{
    fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
                                                  JSON_C_TO_STRING_SPACED |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE),
          stdout);
    fputc('\n', stdout);
    json_object_put(doc);
}

int cli_json_only(const char *cmd, const char *help, int argc, char **argv, int *json)
{
    *json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--json")) {
            *json = 1;
        } else {
            return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[i]);
        }
    }
    return -1;
}

int cli_is_help(const char *arg)
{
    return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int cli_exit_for(llmh_status st)
{
    switch (st) {
    case LLMH_OK: return EXIT_OK;
    case LLMH_E_INVALID:
    case LLMH_E_CONFIG: return EXIT_USAGE;
    case LLMH_E_PLUGIN: return EXIT_PLUGIN;
    default: return EXIT_PROVIDER;
    }
}

llmh_ctx *cli_ctx(cli *c)
{
    if (c->ctx)
        return c->ctx;
    llmh_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.config_file = c->config_file;
    o.plugin_path = c->plugin_path;
    llmh_error err;
    llmh_error_clear(&err);
    if (llmh_ctx_new(&o, &c->ctx, &err) != LLMH_OK) {
        cli_error("%s", err.message);
        return NULL;
    }
    for (size_t i = 0; i < c->n_assignments; i++) {
        if (llmh_settings_set_cli(c->ctx->settings, c->assignments[i], &err) != LLMH_OK) {
            cli_error("%s", err.message);
            llmh_ctx_free(c->ctx);
            c->ctx = NULL;
            return NULL;
        }
    }
    return c->ctx;
}

/* Value of an option given as "--opt VALUE" or "--opt=VALUE". */
static const char *opt_value(int argc, char **argv, int *i, const char *lng, const char *shrt)
{
    const char *a = argv[*i];
    size_t n = strlen(lng);
    if (!strncmp(a, lng, n) && a[n] == '=')
        return a + n + 1;
    if (!strcmp(a, lng) || (shrt && !strcmp(a, shrt))) {
        if (*i + 1 >= argc)
            return NULL;
        return argv[++*i];
    }
    if (shrt && !strncmp(a, shrt, 2) && a[2])
        return a + 2; /* -sKEY=VALUE */
    return NULL;
}

static int is_opt(const char *a, const char *lng, const char *shrt)
{
    size_t n = strlen(lng);
    return !strcmp(a, lng) || (!strncmp(a, lng, n) && a[n] == '=') ||
           (shrt && !strncmp(a, shrt, 2));
}

int main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    c.prog = "llmhost";
    c.assignments = calloc((size_t)argc + 1, sizeof *c.assignments);
    int rc = EXIT_USAGE;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        const char *v;
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (cli_is_help(a)) {
            fputs(usage_text, stdout);
            rc = EXIT_OK;
            goto out;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("llmhost %s (plugin ABI %d.%d)\n", llmh_version(), LLMH_ABI_MAJOR,
                   LLMH_ABI_MINOR);
            rc = EXIT_OK;
            goto out;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            c.verbose++;
        } else if (!strcmp(a, "-vv")) {
            c.verbose += 2;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            c.verbose = -1;
        } else if (is_opt(a, "--config", "-c")) {
            if (!(v = opt_value(argc, argv, &i, "--config", "-c"))) {
                rc = cli_usage_error(NULL, "%s needs a FILE", a);
                goto out;
            }
            c.config_file = v;
        } else if (is_opt(a, "--set", "-s")) {
            if (!(v = opt_value(argc, argv, &i, "--set", "-s"))) {
                rc = cli_usage_error(NULL, "%s needs KEY=VALUE", a);
                goto out;
            }
            c.assignments[c.n_assignments++] = v;
        } else if (is_opt(a, "--plugin-path", NULL)) {
            if (!(v = opt_value(argc, argv, &i, "--plugin-path", NULL))) {
                rc = cli_usage_error(NULL, "--plugin-path needs DIRS");
                goto out;
            }
            c.plugin_path = v;
        } else {
            rc = cli_usage_error(NULL, "unknown option %s", a);
            goto out;
        }
    }
    if (i >= argc) {
        fputs(usage_text, stderr);
        rc = EXIT_USAGE;
        goto out;
    }
    llmh_log_set_level(c.verbose < 0 ? LLMH_LOG_ERROR
                       : c.verbose == 0 ? LLMH_LOG_WARN
                       : c.verbose == 1 ? LLMH_LOG_INFO
                                        : LLMH_LOG_DEBUG);
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (!strcmp(argv[i], commands[k].name)) {
            rc = commands[k].fn(&c, argc - i, argv + i);
            goto out;
        }
    }
    rc = cli_usage_error(NULL, "unknown command \"%s\"", argv[i]);
out:
    llmh_ctx_free(c.ctx);
    free(c.assignments);
    return rc;
}
