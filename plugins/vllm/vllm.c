/* vllm: a vLLM OpenAI-compatible server. Quirks: none; the host's OpenAI
 * codec already reads vLLM's reasoning_content/reasoning and max_model_len. */
#include <llmhost/plugin.h>

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "vllm",
    .display_name = "vLLM",
    .default_base_url = "http://localhost:8000/v1",
    .url_setting = "llm.vllm.url",
    .api_key_setting = "llm.vllm.api_key",
    .kind = LLMH_KIND_LOCAL,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = NULL, /* the host's OpenAI codec */
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("vllm", "1.0.0", "vLLM server (OpenAI protocol)", providers, NULL, NULL);
