/* ctx.h: what an llmh_ctx holds (internal). */
#ifndef LLMH_CTX_H
#define LLMH_CTX_H

#include <llmhost/llmhost.h>

#include "registry.h"
#include "settings.h"

struct llmh_ctx {
    llmh_settings *settings;
    llmh_registry *registry;
    int plugins_loaded;
};

/* Open plugins on first need; later calls do nothing. */
void llmh_ctx_load_plugins(llmh_ctx *ctx);

#endif
