/* pipeline.c: run a pipeline from the config file through libllmhost,
 * printing each stage as it happens, then every stage's outcome.
 *   cc pipeline.c $(pkg-config --cflags --libs llmhost) -o pipeline
 *   ./pipeline research "Why is the sky blue?"
 * Settings come from the usual places (llmhost.ini, LLMHOST_* variables);
 * see the example pipeline in etc/llmhost.ini and
 * doc/profiles-and-pipelines.md. An optional third argument names the
 * config file. */
#include <llmhost/llmhost.h>
#include <stdio.h>
#include <string.h>

/* Called for each stage event, in order; non-zero would cancel. */
static int on_stage(void *ud, const char *stage, llmh_stage_event ev, const char *text, size_t len)
{
    (void)ud;
    switch (ev) {
    case LLMH_STAGE_START: fprintf(stderr, "\n== %s (%s)\n", stage, text); break;
    case LLMH_STAGE_DELTA: fwrite(text, 1, len, stderr); break;
    case LLMH_STAGE_OK: fputc('\n', stderr); break;
    case LLMH_STAGE_SKIPPED: fprintf(stderr, "\n== %s skipped: %s\n", stage, text); break;
    case LLMH_STAGE_FAILED: fprintf(stderr, "\n== %s failed: %s\n", stage, text); break;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s PIPELINE QUERY [CONFIG_FILE]\n", argv[0]);
        return 2;
    }
    llmh_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.config_file = argc > 3 ? argv[3] : NULL;
    llmh_error err;
    llmh_ctx *ctx;
    if (llmh_ctx_new(&o, &ctx, &err) != LLMH_OK) {
        fprintf(stderr, "pipeline: %s\n", err.message);
        return 2;
    }
    llmh_pipeline_result *r = NULL;
    llmh_status st = llmh_pipeline_run(ctx, argv[1], argv[2], on_stage, NULL, &r, &err);
    int rc = st == LLMH_OK ? 0 : st == LLMH_E_CONFIG || st == LLMH_E_INVALID ? 2 : 3;
    if (r) {
        /* The result holds every stage up to the last one that ran. */
        fprintf(stderr, "\n");
        for (size_t i = 0; i < r->n_stages; i++) {
            const llmh_stage_result *s = &r->stages[i];
            fprintf(stderr, "%-10s %-7s", s->name, llmh_stage_event_name(s->status));
            if (s->status == LLMH_STAGE_OK)
                fprintf(stderr, " %s/%s, %ld ms, %ld tokens", s->provider, s->model, s->latency_ms,
                        s->usage.completion_tokens);
            if (s->confidence >= 0)
                fprintf(stderr, ", confidence %d%%", s->confidence);
            if (s->reason)
                fprintf(stderr, " (%s)", s->reason);
            fputc('\n', stderr);
        }
        if (st == LLMH_OK)
            printf("%s\n", r->answer);
        llmh_pipeline_result_free(r);
    }
    if (st != LLMH_OK)
        fprintf(stderr, "pipeline: %s (%s)\n", err.message, llmh_strerror(err.code));
    llmh_ctx_free(ctx);
    return rc;
}
