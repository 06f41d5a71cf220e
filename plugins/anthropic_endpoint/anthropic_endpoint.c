/* anthropic_endpoint: any server that speaks the Anthropic Messages API
 * (gateways, proxies, other vendors' Anthropic-compatible endpoints), through
 * the codec in ../anthropic/messages.c. There is no default URL: the user
 * sets llm.anthropic_endpoint.url (the host says so when it is missing). The
 * key is optional and goes out as x-api-key when set. */
#include "../anthropic/messages.h"

static const char *const settings[] = {"llm.anthropic_endpoint.thinking_budget", NULL};

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "anthropic_endpoint",
    .display_name = "Anthropic-Compatible Endpoint",
    .default_base_url = NULL,
    .url_setting = "llm.anthropic_endpoint.url",
    .api_key_setting = "llm.anthropic_endpoint.api_key",
    .kind = LLMH_KIND_CUSTOM,
    .flags = 0,
    .caps = ANTHROPIC_CAPS,
    .codec = &anthropic_codec,
    .settings = settings,
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("anthropic_endpoint", "1.0.0", "Anthropic-compatible Messages API endpoint",
                   providers, NULL, NULL);
