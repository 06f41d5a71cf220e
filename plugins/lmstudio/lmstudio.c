/* lmstudio: LM Studio's local server, which speaks the OpenAI protocol under
 * /v1. Quirks: none in the codec; its URL always ends in /v1, which the host
 * adds when the user leaves it out (url_suffix). */
#include <llmhost/plugin.h>

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "lmstudio",
    .display_name = "LM Studio",
    .default_base_url = "http://localhost:1234/v1",
    .url_setting = "llm.lmstudio.url",
    .api_key_setting = "llm.lmstudio.api_key",
    .url_suffix = "/v1",
    .kind = LLMH_KIND_LOCAL,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = NULL, /* the host's OpenAI codec */
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("lmstudio", "1.0.0", "LM Studio local server (OpenAI protocol)", providers,
                   NULL, NULL);
