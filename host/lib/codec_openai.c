/* codec_openai.c: OpenAI chat completions, the lingua franca. Builds
 * requests, parses whole responses, stream chunks, model lists and error
 * bodies. Uses json-c directly: this is the hot path of every stream. */
#include "codec_openai.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "hostapi.h"
#include "jscan.h"
#include "jscan_core.h"
#include "json_write.h"

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v))
        return v;
    return NULL;
}

static const char *get_str(json_object *o, const char *key, size_t *len)
{
    json_object *v = get(o, key);
    if (!v || !json_object_is_type(v, json_type_string))
        return NULL;
    if (len)
        *len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

static long get_long(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
        return -1;
    return (long)json_object_get_int64(v);
}

static llmh_finish finish_from(const char *s)
{
    if (!s)
        return LLMH_FINISH_NONE;
    if (!strcmp(s, "stop") || !strcmp(s, "end_turn") || !strcmp(s, "eos"))
        return LLMH_FINISH_STOP;
    if (!strcmp(s, "length") || !strcmp(s, "max_tokens"))
        return LLMH_FINISH_LENGTH;
    if (!strcmp(s, "tool_calls") || !strcmp(s, "function_call"))
        return LLMH_FINISH_TOOL_CALLS;
    if (!strcmp(s, "content_filter"))
        return LLMH_FINISH_CONTENT_FILTER;
    return LLMH_FINISH_OTHER;
}

static llmh_status build_chat(const llmh_call *c, const llmh_chat_params *p, llmh_http_req *req,
                              llmh_error *err)
{
    (void)err;
    const llmh_host *h = c->host;
    h->req_set(req, "POST", "/chat/completions");
    h->req_header(req, "Content-Type", "application/json", 0);
    if (c->api_key) {
        char *auth = llmh_sprintf("Bearer %s", c->api_key);
        h->req_header(req, "Authorization", auth, 1);
        explicit_bzero(auth, strlen(auth));
        free(auth);
    }
    /* The body is written as text, in the order a tree would print; a
     * plugin that wants to edit it asks for the tree (req_get_body). */
    llmh_buf b = {0};
    llmh_buf_reserve(&b, 256);
    llmh_buf_puts(&b, "{\"model\":");
    llmh_json_write_str(&b, p->model ? p->model : "");
    llmh_buf_puts(&b, ",\"messages\":[");
    for (size_t i = 0; i < p->n_messages; i++) {
        const llmh_message *msg = &p->messages[i];
        llmh_buf_puts(&b, i ? ",{\"role\":" : "{\"role\":");
        llmh_json_write_str(&b, msg->role ? msg->role : "user");
        llmh_buf_puts(&b, ",\"content\":");
        llmh_json_write_str(&b, msg->content ? msg->content : "");
        llmh_buf_puts(&b, "}");
    }
    llmh_buf_puts(&b, "]");
    if (p->has_temperature) {
        llmh_buf_puts(&b, ",\"temperature\":");
        llmh_json_write_double(&b, p->temperature);
    }
    if (p->max_tokens > 0) {
        llmh_buf_puts(&b, ",\"max_tokens\":");
        llmh_json_write_int(&b, p->max_tokens);
    }
    if (p->n_stop) {
        llmh_buf_puts(&b, ",\"stop\":[");
        for (size_t i = 0; i < p->n_stop; i++) {
            if (i)
                llmh_buf_puts(&b, ",");
            llmh_json_write_str(&b, p->stop[i]);
        }
        llmh_buf_puts(&b, "]");
    }
    llmh_buf_puts(&b, p->stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
                                : ",\"stream\":false}");
    llmh_http_req_set_body_text(req, &b);
    return LLMH_OK;
}

static void take_usage(json_object *usage, llmh_chat_out *out)
{
    if (!usage || !json_object_is_type(usage, json_type_object))
        return;
    long pt = get_long(usage, "prompt_tokens"), ct = get_long(usage, "completion_tokens");
    if (pt >= 0)
        out->usage.prompt_tokens = pt;
    if (ct >= 0)
        out->usage.completion_tokens = ct;
}

/* Reasoning arrives as reasoning_content (DeepSeek, vLLM, LM Studio) or
 * reasoning (OpenRouter, newer servers). */
static void take_text(json_object *msg, llmh_chat_out *out)
{
    size_t n = 0;
    const char *s = get_str(msg, "reasoning_content", &n);
    if (!s || !n)
        s = get_str(msg, "reasoning", &n);
    if (s && n)
        llmh_buf_append(&out->reasoning, s, n);
    s = get_str(msg, "content", &n);
    if (s && n)
        llmh_buf_append(&out->content, s, n);
}

static llmh_status error_in_body(json_object *o, llmh_error *err)
{
    json_object *e = get(o, "error");
    if (!e)
        return LLMH_OK;
    const char *msg = json_object_is_type(e, json_type_string) ? json_object_get_string(e)
                                                               : get_str(e, "message", NULL);
    return llmh_error_set(err, LLMH_E_SERVER, 0, "server sent an error: %s",
                                 msg ? msg : json_object_to_json_string(e));
}

static int fast_event(const char *data, size_t len, llmh_chat_out *out, int *saw_message);

static llmh_status parse_chat(const llmh_call *c, const char *body, size_t len, llmh_chat_out *out,
                              llmh_error *err)
{
    (void)c;
    /* The usual whole answer reads like a chunk with "message" for "delta";
     * without a message nothing but finish and usage was written, and the
     * full parser below reports the missing message. */
    int saw = 0;
    if (fast_event(body, len, out, &saw) && saw)
        return LLMH_OK;
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return llmh_error_set(err, LLMH_E_PROTOCOL, 0,
                                     "the response is not a JSON object");
    }
    llmh_status st = error_in_body(o, err);
    if (st != LLMH_OK) {
        json_object_put(o);
        return st;
    }
    json_object *choices = get(o, "choices");
    json_object *c0 = (choices && json_object_is_type(choices, json_type_array) &&
                       json_object_array_length(choices) > 0)
                          ? json_object_array_get_idx(choices, 0)
                          : NULL;
    json_object *msg = get(c0, "message");
    if (!msg) {
        json_object_put(o);
        return llmh_error_set(err, LLMH_E_PROTOCOL, 0,
                                     "the response has no choices[0].message");
    }
    take_text(msg, out);
    out->finish = finish_from(get_str(c0, "finish_reason", NULL));
    take_usage(get(o, "usage"), out);
    json_object_put(o);
    return LLMH_OK;
}

/* The usual chunk, read without building a tree: choices[0].delta's
 * content and reasoning, finish_reason, usage. 0: not sure, use json-c. */
static int fast_event(const char *data, size_t len, llmh_chat_out *out, int *saw_message)
{
    *saw_message = 0;
    llmh_jscan s;
    llmh_jscan_init(&s, data, len);
    if (!jeat(&s, '{'))
        return 0;
    llmh_jspan content = {0}, rc = {0}, rs = {0}, finish = {0}, k;
    long pt = -1, ct = -1;
    int first = 1, r;
    while ((r = jnext_key(&s, &first, &k)) == 1) {
        if (LLMH_JSPAN_IS(&k, "choices")) {
            if (llmh_jscan_null(&s))
                continue;
            if (!jeat(&s, '['))
                return 0;
            if (jeat(&s, ']'))
                continue;
            if (!jeat(&s, '{'))
                return 0;
            int f2 = 1, r2;
            llmh_jspan k2;
            while ((r2 = jnext_key(&s, &f2, &k2)) == 1) {
                if (LLMH_JSPAN_IS(&k2, "delta") || LLMH_JSPAN_IS(&k2, "message")) {
                    if (llmh_jscan_null(&s))
                        continue;
                    if (!jeat(&s, '{'))
                        return 0;
                    *saw_message = 1;
                    int f3 = 1, r3;
                    llmh_jspan k3;
                    while ((r3 = jnext_key(&s, &f3, &k3)) == 1) {
                        llmh_jspan *dst = LLMH_JSPAN_IS(&k3, "content")             ? &content
                                          : LLMH_JSPAN_IS(&k3, "reasoning_content") ? &rc
                                          : LLMH_JSPAN_IS(&k3, "reasoning")         ? &rs
                                                                                    : NULL;
                        if (!dst) {
                            if (!llmh_jscan_skip(&s))
                                return 0;
                        } else if (!llmh_jscan_null(&s)) {
                            if (jpeek(&s) != '"' || !jstring(&s, dst))
                                return 0; /* content as an array of parts: the slow path */
                        }
                    }
                    if (r3 < 0)
                        return 0;
                } else if (LLMH_JSPAN_IS(&k2, "finish_reason")) {
                    if (!llmh_jscan_null(&s) && !jstring(&s, &finish))
                        return 0;
                } else if (!llmh_jscan_skip(&s)) {
                    return 0;
                }
            }
            if (r2 < 0)
                return 0;
            while (jeat(&s, ','))
                if (!llmh_jscan_skip(&s))
                    return 0;
            if (!jeat(&s, ']'))
                return 0;
        } else if (LLMH_JSPAN_IS(&k, "usage")) {
            if (llmh_jscan_null(&s))
                continue;
            if (!jeat(&s, '{'))
                return 0;
            int f2 = 1, r2;
            llmh_jspan k2;
            while ((r2 = jnext_key(&s, &f2, &k2)) == 1) {
                long *dst = LLMH_JSPAN_IS(&k2, "prompt_tokens")       ? &pt
                            : LLMH_JSPAN_IS(&k2, "completion_tokens") ? &ct
                                                                      : NULL;
                if (dst ? !llmh_jscan_long(&s, dst) : !llmh_jscan_skip(&s))
                    return 0;
            }
            if (r2 < 0)
                return 0;
        } else if (LLMH_JSPAN_IS(&k, "error")) {
            return 0; /* the slow path words it */
        } else if (!llmh_jscan_skip(&s)) {
            return 0;
        }
    }
    if (r < 0 || jpeek(&s) != 0)
        return 0;
    char fr[32] = "";
    if (finish.start) {
        if (finish.escaped || finish.len >= sizeof fr)
            return 0;
        memcpy(fr, finish.start, finish.len);
        fr[finish.len] = '\0';
    }
    /* Nothing is written until the whole event was read. */
    llmh_jspan_append(rc.len ? &rc : &rs, &out->reasoning);
    llmh_jspan_append(&content, &out->content);
    llmh_finish f = finish_from(finish.start ? fr : NULL);
    if (f != LLMH_FINISH_NONE)
        out->finish = f;
    if (pt >= 0)
        out->usage.prompt_tokens = pt;
    if (ct >= 0)
        out->usage.completion_tokens = ct;
    return 1;
}

static llmh_status parse_event(const llmh_call *c, const llmh_stream_event *ev, llmh_chat_out *out,
                               int *done, llmh_error *err)
{
    (void)c;
    if (ev->len == 6 && memcmp(ev->data, "[DONE]", 6) == 0) {
        *done = 1;
        return LLMH_OK;
    }
    int saw = 0;
    if (fast_event(ev->data, ev->len, out, &saw))
        return LLMH_OK;
    /* One tokener per call, kept by the host: no allocation per event. */
    llmh_call_private *priv = c->host_private;
    json_tokener *tok = priv ? priv->tok : NULL;
    if (!tok) {
        tok = json_tokener_new();
        if (priv)
            priv->tok = tok;
    } else {
        json_tokener_reset(tok);
    }
    json_object *o = json_tokener_parse_ex(tok, ev->data, (int)ev->len);
    if (!priv)
        json_tokener_free(tok);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return llmh_error_set(err, LLMH_E_PROTOCOL, 0,
                                     "a stream event is not a JSON object");
    }
    llmh_status st = error_in_body(o, err);
    if (st == LLMH_OK) {
        json_object *choices = get(o, "choices");
        if (choices && json_object_is_type(choices, json_type_array) &&
            json_object_array_length(choices) > 0) {
            json_object *c0 = json_object_array_get_idx(choices, 0);
            take_text(get(c0, "delta"), out);
            llmh_finish f = finish_from(get_str(c0, "finish_reason", NULL));
            if (f != LLMH_FINISH_NONE)
                out->finish = f;
        }
        take_usage(get(o, "usage"), out);
    }
    json_object_put(o);
    return st;
}

static llmh_status build_models(const llmh_call *c, llmh_http_req *req, llmh_error *err)
{
    (void)err;
    c->host->req_set(req, "GET", "/models");
    if (c->api_key) {
        char *auth = llmh_sprintf("Bearer %s", c->api_key);
        c->host->req_header(req, "Authorization", auth, 1);
        explicit_bzero(auth, strlen(auth));
        free(auth);
    }
    return LLMH_OK;
}

static llmh_status parse_models(const llmh_call *c, const char *body, size_t len,
                                llmh_models_out *out, llmh_error *err)
{
    (void)c;
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    json_object *data = get(o, "data");
    if (!data)
        data = get(o, "models"); /* some servers use this name */
    if (!data || !json_object_is_type(data, json_type_array)) {
        json_object_put(o);
        return llmh_error_set(err, LLMH_E_PROTOCOL, 0,
                                     "the model list has no \"data\" array");
    }
    for (size_t i = 0; i < json_object_array_length(data); i++) {
        json_object *m = json_object_array_get_idx(data, i);
        const char *id = get_str(m, "id", NULL);
        if (!id)
            continue;
        long ctx = get_long(m, "context_length");
        if (ctx < 0)
            ctx = get_long(m, "max_model_len");
        if (ctx < 0)
            ctx = get_long(m, "context_window");
        c->host->models_add(out, id, get_str(m, "name", NULL), ctx > 0 ? ctx : 0);
    }
    json_object_put(o);
    return LLMH_OK;
}

/* The error object of a body: {"error": ...} at the top, or inside an
 * array (Gemini's OpenAI layer wraps it so). */
static json_object *error_object(json_object *o)
{
    if (o && json_object_is_type(o, json_type_array) && json_object_array_length(o) > 0)
        o = json_object_array_get_idx(o, 0);
    return o;
}

int llmh_openai_error_message(const char *body, size_t len, char *buf, size_t size)
{
    if (!body || !len)
        return 0;
    json_tokener *tok = json_tokener_new();
    json_object *root = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    json_object *o = error_object(root);
    const char *msg = NULL;
    json_object *e = get(o, "error");
    if (e && json_object_is_type(e, json_type_string))
        msg = json_object_get_string(e);
    else if (e)
        msg = get_str(e, "message", NULL);
    if (!msg)
        msg = get_str(o, "message", NULL);
    if (!msg)
        msg = get_str(o, "detail", NULL);
    int found = msg && *msg;
    if (found)
        snprintf(buf, size, "%s", msg);
    json_object_put(root);
    return found;
}

static int contains_nocase(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return 1;
    return 0;
}

/* How servers say "the prompt does not fit": OpenAI, vLLM, llama.cpp,
 * xAI, Gemini, DeepSeek each word it differently. */
static int mentions_context(const char *s)
{
    static const char *const phrases[] = {
        "context length", "context_length", "maximum context", "context window",
        "context size",   "maximum prompt length", "input token count", "too many tokens",
        "prompt is too long",
    };
    for (size_t i = 0; s && i < sizeof phrases / sizeof phrases[0]; i++)
        if (contains_nocase(s, phrases[i]))
            return 1;
    return 0;
}

static int context_code(const char *body, size_t len)
{
    if (!body || !len)
        return 0;
    json_tokener *tok = json_tokener_new();
    json_object *root = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    json_object *e = get(error_object(root), "error");
    const char *code = get_str(e, "code", NULL), *type = get_str(e, "type", NULL);
    int yes = (code && (!strcmp(code, "context_length_exceeded"))) ||
              (type && (!strcmp(type, "exceed_context_size_error") ||
                        !strcmp(type, "context_length_exceeded")));
    json_object_put(root);
    return yes;
}

static void classify_error(const llmh_call *c, int status, const char *body, size_t len,
                           llmh_error *err)
{
    (void)c;
    (void)status;
    char msg[LLMH_ERROR_MSG_MAX];
    int have = llmh_openai_error_message(body, len, msg, sizeof msg);
    if (have)
        snprintf(err->message, sizeof err->message, "%s", msg);
    if ((err->code == LLMH_E_BAD_REQUEST || err->code == LLMH_E_SERVER) &&
        ((have && mentions_context(msg)) || context_code(body, len)))
        err->code = LLMH_E_CONTEXT_LENGTH;
}

const llmh_codec llmh_codec_openai = {
    .struct_size = sizeof(llmh_codec),
    .build_chat = build_chat,
    .parse_chat = parse_chat,
    .parse_event = parse_event,
    .build_models = build_models,
    .parse_models = parse_models,
    .classify_error = classify_error,
    .build_probe = NULL,
};
