/* chat_loop.c: N sequential chats through one context, for the connection
 * reuse test: usage: chat_loop URL N. Exits non-zero on the first failure. */
#include <llmhost/llmhost.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    llmh_error err;
    llmh_ctx *ctx;
    llmh_options o = {.struct_size = sizeof o, .no_config = 1};
    if (llmh_ctx_new(&o, &ctx, &err) != LLMH_OK)
        return 2;
    llmh_set(ctx, "llm.openai_endpoint.url", argv[1], NULL);
    int n = atoi(argv[2]);
    llmh_message msg = {"user", "ping"};
    for (int i = 0; i < n; i++) {
        llmh_chat_request req = {.struct_size = sizeof req, .provider = "openai_endpoint",
                                 .model = "mock-small", .messages = &msg, .n_messages = 1,
                                 .stream = i % 2};
        llmh_chat_result *res;
        if (llmh_chat(ctx, &req, &res, &err) != LLMH_OK) {
            fprintf(stderr, "chat %d: %s\n", i + 1, err.message);
            llmh_ctx_free(ctx);
            return 1;
        }
        llmh_chat_result_free(res);
    }
    llmh_ctx_free(ctx);
    printf("%d chats\n", n);
    return 0;
}
