/* openai_endpoint: any OpenAI-compatible server at a URL the user names.
 * Quirks: usage in streams is opt-in (some gateways reject stream_options),
 * and enable_thinking=false is passed to chat templates. */
#include <llmhost/plugin.h>

static llmh_status build_chat(const llmh_call *c, const llmh_chat_params *p, llmh_http_req *req,
                              llmh_error *err)
{
    const llmh_host *h = c->host;
    llmh_status st = h->openai->build_chat(c, p, req, err);
    if (st != LLMH_OK)
        return st;
    /* The body is only asked for when there is something to change in it. */
    if (p->stream && !h->setting_bool(c, "llm.openai_endpoint.stream_usage", 0))
        h->json_del(h->req_get_body(req), "stream_options");
    if (!h->setting_bool(c, "llm.openai_endpoint.enable_thinking", 1)) {
        llmh_json *kw = h->json_new_object();
        h->json_set(kw, "enable_thinking", h->json_new_bool(0));
        h->json_set(h->req_get_body(req), "chat_template_kwargs", kw);
    }
    return LLMH_OK;
}

static const llmh_codec codec = LLMH_OPENAI_CODEC_WITH_BUILD_CHAT(build_chat);

static const char *const settings[] = {"llm.openai_endpoint.stream_usage",
                                       "llm.openai_endpoint.enable_thinking", NULL};

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "openai_endpoint",
    .display_name = "OpenAI-Compatible Endpoint",
    .default_base_url = "https://api.openai.com/v1",
    .url_setting = "llm.openai_endpoint.url",
    .api_key_setting = "llm.openai_endpoint.api_key",
    .kind = LLMH_KIND_CUSTOM,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = &codec,
    .settings = settings,
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("openai_endpoint", "1.0.0", "any OpenAI-compatible endpoint", providers, NULL,
                   NULL);
