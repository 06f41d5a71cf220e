/* hostapi.c: the host services table plugins call through, and the objects
 * they build: the JSON facade, the HTTP request, chat and model outputs. */
#include "hostapi.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec_openai.h"
#include "error.h"
#include "jscan.h"
#include "json_write.h"
#include "log.h"
#include "registry.h"
#include "url.h"
#include "version.h"

static const llmh_settings *g_settings;

void llmh_host_set_global_settings(const llmh_settings *s) { g_settings = s; }

static const llmh_settings *settings_of(const llmh_call *c)
{
    if (c && c->host_private) {
        const llmh_call_private *p = c->host_private;
        if (p->settings)
            return p->settings;
    }
    return g_settings;
}

/* ---- logging */

static void host_log(int level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    llmh_log(level, "%s", line);
}

/* ---- settings */

static const char *host_setting(const llmh_call *c, const char *key)
{
    const llmh_settings *s = settings_of(c);
    return s ? llmh_settings_get(s, key, NULL) : NULL;
}

static int host_setting_bool(const llmh_call *c, const char *key, int def)
{
    const llmh_settings *s = settings_of(c);
    int v = def;
    if (s && llmh_settings_get_bool(s, key, def, &v, NULL) != LLMH_OK)
        v = def;
    return v;
}

static long host_setting_long(const llmh_call *c, const char *key, long def)
{
    const llmh_settings *s = settings_of(c);
    long v = def;
    if (s && llmh_settings_get_long(s, key, def, -2147483647L, 2147483647L, &v, NULL) != LLMH_OK)
        v = def;
    return v;
}

static const char *host_secret(const llmh_call *c, const char *key)
{
    const llmh_settings *s = settings_of(c);
    return s ? llmh_settings_get_secret(s, key) : NULL;
}

/* ---- JSON facade: an llmh_json is a json_object */

#define J(v) ((json_object *)(v))
#define L(v) ((llmh_json *)(v))

/* One tokener per thread, reused: plugins parse one stream event per call. */
static pthread_key_t tok_key;
static pthread_once_t tok_once = PTHREAD_ONCE_INIT;
static void tok_free(void *t) { json_tokener_free(t); }
static void tok_key_init(void) { pthread_key_create(&tok_key, tok_free); }

static json_tokener *thread_tokener(void)
{
    pthread_once(&tok_once, tok_key_init);
    json_tokener *tok = pthread_getspecific(tok_key);
    if (!tok) {
        tok = json_tokener_new();
        pthread_setspecific(tok_key, tok);
    } else {
        json_tokener_reset(tok);
    }
    return tok;
}

static llmh_json *j_parse(const char *text, size_t len)
{
    if (!text)
        return NULL;
    json_tokener *tok = thread_tokener();
    if (!tok)
        return NULL;
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t off = 0;
    if (!o && e == json_tokener_continue) {
        /* A bare number ends only where the input does: say so. */
        o = json_tokener_parse_ex(tok, " ", 1);
        e = json_tokener_get_error(tok);
        off = len;
    } else if (o && e == json_tokener_success) {
        off = json_tokener_get_parse_end(tok);
    }
    if (o && e == json_tokener_success) {
        /* Trailing bytes after a complete value (other than white space) are malformed. */
        while (off < len && (text[off] == ' ' || text[off] == '\n' || text[off] == '\r' ||
                             text[off] == '\t'))
            off++;
        if (off < len) {
            json_object_put(o);
            o = NULL;
        }
    } else if (o) {
        json_object_put(o);
        o = NULL;
    }
    return L(o);
}

/* Fields by path with the allocation-free scanner; the decoded strings live
 * in one buffer per thread, kept from call to call. */
static pthread_key_t fields_key;
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;
static void fields_buf_free(void *b)
{
    llmh_buf_free(b);
    free(b);
}
static void fields_key_init(void) { pthread_key_create(&fields_key, fields_buf_free); }

static int j_fields(const char *text, size_t len, llmh_json_field *fields, size_t n)
{
    pthread_once(&fields_once, fields_key_init);
    llmh_buf *b = pthread_getspecific(fields_key);
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b)
            return 0;
        if (pthread_setspecific(fields_key, b) != 0) {
            free(b);
            return 0;
        }
    }
    return llmh_jscan_fields(text, len, fields, n, b);
}

static void j_free(llmh_json *v) { json_object_put(J(v)); }

static llmh_json_type j_type(const llmh_json *v)
{
    switch (json_object_get_type(J(v))) {
    case json_type_boolean: return LLMH_JSON_BOOL;
    case json_type_int: return LLMH_JSON_INT;
    case json_type_double: return LLMH_JSON_DOUBLE;
    case json_type_string: return LLMH_JSON_STRING;
    case json_type_array: return LLMH_JSON_ARRAY;
    case json_type_object: return LLMH_JSON_OBJECT;
    default: return LLMH_JSON_NULL;
    }
}

static llmh_json *j_get(const llmh_json *obj, const char *key)
{
    json_object *out = NULL;
    if (!obj || !json_object_is_type(J(obj), json_type_object))
        return NULL;
    if (!json_object_object_get_ex(J(obj), key, &out))
        return NULL;
    return L(out);
}

static llmh_json *j_index(const llmh_json *arr, size_t i)
{
    if (!arr || !json_object_is_type(J(arr), json_type_array))
        return NULL;
    if (i >= json_object_array_length(J(arr)))
        return NULL;
    return L(json_object_array_get_idx(J(arr), i));
}

static size_t j_length(const llmh_json *v)
{
    if (v && json_object_is_type(J(v), json_type_object))
        return (size_t)json_object_object_length(J(v));
    if (!v || !json_object_is_type(J(v), json_type_array))
        return 0;
    return json_object_array_length(J(v));
}

static const char *j_key_at(const llmh_json *obj, size_t i, llmh_json **value)
{
    if (!obj || !json_object_is_type(J(obj), json_type_object))
        return NULL;
    size_t n = 0;
    json_object_object_foreach(J(obj), k, v)
    {
        if (n++ == i) {
            if (value)
                *value = L(v);
            return k;
        }
    }
    return NULL;
}

static const char *j_string(const llmh_json *v, size_t *len)
{
    if (!v || !json_object_is_type(J(v), json_type_string))
        return NULL;
    if (len)
        *len = (size_t)json_object_get_string_len(J(v));
    return json_object_get_string(J(v));
}

static long long j_int(const llmh_json *v)
{
    if (!v)
        return 0;
    json_type t = json_object_get_type(J(v));
    if (t != json_type_int && t != json_type_double)
        return 0;
    return (long long)json_object_get_int64(J(v));
}

static double j_double(const llmh_json *v)
{
    if (!v)
        return 0;
    json_type t = json_object_get_type(J(v));
    if (t != json_type_int && t != json_type_double)
        return 0;
    return json_object_get_double(J(v));
}

static int j_bool(const llmh_json *v) { return v ? json_object_get_boolean(J(v)) : 0; }
static llmh_json *j_new_object(void) { return L(json_object_new_object()); }
static llmh_json *j_new_array(void) { return L(json_object_new_array()); }
static llmh_json *j_new_string(const char *s, size_t len)
{
    return L(json_object_new_string_len(s ? s : "", s ? (int)len : 0));
}
static llmh_json *j_new_int(long long v) { return L(json_object_new_int64(v)); }
static llmh_json *j_new_double(double v)
{
    /* The shortest text that reads back as v: 0.7, not 0.69999999999999996. */
    char buf[32];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, sizeof buf, "%.17g", v);
    return L(json_object_new_double_s(v, buf));
}
static llmh_json *j_new_bool(int v) { return L(json_object_new_boolean(v ? 1 : 0)); }

static void j_set(llmh_json *obj, const char *key, llmh_json *val)
{
    if (!obj || !json_object_is_type(J(obj), json_type_object)) {
        json_object_put(J(val));
        return;
    }
    json_object_object_add(J(obj), key, J(val));
}

static void j_append(llmh_json *arr, llmh_json *val)
{
    if (!arr || !json_object_is_type(J(arr), json_type_array)) {
        json_object_put(J(val));
        return;
    }
    json_object_array_add(J(arr), J(val));
}

static void j_del(llmh_json *obj, const char *key)
{
    if (obj && json_object_is_type(J(obj), json_type_object))
        json_object_object_del(J(obj), key);
}

static llmh_json *j_copy(const llmh_json *v)
{
    json_object *out = NULL;
    if (!v)
        return NULL;
    if (json_object_deep_copy(J(v), &out, NULL) != 0)
        return NULL;
    return L(out);
}

static const char *j_serialize(const llmh_json *v)
{
    return json_object_to_json_string_ext(J(v), JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* ---- HTTP request */

void llmh_http_req_init(llmh_http_req *r, const char *base_url)
{
    memset(r, 0, sizeof *r);
    r->base_url = base_url;
}

void llmh_http_req_clear(llmh_http_req *r)
{
    free(r->method_own);
    free(r->url);
    for (size_t i = 0; i < r->n_headers; i++) {
        explicit_bzero(r->headers[i].value, strlen(r->headers[i].value));
        free(r->headers[i].name);
    }
    free(r->headers);
    if (r->body)
        json_object_put(r->body);
    llmh_buf_free(&r->body_text);
    const char *base = r->base_url;
    memset(r, 0, sizeof *r);
    r->base_url = base;
}

const char *llmh_http_req_header(const llmh_http_req *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* Codecs join the same base and path for every request: the last join is
 * kept (a batch makes thousands of them). */
static pthread_mutex_t g_join_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_join_base, *g_join_path, *g_join_url;

static char *url_join_cached(const char *base, const char *path)
{
    char *url = NULL;
    pthread_mutex_lock(&g_join_lock);
    if (g_join_url && !strcmp(base, g_join_base) && !strcmp(path, g_join_path))
        url = llmh_strdup(g_join_url);
    pthread_mutex_unlock(&g_join_lock);
    if (url)
        return url;
    url = llmh_url_join(base, path);
    if (!url)
        return NULL;
    char *b = llmh_strdup(base), *p = llmh_strdup(path), *u = llmh_strdup(url);
    pthread_mutex_lock(&g_join_lock);
    free(g_join_base);
    free(g_join_path);
    free(g_join_url);
    g_join_base = b;
    g_join_path = p;
    g_join_url = u;
    pthread_mutex_unlock(&g_join_lock);
    return url;
}

static void req_set(llmh_http_req *r, const char *method, const char *path_or_url)
{
    static const char *const known[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
    free(r->method_own);
    free(r->url);
    r->method_own = NULL;
    r->method = NULL;
    if (!method)
        method = "GET";
    for (size_t i = 0; i < sizeof known / sizeof known[0] && !r->method; i++)
        if (!strcmp(method, known[i]))
            r->method = known[i];
    if (!r->method)
        r->method = r->method_own = llmh_strdup(method);
    if (path_or_url && (strncmp(path_or_url, "http://", 7) == 0 ||
                        strncmp(path_or_url, "https://", 8) == 0))
        r->url = llmh_strdup(path_or_url);
    else
        r->url = url_join_cached(r->base_url ? r->base_url : "", path_or_url ? path_or_url : "");
}

static void req_header(llmh_http_req *r, const char *name, const char *value, int secret)
{
    if (!name || !value)
        return;
    size_t nl = strlen(name), vl = strlen(value);
    char *block = llmh_xmalloc(nl + vl + 2);
    memcpy(block, name, nl + 1);
    memcpy(block + nl + 1, value, vl + 1);
    llmh_header h = {block, block + nl + 1, secret};
    for (size_t i = 0; i < r->n_headers; i++) {
        if (strcasecmp(r->headers[i].name, name) == 0) {
            explicit_bzero(r->headers[i].value, strlen(r->headers[i].value));
            free(r->headers[i].name);
            r->headers[i] = h; /* the last one set wins */
            return;
        }
    }
    if (r->n_headers == r->cap_headers) {
        r->cap_headers = r->cap_headers ? r->cap_headers * 2 : 4;
        r->headers = llmh_xrealloc(r->headers, r->cap_headers * sizeof *r->headers);
    }
    r->headers[r->n_headers++] = h;
}

void llmh_http_req_set_body_text(llmh_http_req *r, llmh_buf *text)
{
    if (r->body)
        json_object_put(r->body);
    r->body = NULL;
    llmh_buf_free(&r->body_text);
    r->body_text = *text;
    memset(text, 0, sizeof *text);
    r->has_text = 1;
}

int llmh_http_req_has_body(const llmh_http_req *r) { return r->body != NULL || r->has_text; }

json_object *llmh_http_req_body(llmh_http_req *r)
{
    if (!r->body && r->has_text) {
        /* The text is the host's own writing, so it parses; if it somehow
         * did not, the request goes without the plugin's edit, not broken. */
        json_object *tree = json_tokener_parse(r->body_text.data ? r->body_text.data : "");
        if (!tree)
            return NULL;
        r->body = tree;
        llmh_buf_free(&r->body_text);
        r->has_text = 0;
    }
    return r->body;
}

void llmh_http_req_write_body(const llmh_http_req *r, llmh_buf *out)
{
    if (r->body)
        llmh_json_write(out, r->body);
    else if (r->has_text)
        llmh_buf_append(out, r->body_text.data ? r->body_text.data : "", r->body_text.len);
}

static void req_body(llmh_http_req *r, llmh_json *body)
{
    if (r->body)
        json_object_put(r->body);
    r->body = J(body);
    llmh_buf_free(&r->body_text);
    r->has_text = 0;
}

/* A plugin that edits the body gets the tree. */
static llmh_json *req_get_body(llmh_http_req *r) { return L(llmh_http_req_body(r)); }

/* ---- chat output */

void llmh_chat_out_init(llmh_chat_out *o)
{
    memset(o, 0, sizeof *o);
    o->usage.prompt_tokens = -1;
    o->usage.completion_tokens = -1;
}

void llmh_chat_out_reset(llmh_chat_out *o)
{
    llmh_buf_reset(&o->content);
    llmh_buf_reset(&o->reasoning);
    o->finish = LLMH_FINISH_NONE;
    o->usage.prompt_tokens = -1;
    o->usage.completion_tokens = -1;
}

void llmh_chat_out_clear(llmh_chat_out *o)
{
    llmh_buf_free(&o->content);
    llmh_buf_free(&o->reasoning);
    llmh_chat_out_init(o);
}

static void out_content(llmh_chat_out *o, const char *text, size_t len)
{
    if (text && len)
        llmh_buf_append(&o->content, text, len);
}

static void out_reasoning(llmh_chat_out *o, const char *text, size_t len)
{
    if (text && len)
        llmh_buf_append(&o->reasoning, text, len);
}

static void out_finish(llmh_chat_out *o, llmh_finish f) { o->finish = f; }

static void out_usage(llmh_chat_out *o, long prompt, long completion)
{
    if (prompt >= 0)
        o->usage.prompt_tokens = prompt;
    if (completion >= 0)
        o->usage.completion_tokens = completion;
}

/* ---- model list output */

void llmh_models_out_init(llmh_models_out *o) { memset(o, 0, sizeof *o); }

void llmh_models_out_clear(llmh_models_out *o)
{
    for (size_t i = 0; i < o->n; i++) {
        llmh_model_entry *m = &o->models[i];
        free(m->id);
        free(m->label);
        for (size_t j = 0; j < m->n_details; j++) {
            free(m->details[j].key);
            free(m->details[j].value);
        }
        free(m->details);
    }
    free(o->models);
    memset(o, 0, sizeof *o);
}

static void models_add(llmh_models_out *o, const char *id, const char *label, long ctx)
{
    if (!id || !*id)
        return;
    o->models = llmh_xrealloc(o->models, (o->n + 1) * sizeof *o->models);
    llmh_model_entry *m = &o->models[o->n++];
    memset(m, 0, sizeof *m);
    m->id = llmh_strdup(id);
    m->label = llmh_strdup(label && *label ? label : id);
    m->context_length = ctx > 0 ? ctx : 0;
}

static void models_detail(llmh_models_out *o, const char *key, const char *value)
{
    if (!o->n || !key || !value)
        return;
    llmh_model_entry *m = &o->models[o->n - 1];
    m->details = llmh_xrealloc(m->details, (m->n_details + 1) * sizeof *m->details);
    m->details[m->n_details].key = llmh_strdup(key);
    m->details[m->n_details].value = llmh_strdup(value);
    m->n_details++;
}

/* ---- errors */

static llmh_status host_error_set(llmh_error *err, llmh_status code, int http, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    llmh_error_vset(err, code, http, fmt, ap);
    va_end(ap);
    return code;
}

static const llmh_host host_table = {
    .struct_size = sizeof(llmh_host),
    .abi_major = LLMH_ABI_MAJOR,
    .abi_minor = LLMH_ABI_MINOR,
    .version = LLMH_VERSION_STRING,
    .log = host_log,
    .setting = host_setting,
    .setting_bool = host_setting_bool,
    .setting_long = host_setting_long,
    .secret = host_secret,
    .json_parse = j_parse,
    .json_free = j_free,
    .json_type = j_type,
    .json_get = j_get,
    .json_index = j_index,
    .json_length = j_length,
    .json_string = j_string,
    .json_int = j_int,
    .json_double = j_double,
    .json_bool = j_bool,
    .json_new_object = j_new_object,
    .json_new_array = j_new_array,
    .json_new_string = j_new_string,
    .json_new_int = j_new_int,
    .json_new_double = j_new_double,
    .json_new_bool = j_new_bool,
    .json_set = j_set,
    .json_append = j_append,
    .json_del = j_del,
    .json_key_at = j_key_at,
    .json_copy = j_copy,
    .json_serialize = j_serialize,
    .req_set = req_set,
    .req_header = req_header,
    .req_body = req_body,
    .req_get_body = req_get_body,
    .out_content = out_content,
    .out_reasoning = out_reasoning,
    .out_finish = out_finish,
    .out_usage = out_usage,
    .models_add = models_add,
    .models_detail = models_detail,
    .error_set = host_error_set,
    .openai = &llmh_codec_openai,
    .json_fields = j_fields,
};

const llmh_host *llmh_host_table(void) { return &host_table; }
