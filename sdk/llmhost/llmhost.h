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

#ifdef __cplusplus
}
#endif
#endif
