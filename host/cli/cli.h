/* cli.h: what the subcommands of the llmhost binary share. */
#ifndef LLMH_CLI_H
#define LLMH_CLI_H

#include <json-c/json.h>
#include <llmhost/llmhost.h>
#include <stdio.h>

#include "ctx.h"

/* Exit codes: the command-line contract (DESIGN.md). */
enum {
    EXIT_OK = 0,
    EXIT_USAGE = 2,    /* usage or configuration error */
    EXIT_PROVIDER = 3, /* provider or network error after retries and fallbacks */
    EXIT_PLUGIN = 4    /* plugin error */
};

typedef struct cli {
    const char *prog;
    const char *config_file;
    const char **assignments; /* -s KEY=VALUE, in order */
    size_t n_assignments;
    const char *plugin_path;
    int verbose;
    llmh_ctx *ctx;
} cli;

/* The context, made on first use: reads settings and applies -s. On a
 * configuration error prints one line and returns NULL (exit 2). */
llmh_ctx *cli_ctx(cli *c);

/* One-line error to stderr: "llmhost: ...". */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: the line, then "try 'llmhost CMD --help'"; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print a JSON document on stdout (pretty) and free it. */
void cli_print_json(json_object *doc);
/* Map a status to the exit code of the contract. */
int cli_exit_for(llmh_status st);
/* Commands whose only option is --json: -1 to go on, else the exit code
 * (help printed, or a usage error). */
int cli_json_only(const char *cmd, const char *help, int argc, char **argv, int *json);
/* Is arg "-h" or "--help"? */
int cli_is_help(const char *arg);

typedef int (*cli_cmd_fn)(cli *c, int argc, char **argv);

int cmd_plugins(cli *c, int argc, char **argv);
int cmd_providers(cli *c, int argc, char **argv);
int cmd_plugin(cli *c, int argc, char **argv);
int cmd_models(cli *c, int argc, char **argv);
int cmd_chat(cli *c, int argc, char **argv);
int cmd_discover(cli *c, int argc, char **argv);
int cmd_doctor(cli *c, int argc, char **argv);
int cmd_cache(cli *c, int argc, char **argv);

#endif
