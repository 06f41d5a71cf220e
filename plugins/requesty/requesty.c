/* requesty: the Requesty router, OpenAI-compatible. Quirks: none. There is
 * no conventional environment variable for its key. */
#include <llmhost/plugin.h>

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "requesty",
    .display_name = "Requesty",
    .default_base_url = "https://router.requesty.ai/v1",
    .api_key_setting = "llm.requesty.api_key",
    .kind = LLMH_KIND_CLOUD,
    .flags = LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = NULL, /* the host's OpenAI codec */
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("requesty", "1.0.0", "Requesty router (OpenAI protocol)", providers, NULL,
                   NULL);
