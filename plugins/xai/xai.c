/* xai: xAI's Grok API, OpenAI-compatible with no quirks of its own (its
 * "maximum prompt length" errors are recognized by the host's codec). */
#include <llmhost/plugin.h>

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "xai",
    .display_name = "xAI Grok",
    .default_base_url = "https://api.x.ai/v1",
    .api_key_setting = "llm.xai.api_key",
    .api_key_env = "XAI_API_KEY",
    .kind = LLMH_KIND_CLOUD,
    .flags = LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = NULL,
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("xai", "1.0.0", "xAI Grok (OpenAI protocol)", providers, NULL, NULL);
