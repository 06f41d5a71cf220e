/* llmhost/plugin.h: the provider plugin ABI, version 1.
 *
 * A plugin is a codec: it turns chat requests into HTTP requests and HTTP
 * bodies or stream events back into results. It never opens a socket, never
 * links libcurl or json-c and never calls a host symbol directly: everything
 * it needs comes through the llmh_host table handed to its hooks. It exports
 * exactly one symbol, the descriptor `llmh_plugin` (see LLMH_PLUGIN_DEFINE).
 *
 * Rules that hold for the whole header:
 *  - Strings passed to a plugin are borrowed for the duration of the call.
 *  - Strings a plugin hands to the host (headers, content, model ids) are
 *    copied by the host before the function returns.
 *  - Descriptors (llmh_plugin_desc, llmh_provider, llmh_codec) are static
 *    data owned by the plugin and must stay valid until the plugin unloads.
 *  - Loading, init and fini run on the host's main thread. Codec hooks may
 *    run on any thread when the provider sets LLMH_P_THREAD_SAFE; otherwise
 *    the host never runs two hooks of that provider at once.
 *  - See sdk/ABI.md for what a minor version may change.
 */
#ifndef LLMHOST_PLUGIN_H
#define LLMHOST_PLUGIN_H

#include <llmhost/types.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LLMH_PLUGIN_MAGIC 0x4c4c4d48u /* "LLMH" */
#define LLMH_ABI_MAJOR 1
#define LLMH_ABI_MINOR 0

/* The one exported symbol's name, as a string for dlsym. */
#define LLMH_PLUGIN_SYMBOL "llmh_plugin"

#if defined(__GNUC__)
#define LLMH_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define LLMH_PLUGIN_EXPORT
#endif

/* ---- opaque host objects a plugin fills or reads through the host table */
typedef struct llmh_json llmh_json;             /* a JSON value */
typedef struct llmh_http_req llmh_http_req;     /* an HTTP request being built */
typedef struct llmh_chat_out llmh_chat_out;     /* a chat result or stream delta */
typedef struct llmh_models_out llmh_models_out; /* a model list being built */

struct llmh_host;
struct llmh_provider;

/* What kind of service a provider is. */
typedef enum llmh_kind {
    LLMH_KIND_LOCAL = 0,  /* runs on the user's machine or network */
    LLMH_KIND_CLOUD = 1,  /* a hosted API that needs a key */
    LLMH_KIND_CUSTOM = 2  /* a user-named endpoint */
} llmh_kind;

/* Provider flags (llmh_provider.flags). */
#define LLMH_P_KEY_REQUIRED   (1u << 0) /* chat needs an API key */
#define LLMH_P_MODELS_NEED_KEY (1u << 1) /* listing models needs the key too */
#define LLMH_P_FRAMING_NDJSON (1u << 2) /* streams are NDJSON, not SSE */
#define LLMH_P_CHECK_MODEL    (1u << 3) /* host checks the model against the list before chat */
#define LLMH_P_THREAD_SAFE    (1u << 4) /* hooks may run concurrently */

/* Capability flags (llmh_provider.caps); each must match the hooks present. */
#define LLMH_CAP_STREAM (1u << 0) /* codec.parse_event */
#define LLMH_CAP_MODELS (1u << 1) /* codec.build_models and codec.parse_models */
#define LLMH_CAP_PROBE  (1u << 2) /* codec.build_probe */
#define LLMH_CAP_DETAILS (1u << 3) /* codec.build_model_info and codec.parse_model_info */
#define LLMH_CAP_VERSION (1u << 4) /* codec.build_version and codec.parse_version */

/* JSON value types returned by host->json_type. */
typedef enum llmh_json_type {
    LLMH_JSON_NULL = 0,
    LLMH_JSON_BOOL,
    LLMH_JSON_INT,
    LLMH_JSON_DOUBLE,
    LLMH_JSON_STRING,
    LLMH_JSON_ARRAY,
    LLMH_JSON_OBJECT
} llmh_json_type;

/* One call's context, made by the host for each hook invocation. */
typedef struct llmh_call {
    uint32_t struct_size;
    const struct llmh_host *host;         /* the services table */
    const struct llmh_provider *provider; /* the provider being called */
    const char *base_url;                 /* normalized, no trailing slash */
    const char *api_key;                  /* NULL when none is set; never log it */
    void *plugin_state;                   /* what init stored; NULL if no init */
    void *host_private;                   /* the host's; do not touch */
} llmh_call;

/* A chat request as the host resolved it from settings and arguments. */
typedef struct llmh_chat_params {
    uint32_t struct_size;
    const char *model;
    const llmh_message *messages;
    size_t n_messages;
    int has_temperature;    /* 0: let the server choose */
    double temperature;
    long max_tokens;        /* 0: do not send a limit */
    long context_window;    /* 0: unknown or unrestricted */
    int stream;             /* 1: the host will feed parse_event */
    const char *const *stop;/* stop sequences */
    size_t n_stop;
    int thinking;           /* -1: provider default, 0: off, 1: on */
    long thinking_budget;   /* tokens; 0: provider default */
} llmh_chat_params;

/* One framed stream event: an SSE event, or one NDJSON line (event NULL). */
typedef struct llmh_stream_event {
    const char *event; /* SSE event name, "message" when unnamed; NULL for NDJSON */
    const char *data;  /* NUL-terminated */
    size_t len;
} llmh_stream_event;

/* The codec hooks. Each returns LLMH_OK or a status with err filled. */
typedef struct llmh_codec {
    uint32_t struct_size;
    /* Required. Fill req (method, path or URL, headers, body) for a chat. */
    llmh_status (*build_chat)(const llmh_call *c, const llmh_chat_params *p,
                              llmh_http_req *req, llmh_error *err);
    /* Required. Parse a whole 2xx chat body into out. */
    llmh_status (*parse_chat)(const llmh_call *c, const char *body, size_t len,
                              llmh_chat_out *out, llmh_error *err);
    /* LLMH_CAP_STREAM. Parse one event into out; set *done at the end marker. */
    llmh_status (*parse_event)(const llmh_call *c, const llmh_stream_event *ev,
                               llmh_chat_out *out, int *done, llmh_error *err);
    /* LLMH_CAP_MODELS. Fill req for the model list. */
    llmh_status (*build_models)(const llmh_call *c, llmh_http_req *req, llmh_error *err);
    /* LLMH_CAP_MODELS. Parse a 2xx model list body. */
    llmh_status (*parse_models)(const llmh_call *c, const char *body, size_t len,
                                llmh_models_out *out, llmh_error *err);
    /* Optional. Refine err for a non-2xx answer; the host has already set a
     * generic classification from the status and Retry-After. */
    void (*classify_error)(const llmh_call *c, int http_status, const char *body,
                           size_t len, llmh_error *err);
    /* LLMH_CAP_PROBE. Fill req for the availability probe (default: the
     * model list request). Only HTTP 200 counts as available. */
    llmh_status (*build_probe)(const llmh_call *c, llmh_http_req *req, llmh_error *err);
    /* LLMH_CAP_DETAILS. Fill req to ask for one model's details
     * (`llmhost models --details`). */
    llmh_status (*build_model_info)(const llmh_call *c, const char *model, llmh_http_req *req,
                                    llmh_error *err);
    /* LLMH_CAP_DETAILS. Parse a 2xx details body: call models_add once for
     * the model (with its context length) and models_detail for the rest
     * ("capabilities" as a comma-separated list, "family", ...). */
    llmh_status (*parse_model_info)(const llmh_call *c, const char *model, const char *body,
                                    size_t len, llmh_models_out *out, llmh_error *err);
    /* LLMH_CAP_VERSION. Fill req to ask the server's version (`llmhost doctor`). */
    llmh_status (*build_version)(const llmh_call *c, llmh_http_req *req, llmh_error *err);
    /* LLMH_CAP_VERSION. Write the version string of a 2xx body into buf. */
    llmh_status (*parse_version)(const llmh_call *c, const char *body, size_t len, char *buf,
                                 size_t size, llmh_error *err);
} llmh_codec;

/* A provider descriptor. A plugin may offer several. */
typedef struct llmh_provider {
    uint32_t struct_size;
    const char *key;              /* "ollama": lower case, [a-z0-9_] */
    const char *display_name;     /* "Ollama" */
    const char *default_base_url; /* NULL: the user must set one */
    const char *default_model;    /* NULL: the user must choose */
    const char *url_setting;      /* "llm.ollama.url"; NULL: llm.<key>.url */
    const char *url_env;          /* conventional variable, "OLLAMA_HOST"; may be NULL */
    const char *api_key_setting;  /* "llm.ollama.api_key"; NULL: no key */
    const char *api_key_env;      /* "OPENAI_API_KEY"; may be NULL */
    const char *url_suffix;       /* appended when missing ("/v1"); may be NULL */
    llmh_kind kind;
    unsigned flags;               /* LLMH_P_* */
    unsigned caps;                /* LLMH_CAP_*; must match codec hooks */
    const llmh_codec *codec;      /* NULL: the host's OpenAI codec, all caps */
    long probe_timeout_ms;        /* 0: 1000 for OpenAI-style local, 3000 for ndjson */
    long models_timeout_ms;       /* 0: 30000 */
    const char *const *settings;  /* extra keys it reads, NULL-terminated; may be NULL */
    long default_port;            /* added to a URL given without a port (Ollama: 11434); 0: none */
} llmh_provider;

/* One field of a JSON object for host->json_fields: path in, value out.
 * path is dotted: "message.content", "delta.type", "choices.0.delta.content".
 * In an object every segment is a member name; in an array a segment of
 * decimal digits is an index. type is LLMH_JSON_NULL when the field is absent
 * or null, and when the path runs through something that is not an object or
 * array; objects and arrays report only their type. */
typedef struct llmh_json_field {
    const char *path;    /* in; NULL: always absent */
    llmh_json_type type; /* out */
    const char *str;     /* out, LLMH_JSON_STRING: decoded UTF-8, NUL-terminated; else NULL */
    size_t len;          /* out, LLMH_JSON_STRING: bytes in str (may hold NUL bytes) */
    long long i;         /* out, LLMH_JSON_INT; for LLMH_JSON_DOUBLE truncated (clamped) */
    double d;            /* out, LLMH_JSON_DOUBLE; for LLMH_JSON_INT the same value */
    int b;               /* out, LLMH_JSON_BOOL */
} llmh_json_field;

/* The host services table. Every pointer is set by a host of this ABI major;
 * check struct_size before using members added in a later minor. */
typedef struct llmh_host {
    uint32_t struct_size;
    uint16_t abi_major, abi_minor;
    const char *version; /* host version string; static */

    /* Logging, one line per call. level: 0 error, 1 warning, 2 info, 3 debug. Thread-safe. */
    void (*log)(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

    /* Settings as resolved for this call (c may be NULL outside a call).
     * Returns a borrowed string valid until the hook returns, or NULL. */
    const char *(*setting)(const llmh_call *c, const char *key);
    /* Boolean and integer settings with a default for unset or unparsable values. */
    int (*setting_bool)(const llmh_call *c, const char *key, int def);
    long (*setting_long)(const llmh_call *c, const char *key, long def);
    /* A secret; NULL when empty or only white space. Borrowed; never log it. */
    const char *(*secret)(const llmh_call *c, const char *key);

    /* JSON facade over json-c. Values from json_parse/json_new_* are owned by
     * the caller until passed to json_set/json_append/req_body (which take
     * them) or freed with json_free. Values from json_get/json_index are
     * borrowed from their parent. */
    llmh_json *(*json_parse)(const char *text, size_t len); /* NULL if malformed */
    void (*json_free)(llmh_json *v);
    llmh_json_type (*json_type)(const llmh_json *v);        /* NULL v: LLMH_JSON_NULL */
    llmh_json *(*json_get)(const llmh_json *obj, const char *key); /* borrowed or NULL */
    llmh_json *(*json_index)(const llmh_json *arr, size_t i);      /* borrowed or NULL */
    size_t (*json_length)(const llmh_json *v);     /* array items or object members; else 0 */
    const char *(*json_string)(const llmh_json *v, size_t *len);   /* borrowed; NULL if not a string */
    long long (*json_int)(const llmh_json *v);                     /* 0 if not a number */
    double (*json_double)(const llmh_json *v);
    int (*json_bool)(const llmh_json *v);
    llmh_json *(*json_new_object)(void);
    llmh_json *(*json_new_array)(void);
    llmh_json *(*json_new_string)(const char *s, size_t len);      /* copies s */
    llmh_json *(*json_new_int)(long long v);
    llmh_json *(*json_new_double)(double v);
    llmh_json *(*json_new_bool)(int v);
    void (*json_set)(llmh_json *obj, const char *key, llmh_json *val);   /* takes val */
    void (*json_append)(llmh_json *arr, llmh_json *val);                 /* takes val */
    void (*json_del)(llmh_json *obj, const char *key);                   /* frees the member */
    /* The i-th member of an object (file order): its key, and *value (may be
     * NULL) borrowed from obj; NULL past the end. */
    const char *(*json_key_at)(const llmh_json *obj, size_t i, llmh_json **value);
    llmh_json *(*json_copy)(const llmh_json *v);                         /* deep copy, owned */
    /* Serialized form, borrowed from v until v changes or is freed. */
    const char *(*json_serialize)(const llmh_json *v);

    /* HTTP request builder. Path is joined to the call's base_url by the
     * host (no "//", no doubled "/v1"); an absolute URL is used as given. */
    void (*req_set)(llmh_http_req *r, const char *method, const char *path_or_url);
    /* Add a header; secret=1 for values that are credentials (redacted in
     * --dry-run, -v and logs). Name and value are copied. */
    void (*req_header)(llmh_http_req *r, const char *name, const char *value, int secret);
    void (*req_body)(llmh_http_req *r, llmh_json *body); /* takes body */
    /* Borrowed, for wrappers; may be NULL. The host's codec writes the body
     * as text and the first call makes it a tree: ask only to change it. */
    llmh_json *(*req_get_body)(llmh_http_req *r);

    /* Chat output: append text, set finish and usage. Text is copied. */
    void (*out_content)(llmh_chat_out *o, const char *text, size_t len);
    void (*out_reasoning)(llmh_chat_out *o, const char *text, size_t len);
    void (*out_finish)(llmh_chat_out *o, llmh_finish f);
    void (*out_usage)(llmh_chat_out *o, long prompt_tokens, long completion_tokens); /* -1 = unknown */

    /* Model list output. id copied; label NULL = the id; context_length 0 = unknown. */
    void (*models_add)(llmh_models_out *o, const char *id, const char *label, long context_length);
    /* Attach a detail ("family", "size", "quantization", ...) to the last model added. */
    void (*models_detail)(llmh_models_out *o, const char *key, const char *value);

    /* Fill err like printf; returns code. */
    llmh_status (*error_set)(llmh_error *err, llmh_status code, int http_status, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

    /* The host's OpenAI chat-completions codec, for wrappers and for
     * providers whose codec is NULL. */
    const llmh_codec *openai;

    /* Added after 1.0 was first released: use it only when
     * offsetof(llmh_host, json_fields) + sizeof(void *) <= host->struct_size.
     * Fields of a JSON object read by path without building a tree (fast; no
     * allocation once the thread's buffer is large enough). Returns 1 when
     * text is one well-formed JSON object and every field was filled, with
     * the values json_parse and json_get/json_index would give (duplicate
     * members: the last wins); 0 when unsure: malformed or non-strict JSON,
     * a top-level value that is not an object, nesting deeper than
     * json_parse takes, an escaped member name where a path is followed, a
     * wanted number beyond long long or not finite, more than 64 fields.
     * Then use json_parse; the fields' outputs are unspecified. Strings point
     * into a per-thread buffer valid until the next json_fields call on that
     * thread. Thread-safe. */
    int (*json_fields)(const char *text, size_t len, llmh_json_field *fields, size_t n);
} llmh_host;

/* Forwarders to the host's OpenAI codec, for static codec tables of
 * OpenAI-compatible providers that override only some hooks. */
static inline llmh_status llmh_openai_build_chat(const llmh_call *c, const llmh_chat_params *p,
                                                 llmh_http_req *req, llmh_error *err)
{
    return c->host->openai->build_chat(c, p, req, err);
}
static inline llmh_status llmh_openai_parse_chat(const llmh_call *c, const char *body, size_t len,
                                                 llmh_chat_out *out, llmh_error *err)
{
    return c->host->openai->parse_chat(c, body, len, out, err);
}
static inline llmh_status llmh_openai_parse_event(const llmh_call *c, const llmh_stream_event *ev,
                                                  llmh_chat_out *out, int *done, llmh_error *err)
{
    return c->host->openai->parse_event(c, ev, out, done, err);
}
static inline llmh_status llmh_openai_build_models(const llmh_call *c, llmh_http_req *req,
                                                   llmh_error *err)
{
    return c->host->openai->build_models(c, req, err);
}
static inline llmh_status llmh_openai_parse_models(const llmh_call *c, const char *body,
                                                   size_t len, llmh_models_out *out,
                                                   llmh_error *err)
{
    return c->host->openai->parse_models(c, body, len, out, err);
}
static inline void llmh_openai_classify_error(const llmh_call *c, int status, const char *body,
                                              size_t len, llmh_error *err)
{
    c->host->openai->classify_error(c, status, body, len, err);
}

/* A codec that is the OpenAI one with build_chat replaced. */
#define LLMH_OPENAI_CODEC_WITH_BUILD_CHAT(build_chat_)                                        \
    {                                                                                         \
        sizeof(llmh_codec), (build_chat_), llmh_openai_parse_chat, llmh_openai_parse_event,  \
            llmh_openai_build_models, llmh_openai_parse_models, llmh_openai_classify_error,  \
            NULL, NULL, NULL, NULL, NULL                                                      \
    }

/* The descriptor every plugin exports as `llmh_plugin`. */
typedef struct llmh_plugin_desc {
    uint32_t magic;      /* LLMH_PLUGIN_MAGIC */
    uint16_t abi_major;  /* LLMH_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;  /* LLMH_ABI_MINOR the plugin was built against */
    uint32_t struct_size;/* sizeof(llmh_plugin_desc) at build time */
    const char *name;    /* must match the file name without ".so" */
    const char *version; /* the plugin's own version */
    const char *description;
    const llmh_provider *const *providers; /* NULL-terminated */
    /* Optional. Called once after the gate accepted the plugin, on the main
     * thread. Store private state in *state. Non-OK refuses the plugin. */
    llmh_status (*init)(const llmh_host *host, void **state, llmh_error *err);
    /* Optional. Called once before unload with what init stored. */
    void (*fini)(void *state);
} llmh_plugin_desc;

/* Define the exported descriptor:
 *   LLMH_PLUGIN_DEFINE("hello", "1.0", "Says hello", providers, NULL, NULL); */
#define LLMH_PLUGIN_DEFINE(name_, version_, description_, providers_, init_, fini_)        \
    LLMH_PLUGIN_EXPORT const llmh_plugin_desc llmh_plugin = {                            \
        LLMH_PLUGIN_MAGIC, LLMH_ABI_MAJOR, LLMH_ABI_MINOR, sizeof(llmh_plugin_desc),     \
        (name_), (version_), (description_), (providers_), (init_), (fini_)}

#ifdef __cplusplus
}
#endif
#endif
