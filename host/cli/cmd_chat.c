/* cmd_chat.c: `llmhost chat`: one prompt, the answer streamed to stdout as
 * it arrives; reasoning to stderr on request; --json for scripts. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "util.h"

static const char help[] =
    "Usage: llmhost chat -p PROVIDER -m MODEL [OPTIONS] [PROMPT... | -]\n"
    "\n"
    "Send one prompt and stream the answer to stdout as it arrives. The prompt\n"
    "is the arguments, or standard input when it is \"-\" or not given.\n"
    "\n"
    "  -p, --provider P      provider key (see 'llmhost providers'); default llm.provider\n"
    "  -m, --model M         model id (see 'llmhost models -p P'); default llm.model\n"
    "      --profile NAME    use [profile.NAME] from the config: its provider, model,\n"
    "                        settings and answer shape; -p, -m and the options\n"
    "                        below still win (see 'llmhost profiles')\n"
    "      --system TEXT     system prompt\n"
    "      --messages FILE   a JSON array of {\"role\",\"content\"} to send first\n"
    "                        (\"-\" reads it from standard input)\n"
    "      --temperature T   0 to 2 (default llm.temperature)\n"
    "      --max-tokens N    answer length limit (default llm.max_tokens, capped\n"
    "                        at 80% of the context window)\n"
    "      --fallback LIST   \"provider/model, provider/model\": tried in order when\n"
    "                        the provider fails after its retries (default llm.fallback)\n"
    "      --no-stream       wait for the whole answer\n"
    "      --show-reasoning  write the model's reasoning to stderr\n"
    "      --json            print one JSON document: provider, model, content,\n"
    "                        reasoning, finish_reason, usage, attempts, latency_ms,\n"
    "                        ttft_ms (and confidence with --profile)\n"
    "      --dry-run         print the HTTP request as JSON (secrets as \"***\") and\n"
    "                        send nothing\n"
    "      --batch FILE      run every request of a JSONL file (one JSON object per\n"
    "                        line: provider, model, messages or prompt, system,\n"
    "                        temperature, max_tokens, stop, fallback; -p/-m give\n"
    "                        defaults); results as JSONL in input order\n"
    "      --concurrency N   requests in flight at once with --batch (default 4)\n"
    "\n"
    "Exit status: 0 answered, 2 usage or configuration error, 3 the provider failed\n"
    "(after retries), 4 plugin error.\n";

typedef struct sink {
    int show_reasoning;
    int quiet_stdout; /* --json: collect, print at the end */
    int wrote;
    int last_nl;
    int broken;
} sink;

static int on_delta(void *ud, const char *content, size_t clen, const char *reasoning, size_t rlen)
{
    sink *s = ud;
    if (rlen && s->show_reasoning) {
        fwrite(reasoning, 1, rlen, stderr);
        fflush(stderr);
    }
    if (clen && !s->quiet_stdout) {
        if (fwrite(content, 1, clen, stdout) != clen || fflush(stdout) != 0) {
            s->broken = 1;
            return 1; /* stdout is gone (a closed pipe): stop paying for tokens */
        }
        s->wrote = 1;
        s->last_nl = content[clen - 1] == '\n';
    }
    return 0;
}

static char *read_all(FILE *f, const char *what, int *failed)
{
    llmh_buf b = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        llmh_buf_append(&b, buf, n);
    if (ferror(f)) {
        cli_error("cannot read %s: %s", what, strerror(errno));
        *failed = 1;
        llmh_buf_free(&b);
        return NULL;
    }
    if (!b.data)
        llmh_buf_append(&b, "", 0);
    return b.data;
}

/* Parse --messages: a JSON array of {role, content}. */
static int load_messages(const char *path, json_object **doc, llmh_message **msgs, size_t *n)
{
    int failed = 0;
    char *text;
    if (!strcmp(path, "-")) {
        text = read_all(stdin, "standard input", &failed);
    } else {
        FILE *f = fopen(path, "rb");
        if (!f) {
            cli_error("cannot read %s: %s", path, strerror(errno));
            return EXIT_USAGE;
        }
        text = read_all(f, path, &failed);
        fclose(f);
    }
    if (failed)
        return EXIT_USAGE;
    enum json_tokener_error jerr;
    *doc = json_tokener_parse_verbose(text, &jerr);
    free(text);
    if (!*doc || !json_object_is_type(*doc, json_type_array)) {
        cli_error("%s: expected a JSON array of {\"role\", \"content\"} objects%s%s", path,
                  *doc ? "" : ": ", *doc ? "" : json_tokener_error_desc(jerr));
        return EXIT_USAGE;
    }
    size_t len = json_object_array_length(*doc);
    *msgs = llmh_xcalloc(len ? len : 1, sizeof **msgs);
    for (size_t i = 0; i < len; i++) {
        json_object *m = json_object_array_get_idx(*doc, i), *role, *content;
        if (!json_object_is_type(m, json_type_object) ||
            !json_object_object_get_ex(m, "role", &role) ||
            !json_object_is_type(role, json_type_string) ||
            !json_object_object_get_ex(m, "content", &content) ||
            !json_object_is_type(content, json_type_string)) {
            cli_error("%s: message %zu needs a string \"role\" and a string \"content\"", path,
                      i + 1);
            return EXIT_USAGE;
        }
        const char *r = json_object_get_string(role);
        if (strcmp(r, "system") && strcmp(r, "user") && strcmp(r, "assistant")) {
            cli_error("%s: message %zu has role \"%s\"; expected system, user or assistant", path,
                      i + 1, r);
            return EXIT_USAGE;
        }
        (*msgs)[i].role = r;
        (*msgs)[i].content = json_object_get_string(content);
    }
    *n = len;
    return EXIT_OK;
}

int cli_chat_batch(cli *c, const char *file, size_t concurrency, const char *def_provider,
                   const char *def_model);

static json_object *usage_json(long v) { return v >= 0 ? json_object_new_int64(v) : NULL; }

int cmd_chat(cli *c, int argc, char **argv)
{
    const char *provider = NULL, *model = NULL, *system = NULL, *messages_file = NULL;
    const char *fallback = NULL, *batch = NULL, *profile = NULL;
    long concurrency = 4;
    int json = 0, dry = 0, stream = -1, show_reasoning = 0;
    int has_temp = 0;
    double temp = 0;
    long max_tokens = 0;
    llmh_buf prompt = {0};
    int prompt_args = 0, from_stdin = 0;
    int rc = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
#define VALUE(name)                                                                          \
    do {                                                                                     \
        if (i + 1 >= argc) {                                                                 \
            llmh_buf_free(&prompt);                                                          \
            return cli_usage_error("chat", "%s needs a value", name);                         \
        }                                                                                    \
        v = argv[++i];                                                                       \
    } while (0)
        if (cli_is_help(a)) {
            fputs(help, stdout);
            llmh_buf_free(&prompt);
            return EXIT_OK;
        } else if (!strcmp(a, "-p") || !strcmp(a, "--provider")) {
            VALUE(a);
            provider = v;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            VALUE(a);
            model = v;
        } else if (!strcmp(a, "--profile")) {
            VALUE(a);
            profile = v;
        } else if (!strcmp(a, "--batch")) {
            VALUE(a);
            batch = v;
        } else if (!strcmp(a, "--concurrency")) {
            VALUE(a);
            char *end;
            errno = 0;
            concurrency = strtol(v, &end, 10);
            if (errno || end == v || *end || concurrency < 1 || concurrency > 1024) {
                llmh_buf_free(&prompt);
                return cli_usage_error("chat", "--concurrency expects a number from 1 to 1024, got \"%s\"", v);
            }
        } else if (!strcmp(a, "--fallback")) {
            VALUE(a);
            fallback = v;
        } else if (!strcmp(a, "--system")) {
            VALUE(a);
            system = v;
        } else if (!strcmp(a, "--messages")) {
            VALUE(a);
            messages_file = v;
        } else if (!strcmp(a, "--temperature")) {
            VALUE(a);
            char *end;
            errno = 0;
            temp = strtod(v, &end);
            if (errno || end == v || *end || isnan(temp) || temp < 0 || temp > 2) {
                llmh_buf_free(&prompt);
                return cli_usage_error("chat", "--temperature expects a number from 0 to 2, got \"%s\"", v);
            }
            has_temp = 1;
        } else if (!strcmp(a, "--max-tokens")) {
            VALUE(a);
            char *end;
            errno = 0;
            max_tokens = strtol(v, &end, 10);
            if (errno || end == v || *end || max_tokens <= 0) {
                llmh_buf_free(&prompt);
                return cli_usage_error("chat", "--max-tokens expects a positive whole number, got \"%s\"", v);
            }
        } else if (!strcmp(a, "--no-stream")) {
            stream = 0;
        } else if (!strcmp(a, "--stream")) {
            stream = 1;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--dry-run")) {
            dry = 1;
        } else if (!strcmp(a, "--show-reasoning")) {
            show_reasoning = 1;
        } else if (!strcmp(a, "-")) {
            from_stdin = 1;
        } else if (!strcmp(a, "--")) {
            for (i++; i < argc; i++) {
                if (prompt_args++)
                    llmh_buf_puts(&prompt, " ");
                llmh_buf_puts(&prompt, argv[i]);
            }
        } else if (a[0] == '-' && a[1]) {
            llmh_buf_free(&prompt);
            return cli_usage_error("chat", "unknown option %s", a);
        } else {
            if (prompt_args++)
                llmh_buf_puts(&prompt, " ");
            llmh_buf_puts(&prompt, a);
        }
#undef VALUE
    }
    if (batch) {
        llmh_buf_free(&prompt);
        if (prompt_args || from_stdin || messages_file || dry)
            return cli_usage_error("chat", "--batch takes its requests from the file only");
        if (profile)
            return cli_usage_error("chat", "--profile does not apply to --batch");
        return cli_chat_batch(c, batch, (size_t)concurrency, provider, model);
    }
    if (from_stdin && prompt_args) {
        llmh_buf_free(&prompt);
        return cli_usage_error("chat", "give the prompt as arguments or as \"-\" (stdin), not both");
    }
    int use_stdin = from_stdin || (!prompt_args && !messages_file);
    if (use_stdin && !from_stdin && isatty(STDIN_FILENO)) {
        llmh_buf_free(&prompt);
        return cli_usage_error("chat", "no prompt: give it as an argument, or pipe it in");
    }
    if (use_stdin && messages_file && !strcmp(messages_file, "-")) {
        llmh_buf_free(&prompt);
        return cli_usage_error("chat", "standard input cannot be both the prompt and --messages");
    }
    json_object *mdoc = NULL;
    llmh_message *msgs = NULL;
    size_t n_msgs = 0;
    if (messages_file && (rc = load_messages(messages_file, &mdoc, &msgs, &n_msgs)) != EXIT_OK)
        goto out;
    if (use_stdin) {
        int failed = 0;
        char *text = read_all(stdin, "standard input", &failed);
        if (failed) {
            rc = EXIT_USAGE;
            goto out;
        }
        llmh_buf_puts(&prompt, text);
        free(text);
        prompt_args = 1;
    }
    if (prompt_args) {
        const char *p = prompt.data ? prompt.data : "";
        while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
            p++;
        if (!*p) {
            rc = cli_usage_error("chat", "the prompt is empty");
            goto out;
        }
        msgs = llmh_xrealloc(msgs, (n_msgs + 1) * sizeof *msgs);
        msgs[n_msgs].role = "user";
        msgs[n_msgs].content = prompt.data;
        n_msgs++;
    }
    if (n_msgs == 0) {
        rc = cli_usage_error("chat", "nothing to send: --messages holds no message and no prompt was given");
        goto out;
    }
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx) {
        rc = EXIT_USAGE;
        goto out;
    }
    sink s = {show_reasoning, json, 0, 1, 0};
    llmh_chat_request req;
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.provider = provider;
    req.model = model;
    req.system = system;
    req.messages = msgs;
    req.n_messages = n_msgs;
    req.has_temperature = has_temp;
    req.temperature = temp;
    req.max_tokens = max_tokens;
    req.stream = stream;
    req.on_delta = on_delta;
    req.ud = &s;
    req.fallback = fallback;
    llmh_error err;
    llmh_error_clear(&err);
    if (dry) {
        char *out = NULL;
        llmh_status st = profile ? llmh_profile_chat_dry_run(ctx, profile, &req, &out, &err)
                                 : llmh_chat_dry_run(ctx, &req, &out, &err);
        if (st != LLMH_OK) {
            cli_error("%s", err.message);
            rc = cli_exit_for(st);
        } else {
            puts(out);
        }
        free(out);
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    llmh_chat_result *res = NULL;
    int confidence = -1;
    llmh_status st = profile ? llmh_profile_chat_ex(ctx, profile, &req, &res, &confidence, &err)
                             : llmh_chat(ctx, &req, &res, &err);
    if (s.wrote && !s.last_nl && !s.broken)
        fputc('\n', stdout);
    if (st != LLMH_OK) {
        if (!s.broken)
            cli_error("%s", err.message);
        rc = s.broken ? EXIT_OK : cli_exit_for(st);
        goto out;
    }
    if (json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "provider", json_object_new_string(res->provider));
        json_object_object_add(o, "model", json_object_new_string(res->model));
        json_object_object_add(o, "content", json_object_new_string(res->content));
        json_object_object_add(o, "reasoning", json_object_new_string(res->reasoning));
        json_object_object_add(o, "finish_reason",
                               res->finish == LLMH_FINISH_NONE
                                   ? NULL
                                   : json_object_new_string(llmh_finish_name(res->finish)));
        json_object *u = json_object_new_object();
        json_object_object_add(u, "prompt_tokens", usage_json(res->usage.prompt_tokens));
        json_object_object_add(u, "completion_tokens", usage_json(res->usage.completion_tokens));
        json_object_object_add(o, "usage", u);
        json_object_object_add(o, "attempts", json_object_new_int(res->attempts));
        json_object_object_add(o, "latency_ms", json_object_new_int64(res->latency_ms));
        json_object_object_add(o, "ttft_ms", res->ttft_ms >= 0 ? json_object_new_int64(res->ttft_ms) : NULL);
        json_object_object_add(o, "cached", json_object_new_boolean(res->cached));
        json_object_object_add(o, "tried_before",
                               res->fallback_note ? json_object_new_string(res->fallback_note) : NULL);
        if (profile) {
            json_object_object_add(o, "profile", json_object_new_string(profile));
            json_object_object_add(o, "confidence",
                                   confidence >= 0 ? json_object_new_int(confidence) : NULL);
        }
        cli_print_json(o);
    }
    if (!json && res->fallback_note)
        fprintf(stderr, "llmhost: answered by %s/%s after: %s\n", res->provider, res->model,
                res->fallback_note);
    if (show_reasoning && res->reasoning[0] && res->reasoning[strlen(res->reasoning) - 1] != '\n')
        fputc('\n', stderr);
    llmh_chat_result_free(res);
out:
    json_object_put(mdoc);
    free(msgs);
    llmh_buf_free(&prompt);
    return rc;
}
