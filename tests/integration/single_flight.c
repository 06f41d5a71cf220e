/* single_flight.c: N threads call llmh_chat at the same moment with the same
 * request on ONE context with llm.cache=on; the response cache's single
 * flight should make one upstream call and hand its answer to the others.
 * usage: single_flight URL N [stream]
 * Prints one line per thread ("thread I: ok cached=C attempts=A CONTENT" or
 * "thread I: error MESSAGE"), then "N ok, K cached". Exits 0 when every
 * call succeeded with the same content, 1 otherwise, 2 on bad usage. The
 * upstream request count is for the caller to read from the mock. */
#include <llmhost/llmhost.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64

typedef struct worker {
    llmh_ctx *ctx;
    pthread_barrier_t *start;
    int stream;
    llmh_status st;
    char message[512];
    char *content;
    int cached;
    int attempts;
} worker;

static void *run(void *arg)
{
    worker *w = arg;
    llmh_message msg = {"user", "single flight please"};
    llmh_chat_request req;
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.provider = "openai_endpoint";
    req.model = "mock-small";
    req.messages = &msg;
    req.n_messages = 1;
    req.stream = w->stream;
    llmh_chat_result *res = NULL;
    llmh_error err;
    memset(&err, 0, sizeof err);
    pthread_barrier_wait(w->start); /* every thread calls at once */
    w->st = llmh_chat(w->ctx, &req, &res, &err);
    if (w->st != LLMH_OK) {
        snprintf(w->message, sizeof w->message, "%s", err.message);
        return NULL;
    }
    w->content = strdup(res->content ? res->content : "");
    w->cached = res->cached;
    w->attempts = res->attempts;
    llmh_chat_result_free(res);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4)
        return 2;
    int n = atoi(argv[2]);
    if (n < 1 || n > MAX_THREADS)
        return 2;
    int stream = argc == 4 && strcmp(argv[3], "stream") == 0;
    llmh_error err;
    llmh_ctx *ctx;
    llmh_options o = {.struct_size = sizeof o, .no_config = 1};
    if (llmh_ctx_new(&o, &ctx, &err) != LLMH_OK) {
        fprintf(stderr, "llmh_ctx_new: %s\n", err.message);
        return 2;
    }
    llmh_set(ctx, "llm.openai_endpoint.url", argv[1], NULL);
    llmh_set(ctx, "llm.cache", "on", NULL);
    llmh_set(ctx, "llm.request_timeout", "10", NULL);
    llmh_set(ctx, "llm.max_retries", "0", NULL);

    worker w[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n);
    memset(w, 0, sizeof w);
    for (int i = 0; i < n; i++) {
        w[i].ctx = ctx;
        w[i].start = &start;
        w[i].stream = stream;
        if (pthread_create(&th[i], NULL, run, &w[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 2; /* the barrier would never open: give up at once */
        }
    }
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);

    int ok = 0, cached = 0, same = 1;
    const char *first = NULL;
    for (int i = 0; i < n; i++) {
        if (w[i].st != LLMH_OK) {
            printf("thread %d: error %s\n", i, w[i].message);
            continue;
        }
        printf("thread %d: ok cached=%d attempts=%d %s\n", i, w[i].cached, w[i].attempts,
               w[i].content);
        ok++;
        cached += w[i].cached;
        if (!first)
            first = w[i].content;
        else if (strcmp(first, w[i].content) != 0)
            same = 0;
    }
    printf("%d ok, %d cached\n", ok, cached);
    for (int i = 0; i < n; i++)
        free(w[i].content);
    llmh_ctx_free(ctx);
    return ok == n && same ? 0 : 1;
}
