/* hello.c: a complete out-of-tree provider plugin, built with nothing but
 * `pkg-config --cflags llmhost-sdk`. It speaks the OpenAI protocol through
 * the host's codec and adds one header, the way a small in-house gateway
 * plugin would. */
#include <llmhost/plugin.h>

static llmh_status build_chat(const llmh_call *c, const llmh_chat_params *p, llmh_http_req *req,
                              llmh_error *err)
{
    llmh_status st = c->host->openai->build_chat(c, p, req, err);
    if (st == LLMH_OK)
        c->host->req_header(req, "X-Hello", "from an out-of-tree plugin", 0);
    return st;
}

static const llmh_codec codec = LLMH_OPENAI_CODEC_WITH_BUILD_CHAT(build_chat);

static const llmh_provider hello = {
    .struct_size = sizeof(llmh_provider),
    .key = "hello",
    .display_name = "Hello Gateway",
    .default_base_url = "http://localhost:8088/v1",
    .api_key_setting = "llm.hello.api_key",
    .api_key_env = "HELLO_API_KEY",
    .kind = LLMH_KIND_LOCAL,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = &codec,
};

static const llmh_provider *const providers[] = {&hello, NULL};

LLMH_PLUGIN_DEFINE("hello", "1.0.0", "example out-of-tree plugin", providers, NULL, NULL);
