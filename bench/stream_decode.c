/* stream_decode.c: throughput of llmhost's stream decoding, from an
 * in-memory recording, on one core.
 *
 * Cases (each a whole recording fed in 16 KiB pieces, repeated, median):
 *   sse+openai   SSE framing (host/lib/sse.c) + the OpenAI codec's
 *                parse_event (host/lib/codec_openai.c), the way chat.c drives
 *                them: one llmh_chat_out reset before every event, and the
 *                llmh_call's host_private set up as target.c does (the codec
 *                keeps its reused json-c tokener there).
 *   sse          SSE framing alone (the callback only counts).
 *   ndjson       NDJSON framing alone (host/lib/ndjson.c) on Ollama-shaped
 *                lines; the Ollama codec is a plugin not written yet.
 *   json-c       reference, not a target: json-c alone on the same event
 *                payloads (one reused tokener, json_tokener_parse_ex +
 *                json_object_put per event, no framing, no codec logic), the
 *                floor for any codec that builds a json-c tree per event.
 *
 * Build: bench/build.sh (or see bench/README.md for the cc line).
 * Usage: stream_decode [--events N] [--runs R] [--piece BYTES] [--cpu C]
 *                      [--case NAME] [--json]
 * Exit status: 0 measured (whatever the numbers), 1 a decoding error or a
 * wrong count (the benchmark then measured nothing useful), 2 usage.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <llmhost/plugin.h>

#include "codec_openai.h"
#include "hostapi.h"
#include "ndjson.h"
#include "registry.h"
#include "sse.h"

#define MAX_RUNS 51
#define BENCH_NAME "stream_decode"
#include "bench_util.h"
#define TARGET_EVENTS_PER_S 1000000.0

/* ---- recordings */

static const char OPENAI_ROLE[] =
    "data: {\"id\":\"chatcmpl-x\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
    "\"finish_reason\":null}]}\n\n";
static const char OPENAI_WORD[] =
    "data: {\"id\":\"chatcmpl-x\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"},"
    "\"finish_reason\":null}]}\n\n";
static const char OPENAI_STOP[] =
    "data: {\"id\":\"chatcmpl-x\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
static const char OPENAI_DONE[] = "data: [DONE]\n\n";

static const char OLLAMA_WORD[] =
    "{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00.000000Z\",\"message\":"
    "{\"role\":\"assistant\",\"content\":\"word \"},\"done\":false}\n";
static const char OLLAMA_DONE[] =
    "{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00.000000Z\",\"message\":"
    "{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
    "\"total_duration\":1000000,\"load_duration\":1000,\"prompt_eval_count\":1,"
    "\"prompt_eval_duration\":1000,\"eval_count\":1,\"eval_duration\":1000}\n";

typedef struct recording {
    char *p;
    size_t len;
    size_t events;        /* events (SSE) or lines (NDJSON) in it */
    size_t content_bytes; /* expected decoded content, sse+openai only */
} recording;

static void put(char **w, const char *s, size_t n)
{
    memcpy(*w, s, n);
    *w += n;
}

/* role chunk, n word chunks, a finish chunk, [DONE]: n + 3 events */
static recording make_openai(size_t n)
{
    recording r = {0};
    size_t cap = sizeof OPENAI_ROLE + n * (sizeof OPENAI_WORD - 1) + sizeof OPENAI_STOP +
                 sizeof OPENAI_DONE;
    char *w = r.p = xmalloc(cap);
    put(&w, OPENAI_ROLE, sizeof OPENAI_ROLE - 1);
    for (size_t i = 0; i < n; i++)
        put(&w, OPENAI_WORD, sizeof OPENAI_WORD - 1);
    put(&w, OPENAI_STOP, sizeof OPENAI_STOP - 1);
    put(&w, OPENAI_DONE, sizeof OPENAI_DONE - 1);
    r.len = (size_t)(w - r.p);
    r.events = n + 3;
    r.content_bytes = n * 5; /* "word " */
    return r;
}

/* n word lines and a done line: n + 1 lines */
static recording make_ollama(size_t n)
{
    recording r = {0};
    size_t cap = n * (sizeof OLLAMA_WORD - 1) + sizeof OLLAMA_DONE;
    char *w = r.p = xmalloc(cap);
    for (size_t i = 0; i < n; i++)
        put(&w, OLLAMA_WORD, sizeof OLLAMA_WORD - 1);
    put(&w, OLLAMA_DONE, sizeof OLLAMA_DONE - 1);
    r.len = (size_t)(w - r.p);
    r.events = n + 1;
    return r;
}

/* ---- the consumers */

typedef struct sink {
    size_t events;
    size_t bytes;         /* framed data bytes seen */
    size_t content_bytes; /* decoded content, codec case */
    int done;
    int finish_seen;
    llmh_call call;
    llmh_call_private priv; /* as target.c sets it up: holds the reused tokener */
    llmh_chat_out out;
    llmh_error err;
} sink;

static int on_sse_count(void *ud, const char *event, const char *data, size_t len, const char *id)
{
    (void)event;
    (void)data;
    (void)id;
    sink *s = ud;
    s->events++;
    s->bytes += len;
    return 0;
}

static int on_sse_openai(void *ud, const char *event, const char *data, size_t len,
                         const char *id)
{
    (void)id;
    sink *s = ud;
    s->events++;
    s->bytes += len;
    if (s->done)
        return 0;
    llmh_stream_event ev = {event, data, len};
    llmh_chat_out_reset(&s->out);
    int done = 0;
    llmh_status st = llmh_codec_openai.parse_event(&s->call, &ev, &s->out, &done, &s->err);
    if (st != LLMH_OK) {
        fprintf(stderr, "stream_decode: parse_event failed at event %zu: %s\n", s->events,
                s->err.message);
        return 1;
    }
    s->content_bytes += s->out.content.len;
    if (s->out.finish != LLMH_FINISH_NONE)
        s->finish_seen = 1;
    if (done)
        s->done = 1;
    return 0;
}

static int on_line_count(void *ud, const char *line, size_t len)
{
    (void)line;
    sink *s = ud;
    s->events++;
    s->bytes += len;
    return 0;
}

typedef enum { CASE_SSE_OPENAI, CASE_SSE, CASE_NDJSON, CASE_JSONC, N_CASES } case_id;
static const char *const case_names[N_CASES] = {"sse+openai", "sse", "ndjson", "json-c"};

typedef struct result {
    double wall[MAX_RUNS], cpu[MAX_RUNS];
    int runs;
    size_t events, bytes;
} result;

/* The json-c reference: the payload of every event of the sse+openai
 * recording, parsed and freed the way the codec does, without framing. */
static int jsonc_pass(size_t n_words, double *wall, double *cpu)
{
    static const char *const payloads[3] = {OPENAI_ROLE, OPENAI_WORD, OPENAI_STOP};
    const char *data[3];
    int len[3];
    for (int i = 0; i < 3; i++) {
        data[i] = payloads[i] + 6;                /* after "data: " */
        len[i] = (int)(strlen(payloads[i]) - 8); /* without "data: " and "\n\n" */
    }
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return 1;
    size_t objects = 0;
    double t0 = now_s(), c0 = cpu_s();
    for (size_t i = 0; i < n_words + 2; i++) {
        int k = i == 0 ? 0 : i <= n_words ? 1 : 2;
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, data[k], len[k]);
        objects += o != NULL;
        json_object_put(o);
    }
    *cpu = cpu_s() - c0;
    *wall = now_s() - t0;
    json_tokener_free(tok);
    if (objects != n_words + 2) {
        fprintf(stderr, "stream_decode: json-c: %zu of %zu payloads parsed\n", objects,
                n_words + 2);
        return 1;
    }
    return 0;
}

/* One pass over the recording. Returns 0, or 1 on a decoding error or a
 * count that does not match the recording. */
static int one_pass(case_id c, const recording *r, size_t piece, double *wall, double *cpu)
{
    if (c == CASE_JSONC)
        return jsonc_pass(r->events - 2, wall, cpu);
    sink s;
    memset(&s, 0, sizeof s);
    s.call.struct_size = sizeof s.call;
    s.call.host = llmh_host_table();
    s.call.base_url = "http://127.0.0.1:1/v1";
    s.call.host_private = &s.priv;
    llmh_chat_out_init(&s.out);

    llmh_sse *sp = NULL;
    llmh_ndjson *np = NULL;
    if (c == CASE_NDJSON)
        np = llmh_ndjson_new(on_line_count, &s);
    else
        sp = llmh_sse_new(c == CASE_SSE ? on_sse_count : on_sse_openai, &s);
    if (!sp && !np) {
        fprintf(stderr, "stream_decode: parser allocation failed\n");
        return 1;
    }

    double t0 = now_s(), c0 = cpu_s();
    int rc = 0;
    for (size_t off = 0; off < r->len && rc == 0; off += piece) {
        size_t n = r->len - off < piece ? r->len - off : piece;
        rc = np ? llmh_ndjson_feed(np, r->p + off, n) : llmh_sse_feed(sp, r->p + off, n);
    }
    if (rc == 0) {
        if (np)
            rc = llmh_ndjson_finish(np);
        else
            llmh_sse_finish(sp);
    }
    *cpu = cpu_s() - c0;
    *wall = now_s() - t0;

    llmh_sse_free(sp);
    llmh_ndjson_free(np);
    llmh_chat_out_clear(&s.out);
    if (s.priv.tok) /* as llmh_target_clear does */
        json_tokener_free(s.priv.tok);

    if (rc != 0) {
        fprintf(stderr, "stream_decode: %s: feed returned %d\n", case_names[c], rc);
        return 1;
    }
    if (s.events != r->events) {
        fprintf(stderr, "stream_decode: %s: %zu events decoded, %zu in the recording\n",
                case_names[c], s.events, r->events);
        return 1;
    }
    if (c == CASE_SSE_OPENAI &&
        (!s.done || !s.finish_seen || s.content_bytes != r->content_bytes)) {
        fprintf(stderr, "stream_decode: sse+openai: done=%d finish=%d content %zu bytes, want %zu\n",
                s.done, s.finish_seen, s.content_bytes, r->content_bytes);
        return 1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: stream_decode [--events N] [--runs R] [--piece BYTES] [--cpu C]\n"
            "                     [--case sse+openai|sse|ndjson|json-c] [--json]\n"
            "  --events N   content events per recording (default 200000)\n"
            "  --runs R     timed passes per case, after one warm-up (default 7, max %d)\n"
            "  --piece B    feed size in bytes (default 16384)\n"
            "  --cpu C      pin to CPU C (default: not pinned)\n"
            "  --case NAME  run only this case (repeatable; default all)\n"
            "  --json       one JSON document on stdout instead of the table\n",
            MAX_RUNS);
}

int main(int argc, char **argv)
{
    size_t n_events = 200000, piece = 16384;
    int runs = 7, json = 0, cpu = -1;
    int want[N_CASES] = {0}, any = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--events"))
            n_events = (size_t)arg_long(a, v, 1, 20000000), i++;
        else if (!strcmp(a, "--runs"))
            runs = (int)arg_long(a, v, 1, MAX_RUNS), i++;
        else if (!strcmp(a, "--piece"))
            piece = (size_t)arg_long(a, v, 1, 1L << 30), i++;
        else if (!strcmp(a, "--cpu"))
            cpu = (int)arg_long(a, v, 0, 1023), i++;
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--case") && v) {
            int k;
            for (k = 0; k < N_CASES && strcmp(v, case_names[k]); k++)
                ;
            if (k == N_CASES) {
                fprintf(stderr, "stream_decode: unknown case '%s'\n", v);
                return 2;
            }
            want[k] = any = 1;
            i++;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!any)
        for (int k = 0; k < N_CASES; k++)
            want[k] = 1;

    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            fprintf(stderr, "stream_decode: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
    }

    recording rec[N_CASES];
    rec[CASE_SSE_OPENAI] = make_openai(n_events);
    rec[CASE_SSE] = rec[CASE_SSE_OPENAI];
    rec[CASE_NDJSON] = make_ollama(n_events);
    /* json-c: the payloads of the sse+openai events less [DONE] */
    rec[CASE_JSONC].p = NULL;
    rec[CASE_JSONC].events = n_events + 3 - 1;
    rec[CASE_JSONC].len = (sizeof OPENAI_ROLE - 9) + n_events * (sizeof OPENAI_WORD - 9) +
                          (sizeof OPENAI_STOP - 9);
    rec[CASE_JSONC].content_bytes = 0;

    result res[N_CASES];
    memset(res, 0, sizeof res);
    for (int k = 0; k < N_CASES; k++) {
        if (!want[k])
            continue;
        double w, c;
        if (one_pass((case_id)k, &rec[k], piece, &w, &c)) /* warm-up, and the check */
            return 1;
        for (int i = 0; i < runs; i++)
            if (one_pass((case_id)k, &rec[k], piece, &res[k].wall[i], &res[k].cpu[i]))
                return 1;
        res[k].runs = runs;
        res[k].events = rec[k].events;
        res[k].bytes = rec[k].len;
    }

    /* Rates use the median CPU time of the process (one thread, so one
     * core's work): on a shared machine it leaves out the time other
     * processes held the core. Wall-clock rates are printed beside them. */
    double mc[N_CASES] = {0}, mw[N_CASES] = {0}, lo[N_CASES] = {0}, hi[N_CASES] = {0};
    for (int k = 0; k < N_CASES; k++) {
        if (!want[k])
            continue;
        mc[k] = median(res[k].cpu, runs);
        mw[k] = median(res[k].wall, runs);
        lo[k] = hi[k] = res[k].cpu[0];
        for (int i = 1; i < runs; i++) {
            if (res[k].cpu[i] < lo[k])
                lo[k] = res[k].cpu[i];
            if (res[k].cpu[i] > hi[k])
                hi[k] = res[k].cpu[i];
        }
    }
    double target_eps =
        want[CASE_SSE_OPENAI] ? (double)res[CASE_SSE_OPENAI].events / mc[CASE_SSE_OPENAI] : 0;

    if (json) {
        printf("{\"events\":%zu,\"piece\":%zu,\"runs\":%d,\"cpu\":%d,\"target_events_per_s\":%.0f,"
               "\"cases\":[",
               n_events, piece, runs, cpu, TARGET_EVENTS_PER_S);
        int first = 1;
        for (int k = 0; k < N_CASES; k++) {
            if (!want[k])
                continue;
            printf("%s{\"case\":\"%s\",\"events\":%zu,\"bytes\":%zu,\"median_cpu_s\":%.6f,"
                   "\"median_wall_s\":%.6f,\"events_per_s\":%.0f,\"mb_per_s\":%.1f,"
                   "\"ns_per_event\":%.1f,\"events_per_s_wall\":%.0f,"
                   "\"events_per_s_min\":%.0f,\"events_per_s_max\":%.0f}",
                   first ? "" : ",", case_names[k], res[k].events, res[k].bytes, mc[k], mw[k],
                   (double)res[k].events / mc[k], (double)res[k].bytes / mc[k] / 1e6,
                   mc[k] * 1e9 / (double)res[k].events, (double)res[k].events / mw[k],
                   (double)res[k].events / hi[k], (double)res[k].events / lo[k]);
            first = 0;
        }
        printf("]");
        if (want[CASE_SSE_OPENAI])
            printf(",\"target_met\":%s", target_eps >= TARGET_EVENTS_PER_S ? "true" : "false");
        printf("}\n");
        return 0;
    }

    printf("stream decoding: %zu-byte pieces, median of %d runs after 1 warm-up%s;\n"
           "rates from CPU time (one thread), wall-clock events/s for reference\n",
           piece, runs, cpu >= 0 ? ", pinned" : "");
    printf("%-11s %8s %6s %11s %8s %9s %11s %23s\n", "case", "events", "MB", "events/s", "MB/s",
           "ns/event", "wall ev/s", "range ev/s (min..max)");
    for (int k = 0; k < N_CASES; k++) {
        if (!want[k])
            continue;
        printf("%-11s %8zu %6.1f %11.0f %8.1f %9.1f %11.0f %11.0f..%-11.0f\n", case_names[k],
               res[k].events, (double)res[k].bytes / 1e6, (double)res[k].events / mc[k],
               (double)res[k].bytes / mc[k] / 1e6, mc[k] * 1e9 / (double)res[k].events,
               (double)res[k].events / mw[k], (double)res[k].events / hi[k],
               (double)res[k].events / lo[k]);
    }
    if (want[CASE_SSE_OPENAI])
        printf("RESULT stream_decode.sse_openai events_per_s=%.0f (%.1f MB/s; target >= %.0f "
               "on one core, %.2fx of it) %s\n",
               target_eps, (double)res[CASE_SSE_OPENAI].bytes / mc[CASE_SSE_OPENAI] / 1e6,
               TARGET_EVENTS_PER_S, target_eps / TARGET_EVENTS_PER_S,
               target_eps >= TARGET_EVENTS_PER_S ? "PASS" : "MISS");
    return 0;
}
