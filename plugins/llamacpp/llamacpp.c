/* llamacpp: the llama.cpp server (llama-server), OpenAI-compatible; its URL
 * is used as given (no /v1 is added). Its "exceed_context_size_error" is
 * recognized by the host's codec, so this is a descriptor only. */
#include <llmhost/plugin.h>

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "llamacpp",
    .display_name = "llama.cpp",
    .default_base_url = "http://localhost:8080/v1",
    .url_setting = "llm.llamacpp.url",
    .api_key_setting = "llm.llamacpp.api_key",
    .kind = LLMH_KIND_LOCAL,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = NULL,
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("llamacpp", "1.0.0", "llama.cpp server (OpenAI protocol)", providers, NULL,
                   NULL);
