/* embed.c: a streamed chat through libllmhost in a few lines.
 *   cc embed.c $(pkg-config --cflags --libs llmhost) -o embed
 *   ./embed ollama qwen3:8b "Why is the sky blue?"
 * Settings come from the usual places (llmhost.ini, LLMHOST_* variables);
 * an optional fourth argument sets the provider's URL. */
#include <llmhost/llmhost.h>
#include <stdio.h>
#include <string.h>

static int print_piece(void *ud, const char *text, size_t len, const char *reasoning, size_t rlen)
{
    (void)ud, (void)reasoning, (void)rlen;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0; /* non-zero would cancel */
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s PROVIDER MODEL PROMPT [URL]\n", argv[0]);
        return 2;
    }
    llmh_error err;
    llmh_ctx *ctx;
    if (llmh_ctx_new(NULL, &ctx, &err) != LLMH_OK) {
        fprintf(stderr, "embed: %s\n", err.message);
        return 2;
    }
    if (argc > 4) {
        char key[128];
        snprintf(key, sizeof key, "llm.%s.url", argv[1]);
        llmh_set(ctx, key, argv[4], NULL);
    }
    llmh_message msg = {"user", argv[3]};
    llmh_chat_request req = {.struct_size = sizeof req, .provider = argv[1], .model = argv[2],
                             .messages = &msg, .n_messages = 1, .stream = 1,
                             .on_delta = print_piece};
    llmh_chat_result *res;
    int rc = 0;
    if (llmh_chat(ctx, &req, &res, &err) == LLMH_OK) {
        printf("\n[%s/%s, %ld ms, %ld tokens]\n", res->provider, res->model, res->latency_ms,
               res->usage.completion_tokens);
        llmh_chat_result_free(res);
    } else {
        fprintf(stderr, "embed: %s (%s)\n", err.message, llmh_strerror(err.code));
        rc = 3;
    }
    llmh_ctx_free(ctx);
    return rc;
}
