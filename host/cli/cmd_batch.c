/* cmd_batch.c: `llmhost chat --batch FILE.jsonl`: many requests at once on
 * one event loop, results as JSONL in input order, each with its status. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "jscan.h"
#include "json_write.h"
#include "util.h"

typedef struct line_req {
    json_object *doc;        /* the parsed line (owns the strings below), or */
    char *text;              /* the decoded strings of a line read without json-c */
    llmh_message *msgs;
    const char **stop;
    char *error;             /* the line could not be used */
} line_req;

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* A JSON string into b, NUL-terminated; its offset in b. */
static size_t take_string(const llmh_jspan *v, llmh_buf *b)
{
    size_t off = b->len;
    if (v->escaped)
        llmh_jspan_append(v, b);
    else
        llmh_buf_append(b, v->start, v->len);
    llmh_buf_append(b, "", 1);
    return off;
}

/* The members a fast-read line may have; the first N_STR_FIELDS are strings. */
enum {
    F_PROVIDER, F_MODEL, F_SYSTEM, F_FALLBACK, F_PROMPT, N_STR_FIELDS,
    F_TEMPERATURE = N_STR_FIELDS, F_MAX_TOKENS, F_MESSAGES, F_STOP, N_FIELDS
};
static const char *const field_names[N_FIELDS] = {
    "provider", "model", "system", "fallback", "prompt", "temperature", "max_tokens", "messages",
    "stop"};
#define NO_OFF ((size_t)-1)

/* "messages": an array of {role, content} objects (other members skipped);
 * the two strings' offsets in strs go to *offs in pairs. 0: not that. */
static int read_messages(llmh_jscan *sc, llmh_buf *strs, size_t **offs, size_t *n)
{
    if (!llmh_jscan_eat(sc, '['))
        return 0;
    for (int first = 1; !llmh_jscan_eat(sc, ']'); first = 0) {
        if ((!first && !llmh_jscan_eat(sc, ',')) || !llmh_jscan_eat(sc, '{'))
            return 0;
        size_t role = NO_OFF, content = NO_OFF;
        int mfirst = 1, r;
        llmh_jspan key, v;
        while ((r = llmh_jscan_next_key(sc, &mfirst, &key)) == 1) {
            size_t *slot = LLMH_JSPAN_IS(&key, "role")      ? &role
                           : LLMH_JSPAN_IS(&key, "content") ? &content
                                                            : NULL;
            if (!slot) {
                if (key.escaped || !llmh_jscan_skip(sc))
                    return 0;
                continue;
            }
            if (*slot != NO_OFF || !llmh_jscan_string(sc, &v))
                return 0;
            *slot = take_string(&v, strs);
        }
        if (r < 0 || role == NO_OFF || content == NO_OFF)
            return 0;
        *offs = llmh_xrealloc(*offs, (*n + 1) * 2 * sizeof **offs);
        (*offs)[2 * *n] = role;
        (*offs)[2 * *n + 1] = content;
        (*n)++;
    }
    return 1;
}

/* "stop": an array of strings, their offsets in strs to *offs. 0: not that. */
static int read_stop(llmh_jscan *sc, llmh_buf *strs, size_t **offs, size_t *n)
{
    if (!llmh_jscan_eat(sc, '['))
        return 0;
    llmh_jspan v;
    for (int first = 1; !llmh_jscan_eat(sc, ']'); first = 0) {
        if ((!first && !llmh_jscan_eat(sc, ',')) || !llmh_jscan_string(sc, &v))
            return 0;
        *offs = llmh_xrealloc(*offs, (*n + 1) * sizeof **offs);
        (*offs)[(*n)++] = take_string(&v, strs);
    }
    return 1;
}

/* Read a line of the usual shape without building a tree: one object of
 * string members, temperature, max_tokens, "messages" as {role, content}
 * objects and "stop" as strings; other members are skipped. Returns 0 for
 * anything else, unusual or wrong, and the caller reads the line with
 * json-c, which also words the errors. */
static int parse_line_fast(const char *text, size_t len, line_req *lr, llmh_chat_request *req)
{
    llmh_jscan sc;
    llmh_jscan_init(&sc, text, len);
    if (!llmh_jscan_eat(&sc, '{'))
        return 0;
    llmh_buf strs = {0};
    llmh_buf_reserve(&strs, len); /* decoded strings are never longer than the line */
    size_t off[N_STR_FIELDS], *msg_off = NULL, n_msg = 0, *stop_off = NULL, n_stop = 0;
    for (int i = 0; i < N_STR_FIELDS; i++)
        off[i] = NO_OFF;
    unsigned seen = 0;
    int first = 1, ok = 0, r;
    double temp = 0;
    long max_tokens = 0;
    llmh_jspan key, v;
    while ((r = llmh_jscan_next_key(&sc, &first, &key)) == 1) {
        int f = 0;
        while (f < N_FIELDS && !llmh_jspan_is(&key, field_names[f]))
            f++;
        if (f == N_FIELDS) {
            /* not ours, unless an escape spells one of ours */
            if (key.escaped || !llmh_jscan_skip(&sc))
                goto out;
            continue;
        }
        if (seen & (1u << f))
            goto out; /* a repeated member: json-c keeps the last */
        seen |= 1u << f;
        int good;
        switch (f) {
        case F_TEMPERATURE:
            good = llmh_jscan_double(&sc, &temp) && !isnan(temp) && temp >= 0 && temp <= 2;
            break;
        case F_MAX_TOKENS: good = llmh_jscan_long(&sc, &max_tokens) && max_tokens > 0; break;
        case F_MESSAGES: good = read_messages(&sc, &strs, &msg_off, &n_msg); break;
        case F_STOP: good = read_stop(&sc, &strs, &stop_off, &n_stop); break;
        default:
            good = llmh_jscan_string(&sc, &v);
            if (good)
                off[f] = take_string(&v, &strs);
        }
        if (!good)
            goto out;
    }
    if (r < 0 || llmh_jscan_peek(&sc) != 0)
        goto out; /* bad syntax, or something after the object */
    if (!n_msg && off[F_PROMPT] == NO_OFF)
        goto out; /* nothing to send: json-c's path says so */

    /* Everything read: now the strings stay put, point at them. */
    const char *base = strs.data;
#define STR(f) (off[f] == NO_OFF ? NULL : base + off[f])
    if (STR(F_PROVIDER))
        req->provider = STR(F_PROVIDER);
    if (STR(F_MODEL))
        req->model = STR(F_MODEL);
    req->system = STR(F_SYSTEM);
    req->fallback = STR(F_FALLBACK);
    req->has_temperature = (seen & (1u << F_TEMPERATURE)) != 0;
    req->temperature = temp;
    req->max_tokens = max_tokens;
    if (seen & (1u << F_STOP)) {
        lr->stop = llmh_xcalloc(n_stop ? n_stop : 1, sizeof *lr->stop);
        for (size_t i = 0; i < n_stop; i++)
            lr->stop[i] = base + stop_off[i];
        req->stop = lr->stop;
        req->n_stop = n_stop;
    }
    lr->msgs = llmh_xcalloc(n_msg + 1, sizeof *lr->msgs);
    for (size_t i = 0; i < n_msg; i++)
        lr->msgs[i] = (llmh_message){base + msg_off[2 * i], base + msg_off[2 * i + 1]};
    size_t n = n_msg;
    if (STR(F_PROMPT))
        lr->msgs[n++] = (llmh_message){"user", STR(F_PROMPT)};
#undef STR
    req->messages = lr->msgs;
    req->n_messages = n;
    lr->text = strs.data;
    strs.data = NULL;
    ok = 1;
out:
    llmh_buf_free(&strs);
    free(msg_off);
    free(stop_off);
    return ok;
}

/* Fill req from one JSONL line (len bytes, NUL-terminated); on a bad line
 * set lr->error. */
static void parse_line(const char *text, size_t len, size_t lineno, line_req *lr,
                       llmh_chat_request *req, const char *def_provider, const char *def_model)
{
    memset(req, 0, sizeof *req);
    req->struct_size = sizeof *req;
    req->stream = 0;
    req->provider = def_provider;
    req->model = def_model;
    if (parse_line_fast(text, len, lr, req))
        return;
    /* The fast reader may have stopped half way: start over. */
    free(lr->stop);
    lr->stop = NULL;
    memset(req, 0, sizeof *req);
    req->struct_size = sizeof *req;
    req->stream = 0;
    req->provider = def_provider;
    req->model = def_model;
    json_tokener *tok = json_tokener_new();
    lr->doc = len <= INT32_MAX ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!lr->doc || !json_object_is_type(lr->doc, json_type_object)) {
        lr->error = llmh_sprintf(
            "line %zu: not a JSON object%s%s", lineno, lr->doc ? "" : ": ",
            lr->doc ? ""
            : jerr == json_tokener_continue ? "the line ends inside it"
                                             : json_tokener_error_desc(jerr));
        return;
    }
    /* One request a line: nothing may follow the object. */
    if (text[end + strspn(text + end, " \t\r\n")]) {
        lr->error = llmh_sprintf("line %zu: text after the JSON object", lineno);
        return;
    }
    json_object *o = lr->doc, *v;
    if (jstr(o, "provider"))
        req->provider = jstr(o, "provider");
    if (jstr(o, "model"))
        req->model = jstr(o, "model");
    req->system = jstr(o, "system");
    req->fallback = jstr(o, "fallback");
    if (json_object_object_get_ex(o, "temperature", &v)) {
        double t = json_object_get_double(v);
        if (!(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) ||
            isnan(t) || t < 0 || t > 2) {
            lr->error = llmh_sprintf("line %zu: temperature must be a number from 0 to 2", lineno);
            return;
        }
        req->has_temperature = 1;
        req->temperature = t;
    }
    if (json_object_object_get_ex(o, "max_tokens", &v)) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0) {
            lr->error = llmh_sprintf("line %zu: max_tokens must be a positive integer", lineno);
            return;
        }
        req->max_tokens = (long)json_object_get_int64(v);
    }
    if (json_object_object_get_ex(o, "stop", &v) && json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        lr->stop = llmh_xcalloc(n ? n : 1, sizeof *lr->stop);
        for (size_t i = 0; i < n; i++)
            lr->stop[i] = json_object_get_string(json_object_array_get_idx(v, i));
        req->stop = lr->stop;
        req->n_stop = n;
    }
    json_object *msgs;
    const char *prompt = jstr(o, "prompt");
    size_t n = 0;
    if (json_object_object_get_ex(o, "messages", &msgs) &&
        json_object_is_type(msgs, json_type_array))
        n = json_object_array_length(msgs);
    lr->msgs = llmh_xcalloc(n + 1, sizeof *lr->msgs);
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(msgs, i);
        const char *role = jstr(m, "role"), *content = jstr(m, "content");
        if (!role || !content) {
            lr->error = llmh_sprintf("line %zu: message %zu needs a string role and content",
                                     lineno, i + 1);
            return;
        }
        lr->msgs[i] = (llmh_message){role, content};
    }
    if (prompt)
        lr->msgs[n++] = (llmh_message){"user", prompt};
    if (!n) {
        lr->error = llmh_sprintf("line %zu: no \"messages\" (or \"prompt\") to send", lineno);
        return;
    }
    req->messages = lr->msgs;
    req->n_messages = n;
}

static void progress(void *ud, size_t done, size_t total)
{
    (void)ud;
    int width = 40, filled = total ? (int)(done * (size_t)width / total) : width;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu", filled, "========================================",
            width - filled, "", done, total);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}


int cli_chat_batch(cli *c, const char *file, size_t concurrency, const char *def_provider,
                   const char *def_model);

int cli_chat_batch(cli *c, const char *file, size_t concurrency, const char *def_provider,
                   const char *def_model)
{
    FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
    if (!f) {
        cli_error("cannot read %s: %s", file, strerror(errno));
        return EXIT_USAGE;
    }
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx) {
        if (f != stdin)
            fclose(f);
        return EXIT_USAGE;
    }
    size_t n = 0, cap = 0, lineno = 0;
    line_req *lines = NULL;
    llmh_chat_request *reqs = NULL;
    size_t *line_of = NULL;
    char *buf = NULL;
    size_t bufcap = 0;
    ssize_t len;
    while ((len = getline(&buf, &bufcap, f)) >= 0) {
        lineno++;
        const char *p = buf;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p)
            continue; /* blank lines carry no request */
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            lines = llmh_xrealloc(lines, cap * sizeof *lines);
            reqs = llmh_xrealloc(reqs, cap * sizeof *reqs);
            line_of = llmh_xrealloc(line_of, cap * sizeof *line_of);
        }
        memset(&lines[n], 0, sizeof lines[n]);
        parse_line(p, (size_t)(buf + len - p), lineno, &lines[n], &reqs[n], def_provider,
                   def_model);
        line_of[n] = lineno;
        n++;
    }
    free(buf);
    if (f != stdin)
        fclose(f);
    /* Lines that could not be parsed do not run; the rest run together. */
    llmh_chat_request *run = llmh_xcalloc(n ? n : 1, sizeof *run);
    size_t *run_of = llmh_xcalloc(n ? n : 1, sizeof *run_of), nr = 0;
    for (size_t i = 0; i < n; i++)
        if (!lines[i].error) {
            run[nr] = reqs[i];
            run_of[nr++] = i;
        }
    llmh_batch_item *items = llmh_xcalloc(nr ? nr : 1, sizeof *items);
    llmh_chat_batch(ctx, run, nr, concurrency, items, isatty(STDERR_FILENO) ? progress : NULL,
                    NULL);
    llmh_batch_item **by_line = llmh_xcalloc(n ? n : 1, sizeof *by_line);
    for (size_t k = 0; k < nr; k++)
        by_line[run_of[k]] = &items[k];
    size_t failed = 0;
    llmh_buf line = {0};
    /* Result lines are written directly: a batch may print thousands. */
    for (size_t i = 0; i < n; i++) {
        llmh_buf_reset(&line);
        llmh_buf_puts(&line, "{\"index\":");
        llmh_json_write_int(&line, (long long)i);
        llmh_buf_puts(&line, ",\"line\":");
        llmh_json_write_int(&line, (long long)line_of[i]);
        llmh_batch_item *it = by_line[i];
        if (!it || it->status != LLMH_OK) {
            failed++;
            llmh_buf_puts(&line, ",\"status\":\"error\",\"provider\":");
            llmh_json_write_str(&line, reqs[i].provider);
            llmh_buf_puts(&line, ",\"model\":");
            llmh_json_write_str(&line, reqs[i].model);
            llmh_buf_puts(&line, ",\"error\":");
            llmh_json_write_str(&line, it ? it->error.message : lines[i].error);
            llmh_buf_puts(&line, ",\"error_code\":");
            llmh_json_write_str(&line, llmh_strerror(it ? it->status : LLMH_E_INVALID));
        } else {
            llmh_chat_result *r = it->result;
            llmh_buf_puts(&line, ",\"status\":\"ok\",\"provider\":");
            llmh_json_write_str(&line, r->provider);
            llmh_buf_puts(&line, ",\"model\":");
            llmh_json_write_str(&line, r->model);
            llmh_buf_puts(&line, ",\"content\":");
            llmh_json_write_str(&line, r->content);
            llmh_buf_puts(&line, ",\"reasoning\":");
            llmh_json_write_str(&line, r->reasoning);
            llmh_buf_puts(&line, ",\"finish_reason\":");
            llmh_json_write_str(&line, r->finish == LLMH_FINISH_NONE ? NULL
                                                                    : llmh_finish_name(r->finish));
            llmh_buf_puts(&line, ",\"usage\":{\"prompt_tokens\":");
            if (r->usage.prompt_tokens >= 0)
                llmh_json_write_int(&line, r->usage.prompt_tokens);
            else
                llmh_buf_puts(&line, "null");
            llmh_buf_puts(&line, ",\"completion_tokens\":");
            if (r->usage.completion_tokens >= 0)
                llmh_json_write_int(&line, r->usage.completion_tokens);
            else
                llmh_buf_puts(&line, "null");
            llmh_buf_puts(&line, "},\"attempts\":");
            llmh_json_write_int(&line, r->attempts);
            llmh_buf_puts(&line, ",\"latency_ms\":");
            llmh_json_write_int(&line, r->latency_ms);
            llmh_buf_puts(&line, ",\"cached\":");
            llmh_buf_puts(&line, r->cached ? "true" : "false");
            llmh_chat_result_free(r);
        }
        llmh_buf_puts(&line, "}\n");
        fwrite(line.data, 1, line.len, stdout);
    }
    llmh_buf_free(&line);
    for (size_t i = 0; i < n; i++) {
        json_object_put(lines[i].doc);
        free(lines[i].text);
        free(lines[i].msgs);
        free(lines[i].stop);
        free(lines[i].error);
    }
    free(lines);
    free(reqs);
    free(line_of);
    free(run);
    free(run_of);
    free(items);
    free(by_line);
    if (failed)
        fprintf(stderr, "llmhost: %zu of %zu requests failed\n", failed, n);
    return failed ? EXIT_PROVIDER : EXIT_OK;
}
