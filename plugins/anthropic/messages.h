/* messages.h: the Anthropic Messages API codec, shared by the anthropic and
 * anthropic_endpoint plugins (compiled into each; hidden by
 * -fvisibility=hidden, so only llmh_plugin is exported). */
#ifndef LLMH_PLUGIN_ANTHROPIC_MESSAGES_H
#define LLMH_PLUGIN_ANTHROPIC_MESSAGES_H

#include <llmhost/plugin.h>

#define ANTHROPIC_VERSION "2023-06-01"
/* max_tokens is required; sent when the host resolved no limit. */
#define ANTHROPIC_DEFAULT_MAX_TOKENS 4096
/* The smallest thinking budget the API accepts, and the room left for the
 * answer when max_tokens would not exceed the budget. */
#define ANTHROPIC_MIN_THINKING_BUDGET 1024
#define ANTHROPIC_ANSWER_ROOM 1024
/* Models per page of GET /v1/models (the API's maximum; its default is 20). */
#define ANTHROPIC_MODELS_LIMIT 1000

/* The whole codec: LLMH_CAP_STREAM | LLMH_CAP_MODELS. */
extern const llmh_codec anthropic_codec;
#define ANTHROPIC_CAPS (LLMH_CAP_STREAM | LLMH_CAP_MODELS)

llmh_status anthropic_build_chat(const llmh_call *c, const llmh_chat_params *p, llmh_http_req *req,
                                 llmh_error *err);
llmh_status anthropic_parse_chat(const llmh_call *c, const char *body, size_t len,
                                 llmh_chat_out *out, llmh_error *err);
llmh_status anthropic_parse_event(const llmh_call *c, const llmh_stream_event *ev,
                                  llmh_chat_out *out, int *done, llmh_error *err);
llmh_status anthropic_build_models(const llmh_call *c, llmh_http_req *req, llmh_error *err);
llmh_status anthropic_parse_models(const llmh_call *c, const char *body, size_t len,
                                   llmh_models_out *out, llmh_error *err);
void anthropic_classify_error(const llmh_call *c, int http_status, const char *body, size_t len,
                              llmh_error *err);

#endif
