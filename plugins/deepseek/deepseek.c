/* deepseek: DeepSeek's OpenAI-compatible API. Quirks: none; its
 * reasoning_content is read by the host's OpenAI codec. */
#include <llmhost/plugin.h>

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "deepseek",
    .display_name = "DeepSeek",
    .default_base_url = "https://api.deepseek.com/v1",
    .api_key_setting = "llm.deepseek.api_key",
    .api_key_env = "DEEPSEEK_API_KEY",
    .kind = LLMH_KIND_CLOUD,
    .flags = LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = NULL, /* the host's OpenAI codec */
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("deepseek", "1.0.0", "DeepSeek (OpenAI protocol)", providers, NULL, NULL);
