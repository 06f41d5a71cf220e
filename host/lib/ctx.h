/* ctx.h: what an llmh_ctx holds (internal). */
#ifndef LLMH_CTX_H
#define LLMH_CTX_H

#include <llmhost/llmhost.h>

#include "registry.h"
#include "settings.h"

#include <pthread.h>

struct llmh_ctx {
    llmh_settings *settings;
    llmh_registry *registry;
    int plugins_loaded;
    pthread_mutex_t lock; /* guards plugin loading: calls may come from many threads */
};

/* Open plugins on first need; later calls do nothing. */
void llmh_ctx_load_plugins(llmh_ctx *ctx);

#endif
