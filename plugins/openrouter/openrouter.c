/* openrouter: OpenRouter's OpenAI-compatible API. Quirks: none in the codec
 * (its "reasoning" deltas, "name" labels and context_length are read by the
 * host's OpenAI codec); chat needs the key, listing models does not. */
#include <llmhost/plugin.h>

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "openrouter",
    .display_name = "OpenRouter",
    .default_base_url = "https://openrouter.ai/api/v1",
    .api_key_setting = "llm.openrouter.api_key",
    .api_key_env = "OPENROUTER_API_KEY",
    .kind = LLMH_KIND_CLOUD,
    .flags = LLMH_P_KEY_REQUIRED, /* no LLMH_P_MODELS_NEED_KEY: /models is public */
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = NULL, /* the host's OpenAI codec */
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("openrouter", "1.0.0", "OpenRouter (OpenAI protocol)", providers, NULL, NULL);
