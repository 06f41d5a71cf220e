/* xai: xAI's Grok API, OpenAI-compatible. Quirk: a prompt that does not fit
 * is reported as "This model's maximum prompt length is N but the request
 * contains M tokens." (HTTP 400, often with "error" as a plain string), which
 * the generic OpenAI classification does not recognize as a context-length
 * error. Everything else is the host's OpenAI codec. */
#include <llmhost/plugin.h>

static int lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch; }

/* Does s contain needle (lower case), ignoring case? */
static int contains(const char *s, const char *needle)
{
    for (; *s; s++) {
        size_t i = 0;
        while (needle[i] && lower((unsigned char)s[i]) == needle[i])
            i++;
        if (!needle[i])
            return 1;
    }
    return 0;
}

static void classify_error(const llmh_call *c, int status, const char *body, size_t len,
                           llmh_error *err)
{
    llmh_openai_classify_error(c, status, body, len, err);
    if ((err->code == LLMH_E_BAD_REQUEST || err->code == LLMH_E_SERVER) &&
        contains(err->message, "maximum prompt length"))
        err->code = LLMH_E_CONTEXT_LENGTH;
}

static const llmh_codec codec = {
    .struct_size = sizeof(llmh_codec),
    .build_chat = llmh_openai_build_chat,
    .parse_chat = llmh_openai_parse_chat,
    .parse_event = llmh_openai_parse_event,
    .build_models = llmh_openai_build_models,
    .parse_models = llmh_openai_parse_models,
    .classify_error = classify_error,
    .build_probe = NULL,
};

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
    .codec = &codec,
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("xai", "1.0.0", "xAI Grok (OpenAI protocol)", providers, NULL, NULL);
