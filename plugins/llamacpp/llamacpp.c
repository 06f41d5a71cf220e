/* llamacpp: the llama.cpp server (llama-server), OpenAI-compatible; its URL
 * is used as given (no /v1 is added). Quirk: a prompt larger than the slot's
 * context comes back as {"error": {"type": "exceed_context_size_error",
 * "message": "the request exceeds the available context size ..."}} with
 * HTTP 400 (500 in older builds, which also say "Context size has been
 * exceeded."); none of that matches the generic OpenAI classification, so
 * it would be retried as a server error instead of reported as a
 * context-length error. Everything else is the host's OpenAI codec. */
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

static int strings_equal(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* error.type of the body, compared with want. */
static int error_type_is(const llmh_host *h, const char *body, size_t len, const char *want)
{
    llmh_json *o = body && len ? h->json_parse(body, len) : NULL;
    const char *type = h->json_string(h->json_get(h->json_get(o, "error"), "type"), NULL);
    int same = type && strings_equal(type, want);
    h->json_free(o);
    return same;
}

static void classify_error(const llmh_call *c, int status, const char *body, size_t len,
                           llmh_error *err)
{
    llmh_openai_classify_error(c, status, body, len, err);
    if (err->code != LLMH_E_BAD_REQUEST && err->code != LLMH_E_SERVER)
        return;
    if (contains(err->message, "context size") ||
        error_type_is(c->host, body, len, "exceed_context_size_error"))
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
    .key = "llamacpp",
    .display_name = "llama.cpp",
    .default_base_url = "http://localhost:8080/v1",
    .url_setting = "llm.llamacpp.url",
    .api_key_setting = "llm.llamacpp.api_key",
    .kind = LLMH_KIND_LOCAL,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = &codec,
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("llamacpp", "1.0.0", "llama.cpp server (OpenAI protocol)", providers, NULL,
                   NULL);
