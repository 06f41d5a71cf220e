/* openai: the OpenAI API itself. Quirks:
 *  - OpenAI-Organization: sent on every request (chat and model list, as the
 *    official clients do) when llm.openai.organization is set and not blank;
 *  - the output limit goes out as max_completion_tokens: OpenAI deprecated
 *    max_tokens for chat completions and its reasoning models (o1, o3, o4,
 *    gpt-5) refuse it with a 400, while every current chat model accepts
 *    max_completion_tokens.
 * Everything else is the host's OpenAI codec. */
#include <llmhost/plugin.h>

#define ORG_SETTING "llm.openai.organization"

static int blank(const char *s)
{
    if (!s)
        return 1;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

static void add_organization(const llmh_call *c, llmh_http_req *req)
{
    const char *org = c->host->setting(c, ORG_SETTING);
    if (!blank(org))
        c->host->req_header(req, "OpenAI-Organization", org, 0);
}

static llmh_status build_chat(const llmh_call *c, const llmh_chat_params *p, llmh_http_req *req,
                              llmh_error *err)
{
    const llmh_host *h = c->host;
    llmh_status st = llmh_openai_build_chat(c, p, req, err);
    if (st != LLMH_OK)
        return st;
    add_organization(c, req);
    llmh_json *body = h->req_get_body(req);
    llmh_json *limit = h->json_get(body, "max_tokens");
    if (limit) {
        h->json_set(body, "max_completion_tokens", h->json_copy(limit));
        h->json_del(body, "max_tokens");
    }
    return LLMH_OK;
}

static llmh_status build_models(const llmh_call *c, llmh_http_req *req, llmh_error *err)
{
    llmh_status st = llmh_openai_build_models(c, req, err);
    if (st == LLMH_OK)
        add_organization(c, req);
    return st;
}

static const llmh_codec codec = {
    .struct_size = sizeof(llmh_codec),
    .build_chat = build_chat,
    .parse_chat = llmh_openai_parse_chat,
    .parse_event = llmh_openai_parse_event,
    .build_models = build_models,
    .parse_models = llmh_openai_parse_models,
    .classify_error = llmh_openai_classify_error,
    .build_probe = NULL,
};

static const char *const settings[] = {ORG_SETTING, NULL};

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "openai",
    .display_name = "OpenAI",
    .default_base_url = "https://api.openai.com/v1",
    .url_setting = "llm.openai.api_base",
    .api_key_setting = "llm.openai.api_key",
    .api_key_env = "OPENAI_API_KEY",
    .kind = LLMH_KIND_CLOUD,
    .flags = LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = &codec,
    .settings = settings,
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("openai", "1.0.0", "OpenAI API", providers, NULL, NULL);
