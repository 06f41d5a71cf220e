/* stream_native.c: throughput of the native-protocol stream decoders, from
 * in-memory recordings, on one core. The companion of stream_decode.c (which
 * measures the OpenAI codec built into the host); here the codecs are the
 * ollama and anthropic plugins as built, loaded from the build tree through
 * the real registry and gate, the way tests/unit/test_native_plugins.c does.
 *
 * Cases (each a whole recording fed in 16 KiB pieces, repeated, median):
 *   ndjson+ollama   NDJSON framing (host/lib/ndjson.c) + the ollama plugin's
 *                   parse_event, driven the way chat.c drives it: one
 *                   llmh_chat_out reset before every line. The recording is a
 *                   reasoning model's answer: 25% "message.thinking" lines,
 *                   then "message.content" lines, then the done:true line.
 *   sse+anthropic   SSE framing (host/lib/sse.c) + the anthropic plugin's
 *                   parse_event, same driving. The recording is a Messages
 *                   stream with extended thinking, in the real order:
 *                   message_start, content_block_start (thinking), ping,
 *                   thinking_delta x 25%, signature_delta, content_block_stop,
 *                   content_block_start (text), text_delta x 75%,
 *                   content_block_stop, message_delta, message_stop.
 *   ndjson          reference: NDJSON framing alone on the ollama recording.
 *   sse             reference: SSE framing alone on the anthropic recording.
 *   json-c/ollama, json-c/anthropic
 *                   reference, not a target: json-c alone on the same
 *                   payloads (one reused tokener, json_tokener_parse_ex +
 *                   json_object_put per event, no framing, no codec logic),
 *                   the floor for a codec that builds a json-c tree per event,
 *                   as both plugins do through host->json_parse.
 *
 * Every pass checks what it decoded (event count, content and reasoning
 * bytes, finish reason, usage, the end marker), so a fast wrong decoder
 * cannot pass. The hook lock the host takes around hooks of plugins without
 * LLMH_P_THREAD_SAFE (target.c) is left out, as stream_decode leaves it out:
 * an uncontended mutex pair, a few tens of ns per event.
 *
 * Build: bench/build.sh (plugins: $BUILD/plugins/.libs, or --plugin-dir).
 * Usage: stream_native [--events N] [--runs R] [--piece BYTES] [--cpu C]
 *                      [--case NAME] [--plugin-dir DIR] [--json]
 * Exit status: 0 measured (whatever the numbers), 1 a decoding error, a
 * wrong count or a plugin that did not load, 2 usage.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <llmhost/plugin.h>

#include "hostapi.h"
#include "ndjson.h"
#include "registry.h"
#include "settings.h"
#include "sse.h"

#ifndef PLUGIN_DIR
#define PLUGIN_DIR "build/plugins/.libs"
#endif

#define MAX_RUNS 51
#define BENCH_NAME "stream_native"
#include "bench_util.h"
#define TARGET_EVENTS_PER_S 1000000.0

/* ---- recordings */

#define OLLAMA_HEAD "{\"model\":\"qwen3:8b\",\"created_at\":\"2025-01-01T00:00:00.000000Z\",\"message\":"
static const char OLLAMA_THINK[] =
    OLLAMA_HEAD "{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"word \"},\"done\":false}\n";
static const char OLLAMA_WORD[] =
    OLLAMA_HEAD "{\"role\":\"assistant\",\"content\":\"word \"},\"done\":false}\n";
static const char OLLAMA_DONE[] =
    OLLAMA_HEAD "{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
    "\"total_duration\":1000000,\"load_duration\":1000,\"prompt_eval_count\":7,"
    "\"prompt_eval_duration\":1000,\"eval_count\":42,\"eval_duration\":1000}\n";

static const char ANT_START[] =
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\","
    "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\","
    "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n";
static const char ANT_THINK_START[] =
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
    "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n";
static const char ANT_PING[] = "event: ping\ndata: {\"type\": \"ping\"}\n\n";
static const char ANT_THINK[] =
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
    "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"word \"}}\n\n";
static const char ANT_SIG[] =
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
    "\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds\"}}\n\n";
static const char ANT_STOP0[] =
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
static const char ANT_TEXT_START[] =
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,"
    "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
static const char ANT_WORD[] =
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,"
    "\"delta\":{\"type\":\"text_delta\",\"text\":\"word \"}}\n\n";
static const char ANT_STOP1[] =
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n";
static const char ANT_DELTA[] =
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
    "\"stop_sequence\":null},\"usage\":{\"output_tokens\":42}}\n\n";
static const char ANT_MSTOP[] = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

typedef struct recording {
    char *p;
    size_t len;
    size_t events;          /* events (SSE) or lines (NDJSON) in it */
    size_t content_bytes;   /* expected decoded answer */
    size_t reasoning_bytes; /* expected decoded reasoning */
    /* the JSON payloads, in order, for the json-c reference */
    const char **payload;
    size_t *payload_len;
    size_t n_payloads;
} recording;

typedef struct builder {
    char *w;
    recording *r;
} builder;

/* Append one framed event; remember where its JSON payload is. */
static void put_event(builder *b, const char *s, int sse)
{
    size_t n = strlen(s);
    memcpy(b->w, s, n);
    const char *json = b->w;
    size_t jlen = n - 1; /* NDJSON: without the LF */
    if (sse) {
        const char *d = strstr(b->w, "\ndata: ");
        json = d + 7;
        jlen = (size_t)(b->w + n - 2 - json); /* without the blank line */
    }
    b->r->payload[b->r->n_payloads] = json;
    b->r->payload_len[b->r->n_payloads] = jlen;
    b->r->n_payloads++;
    b->w += n;
    b->r->events++;
}

static void rec_alloc(recording *r, size_t cap, size_t events)
{
    memset(r, 0, sizeof *r);
    r->p = xmalloc(cap);
    r->payload = xmalloc(events * sizeof *r->payload);
    r->payload_len = xmalloc(events * sizeof *r->payload_len);
}

/* n content-or-thinking lines (a quarter thinking) and a done line: n + 1 */
static recording make_ollama(size_t n)
{
    recording r;
    size_t think = n / 4, words = n - think;
    rec_alloc(&r, think * strlen(OLLAMA_THINK) + words * strlen(OLLAMA_WORD) + strlen(OLLAMA_DONE),
              n + 1);
    builder b = {r.p, &r};
    for (size_t i = 0; i < think; i++)
        put_event(&b, OLLAMA_THINK, 0);
    for (size_t i = 0; i < words; i++)
        put_event(&b, OLLAMA_WORD, 0);
    put_event(&b, OLLAMA_DONE, 0);
    r.len = (size_t)(b.w - r.p);
    r.content_bytes = words * 5;
    r.reasoning_bytes = think * 5;
    return r;
}

/* n thinking/text deltas (a quarter thinking) and 9 framing events: n + 9 */
static recording make_anthropic(size_t n)
{
    recording r;
    size_t think = n / 4, words = n - think;
    size_t cap = strlen(ANT_START) + strlen(ANT_THINK_START) + strlen(ANT_PING) +
                 think * strlen(ANT_THINK) + strlen(ANT_SIG) + strlen(ANT_STOP0) +
                 strlen(ANT_TEXT_START) + words * strlen(ANT_WORD) + strlen(ANT_STOP1) +
                 strlen(ANT_DELTA) + strlen(ANT_MSTOP);
    rec_alloc(&r, cap, n + 9);
    builder b = {r.p, &r};
    put_event(&b, ANT_START, 1);
    put_event(&b, ANT_THINK_START, 1);
    put_event(&b, ANT_PING, 1);
    for (size_t i = 0; i < think; i++)
        put_event(&b, ANT_THINK, 1);
    put_event(&b, ANT_SIG, 1);
    put_event(&b, ANT_STOP0, 1);
    put_event(&b, ANT_TEXT_START, 1);
    for (size_t i = 0; i < words; i++)
        put_event(&b, ANT_WORD, 1);
    put_event(&b, ANT_STOP1, 1);
    put_event(&b, ANT_DELTA, 1);
    put_event(&b, ANT_MSTOP, 1);
    r.len = (size_t)(b.w - r.p);
    r.content_bytes = words * 5;
    r.reasoning_bytes = think * 5;
    return r;
}

/* ---- the plugins, through the registry */

static llmh_settings *g_settings;
static llmh_registry *g_reg;

static const llmh_provider_rec *load_provider(const char *key)
{
    const llmh_provider_rec *rec = llmh_registry_find(g_reg, key);
    if (!rec || !rec->p || !rec->p->codec || !rec->p->codec->parse_event) {
        llmh_plugin_rec *pl = llmh_registry_find_plugin(g_reg, key);
        fprintf(stderr, "stream_native: provider %s not loaded%s%s\n", key,
                pl && pl->reason ? ": " : "", pl && pl->reason ? pl->reason : "");
        return NULL;
    }
    return rec;
}

/* ---- the consumers */

typedef struct sink {
    size_t events;
    size_t bytes;
    size_t content_bytes, reasoning_bytes;
    int done, finish_seen;
    long prompt_tokens, completion_tokens;
    const llmh_codec *codec;
    llmh_call call;
    llmh_call_private priv;
    llmh_chat_out out;
    llmh_error err;
} sink;

static int decode(sink *s, const char *event, const char *data, size_t len)
{
    s->events++;
    s->bytes += len;
    if (s->done)
        return 0; /* anything after the end marker is ignored, as chat.c does */
    llmh_stream_event ev = {event, data, len};
    llmh_chat_out_reset(&s->out);
    int done = 0;
    llmh_status st = s->codec->parse_event(&s->call, &ev, &s->out, &done, &s->err);
    if (st != LLMH_OK) {
        fprintf(stderr, "stream_native: parse_event failed at event %zu: %s\n", s->events,
                s->err.message);
        return 1;
    }
    s->content_bytes += s->out.content.len;
    s->reasoning_bytes += s->out.reasoning.len;
    if (s->out.finish != LLMH_FINISH_NONE)
        s->finish_seen = 1;
    if (s->out.usage.prompt_tokens >= 0)
        s->prompt_tokens = s->out.usage.prompt_tokens;
    if (s->out.usage.completion_tokens >= 0)
        s->completion_tokens = s->out.usage.completion_tokens;
    if (done)
        s->done = 1;
    return 0;
}

static int on_sse_codec(void *ud, const char *event, const char *data, size_t len, const char *id)
{
    (void)id;
    return decode(ud, event, data, len);
}

static int on_line_codec(void *ud, const char *line, size_t len)
{
    return decode(ud, NULL, line, len);
}

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

static int on_line_count(void *ud, const char *line, size_t len)
{
    (void)line;
    sink *s = ud;
    s->events++;
    s->bytes += len;
    return 0;
}

typedef enum {
    CASE_OLLAMA,
    CASE_ANTHROPIC,
    CASE_NDJSON,
    CASE_SSE,
    CASE_JSONC_OLLAMA,
    CASE_JSONC_ANTHROPIC,
    N_CASES
} case_id;
static const char *const case_names[N_CASES] = {"ndjson+ollama", "sse+anthropic", "ndjson",
                                                "sse",           "json-c/ollama", "json-c/anthropic"};

typedef struct result {
    double wall[MAX_RUNS], cpu[MAX_RUNS];
    size_t events, bytes;
} result;

/* json-c alone on the recording's payloads. */
static int jsonc_pass(case_id c, const recording *r, double *wall, double *cpu)
{
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return 1;
    size_t objects = 0;
    double t0 = now_s(), c0 = cpu_s();
    for (size_t i = 0; i < r->n_payloads; i++) {
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, r->payload[i], (int)r->payload_len[i]);
        objects += o != NULL;
        json_object_put(o);
    }
    *cpu = cpu_s() - c0;
    *wall = now_s() - t0;
    json_tokener_free(tok);
    if (objects != r->n_payloads) {
        fprintf(stderr, "stream_native: %s: %zu of %zu payloads parsed\n", case_names[c], objects,
                r->n_payloads);
        return 1;
    }
    return 0;
}

static int one_pass(case_id c, const recording *r, const llmh_provider_rec *rec, size_t piece,
                    double *wall, double *cpu)
{
    if (c == CASE_JSONC_OLLAMA || c == CASE_JSONC_ANTHROPIC)
        return jsonc_pass(c, r, wall, cpu);
    sink s;
    memset(&s, 0, sizeof s);
    s.prompt_tokens = s.completion_tokens = -1;
    s.priv.settings = g_settings;
    s.call.struct_size = sizeof s.call;
    s.call.host = llmh_host_table();
    s.call.host_private = &s.priv;
    if (rec) {
        s.codec = rec->p->codec;
        s.call.provider = rec->p;
        s.call.base_url = "http://127.0.0.1:1";
        s.call.plugin_state = rec->plugin ? rec->plugin->state : NULL;
    }
    llmh_chat_out_init(&s.out);

    int ndjson = c == CASE_OLLAMA || c == CASE_NDJSON;
    int codec = c == CASE_OLLAMA || c == CASE_ANTHROPIC;
    llmh_ndjson *np = NULL;
    llmh_sse *sp = NULL;
    if (ndjson)
        np = llmh_ndjson_new(codec ? on_line_codec : on_line_count, &s);
    else
        sp = llmh_sse_new(codec ? on_sse_codec : on_sse_count, &s);
    if (!np && !sp) {
        fprintf(stderr, "stream_native: parser allocation failed\n");
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

    llmh_ndjson_free(np);
    llmh_sse_free(sp);
    llmh_chat_out_clear(&s.out);
    if (s.priv.tok)
        json_tokener_free(s.priv.tok);

    if (rc != 0) {
        fprintf(stderr, "stream_native: %s: feed returned %d\n", case_names[c], rc);
        return 1;
    }
    if (s.events != r->events) {
        fprintf(stderr, "stream_native: %s: %zu events framed, %zu in the recording\n",
                case_names[c], s.events, r->events);
        return 1;
    }
    if (codec && (!s.done || !s.finish_seen || s.content_bytes != r->content_bytes ||
                  s.reasoning_bytes != r->reasoning_bytes || s.prompt_tokens != 7 ||
                  s.completion_tokens != 42)) {
        fprintf(stderr,
                "stream_native: %s: done=%d finish=%d content %zu bytes (want %zu), reasoning %zu "
                "(want %zu), usage %ld/%ld (want 7/42)\n",
                case_names[c], s.done, s.finish_seen, s.content_bytes, r->content_bytes,
                s.reasoning_bytes, r->reasoning_bytes, s.prompt_tokens, s.completion_tokens);
        return 1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: stream_native [--events N] [--runs R] [--piece BYTES] [--cpu C]\n"
            "                     [--case NAME] [--plugin-dir DIR] [--json]\n"
            "  --events N      thinking + answer events per recording (default 200000)\n"
            "  --runs R        timed passes per case, after one warm-up (default 7, max %d)\n"
            "  --piece B       feed size in bytes (default 16384)\n"
            "  --cpu C         pin to CPU C (default: not pinned)\n"
            "  --case NAME     run only this case (repeatable; default all):\n"
            "                  ndjson+ollama sse+anthropic ndjson sse json-c/ollama json-c/anthropic\n"
            "  --plugin-dir D  where ollama.so and anthropic.so are (default %s)\n"
            "  --json          one JSON document on stdout instead of the table\n",
            MAX_RUNS, PLUGIN_DIR);
}

int main(int argc, char **argv)
{
    size_t n_events = 200000, piece = 16384;
    int runs = 7, json = 0, cpu = -1;
    int want[N_CASES] = {0}, any = 0;
    const char *plugin_dir = PLUGIN_DIR;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--events"))
            n_events = (size_t)arg_long(a, v, 4, 20000000), i++;
        else if (!strcmp(a, "--runs"))
            runs = (int)arg_long(a, v, 1, MAX_RUNS), i++;
        else if (!strcmp(a, "--piece"))
            piece = (size_t)arg_long(a, v, 1, 1L << 30), i++;
        else if (!strcmp(a, "--cpu"))
            cpu = (int)arg_long(a, v, 0, 1023), i++;
        else if (!strcmp(a, "--plugin-dir") && v)
            plugin_dir = v, i++;
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--case") && v) {
            int k;
            for (k = 0; k < N_CASES && strcmp(v, case_names[k]); k++)
                ;
            if (k == N_CASES) {
                fprintf(stderr, "stream_native: unknown case '%s'\n", v);
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
            fprintf(stderr, "stream_native: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
    }

    /* Only the given directory: no user plugins, no LLMHOST_PLUGIN_PATH. */
    unsetenv("LLMHOST_PLUGIN_PATH");
    setenv("XDG_DATA_HOME", "/nonexistent/llmhost-bench", 1);
    g_settings = llmh_settings_new();
    g_reg = g_settings ? llmh_registry_new(g_settings) : NULL;
    if (!g_reg) {
        fprintf(stderr, "stream_native: out of memory\n");
        return 1;
    }
    llmh_registry_set_cli_path(g_reg, plugin_dir);
    llmh_registry_load(g_reg);
    const llmh_provider_rec *ollama = NULL, *anthropic = NULL;
    if (want[CASE_OLLAMA] && !(ollama = load_provider("ollama")))
        return 1;
    if (want[CASE_ANTHROPIC] && !(anthropic = load_provider("anthropic")))
        return 1;

    recording ro = make_ollama(n_events), ra = make_anthropic(n_events);
    const recording *rec[N_CASES] = {&ro, &ra, &ro, &ra, &ro, &ra};
    const llmh_provider_rec *prov[N_CASES] = {ollama, anthropic, NULL, NULL, NULL, NULL};

    static result res[N_CASES];
    for (int k = 0; k < N_CASES; k++) {
        if (!want[k])
            continue;
        double w, c;
        if (one_pass((case_id)k, rec[k], prov[k], piece, &w, &c)) /* warm-up and check */
            return 1;
        for (int i = 0; i < runs; i++)
            if (one_pass((case_id)k, rec[k], prov[k], piece, &res[k].wall[i], &res[k].cpu[i]))
                return 1;
        res[k].events = rec[k]->events;
        res[k].bytes = rec[k]->len;
    }

    /* Rates from the median CPU time of the process (one thread). */
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
    static const case_id targets[] = {CASE_OLLAMA, CASE_ANTHROPIC};

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
                   "\"events_per_s_min\":%.0f,\"events_per_s_max\":%.0f",
                   first ? "" : ",", case_names[k], res[k].events, res[k].bytes, mc[k], mw[k],
                   (double)res[k].events / mc[k], (double)res[k].bytes / mc[k] / 1e6,
                   mc[k] * 1e9 / (double)res[k].events, (double)res[k].events / mw[k],
                   (double)res[k].events / hi[k], (double)res[k].events / lo[k]);
            if (k == CASE_OLLAMA || k == CASE_ANTHROPIC)
                printf(",\"target_met\":%s",
                       (double)res[k].events / mc[k] >= TARGET_EVENTS_PER_S ? "true" : "false");
            printf("}");
            first = 0;
        }
        printf("]}\n");
        return 0;
    }

    printf("native stream decoding: %zu-byte pieces, median of %d runs after 1 warm-up%s;\n"
           "rates from CPU time (one thread), wall-clock events/s for reference\n",
           piece, runs, cpu >= 0 ? ", pinned" : "");
    printf("%-16s %8s %6s %11s %8s %9s %11s %23s\n", "case", "events", "MB", "events/s", "MB/s",
           "ns/event", "wall ev/s", "range ev/s (min..max)");
    for (int k = 0; k < N_CASES; k++) {
        if (!want[k])
            continue;
        printf("%-16s %8zu %6.1f %11.0f %8.1f %9.1f %11.0f %11.0f..%-11.0f\n", case_names[k],
               res[k].events, (double)res[k].bytes / 1e6, (double)res[k].events / mc[k],
               (double)res[k].bytes / mc[k] / 1e6, mc[k] * 1e9 / (double)res[k].events,
               (double)res[k].events / mw[k], (double)res[k].events / hi[k],
               (double)res[k].events / lo[k]);
    }
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        case_id k = targets[t];
        if (!want[k])
            continue;
        double eps = (double)res[k].events / mc[k];
        printf("RESULT stream_native.%s events_per_s=%.0f (%.1f MB/s; target >= %.0f on one core, "
               "%.2fx of it) %s\n",
               k == CASE_OLLAMA ? "ndjson_ollama" : "sse_anthropic", eps,
               (double)res[k].bytes / mc[k] / 1e6, TARGET_EVENTS_PER_S, eps / TARGET_EVENTS_PER_S,
               eps >= TARGET_EVENTS_PER_S ? "PASS" : "MISS");
    }
    llmh_registry_free(g_reg);
    llmh_settings_free(g_settings);
    return 0;
}
