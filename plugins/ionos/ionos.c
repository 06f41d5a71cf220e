/* ionos: IONOS AI Model Hub, OpenAI-compatible. Quirks: none. There is no
 * conventional environment variable for its key. */
#include <llmhost/plugin.h>

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "ionos",
    .display_name = "IONOS AI Model Hub",
    .default_base_url = "https://openai.inference.de-txl.ionos.com/v1",
    .api_key_setting = "llm.ionos.api_key",
    .kind = LLMH_KIND_CLOUD,
    .flags = LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = NULL, /* the host's OpenAI codec */
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("ionos", "1.0.0", "IONOS AI Model Hub (OpenAI protocol)", providers, NULL,
                   NULL);
