/* ctx.h: what an llmh_ctx holds (internal). */
#ifndef LLMH_CTX_H
#define LLMH_CTX_H

#include <llmhost/llmhost.h>

#include "breaker.h"
#include "cache.h"
#include "registry.h"
#include "settings.h"

#include <pthread.h>

struct llmh_ctx {
    llmh_settings *settings;
    llmh_registry *registry;
    int plugins_loaded;
    pthread_mutex_t lock; /* guards plugin loading and the cache's opening */
    llmh_breakers *breakers; /* per provider and base URL; saved between CLI runs */
    char *breakers_path;
    llmh_cache *cache;       /* opened on first use when a provider's llm.cache is not off */
    int cache_failed;
    int transport_held;      /* a transport reference, taken on first network use */
};

/* Keep libcurl's shared state (pooled connections) alive for this context;
 * taken on first need, so listing plugins never initializes libcurl. */
void llmh_ctx_hold_transport(llmh_ctx *ctx);

/* The response cache, opened on first need; NULL when it cannot be. */
llmh_cache *llmh_ctx_cache(llmh_ctx *ctx);

/* Open plugins on first need; later calls do nothing. */
void llmh_ctx_load_plugins(llmh_ctx *ctx);
/* Make provider KEY available, opening as little as possible: the plugin
 * file named after it when there is one, else everything. */
void llmh_ctx_load_for(llmh_ctx *ctx, const char *key);

#endif
