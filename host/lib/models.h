/* models.h: model listing with a TTL cache under $XDG_CACHE_HOME/llmhost,
 * and the model checks chat uses (internal). */
#ifndef LLMH_MODELS_H
#define LLMH_MODELS_H

#include "target.h"

/* Fetch (or read from the cache) t's model list. Never fails for a server
 * that is down: returns LLMH_OK with *error (malloc'd) saying why the list
 * is empty. refresh=1 skips the cache. *cached tells where it came from. */
llmh_status llmh_models_get(llmh_target *t, int refresh, llmh_models_out *out, char **error,
                            int *cached);

/* Up to `size` bytes of "a, b, c" with the ids the provider offers (cache
 * first), for error messages. Empty when unknown. */
void llmh_models_suggest(llmh_target *t, int cache_only, char *buf, size_t size);

/* For providers with LLMH_P_CHECK_MODEL: fail with
 * `model "x" is not available on <url>; available: a, b, c` when the list is
 * known and lacks the model (a stale cache is refreshed once first). */
llmh_status llmh_models_check(llmh_target *t, const char *model, llmh_error *err);

/* Ask the server for each model's details (concurrently, where the codec
 * can) and merge context length and details into out. */
void llmh_models_fill_details(llmh_target *t, llmh_models_out *out);

/* The request that lists models, built with the plugin's codec. */
llmh_status llmh_models_build_request(llmh_target *t, llmh_http_req *req, llmh_error *err);

#endif
