/* cmd_pipeline.c: `llmhost pipeline NAME QUERY`: run a [pipeline.NAME] from
 * the config. Each stage streams under a heading on stderr; the final answer
 * (the last stage that answered) goes to stdout; --json for scripts. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "pipeline.h"
#include "util.h"

int cmd_pipeline(cli *c, int argc, char **argv);

static const char help[] =
    "Usage: llmhost pipeline NAME [QUERY... | -] [--json]\n"
    "       llmhost pipeline --list [--json]\n"
    "\n"
    "Run the pipeline [pipeline.NAME] of the config file on QUERY (the arguments,\n"
    "or standard input when it is \"-\" or not given). Its stages run in order,\n"
    "each through its profile with its prompt template ({query}, {previous},\n"
    "{stage.NAME}); a stage with `when` runs only when its condition holds. Each\n"
    "stage streams under a heading on stderr (== stage NAME (provider/model));\n"
    "the final answer, that of the last stage that answered (passing over stages\n"
    "that say answer = no, such as a yes/no classifier), goes to stdout.\n"
    "\n"
    "      --json   print one JSON document: {\"pipeline\", \"query\", \"stages\": [{\"name\",\n"
    "               \"status\" (ok, skipped, failed), \"reason\", \"profile\", \"provider\",\n"
    "               \"model\", \"content\", \"confidence\", \"attempts\", \"latency_ms\",\n"
    "               \"usage\"}], \"answer\", \"error\"}; nothing is streamed\n"
    "      --list   list the pipelines and their stages (invalid ones with their error)\n"
    "\n"
    "Exit status: 0 answered, 2 usage or configuration error (an invalid pipeline\n"
    "is reported with FILE:LINE), 3 a stage failed (\"stage NAME failed: ...\") and\n"
    "did not say on_error = continue, 4 plugin error.\n";

typedef struct view {
    int json;
    int at_line_start; /* stderr */
} view;

static int on_stage(void *ud, const char *stage, llmh_stage_event ev, const char *text, size_t len)
{
    view *v = ud;
    if (v->json)
        return 0;
    switch (ev) {
    case LLMH_STAGE_START:
        fprintf(stderr, "== stage %s (%s)\n", stage, text);
        v->at_line_start = 1;
        break;
    case LLMH_STAGE_DELTA:
        if (len) {
            fwrite(text, 1, len, stderr);
            v->at_line_start = text[len - 1] == '\n';
        }
        break;
    case LLMH_STAGE_OK:
        if (!v->at_line_start)
            fputc('\n', stderr);
        v->at_line_start = 1;
        break;
    case LLMH_STAGE_SKIPPED: fprintf(stderr, "== stage %s skipped: %s\n", stage, text); break;
    case LLMH_STAGE_FAILED:
        if (!v->at_line_start)
            fputc('\n', stderr);
        v->at_line_start = 1;
        fprintf(stderr, "== stage %s failed: %s\n", stage, text);
        break;
    }
    fflush(stderr);
    return 0;
}

static json_object *str_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *result_json(const llmh_pipeline_result *r, const char *error)
{
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "pipeline", json_object_new_string(r->pipeline));
    json_object_object_add(doc, "query", json_object_new_string(r->query));
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < r->n_stages; i++) {
        const llmh_stage_result *s = &r->stages[i];
        int ran = s->status != LLMH_STAGE_SKIPPED;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(s->name));
        json_object_object_add(o, "status",
                               json_object_new_string(llmh_stage_event_name(s->status)));
        json_object_object_add(o, "reason", str_or_null(s->reason));
        json_object_object_add(o, "profile", str_or_null(s->profile));
        json_object_object_add(o, "provider", ran ? str_or_null(s->provider) : NULL);
        json_object_object_add(o, "model", ran ? str_or_null(s->model) : NULL);
        json_object_object_add(o, "content", str_or_null(s->content));
        json_object_object_add(o, "confidence",
                               s->confidence >= 0 ? json_object_new_int(s->confidence) : NULL);
        json_object_object_add(
            o, "attempts", s->status == LLMH_STAGE_OK ? json_object_new_int(s->attempts) : NULL);
        json_object_object_add(o, "latency_ms",
                               s->latency_ms >= 0 ? json_object_new_int64(s->latency_ms) : NULL);
        if (s->status == LLMH_STAGE_OK) {
            json_object *u = json_object_new_object();
            json_object_object_add(
                u, "prompt_tokens",
                s->usage.prompt_tokens >= 0 ? json_object_new_int64(s->usage.prompt_tokens) : NULL);
            json_object_object_add(u, "completion_tokens",
                                   s->usage.completion_tokens >= 0
                                       ? json_object_new_int64(s->usage.completion_tokens)
                                       : NULL);
            json_object_object_add(o, "usage", u);
        } else {
            json_object_object_add(o, "usage", NULL);
        }
        json_object_array_add(arr, o);
    }
    json_object_object_add(doc, "stages", arr);
    json_object_object_add(doc, "answer", str_or_null(r->answer));
    json_object_object_add(doc, "error", str_or_null(error));
    return doc;
}

static int list_pipelines(cli *c, int json)
{
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx)
        return EXIT_USAGE;
    size_t n;
    char **names = llmh_pipeline_names(ctx->settings, &n);
    size_t invalid = 0;
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        llmh_pipeline_def *d = NULL;
        llmh_error err;
        llmh_error_clear(&err);
        llmh_status st = llmh_pipeline_load(ctx, names[i], &d, &err);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(names[i]));
        json_object_object_add(o, "valid", json_object_new_boolean(st == LLMH_OK));
        json_object_object_add(o, "error",
                               st == LLMH_OK ? NULL : json_object_new_string(err.message));
        if (st != LLMH_OK) {
            invalid++;
            if (!json)
                printf("%s  INVALID: %s\n", names[i], err.message);
            json_object_array_add(arr, o);
            continue;
        }
        json_object_object_add(o, "description", str_or_null(d->description));
        json_object *stages = json_object_new_array();
        if (!json)
            printf("%s%s%s\n", d->name, d->description ? "  " : "",
                   d->description ? d->description : "");
        for (size_t k = 0; k < d->n; k++) {
            const llmh_stage_def *s = &d->stages[k];
            json_object *so = json_object_new_object();
            json_object_object_add(so, "name", json_object_new_string(s->name));
            json_object_object_add(so, "profile", str_or_null(s->profile_name));
            json_object_object_add(so, "when", str_or_null(s->when.text));
            json_object_object_add(
                so, "on_error", json_object_new_string(s->on_error_continue ? "continue" : "stop"));
            json_object_object_add(so, "answer", json_object_new_boolean(s->may_answer));
            json_object_array_add(stages, so);
            if (!json)
                printf("    %zu. %s%s%s%s%s%s\n", k + 1, s->name,
                       s->profile_name ? " (profile " : "", s->profile_name ? s->profile_name : "",
                       s->profile_name ? ")" : "", s->when.text ? ", when " : "",
                       s->when.text ? s->when.text : "");
        }
        json_object_object_add(o, "stages", stages);
        json_object_array_add(arr, o);
        llmh_pipeline_def_free(d);
    }
    if (json) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "pipelines", arr);
        cli_print_json(doc);
    } else {
        json_object_put(arr);
        if (n == 0)
            printf("No pipelines: %s%s (see etc/llmhost.ini).\n",
                   llmh_settings_file(ctx->settings) ? llmh_settings_file(ctx->settings)
                                                     : "no config file was read",
                   llmh_settings_file(ctx->settings) ? " has no [pipeline.NAME] section" : "");
    }
    llmh_strv_free(names, n);
    if (invalid)
        cli_error("%zu of %zu pipelines %s invalid", invalid, n, invalid == 1 ? "is" : "are");
    return invalid ? EXIT_USAGE : EXIT_OK;
}

static char *read_stdin(int *failed)
{
    llmh_buf b = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
        llmh_buf_append(&b, buf, n);
    if (ferror(stdin)) {
        cli_error("cannot read standard input: %s", strerror(errno));
        *failed = 1;
        llmh_buf_free(&b);
        return NULL;
    }
    llmh_buf_append(&b, "", 0);
    return b.data;
}

int cmd_pipeline(cli *c, int argc, char **argv)
{
    int json = 0, list = 0, from_stdin = 0, n_args = 0;
    const char *name = NULL;
    llmh_buf query = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(help, stdout);
            llmh_buf_free(&query);
            return EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--list")) {
            list = 1;
        } else if (!strcmp(a, "-")) {
            from_stdin = 1;
        } else if (!strcmp(a, "--")) {
            for (i++; i < argc; i++) {
                if (!name) {
                    name = argv[i];
                    continue;
                }
                llmh_buf_printf(&query, "%s%s", n_args++ ? " " : "", argv[i]);
            }
        } else if (a[0] == '-' && a[1]) {
            llmh_buf_free(&query);
            return cli_usage_error("pipeline", "unknown option %s", a);
        } else if (!name) {
            name = a;
        } else {
            llmh_buf_printf(&query, "%s%s", n_args++ ? " " : "", a);
        }
    }
    if (list) {
        llmh_buf_free(&query);
        if (name || from_stdin)
            return cli_usage_error("pipeline", "--list takes no pipeline name or query");
        return list_pipelines(c, json);
    }
    if (!name) {
        llmh_buf_free(&query);
        return cli_usage_error("pipeline", "which pipeline? give its NAME (see 'llmhost "
                                           "pipeline --list')");
    }
    if (from_stdin && n_args) {
        llmh_buf_free(&query);
        return cli_usage_error("pipeline", "give the query as arguments or as \"-\" (stdin), "
                                           "not both");
    }
    if (!n_args) {
        if (!from_stdin && isatty(STDIN_FILENO)) {
            llmh_buf_free(&query);
            return cli_usage_error("pipeline", "no query: give it as an argument, or pipe it in");
        }
        int failed = 0;
        char *text = read_stdin(&failed);
        if (failed) {
            llmh_buf_free(&query);
            return EXIT_USAGE;
        }
        llmh_buf_puts(&query, text);
        free(text);
    }
    const char *q = query.data ? query.data : "";
    if (!q[strspn(q, " \t\r\n")]) {
        llmh_buf_free(&query);
        return cli_usage_error("pipeline", "the query is empty");
    }
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx) {
        llmh_buf_free(&query);
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    view v = {json, 1};
    llmh_pipeline_result *r = NULL;
    llmh_error err;
    llmh_error_clear(&err);
    llmh_status st = llmh_pipeline_run(ctx, name, q, on_stage, &v, &r, &err);
    llmh_buf_free(&query);
    if (!r) {
        cli_error("%s", err.message);
        return cli_exit_for(st);
    }
    if (json) {
        cli_print_json(result_json(r, st == LLMH_OK ? NULL : err.message));
    } else if (st == LLMH_OK && r->answer) {
        fputs(r->answer, stdout);
        size_t n = strlen(r->answer);
        if (!n || r->answer[n - 1] != '\n')
            fputc('\n', stdout);
    }
    if (st != LLMH_OK)
        cli_error("%s", err.message);
    llmh_pipeline_result_free(r);
    return cli_exit_for(st);
}
