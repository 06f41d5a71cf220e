/* discover.h: availability of providers and discovery of local servers
 * (internal). All probes of one call run at once. */
#ifndef LLMH_DISCOVER_H
#define LLMH_DISCOVER_H

#include "target.h"

typedef struct llmh_probe {
    llmh_target t;
    int resolved;        /* the target resolved (URL valid) */
    int available;
    char *reason;        /* malloc'd; NULL when available */
    llmh_models_out models; /* when the probe was the model list */
    int has_models;
    char *version;       /* reserved for servers that report one */
} llmh_probe;

/* Decide availability for each provider key in keys[n] (probing local ones
 * concurrently, each bounded by its probe timeout or timeout_ms if > 0).
 * want_models: parse model lists from probe answers. */
void llmh_probe_run(llmh_ctx *ctx, const char *const *keys, size_t n, long timeout_ms,
                    int want_models, llmh_probe *out);
void llmh_probe_clear(llmh_probe *p);
/* For available providers whose codec can tell: ask each server's version
 * (all at once) into ->version. */
void llmh_probe_versions(llmh_probe *probes, size_t n);

#endif
