/* llmhost/llmhost.h: the embedding API. One context per program (or per
 * thread that wants its own settings); every object made by llmh_*_new is
 * freed by the matching llmh_*_free. Functions return llmh_status and fill
 * an llmh_error (may be NULL) with a one-line message. */
#ifndef LLMHOST_LLMHOST_H
#define LLMHOST_LLMHOST_H

#include <llmhost/types.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct llmh_ctx llmh_ctx;

/* Options for llmh_ctx_new; zero-initialise, then set struct_size. */
typedef struct llmh_options {
    uint32_t struct_size;    /* sizeof(llmh_options) */
    const char *config_file; /* NULL: the XDG / /etc search; copied */
    int no_config;           /* 1: read no file at all */
    const char *plugin_path; /* colon-separated dirs searched first; copied */
} llmh_options;

/* The library version, "MAJOR.MINOR.PATCH". Static. */
const char *llmh_version(void);
/* A name for a status; never NULL. Static. */
const char *llmh_strerror(llmh_status code);

/* Create a context: read settings, prepare (but do not yet open) plugins.
 * *out is owned by the caller, freed with llmh_ctx_free. opts may be NULL. */
llmh_status llmh_ctx_new(const llmh_options *opts, llmh_ctx **out, llmh_error *err);
/* Unload plugins and free everything. NULL is fine. */
void llmh_ctx_free(llmh_ctx *ctx);

/* Set a setting for this context above every other source, like -s.
 * key and value are copied. */
llmh_status llmh_set(llmh_ctx *ctx, const char *key, const char *value, llmh_error *err);
/* The effective value of a setting, borrowed until the next llmh_set; NULL
 * when unset. Secrets (keys ending in api_key) are returned too: do not log. */
const char *llmh_get(llmh_ctx *ctx, const char *key);

/* ---- plugins and providers (opens plugins on first use) */

typedef struct llmh_plugin_info {
    const char *name;    /* borrowed from ctx, valid until llmh_ctx_free */
    const char *path;
    const char *version; /* "" when unknown */
    int loaded;          /* 1 loaded, 0 refused */
    int gate;            /* 0 when loaded, else the refusal code */
    const char *reason;  /* NULL when loaded */
} llmh_plugin_info;

size_t llmh_plugin_count(llmh_ctx *ctx);
/* Fill *out for plugin i (0-based). LLMH_E_INVALID when i is out of range. */
llmh_status llmh_plugin_get(llmh_ctx *ctx, size_t i, llmh_plugin_info *out);

typedef struct llmh_provider_info {
    const char *key;          /* borrowed from ctx */
    const char *display_name;
    const char *kind;         /* "local", "cloud" or "custom" */
    const char *plugin;       /* plugin name; NULL when declared in the config */
    int api_key_set;          /* the key's value is never exposed here */
} llmh_provider_info;

size_t llmh_provider_count(llmh_ctx *ctx);
llmh_status llmh_provider_get(llmh_ctx *ctx, size_t i, llmh_provider_info *out);
/* The provider's resolved base URL, malloc'd (free()); NULL with err set
 * when it has none or the configured one is refused. Credentials in it are
 * kept: use it, do not print it. */
char *llmh_provider_base_url(llmh_ctx *ctx, const char *key, llmh_error *err);

/* ---- chat */

/* Called for each piece of a streamed answer, in order. content is answer
 * text (think tags already removed), reasoning is thinking text; either may
 * be empty. Borrowed until return. Non-zero cancels the call. */
typedef int (*llmh_delta_cb)(void *ud, const char *content, size_t content_len,
                             const char *reasoning, size_t reasoning_len);

/* A chat request; zero-initialise, set struct_size, fill what you need. */
typedef struct llmh_chat_request {
    uint32_t struct_size;          /* sizeof(llmh_chat_request) */
    const char *provider;          /* NULL: the llm.provider setting */
    const char *model;             /* NULL: llm.<provider>.model, else llm.model */
    const char *system;            /* optional system prompt, sent first */
    const llmh_message *messages;  /* the conversation; borrowed */
    size_t n_messages;
    int has_temperature;           /* 0: llm.temperature */
    double temperature;
    long max_tokens;               /* 0: llm.max_tokens; capped at 80% of a known window */
    int stream;                    /* -1: llm.streaming, 0: whole answer, 1: stream */
    const char *const *stop;       /* stop sequences; borrowed */
    size_t n_stop;
    llmh_delta_cb on_delta;        /* streamed pieces; may be NULL */
    void *ud;
    const char *fallback;          /* "provider/model, provider/model": tried in order when
                                      this provider fails after its retries, its breaker is
                                      open, or no first token came within llm.ttft_timeout;
                                      NULL: the llm.fallback setting */
} llmh_chat_request;

/* The answer. Owned by the caller, freed with llmh_chat_result_free. */
typedef struct llmh_chat_result {
    char *provider;
    char *model;
    char *content;      /* the answer, without reasoning */
    char *reasoning;    /* "" when none */
    llmh_finish finish;
    llmh_usage usage;   /* -1 where the server reported nothing */
    int attempts;       /* 1 + retries */
    long latency_ms;    /* whole call */
    long ttft_ms;       /* to the first streamed token; -1 when not streamed */
    char *fallback_note;/* NULL, or "provider/model: why it failed; ..." for the
                           providers tried before the one that answered */
    int cached;         /* 1: answered from the response cache (llm.cache) */
} llmh_chat_result;

/* Run one chat. On failure *out is NULL and err says why in one line. */
llmh_status llmh_chat(llmh_ctx *ctx, const llmh_chat_request *req, llmh_chat_result **out,
                      llmh_error *err);
void llmh_chat_result_free(llmh_chat_result *r);
/* "stop", "length", ... ; static, never NULL. */
const char *llmh_finish_name(llmh_finish f);

/* The circuit breaker of a provider at its resolved base URL: *state is
 * "closed", "open" or "half_open" (static); *retry_in_ms is the time until
 * an open breaker lets a trial call through (0 when closed). */
llmh_status llmh_breaker_status(llmh_ctx *ctx, const char *provider, const char **state,
                                long *retry_in_ms, llmh_error *err);

/* ---- batches */

typedef struct llmh_batch_item {
    llmh_status status;       /* LLMH_OK or why this request failed */
    llmh_error error;
    llmh_chat_result *result; /* owned by the caller when status is LLMH_OK */
} llmh_batch_item;

/* Called on the calling thread after each request finishes. */
typedef void (*llmh_batch_progress_cb)(void *ud, size_t done, size_t total);

/* Run n requests concurrently, at most `concurrency` in flight (0: all), on
 * one event loop; items[i] gets the outcome of reqs[i]. Honours retries,
 * fallbacks, rate limits and breakers like llmh_chat. */
llmh_status llmh_chat_batch(llmh_ctx *ctx, const llmh_chat_request *reqs, size_t n,
                            size_t concurrency, llmh_batch_item *items,
                            llmh_batch_progress_cb progress, void *ud);

/* The HTTP request a chat would send, as JSON text
 * {"requests":[{"method","url","headers","body"}]} with secrets as "***".
 * Sends nothing. *json is malloc'd (free()). */
llmh_status llmh_chat_dry_run(llmh_ctx *ctx, const llmh_chat_request *req, char **json,
                              llmh_error *err);

/* ---- models */

typedef struct llmh_model {
    const char *id;
    const char *label;
    const char *provider;
    long context_length;  /* 0 when unknown */
} llmh_model;

typedef struct llmh_model_list {
    const char *provider;
    llmh_model *models;
    size_t n;
    const char *error;    /* NULL, or why the list is empty */
    int cached;           /* 1 when read from the cache */
    void *priv;
} llmh_model_list;

#define LLMH_MODELS_REFRESH 1u /* ask the server even when the cache is fresh */
#define LLMH_MODELS_DETAILS 2u /* also ask each model's details (context, capabilities) */

/* List a provider's models. A server that is down is not a failure: the
 * list is empty and ->error says why. Only an unknown provider fails.
 * Free with llmh_model_list_free. */
llmh_status llmh_models(llmh_ctx *ctx, const char *provider, unsigned flags,
                        llmh_model_list **out, llmh_error *err);
void llmh_model_list_free(llmh_model_list *l);
/* Details of model i ("family", "capabilities", "size", ...): count, k-th
 * pair (0 past the end), or by key (NULL when absent). Borrowed from l. */
size_t llmh_model_detail_count(const llmh_model_list *l, size_t i);
int llmh_model_detail_at(const llmh_model_list *l, size_t i, size_t k, const char **key,
                         const char **value);
const char *llmh_model_detail(const llmh_model_list *l, size_t i, const char *key);
llmh_status llmh_models_dry_run(llmh_ctx *ctx, const char *provider, char **json,
                                llmh_error *err);

/* ---- availability and discovery */

/* Is the provider usable now? Local servers are probed; cloud providers
 * need a key. *reason (malloc'd, may be NULL) says why not. */
llmh_status llmh_provider_available(llmh_ctx *ctx, const char *provider, int *available,
                                    char **reason, llmh_error *err);

typedef struct llmh_server {
    char *provider;
    char *base_url;     /* credentials removed */
    int available;
    char *reason;       /* NULL when available */
    char **models;      /* ids */
    size_t n_models;
} llmh_server;

/* Probe every local provider at once; timeout_ms 0 uses each one's default.
 * *out is an array of *n servers, freed with llmh_servers_free. */
llmh_status llmh_discover(llmh_ctx *ctx, long timeout_ms, llmh_server **out, size_t *n,
                          llmh_error *err);
void llmh_servers_free(llmh_server *s, size_t n);

/* ---- profiles: [profile.NAME] sections of the config file (see
 * doc/profiles-and-pipelines.md) */

/* Run one chat through a profile: its provider, model, fallback chain,
 * settings and answer shape (style, max_length, confidence line, domain,
 * expertise, knowledge, all in the system prompt). The request's own
 * provider, model, system, temperature, max_tokens and fallback win over the
 * profile's (a request's system prompt replaces the profile's `system` but
 * keeps the shape instructions); llmh_set() and the environment win over the
 * profile, which wins over the file's [llm] and [llm.PROVIDER] sections.
 * req->messages is required. An unknown or invalid profile is LLMH_E_CONFIG
 * ("FILE:LINE: profile.NAME: ..."). *out as for llmh_chat. */
llmh_status llmh_profile_chat(llmh_ctx *ctx, const char *profile, const llmh_chat_request *req,
                              llmh_chat_result **out, llmh_error *err);
/* Same, and *confidence (may be NULL) gets the confidence the answer ended
 * with ("Confidence: 85%" or "confidence: 0.85" on its last line), 0..100,
 * or -1 when the profile does not ask for one or the answer gave none. The
 * line is removed from (*out)->content and never reaches on_delta. */
llmh_status llmh_profile_chat_ex(llmh_ctx *ctx, const char *profile,
                                 const llmh_chat_request *req, llmh_chat_result **out,
                                 int *confidence, llmh_error *err);
/* The HTTP request llmh_profile_chat would send, like llmh_chat_dry_run. */
llmh_status llmh_profile_chat_dry_run(llmh_ctx *ctx, const char *profile,
                                      const llmh_chat_request *req, char **json,
                                      llmh_error *err);

/* A profile and what it resolves to with the current settings. All strings
 * are owned by the array (llmh_profiles_free); NULL when not set. */
typedef struct llmh_profile_info {
    char *name;
    char *error;            /* NULL when valid; else "FILE:LINE: profile.NAME: ..." and
                               the fields below are NULL, 0 or -1 */
    char *provider;         /* effective: the profile's, or llm.provider, or a -s override */
    char *model;
    char *style;            /* "concise", "detailed", "technical", "simple" */
    long max_length;        /* words; 0: none */
    long max_tokens;        /* derived from max_length; 0: none */
    int include_confidence;
    char *domain;
    double expertise_level; /* 0..1; -1: not set */
    char *fallback;
    char *system;           /* the whole system prompt it sends */
    char *source;           /* "FILE:LINE" of its first key */
} llmh_profile_info;

/* Every profile, in file order, invalid ones included with their error.
 * *out is an array of *n, freed with llmh_profiles_free. */
llmh_status llmh_profiles(llmh_ctx *ctx, llmh_profile_info **out, size_t *n, llmh_error *err);
void llmh_profiles_free(llmh_profile_info *p, size_t n);

/* ---- pipelines: [pipeline.NAME] with stages = a, b, c, and one
 * [pipeline.NAME.STAGE] per stage (profile, prompt, when, on_error) */

typedef enum llmh_stage_event {
    LLMH_STAGE_OK = 0,      /* the stage answered; text: the answer */
    LLMH_STAGE_SKIPPED = 1, /* its `when` was false; text: why */
    LLMH_STAGE_FAILED = 2,  /* text: the error */
    LLMH_STAGE_START = 3,   /* about to ask; text: "provider/model" */
    LLMH_STAGE_DELTA = 4    /* a piece of the answer as it streams */
} llmh_stage_event;

/* "ok", "skipped", "failed", "start", "delta"; static, never NULL. */
const char *llmh_stage_event_name(llmh_stage_event ev);

/* Called on the calling thread for each stage event, in order. stage and
 * text are borrowed until return. Non-zero cancels the pipeline. */
typedef int (*llmh_stage_cb)(void *ud, const char *stage, llmh_stage_event ev, const char *text,
                             size_t len);

typedef struct llmh_stage_result {
    char *name;
    llmh_stage_event status;  /* LLMH_STAGE_OK, _SKIPPED or _FAILED */
    char *reason;             /* why skipped or failed; NULL when OK */
    llmh_status error;        /* LLMH_OK unless failed */
    char *profile;            /* NULL when the stage names none */
    char *provider;           /* who answered (or was asked); NULL when skipped */
    char *model;
    char *prompt;             /* the prompt sent; NULL when skipped */
    char *content;            /* the answer; NULL unless OK */
    char *reasoning;
    int confidence;           /* 0..100, -1 when none */
    llmh_usage usage;         /* -1 where unknown */
    int attempts;
    long latency_ms;          /* -1 when skipped */
} llmh_stage_result;

typedef struct llmh_pipeline_result {
    char *pipeline;
    char *query;
    llmh_stage_result *stages; /* one per stage in the pipeline's order, up to the
                                  one that stopped it */
    size_t n_stages;
    char *answer;              /* the last stage that answered, passing over stages that
                                  say answer = no (classifiers); NULL when none did */
} llmh_pipeline_result;

/* Run pipeline name on query (copied). Stages run in order; a stage whose
 * `when` is false is skipped with the reason; a failed stage stops the
 * pipeline (LLMH_E_* of its error, err "stage NAME failed: ...") unless it
 * says on_error = continue. A pipeline that cannot be loaded is
 * LLMH_E_CONFIG with FILE:LINE, and *out stays NULL; otherwise *out is set
 * even on failure (the stages so far) and freed with
 * llmh_pipeline_result_free. cb may be NULL. */
llmh_status llmh_pipeline_run(llmh_ctx *ctx, const char *name, const char *query,
                              llmh_stage_cb cb, void *ud, llmh_pipeline_result **out,
                              llmh_error *err);
void llmh_pipeline_result_free(llmh_pipeline_result *r);

#ifdef __cplusplus
}
#endif
#endif
