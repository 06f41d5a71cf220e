/* messages.c: the Anthropic Messages API as a codec, built only on the SDK.
 *  - POST {base}/v1/messages with x-api-key (when a key is set) and
 *    anthropic-version; system messages are joined into the top-level
 *    "system" string; max_tokens is always sent (the API requires it);
 *  - extended thinking when llm.<key>.thinking_budget > 0 or the caller asks
 *    for it: {"type":"enabled","budget_tokens":N}, N >= 1024, max_tokens
 *    raised above N when needed, temperature left out (the API refuses
 *    temperature together with thinking);
 *  - answers: "text" blocks are the answer, "thinking" blocks reasoning;
 *    "redacted_thinking", "tool_use" and signatures are not text;
 *  - streams are SSE with named events; the event name falls back to the
 *    data's "type" for servers that send unnamed events; unknown events are
 *    ignored, as Anthropic asks of clients;
 *  - usage counts cached prompt tokens (cache_creation_input_tokens,
 *    cache_read_input_tokens) as prompt tokens;
 *  - GET {base}/v1/models?limit=1000 (the API pages by 20 by default), labels
 *    from display_name;
 *  - errors are {"type":"error","error":{"type","message"}}, the same in a
 *    body and in an "error" event; other shapes (gateways in front of an
 *    Anthropic-compatible endpoint) go to the host's OpenAI classifier. */
#include "messages.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small helpers */

static const char *who(const llmh_call *c)
{
    return c->provider && c->provider->display_name ? c->provider->display_name : "Anthropic";
}

static int contains_nocase(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; s && *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return 1;
    return 0;
}

static int blank(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

static int is(const char *s, const char *lit)
{
    return s && strcmp(s, lit) == 0;
}

/* See ollama.c: the facade's json_new_double prints 17 digits. */
static llmh_json *json_number(const llmh_host *h, double v)
{
    char t[32];
    /* The trailing space ends the number for the tokener. */
    int n = snprintf(t, sizeof t, "%.6g ", v);
    llmh_json *j = n > 0 && (size_t)n < sizeof t ? h->json_parse(t, (size_t)n) : NULL;
    return j ? j : h->json_new_double(v);
}

static llmh_json *jstr(const llmh_host *h, const char *s)
{
    return h->json_new_string(s ? s : "", s ? strlen(s) : 0);
}

static const char *get_str(const llmh_host *h, const llmh_json *o, const char *key, size_t *len)
{
    return h->json_string(h->json_get(o, key), len);
}

/* A token count; -1 when absent or not a number. */
static long get_count(const llmh_host *h, const llmh_json *o, const char *key)
{
    const llmh_json *v = h->json_get(o, key);
    llmh_json_type t = h->json_type(v);
    if (t != LLMH_JSON_INT && t != LLMH_JSON_DOUBLE)
        return -1;
    long long n = h->json_int(v);
    return n >= 0 && n <= 0x7fffffffLL ? (long)n : -1;
}

/* input_tokens plus the cached prompt tokens Anthropic counts apart. */
static long prompt_tokens(const llmh_host *h, const llmh_json *usage)
{
    long in = get_count(h, usage, "input_tokens");
    if (in < 0)
        return -1;
    long cw = get_count(h, usage, "cache_creation_input_tokens");
    long cr = get_count(h, usage, "cache_read_input_tokens");
    return in + (cw > 0 ? cw : 0) + (cr > 0 ? cr : 0);
}

static llmh_finish finish_from(const char *s)
{
    if (!s)
        return LLMH_FINISH_NONE;
    if (is(s, "end_turn") || is(s, "stop_sequence"))
        return LLMH_FINISH_STOP;
    if (is(s, "max_tokens") || is(s, "model_context_window_exceeded"))
        return LLMH_FINISH_LENGTH;
    if (is(s, "tool_use"))
        return LLMH_FINISH_TOOL_CALLS;
    if (is(s, "refusal"))
        return LLMH_FINISH_CONTENT_FILTER;
    return LLMH_FINISH_OTHER; /* pause_turn and reasons added later */
}

/* ---- errors */

/* How servers say that the prompt does not fit. Anthropic: "prompt is too
 * long: 208310 tokens > 200000 maximum" and "input length and `max_tokens`
 * exceed context limit: ..."; compatible servers word it their way. */
static int mentions_context(const char *msg)
{
    static const char *const phrases[] = {"prompt is too long", "exceed context limit",
                                          "context limit",      "context window",
                                          "context length",     "maximum context"};
    for (size_t i = 0; msg && i < sizeof phrases / sizeof phrases[0]; i++)
        if (contains_nocase(msg, phrases[i]))
            return 1;
    return 0;
}

/* The status an Anthropic error type stands for; other for types that say
 * nothing more than the HTTP status does. */
static llmh_status map_error_type(const char *type, const char *msg, llmh_status other)
{
    if (is(type, "overloaded_error"))
        return LLMH_E_OVERLOADED;
    if (is(type, "rate_limit_error"))
        return LLMH_E_RATE_LIMITED;
    if (is(type, "authentication_error"))
        return LLMH_E_AUTH;
    if (is(type, "permission_error"))
        return LLMH_E_PERMISSION;
    if (is(type, "not_found_error"))
        return LLMH_E_NOT_FOUND;
    if (is(type, "request_too_large"))
        return LLMH_E_CONTEXT_LENGTH;
    if (is(type, "invalid_request_error") && mentions_context(msg))
        return LLMH_E_CONTEXT_LENGTH;
    return other;
}

/* The "error" object of an Anthropic error document, or NULL. */
static const llmh_json *error_object(const llmh_host *h, const llmh_json *o)
{
    const llmh_json *e = h->json_get(o, "error");
    return h->json_type(e) == LLMH_JSON_OBJECT ? e : NULL;
}

/* An error the server sent inside a 2xx answer: an "error" event, or a
 * {"type":"error"} body. */
static llmh_status error_document(const llmh_call *c, const llmh_json *o, const char *where,
                                  llmh_error *err)
{
    const llmh_host *h = c->host;
    const llmh_json *e = error_object(h, o);
    const char *type = get_str(h, e, "type", NULL);
    const char *msg = get_str(h, e, "message", NULL);
    if (!e || (!type && !msg))
        return h->error_set(err, LLMH_E_PROTOCOL, 0, "%s sent an error %s without details: %s",
                            who(c), where, h->json_serialize(o));
    llmh_status other = is(type, "invalid_request_error") || is(type, "billing_error")
                            ? LLMH_E_BAD_REQUEST
                            : LLMH_E_SERVER;
    llmh_status code = map_error_type(type, msg, other);
    return h->error_set(err, code, 0, "%s sent an error %s (%s): %s", who(c), where,
                        type ? type : "unknown", msg ? msg : "no message");
}

void anthropic_classify_error(const llmh_call *c, int http_status, const char *body, size_t len,
                              llmh_error *err)
{
    const llmh_host *h = c->host;
    llmh_json *o = body && len ? h->json_parse(body, len) : NULL;
    const llmh_json *e = error_object(h, o);
    const char *type = get_str(h, e, "type", NULL);
    const char *msg = get_str(h, e, "message", NULL);
    if (!type && !msg) {
        /* Not Anthropic's shape: a gateway's or a compatible server's. */
        h->json_free(o);
        h->openai->classify_error(c, http_status, body, len, err);
        return;
    }
    if (msg && *msg)
        snprintf(err->message, sizeof err->message, "%s", msg);
    /* Types refine the class; they do not turn a client error into a
     * server one or back (a 500 with invalid_request_error stays 5xx). */
    err->code = map_error_type(type, msg, err->code);
    h->json_free(o);
}

/* ---- chat request */

/* The thinking budget, or 0 for no extended thinking. */
static long thinking_budget(const llmh_call *c, const llmh_chat_params *p)
{
    if (p->thinking == 0)
        return 0;
    char key[128];
    snprintf(key, sizeof key, "llm.%s.thinking_budget",
             c->provider && c->provider->key ? c->provider->key : "anthropic");
    long setting = c->host->setting_long(c, key, 0);
    long budget = p->thinking_budget > 0 ? p->thinking_budget : setting;
    if (p->thinking == 1 && budget <= 0)
        budget = ANTHROPIC_MIN_THINKING_BUDGET;
    if (budget <= 0)
        return 0;
    return budget < ANTHROPIC_MIN_THINKING_BUDGET ? ANTHROPIC_MIN_THINKING_BUDGET : budget;
}

llmh_status anthropic_build_chat(const llmh_call *c, const llmh_chat_params *p, llmh_http_req *req,
                                 llmh_error *err)
{
    (void)err;
    const llmh_host *h = c->host;
    h->req_set(req, "POST", "/v1/messages");
    if (c->api_key)
        h->req_header(req, "x-api-key", c->api_key, 1);
    h->req_header(req, "anthropic-version", ANTHROPIC_VERSION, 0);
    h->req_header(req, "content-type", "application/json", 0);

    long budget = thinking_budget(c, p);
    long max_tokens = p->max_tokens > 0 ? p->max_tokens : ANTHROPIC_DEFAULT_MAX_TOKENS;
    if (budget > 0 && max_tokens <= budget)
        max_tokens = budget + ANTHROPIC_ANSWER_ROOM;

    llmh_json *body = h->json_new_object();
    h->json_set(body, "model", jstr(h, p->model));
    h->json_set(body, "max_tokens", h->json_new_int(max_tokens));

    /* System (and OpenAI's "developer") messages: one top-level string. */
    size_t syslen = 0;
    for (size_t i = 0; i < p->n_messages; i++) {
        const llmh_message *m = &p->messages[i];
        if ((is(m->role, "system") || is(m->role, "developer")) && !blank(m->content))
            syslen += strlen(m->content) + 2;
    }
    if (syslen) {
        char *sys = malloc(syslen + 1);
        if (!sys) {
            h->json_free(body);
            return h->error_set(err, LLMH_E_NOMEM, 0, "out of memory");
        }
        size_t o = 0;
        for (size_t i = 0; i < p->n_messages; i++) {
            const llmh_message *m = &p->messages[i];
            if (!(is(m->role, "system") || is(m->role, "developer")) || blank(m->content))
                continue;
            if (o) {
                memcpy(sys + o, "\n\n", 2);
                o += 2;
            }
            size_t n = strlen(m->content);
            memcpy(sys + o, m->content, n);
            o += n;
        }
        h->json_set(body, "system", h->json_new_string(sys, o));
        free(sys);
    }

    llmh_json *msgs = h->json_new_array();
    for (size_t i = 0; i < p->n_messages; i++) {
        const llmh_message *m = &p->messages[i];
        if (is(m->role, "system") || is(m->role, "developer"))
            continue;
        llmh_json *o = h->json_new_object();
        h->json_set(o, "role", jstr(h, is(m->role, "assistant") ? "assistant" : "user"));
        h->json_set(o, "content", jstr(h, m->content));
        h->json_append(msgs, o);
    }
    h->json_set(body, "messages", msgs);

    if (p->has_temperature && budget == 0)
        h->json_set(body, "temperature", json_number(h, p->temperature));
    if (p->n_stop) {
        llmh_json *stop = h->json_new_array();
        for (size_t i = 0; i < p->n_stop; i++)
            if (p->stop[i])
                h->json_append(stop, jstr(h, p->stop[i]));
        h->json_set(body, "stop_sequences", stop);
    }
    if (budget > 0) {
        llmh_json *t = h->json_new_object();
        h->json_set(t, "type", jstr(h, "enabled"));
        h->json_set(t, "budget_tokens", h->json_new_int(budget));
        h->json_set(body, "thinking", t);
    }
    h->json_set(body, "stream", h->json_new_bool(p->stream ? 1 : 0));
    h->req_body(req, body);
    return LLMH_OK;
}

/* ---- whole answers */

llmh_status anthropic_parse_chat(const llmh_call *c, const char *body, size_t len,
                                 llmh_chat_out *out, llmh_error *err)
{
    const llmh_host *h = c->host;
    llmh_json *o = h->json_parse(body, len);
    if (h->json_type(o) != LLMH_JSON_OBJECT) {
        h->json_free(o);
        return h->error_set(err, LLMH_E_PROTOCOL, 0, "the %s response is not a JSON object",
                            who(c));
    }
    llmh_status st = LLMH_OK;
    const llmh_json *content = h->json_get(o, "content");
    if (is(get_str(h, o, "type", NULL), "error") || error_object(h, o)) {
        st = error_document(c, o, "in its answer", err);
    } else if (h->json_type(content) != LLMH_JSON_ARRAY) {
        st = h->error_set(err, LLMH_E_PROTOCOL, 0, "the %s response has no \"content\" array",
                          who(c));
    } else {
        for (size_t i = 0; i < h->json_length(content); i++) {
            const llmh_json *b = h->json_index(content, i);
            const char *type = get_str(h, b, "type", NULL);
            size_t n = 0;
            const char *s;
            if (is(type, "text") && (s = get_str(h, b, "text", &n)) && n)
                h->out_content(out, s, n);
            else if (is(type, "thinking") && (s = get_str(h, b, "thinking", &n)) && n)
                h->out_reasoning(out, s, n);
        }
        h->out_finish(out, finish_from(get_str(h, o, "stop_reason", NULL)));
        const llmh_json *usage = h->json_get(o, "usage");
        h->out_usage(out, prompt_tokens(h, usage), get_count(h, usage, "output_tokens"));
    }
    h->json_free(o);
    return st;
}

/* ---- streams */

/* Text a block carries: "text" of a text block or text_delta, "thinking" of
 * a thinking block or thinking_delta. Anything else is not text. */
static void take_block_text(const llmh_host *h, const llmh_json *b, llmh_chat_out *out)
{
    const char *type = get_str(h, b, "type", NULL);
    size_t n = 0;
    const char *s;
    if ((is(type, "text") || is(type, "text_delta")) && (s = get_str(h, b, "text", &n)) && n)
        h->out_content(out, s, n);
    else if ((is(type, "thinking") || is(type, "thinking_delta")) &&
             (s = get_str(h, b, "thinking", &n)) && n)
        h->out_reasoning(out, s, n);
}

/* The usual events read without a tree, through host->json_fields when the
 * host has it (a 1.0 host may not). The fields are ordered so that each
 * named event asks only for its own run of them. */
enum {
    F_TYPE,
    F_DELTA_TYPE, F_DELTA_TEXT, F_DELTA_THINKING,                  /* content_block_delta */
    F_DELTA_STOP, F_USAGE_IN, F_USAGE_CW, F_USAGE_CR, F_USAGE_OUT, /* message_delta */
    F_BLOCK_TYPE, F_BLOCK_TEXT, F_BLOCK_THINKING,                  /* content_block_start */
    F_MSG_IN, F_MSG_CW, F_MSG_CR,                                  /* message_start */
    F_N
};
static const char *const fast_paths[F_N] = {
    "type",
    "delta.type", "delta.text", "delta.thinking",
    "delta.stop_reason", "usage.input_tokens", "usage.cache_creation_input_tokens",
    "usage.cache_read_input_tokens", "usage.output_tokens",
    "content_block.type", "content_block.text", "content_block.thinking",
    "message.usage.input_tokens", "message.usage.cache_creation_input_tokens",
    "message.usage.cache_read_input_tokens"};

typedef enum { EV_OTHER, EV_BLOCK_DELTA, EV_BLOCK_START, EV_MSG_START, EV_MSG_DELTA, EV_MSG_STOP,
               EV_ERROR } ev_kind;

static ev_kind kind_of(const char *name)
{
    if (is(name, "content_block_delta"))
        return EV_BLOCK_DELTA;
    if (is(name, "content_block_start"))
        return EV_BLOCK_START;
    if (is(name, "message_start"))
        return EV_MSG_START;
    if (is(name, "message_delta"))
        return EV_MSG_DELTA;
    if (is(name, "message_stop"))
        return EV_MSG_STOP;
    if (is(name, "error"))
        return EV_ERROR;
    return EV_OTHER; /* content_block_stop, ping, events added later */
}

static int has_json_fields(const llmh_host *h)
{
    return offsetof(llmh_host, json_fields) + sizeof(void *) <= h->struct_size && h->json_fields;
}

/* get_count of a field. */
static long field_count(const llmh_json_field *f)
{
    if (f->type != LLMH_JSON_INT && f->type != LLMH_JSON_DOUBLE)
        return -1;
    return f->i >= 0 && f->i <= 0x7fffffffLL ? (long)f->i : -1;
}

/* prompt_tokens of the three usage fields from in. */
static long field_prompt_tokens(const llmh_json_field *in)
{
    long n = field_count(&in[0]);
    if (n < 0)
        return -1;
    long cw = field_count(&in[1]), cr = field_count(&in[2]);
    return n + (cw > 0 ? cw : 0) + (cr > 0 ? cr : 0);
}

/* take_block_text of a block's type, text and thinking fields. */
static void field_block_text(const llmh_host *h, const llmh_json_field *b, llmh_chat_out *out)
{
    const char *type = b[0].type == LLMH_JSON_STRING ? b[0].str : NULL;
    if ((is(type, "text") || is(type, "text_delta")) && b[1].type == LLMH_JSON_STRING && b[1].len)
        h->out_content(out, b[1].str, b[1].len);
    else if ((is(type, "thinking") || is(type, "thinking_delta")) &&
             b[2].type == LLMH_JSON_STRING && b[2].len)
        h->out_reasoning(out, b[2].str, b[2].len);
}

/* anthropic_parse_event for a well-formed event that is not an error.
 * Returns 0 without touching out for anything else (malformed data, an
 * "error" event): the caller takes the json_parse path. name: the SSE
 * event's, NULL when unnamed. */
static int fast_event(const llmh_host *h, const char *name, const llmh_stream_event *ev,
                      llmh_chat_out *out, int *done)
{
    if (!has_json_fields(h))
        return 0;
    ev_kind k = name ? kind_of(name) : EV_OTHER;
    size_t lo = 0, hi = 0; /* the fields to ask for: all of them for unnamed events */
    if (!name)
        hi = F_N;
    else if (k == EV_BLOCK_DELTA)
        lo = F_DELTA_TYPE, hi = F_DELTA_THINKING + 1;
    else if (k == EV_MSG_DELTA)
        lo = F_DELTA_STOP, hi = F_USAGE_OUT + 1;
    else if (k == EV_BLOCK_START)
        lo = F_BLOCK_TYPE, hi = F_BLOCK_THINKING + 1;
    else if (k == EV_MSG_START)
        lo = F_MSG_IN, hi = F_MSG_CR + 1;
    else if (k == EV_ERROR)
        return 0;
    llmh_json_field f[F_N]; /* only f[lo..hi) is asked for, filled and read */
    for (size_t i = lo; i < hi; i++)
        f[i].path = fast_paths[i];
    if (!h->json_fields(ev->data, ev->len, f + lo, hi - lo))
        return 0;
    if (!name) {
        k = kind_of(f[F_TYPE].type == LLMH_JSON_STRING ? f[F_TYPE].str : NULL);
        if (k == EV_ERROR)
            return 0;
    }
    switch (k) {
    case EV_BLOCK_DELTA: field_block_text(h, &f[F_DELTA_TYPE], out); break;
    case EV_BLOCK_START: field_block_text(h, &f[F_BLOCK_TYPE], out); break;
    case EV_MSG_START: h->out_usage(out, field_prompt_tokens(&f[F_MSG_IN]), -1); break;
    case EV_MSG_DELTA: {
        llmh_finish fin = finish_from(f[F_DELTA_STOP].type == LLMH_JSON_STRING
                                          ? f[F_DELTA_STOP].str
                                          : NULL);
        if (fin != LLMH_FINISH_NONE)
            h->out_finish(out, fin);
        h->out_usage(out, field_prompt_tokens(&f[F_USAGE_IN]), field_count(&f[F_USAGE_OUT]));
        break;
    }
    case EV_MSG_STOP: *done = 1; break;
    default: break;
    }
    return 1;
}

llmh_status anthropic_parse_event(const llmh_call *c, const llmh_stream_event *ev,
                                  llmh_chat_out *out, int *done, llmh_error *err)
{
    const llmh_host *h = c->host;
    const char *name = ev->event && !is(ev->event, "message") ? ev->event : NULL;
    if (is(name, "ping"))
        return LLMH_OK;
    if (fast_event(h, name, ev, out, done))
        return LLMH_OK;
    llmh_json *o = h->json_parse(ev->data, ev->len);
    if (h->json_type(o) != LLMH_JSON_OBJECT) {
        h->json_free(o);
        return h->error_set(err, LLMH_E_PROTOCOL, 0, "a %s stream event%s%s is not a JSON object",
                            who(c), name ? " " : "", name ? name : "");
    }
    if (!name)
        name = get_str(h, o, "type", NULL);
    llmh_status st = LLMH_OK;
    if (is(name, "content_block_delta")) {
        take_block_text(h, h->json_get(o, "delta"), out); /* signature, input_json: nothing */
    } else if (is(name, "content_block_start")) {
        take_block_text(h, h->json_get(o, "content_block"), out);
    } else if (is(name, "message_start")) {
        const llmh_json *usage = h->json_get(h->json_get(o, "message"), "usage");
        h->out_usage(out, prompt_tokens(h, usage), -1);
    } else if (is(name, "message_delta")) {
        llmh_finish f = finish_from(get_str(h, h->json_get(o, "delta"), "stop_reason", NULL));
        if (f != LLMH_FINISH_NONE)
            h->out_finish(out, f);
        const llmh_json *usage = h->json_get(o, "usage");
        h->out_usage(out, prompt_tokens(h, usage), get_count(h, usage, "output_tokens"));
    } else if (is(name, "message_stop")) {
        *done = 1;
    } else if (is(name, "error")) {
        st = error_document(c, o, "in the stream", err);
    }
    /* content_block_stop, ping and events added later carry nothing. */
    h->json_free(o);
    return st;
}

/* ---- model list */

llmh_status anthropic_build_models(const llmh_call *c, llmh_http_req *req, llmh_error *err)
{
    (void)err;
    const llmh_host *h = c->host;
    char path[64];
    snprintf(path, sizeof path, "/v1/models?limit=%d", ANTHROPIC_MODELS_LIMIT);
    h->req_set(req, "GET", path);
    if (c->api_key)
        h->req_header(req, "x-api-key", c->api_key, 1);
    h->req_header(req, "anthropic-version", ANTHROPIC_VERSION, 0);
    return LLMH_OK;
}

llmh_status anthropic_parse_models(const llmh_call *c, const char *body, size_t len,
                                   llmh_models_out *out, llmh_error *err)
{
    const llmh_host *h = c->host;
    llmh_json *o = h->json_parse(body, len);
    const llmh_json *data = h->json_get(o, "data");
    if (h->json_type(data) != LLMH_JSON_ARRAY) {
        h->json_free(o);
        return h->error_set(err, LLMH_E_PROTOCOL, 0, "the %s model list has no \"data\" array",
                            who(c));
    }
    for (size_t i = 0; i < h->json_length(data); i++) {
        const llmh_json *m = h->json_index(data, i);
        const char *id = get_str(h, m, "id", NULL);
        if (id && *id)
            h->models_add(out, id, get_str(h, m, "display_name", NULL), 0);
    }
    if (h->json_bool(h->json_get(o, "has_more")))
        h->log(2, "%s listed more than %d models; only the first page is used", who(c),
               ANTHROPIC_MODELS_LIMIT);
    h->json_free(o);
    return LLMH_OK;
}

const llmh_codec anthropic_codec = {
    .struct_size = sizeof(llmh_codec),
    .build_chat = anthropic_build_chat,
    .parse_chat = anthropic_parse_chat,
    .parse_event = anthropic_parse_event,
    .build_models = anthropic_build_models,
    .parse_models = anthropic_parse_models,
    .classify_error = anthropic_classify_error,
    .build_probe = NULL,
    .build_model_info = NULL,
    .parse_model_info = NULL,
    .build_version = NULL,
    .parse_version = NULL,
};
