/* anthropic: the Anthropic API (Claude), through the Messages codec in
 * messages.c. A key is required for chat and for the model list; the host
 * refuses the call before any request when it is missing. */
#include "messages.h"

static const char *const settings[] = {"llm.anthropic.thinking_budget", NULL};

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "anthropic",
    .display_name = "Anthropic",
    .default_base_url = "https://api.anthropic.com",
    .api_key_setting = "llm.anthropic.api_key",
    .api_key_env = "ANTHROPIC_API_KEY",
    .kind = LLMH_KIND_CLOUD,
    .flags = LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY,
    .caps = ANTHROPIC_CAPS,
    .codec = &anthropic_codec,
    .settings = settings,
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("anthropic", "1.0.0", "Anthropic Messages API", providers, NULL, NULL);
