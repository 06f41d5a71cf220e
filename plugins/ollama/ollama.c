/* ollama: Ollama's native API, a whole protocol in a plugin.
 *  - GET  /api/tags     the model list (and, through the host, availability);
 *  - POST /api/chat     chat, streamed as NDJSON or one object ("stream": false);
 *  - POST /api/show     one model's context length and capabilities (details);
 *  - GET  /api/version  the server's version (doctor).
 * Quirks:
 *  - labels drop ":latest" and turn ":" into a space: "gemma3:12b" is
 *    "gemma3 12b (Ollama)";
 *  - options.num_ctx carries the local context window and options.num_predict
 *    max_tokens; without num_ctx Ollama silently cuts prompts to its default;
 *  - "think" follows llm.ollama.enable_thinking (true/false, or a level
 *    "low"/"medium"/"high" for models such as gpt-oss) unless the caller
 *    asked for thinking on or off; message.thinking is reasoning, never answer;
 *  - a model that cannot think answers think:true with a 400 "... does not
 *    support thinking" (and a level it lacks with "think value ... is not
 *    supported"): classified LLMH_E_UNSUPPORTED with a hint naming the setting;
 *  - errors are {"error": "..."}, also in the middle of a stream;
 *  - llm.ollama.api_key, when set, goes out as Authorization: Bearer on every
 *    request (Ollama behind an authenticating proxy). */
#include <llmhost/plugin.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define THINK_SETTING "llm.ollama.enable_thinking"

/* ---- small helpers */

static int contains_nocase(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; s && *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return 1;
    return 0;
}

static const char *who(const llmh_call *c)
{
    return c->provider && c->provider->display_name ? c->provider->display_name : "Ollama";
}

/* A number as JSON that serializes as written ("0.7", not
 * "0.69999999999999996"): the facade's json_new_double prints 17 digits. */
static llmh_json *json_number(const llmh_host *h, double v)
{
    char t[32];
    /* The trailing space ends the number for the tokener. */
    int n = snprintf(t, sizeof t, "%.6g ", v);
    llmh_json *j = n > 0 && (size_t)n < sizeof t ? h->json_parse(t, (size_t)n) : NULL;
    return j ? j : h->json_new_double(v);
}

static llmh_status add_auth(const llmh_call *c, llmh_http_req *req, llmh_error *err)
{
    if (!c->api_key)
        return LLMH_OK;
    size_t n = strlen(c->api_key) + sizeof "Bearer ";
    char *v = malloc(n);
    if (!v)
        return c->host->error_set(err, LLMH_E_NOMEM, 0, "out of memory");
    snprintf(v, n, "Bearer %s", c->api_key);
    c->host->req_header(req, "Authorization", v, 1);
    explicit_bzero(v, n);
    free(v);
    return LLMH_OK;
}

/* "gemma3:12b" -> "gemma3 12b (Ollama)", "llama3:latest" -> "llama3 (Ollama)". */
static void label_of(const char *name, char *buf, size_t size)
{
    size_t n = strlen(name);
    if (n > 7 && strcmp(name + n - 7, ":latest") == 0)
        n -= 7;
    snprintf(buf, size, "%.*s (Ollama)", (int)n, name);
    for (size_t i = 0; i < n && i < size; i++)
        if (buf[i] == ':')
            buf[i] = ' ';
}

/* A long from a JSON number or a numeric string; -1 when absent. */
static long long json_count(const llmh_host *h, const llmh_json *v)
{
    llmh_json_type t = h->json_type(v);
    if (t == LLMH_JSON_INT || t == LLMH_JSON_DOUBLE)
        return h->json_int(v);
    const char *s = h->json_string(v, NULL);
    if (s && *s >= '0' && *s <= '9')
        return strtoll(s, NULL, 10);
    return -1;
}

static void detail(const llmh_host *h, llmh_models_out *out, const char *key, const llmh_json *obj,
                   const char *member)
{
    const char *s = h->json_string(h->json_get(obj, member), NULL);
    if (s && *s)
        h->models_detail(out, key, s);
}

/* ---- chat */

/* The value of "think": the caller's choice, else the setting; a level
 * ("low", "medium", "high") in the setting is sent as is unless the caller
 * turned thinking off. */
static llmh_json *think_value(const llmh_call *c, const llmh_chat_params *p)
{
    const llmh_host *h = c->host;
    if (p->thinking == 0)
        return h->json_new_bool(0);
    const char *raw = h->setting(c, THINK_SETTING);
    if (raw) {
        static const char *const levels[] = {"low", "medium", "high"};
        for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
            if (strcasecmp(raw, levels[i]) == 0)
                return h->json_new_string(levels[i], strlen(levels[i]));
    }
    if (p->thinking == 1)
        return h->json_new_bool(1);
    return h->json_new_bool(h->setting_bool(c, THINK_SETTING, 1));
}

static llmh_status build_chat(const llmh_call *c, const llmh_chat_params *p, llmh_http_req *req,
                              llmh_error *err)
{
    const llmh_host *h = c->host;
    h->req_set(req, "POST", "/api/chat");
    h->req_header(req, "Content-Type", "application/json", 0);
    llmh_status st = add_auth(c, req, err);
    if (st != LLMH_OK)
        return st;

    llmh_json *body = h->json_new_object();
    const char *model = p->model ? p->model : "";
    h->json_set(body, "model", h->json_new_string(model, strlen(model)));
    llmh_json *msgs = h->json_new_array();
    for (size_t i = 0; i < p->n_messages; i++) {
        const llmh_message *m = &p->messages[i];
        const char *role = m->role ? m->role : "user";
        const char *text = m->content ? m->content : "";
        llmh_json *o = h->json_new_object();
        h->json_set(o, "role", h->json_new_string(role, strlen(role)));
        h->json_set(o, "content", h->json_new_string(text, strlen(text)));
        h->json_append(msgs, o);
    }
    h->json_set(body, "messages", msgs);
    h->json_set(body, "stream", h->json_new_bool(p->stream ? 1 : 0));

    llmh_json *opts = h->json_new_object();
    int n_opts = 0;
    if (p->has_temperature) {
        h->json_set(opts, "temperature", json_number(h, p->temperature));
        n_opts++;
    }
    if (p->context_window > 0) {
        h->json_set(opts, "num_ctx", h->json_new_int(p->context_window));
        n_opts++;
    }
    if (p->max_tokens > 0) {
        h->json_set(opts, "num_predict", h->json_new_int(p->max_tokens));
        n_opts++;
    }
    if (p->n_stop) {
        llmh_json *stop = h->json_new_array();
        for (size_t i = 0; i < p->n_stop; i++)
            if (p->stop[i])
                h->json_append(stop, h->json_new_string(p->stop[i], strlen(p->stop[i])));
        h->json_set(opts, "stop", stop);
        n_opts++;
    }
    if (n_opts)
        h->json_set(body, "options", opts);
    else
        h->json_free(opts);
    h->json_set(body, "think", think_value(c, p));
    h->req_body(req, body);
    return LLMH_OK;
}

static llmh_finish finish_from(const char *s)
{
    if (!s || !*s || !strcmp(s, "stop"))
        return LLMH_FINISH_STOP; /* older servers send done:true alone */
    if (!strcmp(s, "length"))
        return LLMH_FINISH_LENGTH;
    return LLMH_FINISH_OTHER; /* "load", "unload", future reasons */
}

/* One chat object, streamed line or whole answer, into out. Returns 1 when
 * it carried done:true. */
static int take_chat(const llmh_host *h, const llmh_json *o, llmh_chat_out *out)
{
    const llmh_json *msg = h->json_get(o, "message");
    size_t n = 0;
    const char *s = h->json_string(h->json_get(msg, "thinking"), &n);
    if (s && n)
        h->out_reasoning(out, s, n);
    s = h->json_string(h->json_get(msg, "content"), &n);
    if (s && n)
        h->out_content(out, s, n);
    if (!h->json_bool(h->json_get(o, "done")))
        return 0;
    h->out_finish(out, finish_from(h->json_string(h->json_get(o, "done_reason"), NULL)));
    long long pt = json_count(h, h->json_get(o, "prompt_eval_count"));
    long long ct = json_count(h, h->json_get(o, "eval_count"));
    h->out_usage(out, pt >= 0 ? (long)pt : -1, ct >= 0 ? (long)ct : -1);
    return 1;
}

/* The usual chat object read without a tree, through host->json_fields when
 * the host has it (a 1.0 host may not): the same fields take_chat reads,
 * and "error" and "message" to know when this is not the usual shape. */
enum { F_CONTENT, F_THINKING, F_DONE, F_REASON, F_PROMPT, F_EVAL, F_ERROR, F_MESSAGE, F_N };
static const char *const fast_paths[F_N] = {
    "message.content", "message.thinking", "done", "done_reason", "prompt_eval_count",
    "eval_count",      "error",            "message"};

static int has_json_fields(const llmh_host *h)
{
    return offsetof(llmh_host, json_fields) + sizeof(void *) <= h->struct_size && h->json_fields;
}

/* json_count of a field. */
static long long field_count(const llmh_json_field *f)
{
    if (f->type == LLMH_JSON_INT || f->type == LLMH_JSON_DOUBLE)
        return f->i;
    if (f->type == LLMH_JSON_STRING && *f->str >= '0' && *f->str <= '9')
        return strtoll(f->str, NULL, 10);
    return -1;
}

/* take_chat on the fields of text, when it is a JSON object with no
 * "error", a boolean or absent "done" and, if need_message, an object
 * "message". Returns 0 without touching out for anything else: the caller
 * takes the json_parse path, which words the errors. */
static int fast_chat(const llmh_host *h, const char *text, size_t len, int need_message,
                     llmh_chat_out *out, int *done)
{
    if (!has_json_fields(h))
        return 0;
    llmh_json_field f[F_N];
    memset(f, 0, sizeof f);
    for (size_t i = 0; i < F_N; i++)
        f[i].path = fast_paths[i];
    if (!h->json_fields(text, len, f, F_N) || f[F_ERROR].type != LLMH_JSON_NULL ||
        (f[F_DONE].type != LLMH_JSON_NULL && f[F_DONE].type != LLMH_JSON_BOOL) ||
        (need_message && f[F_MESSAGE].type != LLMH_JSON_OBJECT))
        return 0;
    if (f[F_THINKING].type == LLMH_JSON_STRING && f[F_THINKING].len)
        h->out_reasoning(out, f[F_THINKING].str, f[F_THINKING].len);
    if (f[F_CONTENT].type == LLMH_JSON_STRING && f[F_CONTENT].len)
        h->out_content(out, f[F_CONTENT].str, f[F_CONTENT].len);
    *done = f[F_DONE].type == LLMH_JSON_BOOL && f[F_DONE].b;
    if (!*done)
        return 1;
    h->out_finish(out, finish_from(f[F_REASON].type == LLMH_JSON_STRING ? f[F_REASON].str : NULL));
    long long pt = field_count(&f[F_PROMPT]), ct = field_count(&f[F_EVAL]);
    h->out_usage(out, pt >= 0 ? (long)pt : -1, ct >= 0 ? (long)ct : -1);
    return 1;
}

/* {"error": "..."} (or an OpenAI-style {"error": {"message": ...}} from a
 * proxy in front): the message, or NULL. */
static const char *error_message(const llmh_host *h, const llmh_json *o)
{
    const llmh_json *e = h->json_get(o, "error");
    if (!e)
        return NULL;
    const char *s = h->json_string(e, NULL);
    if (!s)
        s = h->json_string(h->json_get(e, "message"), NULL);
    return s ? s : h->json_serialize(e);
}

static llmh_status parse_chat(const llmh_call *c, const char *body, size_t len, llmh_chat_out *out,
                              llmh_error *err)
{
    const llmh_host *h = c->host;
    int done = 0;
    if (fast_chat(h, body, len, 1, out, &done))
        return LLMH_OK;
    llmh_json *o = h->json_parse(body, len);
    if (h->json_type(o) != LLMH_JSON_OBJECT) {
        h->json_free(o);
        return h->error_set(err, LLMH_E_PROTOCOL, 0, "the %s chat response is not a JSON object",
                            who(c));
    }
    llmh_status st = LLMH_OK;
    const char *e = error_message(h, o);
    if (e)
        st = h->error_set(err, LLMH_E_SERVER, 0, "%s sent an error: %s", who(c), e);
    else if (h->json_type(h->json_get(o, "message")) != LLMH_JSON_OBJECT)
        st = h->error_set(err, LLMH_E_PROTOCOL, 0, "the %s chat response has no \"message\"",
                          who(c));
    else
        take_chat(h, o, out);
    h->json_free(o);
    return st;
}

static llmh_status parse_event(const llmh_call *c, const llmh_stream_event *ev, llmh_chat_out *out,
                               int *done, llmh_error *err)
{
    const llmh_host *h = c->host;
    int fast_done = 0;
    if (fast_chat(h, ev->data, ev->len, 0, out, &fast_done)) {
        if (fast_done)
            *done = 1;
        return LLMH_OK;
    }
    llmh_json *o = h->json_parse(ev->data, ev->len);
    if (h->json_type(o) != LLMH_JSON_OBJECT) {
        h->json_free(o);
        return h->error_set(err, LLMH_E_PROTOCOL, 0, "a line of the %s stream is not a JSON object",
                            who(c));
    }
    llmh_status st = LLMH_OK;
    const char *e = error_message(h, o);
    if (e)
        st = h->error_set(err, LLMH_E_SERVER, 0, "%s sent an error in the stream: %s", who(c), e);
    else if (take_chat(h, o, out))
        *done = 1;
    h->json_free(o);
    return st;
}

/* ---- model list */

static llmh_status build_models(const llmh_call *c, llmh_http_req *req, llmh_error *err)
{
    c->host->req_set(req, "GET", "/api/tags");
    return add_auth(c, req, err);
}

static llmh_status parse_models(const llmh_call *c, const char *body, size_t len,
                                llmh_models_out *out, llmh_error *err)
{
    const llmh_host *h = c->host;
    llmh_json *o = h->json_parse(body, len);
    const llmh_json *models = h->json_get(o, "models");
    if (h->json_type(models) != LLMH_JSON_ARRAY) {
        /* No models can also come as {"models": null}: an empty list. */
        const char *text = h->json_type(o) == LLMH_JSON_OBJECT ? h->json_serialize(o) : NULL;
        llmh_status st = LLMH_OK;
        if (!text || models || !strstr(text, "\"models\":null"))
            st = h->error_set(err, LLMH_E_PROTOCOL, 0, "the %s model list has no \"models\" array",
                              who(c));
        h->json_free(o);
        return st;
    }
    for (size_t i = 0; i < h->json_length(models); i++) {
        const llmh_json *m = h->json_index(models, i);
        const char *name = h->json_string(h->json_get(m, "name"), NULL);
        if (!name || !*name)
            name = h->json_string(h->json_get(m, "model"), NULL);
        if (!name || !*name)
            continue;
        char label[512];
        label_of(name, label, sizeof label);
        h->models_add(out, name, label, 0);
        long long size = json_count(h, h->json_get(m, "size"));
        if (size >= 0) {
            char sz[32];
            snprintf(sz, sizeof sz, "%lld", size);
            h->models_detail(out, "size", sz);
        }
        const llmh_json *d = h->json_get(m, "details");
        detail(h, out, "family", d, "family");
        detail(h, out, "parameter_size", d, "parameter_size");
        detail(h, out, "quantization", d, "quantization_level");
    }
    h->json_free(o);
    return LLMH_OK;
}

/* ---- details: POST /api/show */

static llmh_status build_model_info(const llmh_call *c, const char *model, llmh_http_req *req,
                                    llmh_error *err)
{
    const llmh_host *h = c->host;
    h->req_set(req, "POST", "/api/show");
    h->req_header(req, "Content-Type", "application/json", 0);
    llmh_status st = add_auth(c, req, err);
    if (st != LLMH_OK)
        return st;
    llmh_json *body = h->json_new_object();
    const char *m = model ? model : "";
    h->json_set(body, "model", h->json_new_string(m, strlen(m)));
    h->req_body(req, body);
    return LLMH_OK;
}

static long context_member(const llmh_host *h, const llmh_json *info, const char *prefix)
{
    if (!prefix || !*prefix)
        return 0;
    char key[256];
    int n = snprintf(key, sizeof key, "%s.context_length", prefix);
    if (n < 0 || (size_t)n >= sizeof key)
        return 0;
    long long v = json_count(h, h->json_get(info, key));
    return v > 0 && v <= 0x7fffffffLL ? (long)v : 0;
}

/* model_info["<architecture>.context_length"]. The facade cannot walk an
 * object's members, so the architecture named by general.architecture (or
 * the family) is tried first and then the serialized text is searched for
 * any key ending in ".context_length". */
static long context_length(const llmh_host *h, const llmh_json *info, const llmh_json *details)
{
    long ctx =
        context_member(h, info, h->json_string(h->json_get(info, "general.architecture"), NULL));
    if (!ctx)
        ctx = context_member(h, info, h->json_string(h->json_get(details, "family"), NULL));
    if (ctx || h->json_type(info) != LLMH_JSON_OBJECT)
        return ctx;
    const char *text = h->json_serialize(info);
    for (const char *p = text ? strstr(text, ".context_length\":") : NULL; p;
         p = strstr(p + 1, ".context_length\":")) {
        const char *v = p + strlen(".context_length\":");
        while (*v == ' ')
            v++;
        if (*v >= '1' && *v <= '9') {
            long long x = strtoll(v, NULL, 10);
            if (x > 0 && x <= 0x7fffffffLL)
                return (long)x;
        }
    }
    return 0;
}

static llmh_status parse_model_info(const llmh_call *c, const char *model, const char *body,
                                    size_t len, llmh_models_out *out, llmh_error *err)
{
    const llmh_host *h = c->host;
    llmh_json *o = h->json_parse(body, len);
    if (h->json_type(o) != LLMH_JSON_OBJECT || !model || !*model) {
        h->json_free(o);
        return h->error_set(err, LLMH_E_PROTOCOL, 0, "the %s model details are not a JSON object",
                            who(c));
    }
    const llmh_json *details = h->json_get(o, "details");
    char label[512];
    label_of(model, label, sizeof label);
    h->models_add(out, model, label, context_length(h, h->json_get(o, "model_info"), details));

    const llmh_json *caps = h->json_get(o, "capabilities");
    char list[512];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < h->json_length(caps); i++) {
        const char *cap = h->json_string(h->json_index(caps, i), NULL);
        if (!cap || !*cap)
            continue;
        int w = snprintf(list + used, sizeof list - used, "%s%s", used ? "," : "", cap);
        if (w < 0 || (size_t)w >= sizeof list - used) {
            list[used] = '\0';
            break;
        }
        used += (size_t)w;
    }
    if (used)
        h->models_detail(out, "capabilities", list);
    detail(h, out, "family", details, "family");
    detail(h, out, "parameter_size", details, "parameter_size");
    detail(h, out, "quantization", details, "quantization_level");
    h->json_free(o);
    return LLMH_OK;
}

/* ---- version: GET /api/version */

static llmh_status build_version(const llmh_call *c, llmh_http_req *req, llmh_error *err)
{
    c->host->req_set(req, "GET", "/api/version");
    return add_auth(c, req, err);
}

static llmh_status parse_version(const llmh_call *c, const char *body, size_t len, char *buf,
                                 size_t size, llmh_error *err)
{
    const llmh_host *h = c->host;
    llmh_json *o = h->json_parse(body, len);
    const char *v = h->json_string(h->json_get(o, "version"), NULL);
    llmh_status st = LLMH_OK;
    if (!v || !*v)
        st = h->error_set(err, LLMH_E_PROTOCOL, 0, "the %s version answer has no \"version\"",
                          who(c));
    else if (buf && size)
        snprintf(buf, size, "%s", v);
    h->json_free(o);
    return st;
}

/* ---- errors */

static void classify_error(const llmh_call *c, int status, const char *body, size_t len,
                           llmh_error *err)
{
    (void)status;
    const llmh_host *h = c->host;
    llmh_json *o = body && len ? h->json_parse(body, len) : NULL;
    const char *msg = error_message(h, o);
    if (msg && *msg) {
        snprintf(err->message, sizeof err->message, "%s", msg);
        /* "\"llama3\" does not support thinking"; for levels, "think value
         * \"high\" is not supported for this model". */
        if (err->code == LLMH_E_BAD_REQUEST &&
            (contains_nocase(msg, "does not support thinking") ||
             (contains_nocase(msg, "think value") && contains_nocase(msg, "not supported")))) {
            size_t l = strlen(err->message);
            snprintf(err->message + l, sizeof err->message - l,
                     "; set " THINK_SETTING "=false for models that cannot think");
            err->code = LLMH_E_UNSUPPORTED;
        }
    }
    h->json_free(o);
}

static const llmh_codec codec = {
    .struct_size = sizeof(llmh_codec),
    .build_chat = build_chat,
    .parse_chat = parse_chat,
    .parse_event = parse_event,
    .build_models = build_models,
    .parse_models = parse_models,
    .classify_error = classify_error,
    .build_probe = NULL,
    .build_model_info = build_model_info,
    .parse_model_info = parse_model_info,
    .build_version = build_version,
    .parse_version = parse_version,
};

static const char *const settings[] = {THINK_SETTING, NULL};

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "ollama",
    .display_name = "Ollama",
    .default_base_url = "http://localhost:11434",
    .url_setting = "llm.ollama.url",
    .url_env = "OLLAMA_HOST",
    .api_key_setting = "llm.ollama.api_key",
    .kind = LLMH_KIND_LOCAL,
    .flags = LLMH_P_FRAMING_NDJSON | LLMH_P_CHECK_MODEL,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS | LLMH_CAP_DETAILS | LLMH_CAP_VERSION,
    .codec = &codec,
    .probe_timeout_ms = 3000,
    .models_timeout_ms = 5000,
    .settings = settings,
    .default_port = 11434,
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("ollama", "1.0.0", "Ollama native API (/api/chat NDJSON, /api/tags, /api/show)",
                   providers, NULL, NULL);
