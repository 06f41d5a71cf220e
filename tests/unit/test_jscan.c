/* test_jscan.c: the allocation-free JSON scanner, the OpenAI codec's fast
 * path built on it giving the same results as the full parser, and the
 * host->json_fields service plugins use it through. */
#include <CUnit/CUnit.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_openai.h"
#include "hostapi.h"
#include "registry.h"
#include "jscan.h"
#include "json_write.h"
#include "suites.h"

static void test_jscan_skips_every_value_kind(void)
{
    const char *ok[] = {"{}", "[]", "\"a\\\"b\"", "-1.5e3", "true", "false", "null",
                        "{\"a\":[1,{\"b\":null},\"x\"],\"c\":{}}", "  [ 1 , 2 ]  "};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        llmh_jscan s;
        llmh_jscan_init(&s, ok[i], strlen(ok[i]));
        CU_ASSERT_TRUE(llmh_jscan_skip(&s));
        CU_ASSERT_EQUAL(llmh_jscan_peek(&s), 0);
    }
}

static void test_jscan_rejects_malformed_text(void)
{
    const char *bad[] = {"{", "[1,", "\"abc", "\"a\\x\"", "{\"a\" 1}", "{\"a\":}", "tru",
                         "\"\\u12G4\"", "\"tab\there\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmh_jscan s;
        llmh_jscan_init(&s, bad[i], strlen(bad[i]));
        CU_ASSERT_FALSE(llmh_jscan_skip(&s));
    }
}

static void test_jscan_decodes_escapes_and_surrogate_pairs(void)
{
    const char *text = "\"a\\nb\\t\\\"q\\\" \\u00e9 \\ud83d\\ude00 \\ud800x\"";
    llmh_jscan s;
    llmh_jscan_init(&s, text, strlen(text));
    llmh_jspan v;
    CU_ASSERT_TRUE_FATAL(llmh_jscan_string(&s, &v));
    llmh_buf b = {0};
    llmh_jspan_append(&v, &b);
    CU_ASSERT_STRING_EQUAL(b.data, "a\nb\t\"q\" \xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbdx");
    llmh_buf_free(&b);
}

/* Run one event through the host codec (fast path when it can). */
static llmh_status run_event(const char *data, llmh_chat_out *out)
{
    llmh_call c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.host = llmh_host_table();
    llmh_stream_event ev = {"message", data, strlen(data)};
    int done = 0;
    llmh_error err;
    return llmh_codec_openai.parse_event(&c, &ev, out, &done, &err);
}

static void test_openai_fast_path_matches_full_parser(void)
{
    static const char *const events[] = {
        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi \\u00e9\\n\"},"
        "\"finish_reason\":null}]}",
        "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null}}]}",
        "{\"choices\":[{\"delta\":{\"reasoning_content\":\"think\",\"content\":\"\"}}]}",
        "{\"choices\":[{\"delta\":{\"reasoning\":\"r2\"}}]}",
        "{\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}],\"usage\":null}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,"
        "\"total_tokens\":46}}",
        "{\"choices\":[{\"delta\":{\"content\":\"a\"}},{\"delta\":{\"content\":\"b\"}}]}",
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"t\"}]},\"logprobs\":{\"x\":[1,2]}}]}",
    };
    static const char *const want_content[] = {"Hi \xc3\xa9\n", "", "", "", "", "", "a", ""};
    static const char *const want_reasoning[] = {"", "", "think", "r2", "", "", "", ""};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        llmh_chat_out out;
        llmh_chat_out_init(&out);
        CU_ASSERT_EQUAL(run_event(events[i], &out), LLMH_OK);
        CU_ASSERT_STRING_EQUAL(out.content.data ? out.content.data : "", want_content[i]);
        CU_ASSERT_STRING_EQUAL(out.reasoning.data ? out.reasoning.data : "", want_reasoning[i]);
        if (i == 4)
            CU_ASSERT_EQUAL(out.finish, LLMH_FINISH_LENGTH);
        if (i == 5) {
            CU_ASSERT_EQUAL(out.usage.prompt_tokens, 12);
            CU_ASSERT_EQUAL(out.usage.completion_tokens, 34);
        }
        llmh_chat_out_clear(&out);
    }
}

static void test_openai_event_errors_still_reported(void)
{
    llmh_chat_out out;
    llmh_chat_out_init(&out);
    CU_ASSERT_EQUAL(run_event("{\"error\":{\"message\":\"boom\"}}", &out), LLMH_E_SERVER);
    CU_ASSERT_EQUAL(run_event("{\"choices\":[{\"delta\":{\"content\":\"x\"}", &out),
                    LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(out.content.len, 0); /* nothing half-applied */
    llmh_chat_out_clear(&out);
}

/* ---- host->json_fields */

#define NFIELDS(a) (sizeof(a) / sizeof(a)[0])

/* json_fields on text (strlen) with these paths into f; its return. */
static int fields_of(const char *text, size_t len, const char *const *paths, size_t n,
                     llmh_json_field *f)
{
    memset(f, 0, n * sizeof *f);
    for (size_t i = 0; i < n; i++)
        f[i].path = paths[i];
    return llmh_host_table()->json_fields(text, len, f, n);
}

static int fields_str(const char *text, const char *const *paths, size_t n, llmh_json_field *f)
{
    return fields_of(text, strlen(text), paths, n, f);
}

#define ASSERT_FSTR(f, s)                                                                          \
    do {                                                                                           \
        CU_ASSERT_EQUAL((f).type, LLMH_JSON_STRING);                                              \
        CU_ASSERT_EQUAL((f).len, strlen(s));                                                       \
        CU_ASSERT_TRUE((f).str && memcmp((f).str, (s), strlen(s) + 1) == 0);                       \
    } while (0)

static void test_json_fields_is_in_the_host_table(void)
{
    const llmh_host *h = llmh_host_table();
    CU_ASSERT_TRUE(offsetof(llmh_host, json_fields) + sizeof(void *) <= h->struct_size);
    CU_ASSERT_PTR_NOT_NULL(h->json_fields);
}

static void test_json_fields_reads_paths_of_every_kind(void)
{
    static const char text[] =
        "{\"a\":1,\"b\":-2.5,\"c\":\"x\\ny\",\"d\":true,\"e\":false,\"f\":null,"
        "\"g\":{\"h\":{\"i\":\"deep\"}},\"arr\":[10,{\"k\":\"v\"},[1,2]],\"o\":{},"
        "\"min\":-9223372036854775808,\"max\":9223372036854775807,\"exp\":1E3,\"z\":0,"
        "\"neg\":-0.5e-1,\"obj\":{\"0\":\"zero\"},\"\":\"empty\",\"huge\":1.5e300}";
    static const char *const paths[] = {
        "a",     "b",       "c",       "d",     "e",    "f",     "g",     "g.h.i",  "arr",
        "arr.0", "arr.1.k", "arr.2",   "arr.2.1", "arr.3", "arr.x", "a.b", "c.x",   "g.h",
        "missing", "missing.deep", "o", "min", "max",  "exp",   "z",     "neg",    "obj.0",
        "arr.00", "",      "huge",    NULL,    "f.x",  "arr.1", "o.x"};
    llmh_json_field f[NFIELDS(paths)];
    CU_ASSERT_EQUAL_FATAL(fields_str(text, paths, NFIELDS(paths), f), 1);
    CU_ASSERT_EQUAL(f[0].type, LLMH_JSON_INT);
    CU_ASSERT_EQUAL(f[0].i, 1);
    CU_ASSERT_EQUAL(f[0].d, 1.0);
    CU_ASSERT_EQUAL(f[1].type, LLMH_JSON_DOUBLE);
    CU_ASSERT_EQUAL(f[1].d, -2.5);
    CU_ASSERT_EQUAL(f[1].i, -2); /* truncated, as json_int does */
    ASSERT_FSTR(f[2], "x\ny");
    CU_ASSERT_EQUAL(f[3].type, LLMH_JSON_BOOL);
    CU_ASSERT_EQUAL(f[3].b, 1);
    CU_ASSERT_EQUAL(f[4].type, LLMH_JSON_BOOL);
    CU_ASSERT_EQUAL(f[4].b, 0);
    CU_ASSERT_EQUAL(f[5].type, LLMH_JSON_NULL); /* null */
    CU_ASSERT_EQUAL(f[6].type, LLMH_JSON_OBJECT);
    CU_ASSERT_PTR_NULL(f[6].str);
    ASSERT_FSTR(f[7], "deep");
    CU_ASSERT_EQUAL(f[8].type, LLMH_JSON_ARRAY);
    CU_ASSERT_EQUAL(f[9].type, LLMH_JSON_INT);
    CU_ASSERT_EQUAL(f[9].i, 10);
    ASSERT_FSTR(f[10], "v");
    CU_ASSERT_EQUAL(f[11].type, LLMH_JSON_ARRAY);
    CU_ASSERT_EQUAL(f[12].type, LLMH_JSON_INT);
    CU_ASSERT_EQUAL(f[12].i, 2);
    CU_ASSERT_EQUAL(f[13].type, LLMH_JSON_NULL); /* past the end */
    CU_ASSERT_EQUAL(f[14].type, LLMH_JSON_NULL); /* a name in an array */
    CU_ASSERT_EQUAL(f[15].type, LLMH_JSON_NULL); /* through a number */
    CU_ASSERT_EQUAL(f[16].type, LLMH_JSON_NULL); /* through a string */
    CU_ASSERT_EQUAL(f[17].type, LLMH_JSON_OBJECT);
    CU_ASSERT_EQUAL(f[18].type, LLMH_JSON_NULL); /* absent */
    CU_ASSERT_EQUAL(f[19].type, LLMH_JSON_NULL);
    CU_ASSERT_EQUAL(f[20].type, LLMH_JSON_OBJECT);
    CU_ASSERT_EQUAL(f[21].type, LLMH_JSON_INT);
    CU_ASSERT_EQUAL(f[21].i, LLONG_MIN);
    CU_ASSERT_EQUAL(f[22].i, LLONG_MAX);
    CU_ASSERT_EQUAL(f[23].type, LLMH_JSON_DOUBLE);
    CU_ASSERT_EQUAL(f[23].d, 1000.0);
    CU_ASSERT_EQUAL(f[23].i, 1000);
    CU_ASSERT_EQUAL(f[24].type, LLMH_JSON_INT);
    CU_ASSERT_EQUAL(f[24].i, 0);
    CU_ASSERT_EQUAL(f[25].type, LLMH_JSON_DOUBLE);
    CU_ASSERT_EQUAL(f[25].d, -0.05);
    CU_ASSERT_EQUAL(f[25].i, 0);
    ASSERT_FSTR(f[26], "zero"); /* a digit segment in an object is a name */
    CU_ASSERT_EQUAL(f[27].type, LLMH_JSON_NULL); /* "00" is not an index */
    ASSERT_FSTR(f[28], "empty");
    CU_ASSERT_EQUAL(f[29].type, LLMH_JSON_DOUBLE);
    CU_ASSERT_EQUAL(f[29].i, LLONG_MAX); /* clamped, as json_int does */
    CU_ASSERT_EQUAL(f[30].type, LLMH_JSON_NULL); /* NULL path */
    CU_ASSERT_EQUAL(f[31].type, LLMH_JSON_NULL); /* through null */
    CU_ASSERT_EQUAL(f[32].type, LLMH_JSON_OBJECT);
    CU_ASSERT_EQUAL(f[33].type, LLMH_JSON_NULL);

    /* White space anywhere JSON allows it; no fields at all: a check only. */
    static const char *const one[] = {"a.b"};
    CU_ASSERT_EQUAL(fields_str(" \t\r\n{ \"a\" : { \"b\" : [ 1 , 2 ] } } \n", one, 1, f), 1);
    CU_ASSERT_EQUAL(f[0].type, LLMH_JSON_ARRAY);
    CU_ASSERT_EQUAL(llmh_host_table()->json_fields("{\"x\":[{}]}", 10, NULL, 0), 1);
    CU_ASSERT_EQUAL(llmh_host_table()->json_fields("{\"x\":[{]}", 9, NULL, 0), 0);
}

static void test_json_fields_decodes_strings_like_json_c(void)
{
    static const char text[] =
        "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\",\"u\":\"\\u00e9\\u20ac\","
        "\"pair\":\"\\ud83d\\ude00!\",\"lone\":\"\\ud800x\\udc00\",\"hi_then_u\":\"\\ud800\\u0041\","
        "\"nul\":\"a\\u0000b\",\"raw\":\"caf\xc3\xa9\",\"empty\":\"\"}";
    static const char *const paths[] = {"s", "u", "pair", "lone", "hi_then_u", "nul", "raw", "empty"};
    llmh_json_field f[NFIELDS(paths)];
    CU_ASSERT_EQUAL_FATAL(fields_str(text, paths, NFIELDS(paths), f), 1);
    ASSERT_FSTR(f[0], "a\"b\\c/d\b\f\n\r\t");
    ASSERT_FSTR(f[1], "\xc3\xa9\xe2\x82\xac");
    ASSERT_FSTR(f[2], "\xf0\x9f\x98\x80!");
    ASSERT_FSTR(f[3], "\xef\xbf\xbdx\xef\xbf\xbd");
    ASSERT_FSTR(f[4], "\xef\xbf\xbd"
                      "A");
    CU_ASSERT_EQUAL(f[5].type, LLMH_JSON_STRING);
    CU_ASSERT_EQUAL(f[5].len, 3);
    CU_ASSERT_TRUE(f[5].str && memcmp(f[5].str, "a\0b", 4) == 0);
    ASSERT_FSTR(f[6], "caf\xc3\xa9");
    ASSERT_FSTR(f[7], "");
}

static void test_json_fields_duplicate_members_last_wins(void)
{
    static const char *const paths[] = {"a", "m", "m.x", "m.y", "m.x.z"};
    llmh_json_field f[NFIELDS(paths)];
    CU_ASSERT_EQUAL_FATAL(
        fields_str("{\"a\":1,\"m\":{\"x\":1},\"a\":\"two\",\"m\":{\"y\":2}}", paths, 5, f), 1);
    ASSERT_FSTR(f[0], "two");
    CU_ASSERT_EQUAL(f[1].type, LLMH_JSON_OBJECT);
    CU_ASSERT_EQUAL(f[2].type, LLMH_JSON_NULL); /* the whole object was replaced */
    CU_ASSERT_EQUAL(f[3].i, 2);
    CU_ASSERT_EQUAL_FATAL(fields_str("{\"m\":{\"x\":{\"z\":true}},\"m\":3}", paths, 5, f), 1);
    CU_ASSERT_EQUAL(f[1].type, LLMH_JSON_INT);
    CU_ASSERT_EQUAL(f[1].i, 3);
    CU_ASSERT_EQUAL(f[2].type, LLMH_JSON_NULL);
    CU_ASSERT_EQUAL(f[4].type, LLMH_JSON_NULL);
    CU_ASSERT_EQUAL_FATAL(fields_str("{\"m\":{\"x\":\"p\",\"x\":null,\"y\":1,\"y\":\"q\"}}", paths,
                                     5, f),
                          1);
    CU_ASSERT_EQUAL(f[2].type, LLMH_JSON_NULL);
    CU_ASSERT_PTR_NULL(f[2].str);
    ASSERT_FSTR(f[3], "q");
}

/* A document nested depth objects deep, with "v":1 innermost. */
static char *nested(int depth)
{
    llmh_buf b = {0};
    for (int i = 0; i < depth; i++)
        llmh_buf_puts(&b, i ? "\"k\":{" : "{");
    llmh_buf_puts(&b, "\"v\":1");
    for (int i = 0; i < depth; i++)
        llmh_buf_puts(&b, "}");
    return b.data;
}

static void test_json_fields_gives_up_when_unsure(void)
{
    static const char *const bad[] = {
        "", " ", "[]", "[{\"a\":1}]", "\"a\"", "1", "null", "{", "{\"a\":1", "{\"a\":1}x",
        "{\"a\":1}{}", "{\"a\":1,}", "{,\"a\":1}", "{\"a\" 1}", "{\"a\":}", "{a:1}", "{'a':1}",
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":-}",
        "{\"a\":1-2}", "{\"a\":tru}", "{\"a\":truex}", "{\"a\":nul}", "{\"a\":NaN}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"tab\there\"}", "{\"a\":\"open}",
        "{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":{\"b\":1,}}", "{\"a\":1 /* c */}",
        /* wanted numbers beyond what json_int gives */
        "{\"a\":9223372036854775808}", "{\"a\":-9223372036854775809}", "{\"a\":1e400}",
        /* an escaped name where a field is looked for */
        "{\"\\u0061\":1}", "{\"m\":{\"\\u0078\":1}}"};
    static const char *const paths[] = {"a", "m.x"};
    llmh_json_field f[2];
    for (size_t i = 0; i < NFIELDS(bad); i++) {
        int r = fields_str(bad[i], paths, 2, f);
        if (r != 0)
            fprintf(stderr, "\n  json_fields took %s\n", bad[i]);
        CU_ASSERT_EQUAL(r, 0);
    }
    /* An embedded NUL ends nothing: the text is len bytes. */
    CU_ASSERT_EQUAL(fields_of("{\"a\":1}\0", 8, paths, 2, f), 0);
    CU_ASSERT_EQUAL(fields_of("{\"a\":1}\0", 7, paths, 2, f), 1);
    CU_ASSERT_EQUAL(fields_of("{\"a\":\"x\0y\"}", 11, paths, 2, f), 0);
    CU_ASSERT_EQUAL(llmh_host_table()->json_fields(NULL, 0, f, 0), 0);
    /* Unwanted values are checked, not converted; escaped names elsewhere do no harm. */
    CU_ASSERT_EQUAL(fields_str("{\"b\":1e400,\"c\":{\"\\u0061\":1},\"a\":2}", paths, 2, f), 1);
    CU_ASSERT_EQUAL(f[0].i, 2);
    CU_ASSERT_EQUAL(fields_str("{\"b\":1e400,\"c\":{\"\\u0061\":1},\"a\":2}", NULL, 0, f), 1);

    /* Nesting: as deep as json_parse goes (a value inside at most 31
     * containers), and no deeper. */
    for (int depth = 29; depth <= 34; depth++) {
        char *text = nested(depth);
        llmh_json *o = llmh_host_table()->json_parse(text, strlen(text));
        int jc = o != NULL;
        llmh_host_table()->json_free(o);
        CU_ASSERT_EQUAL(jc, depth <= 31);
        static const char *const none[] = {"zzz"};
        CU_ASSERT_EQUAL(fields_str(text, none, 1, f), jc); /* skipped */
        static const char *const k2[] = {"k.k.k"};
        CU_ASSERT_EQUAL(fields_str(text, k2, 1, f), jc); /* walked, then skipped */
        char path[256] = "";
        for (int i = 0; i < depth - 1; i++)
            strcat(path, "k.");
        strcat(path, "v");
        const char *deep[] = {path};
        CU_ASSERT_EQUAL(fields_str(text, deep, 1, f), jc); /* walked all the way */
        if (jc)
            CU_ASSERT_EQUAL(f[0].i, 1);
        free(text);
        /* {"a":[[...[]...]]}: depth containers, the innermost empty. */
        llmh_buf b = {0};
        llmh_buf_puts(&b, "{\"a\":");
        for (int i = 1; i < depth; i++)
            llmh_buf_puts(&b, "[");
        for (int i = 1; i < depth; i++)
            llmh_buf_puts(&b, "]");
        llmh_buf_puts(&b, "}");
        o = llmh_host_table()->json_parse(b.data, b.len);
        jc = o != NULL;
        llmh_host_table()->json_free(o);
        CU_ASSERT_EQUAL(jc, depth <= 32);
        CU_ASSERT_EQUAL(fields_str(b.data, none, 1, f), jc);
        static const char *const a0[] = {"a.0.0.0"};
        CU_ASSERT_EQUAL(fields_str(b.data, a0, 1, f), jc);
        llmh_buf_free(&b);
    }

    /* At most LLMH_JSCAN_FIELDS_MAX (64) fields in one call. */
    llmh_json_field many[65];
    memset(many, 0, sizeof many);
    for (size_t i = 0; i < 65; i++)
        many[i].path = "a";
    CU_ASSERT_EQUAL(llmh_host_table()->json_fields("{\"a\":1}", 7, many, 64), 1);
    CU_ASSERT_EQUAL(many[63].i, 1);
    CU_ASSERT_EQUAL(llmh_host_table()->json_fields("{\"a\":1}", 7, many, 65), 0);
}

/* Strings returned by one call stay valid while the buffer grows for later ones. */
static void test_json_fields_strings_stay_put(void)
{
    enum { N = 40, LEN = 3000 };
    llmh_buf text = {0};
    llmh_buf_puts(&text, "{");
    for (int i = 0; i < N; i++) {
        llmh_buf_printf(&text, "%s\"k%d\":\"", i ? "," : "", i);
        for (int j = 0; j < LEN; j++)
            llmh_buf_append(&text, (j % 100) ? "a" : "\\n", (j % 100) ? 1 : 2);
        llmh_buf_printf(&text, "%d\"", i);
    }
    llmh_buf_puts(&text, "}");
    char paths[N][8];
    llmh_json_field f[N];
    memset(f, 0, sizeof f);
    for (int i = 0; i < N; i++) {
        snprintf(paths[i], sizeof paths[i], "k%d", i);
        f[i].path = paths[i];
    }
    CU_ASSERT_EQUAL_FATAL(llmh_host_table()->json_fields(text.data, text.len, f, N), 1);
    for (int i = 0; i < N; i++) {
        char tail[8];
        snprintf(tail, sizeof tail, "%d", i);
        CU_ASSERT_EQUAL(f[i].type, LLMH_JSON_STRING);
        CU_ASSERT_EQUAL(f[i].len, LEN + strlen(tail));
        CU_ASSERT_TRUE(f[i].str && f[i].str[0] == '\n' && f[i].str[1] == 'a');
        CU_ASSERT_TRUE(f[i].str && strcmp(f[i].str + LEN, tail) == 0);
    }
    llmh_buf_free(&text);
}

/* Each thread has its own buffer: another thread's call leaves ours alone. */
static void *other_thread(void *arg)
{
    (void)arg;
    static const char *const paths[] = {"s"};
    llmh_json_field f[1];
    int ok = fields_str("{\"s\":\"theirs, a longer string\"}", paths, 1, f) == 1 &&
             f[0].len == 23 && strcmp(f[0].str, "theirs, a longer string") == 0;
    return ok ? arg : NULL;
}

static void test_json_fields_buffer_is_per_thread(void)
{
    static const char *const paths[] = {"s"};
    llmh_json_field f[1];
    CU_ASSERT_EQUAL_FATAL(fields_str("{\"s\":\"mine\"}", paths, 1, f), 1);
    pthread_t th;
    void *res = NULL;
    int token;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, other_thread, &token), 0);
    pthread_join(th, &res);
    CU_ASSERT_PTR_EQUAL(res, &token);
    ASSERT_FSTR(f[0], "mine");
}

/* The reference: host->json_parse and json_get/json_index along the path. */
static const llmh_json *walk(const llmh_host *h, const llmh_json *v, const char *path)
{
    char seg[128];
    const char *p = path;
    for (;;) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof seg)
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        llmh_json_type t = h->json_type(v);
        if (t == LLMH_JSON_OBJECT) {
            v = h->json_get(v, seg);
        } else if (t == LLMH_JSON_ARRAY) {
            size_t k;
            int digits = n > 0 && n <= 9 && (seg[0] != '0' || n == 1);
            for (k = 0; digits && k < n; k++)
                digits = seg[k] >= '0' && seg[k] <= '9';
            v = digits ? h->json_index(v, (size_t)strtol(seg, NULL, 10)) : NULL;
        } else {
            return NULL;
        }
        if (!p[n])
            return v;
        p += n + 1;
    }
}

static void test_json_fields_agrees_with_json_parse(void)
{
    static const char *const texts[] = {
        "{\"model\":\"qwen3:8b\",\"created_at\":\"2025-09-20T10:00:00.1Z\",\"message\":{\"role\":"
        "\"assistant\",\"content\":\"\",\"thinking\":\"Okay, \"},\"done\":false}",
        "{\"model\":\"qwen3:8b\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
        "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":4883583458,"
        "\"prompt_eval_count\":26,\"eval_count\":282}",
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
        "\"thinking\":\"Let me solve this:\\n\\n1. 27 * 453\"}}",
        "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":"
        "\"assistant\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":25,"
        "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":3000,\"output_tokens\":1}}}",
        "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":"
        "null},\"usage\":{\"output_tokens\":15}}",
        "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": "
        "\"Overloaded\"}}",
        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi \\u00e9\\n\"},"
        "\"finish_reason\":null},{\"delta\":{\"content\":\"second\"}}],\"usage\":null}",
        "{\"message\":[1,2,{\"content\":\"in an array\"}],\"done\":1,\"error\":\"\","
        "\"eval_count\":\"12\",\"prompt_eval_count\":-3.75}",
        "{\"a\":{\"b\":[[],[{}],[[\"x\",\"y\"]]]},\"a\":{\"b\":[true,false,null,0,-0,1e-2]}}",
        "{\"delta\":{\"type\":\"text_delta\",\"text\":\"\\ud83d\\ude00 \\ud800 \\\"q\\\"\"},"
        "\"delta\":{\"type\":\"text_delta\",\"text\":\"second wins\\u0000!\"}}",
        "{\"usage\":{\"input_tokens\":2147483648,\"output_tokens\":1.9e3,"
        "\"cache_read_input_tokens\":-1}}",
        "{}",
    };
    static const char *const paths[] = {
        "model", "message", "message.content", "message.thinking", "message.role", "message.0",
        "message.2.content", "done", "done_reason", "prompt_eval_count", "eval_count", "error",
        "error.type", "error.message", "type", "index", "delta", "delta.type", "delta.text",
        "delta.thinking", "delta.stop_reason", "delta.stop_sequence", "usage",
        "usage.input_tokens", "usage.output_tokens", "usage.cache_read_input_tokens",
        "message.usage.input_tokens", "message.usage.cache_read_input_tokens",
        "message.stop_reason", "choices", "choices.0.delta.content", "choices.1.delta.content",
        "choices.0.finish_reason", "choices.2", "a.b", "a.b.0", "a.b.1", "a.b.2", "a.b.3",
        "a.b.4", "a.b.5", "a.b.2.0.1", "total_duration", "content_block.type"};
    const llmh_host *h = llmh_host_table();
    for (size_t t = 0; t < NFIELDS(texts); t++) {
        llmh_json_field f[NFIELDS(paths)];
        CU_ASSERT_EQUAL_FATAL(fields_str(texts[t], paths, NFIELDS(paths), f), 1);
        llmh_json *o = h->json_parse(texts[t], strlen(texts[t]));
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        for (size_t i = 0; i < NFIELDS(paths); i++) {
            const llmh_json *v = walk(h, o, paths[i]);
            llmh_json_type type = h->json_type(v);
            int same = f[i].type == type;
            size_t n = 0;
            const char *s = h->json_string(v, &n);
            if (same && type == LLMH_JSON_STRING)
                same = f[i].len == n && memcmp(f[i].str, s, n + 1) == 0;
            if (same && (type == LLMH_JSON_INT || type == LLMH_JSON_DOUBLE))
                same = f[i].i == h->json_int(v) && f[i].d == h->json_double(v);
            if (same && type == LLMH_JSON_BOOL)
                same = f[i].b == h->json_bool(v);
            if (!same)
                fprintf(stderr, "\n  text %zu, %s: json_fields type %d, json_parse type %d\n", t,
                        paths[i], (int)f[i].type, (int)type);
            CU_ASSERT_TRUE(same);
        }
        h->json_free(o);
    }
}

static void test_json_write_round_trips_and_escapes(void)
{
    static const char *const docs[] = {
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\\\"b\\\\c\\n\\t\\u0001 \\u00e9 \\ud83d\\ude00 /\"}],"
        "\"temperature\":0.7,\"max_tokens\":100,\"stream\":true,\"stop\":null,\"x\":[],\"y\":{},"
        "\"neg\":-3,\"f\":false}",
        "[1,2.5,\"s\",[[]],{\"k\":{\"k\":[true,null]}}]",
        "\"plain\"",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_object *v = json_tokener_parse(docs[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        llmh_buf b = {0};
        llmh_json_write(&b, v);
        json_object *back = json_tokener_parse(b.data);
        CU_ASSERT_PTR_NOT_NULL(back);
        CU_ASSERT_TRUE(json_object_equal(v, back));
        json_object_put(back);
        json_object_put(v);
        llmh_buf_free(&b);
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "t", json_object_new_double_s(0.7, "0.7"));
    json_object_object_add(o, "s", json_object_new_string("a/b\x01\"q\""));
    llmh_buf b = {0};
    llmh_json_write(&b, o);
    CU_ASSERT_STRING_EQUAL(b.data, "{\"t\":0.7,\"s\":\"a/b\\u0001\\\"q\\\"\"}");
    llmh_buf_free(&b);
    json_object_put(o);
}

static void test_jscan_double_reads_json_numbers_only(void)
{
    static const struct {
        const char *text;
        int ok;
        double want;
    } cases[] = {
        {"0.25", 1, 0.25}, {"1e2", 1, 100}, {"-3", 1, -3}, {"2", 1, 2},   {"0.7,", 1, 0.7},
        {"1.", 0, 0},      {"01", 1, 0},    {"abc", 0, 0}, {"1e400", 0, 0}, {"\"1\"", 0, 0},
        {"-", 0, 0},       {".5", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmh_jscan sc;
        llmh_jscan_init(&sc, cases[i].text, strlen(cases[i].text));
        double d = -1;
        int ok = llmh_jscan_double(&sc, &d);
        CU_ASSERT_EQUAL(ok, cases[i].ok);
        if (ok != cases[i].ok)
            fprintf(stderr, "\n  %s: %d, expected %d\n", cases[i].text, ok, cases[i].ok);
        if (ok && cases[i].ok)
            CU_ASSERT_EQUAL(d, cases[i].want);
    }
}

static void test_json_write_double_shortest_text(void)
{
    static const struct {
        double d;
        const char *text;
    } cases[] = {
        {0.7, "0.7"},   {1, "1"},           {0, "0"},       {-1.5, "-1.5"},   {2, "2"},
        {0.125, "0.125"}, {0.95, "0.95"},   {100000, "100000"}, {-0.001, "-0.001"},
        {0.123456789, "0.123456789"},       {1e300, "1e+300"}, {0.1 + 0.2, "0.30000000000000004"},
        {1234567.891, "1234567.891"},       {-0.0, "-0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmh_buf b = {0};
        llmh_json_write_double(&b, cases[i].d);
        CU_ASSERT_STRING_EQUAL(b.data, cases[i].text);
        if (strcmp(b.data, cases[i].text) != 0)
            fprintf(stderr, "\n  %.17g printed as %s, expected %s\n", cases[i].d, b.data,
                    cases[i].text);
        CU_ASSERT_EQUAL(strtod(b.data, NULL), cases[i].d); /* reads back as itself */
        llmh_buf_free(&b);
    }
    /* Every multiple of 0.001 up to 2 (a temperature) reads back exactly. */
    for (int k = 0; k <= 2000; k++) {
        double d = k / 1000.0;
        llmh_buf b = {0};
        llmh_json_write_double(&b, d);
        CU_ASSERT_EQUAL(strtod(b.data, NULL), d);
        char want[40];
        snprintf(want, sizeof want, "%.15g", d);
        CU_ASSERT_STRING_EQUAL(b.data, want);
        llmh_buf_free(&b);
    }
    llmh_buf b = {0};
    llmh_json_write_double(&b, NAN);
    llmh_buf_puts(&b, ",");
    llmh_json_write_double(&b, INFINITY);
    CU_ASSERT_STRING_EQUAL(b.data, "null,null");
    llmh_buf_free(&b);
}

int llmh_test_register_jscan(void)
{
    static const llmh_test tests[] = {
        LLMH_TEST(test_jscan_skips_every_value_kind),
        LLMH_TEST(test_jscan_rejects_malformed_text),
        LLMH_TEST(test_jscan_decodes_escapes_and_surrogate_pairs),
        LLMH_TEST(test_openai_fast_path_matches_full_parser),
        LLMH_TEST(test_openai_event_errors_still_reported),
        LLMH_TEST(test_json_write_round_trips_and_escapes),
        LLMH_TEST(test_jscan_double_reads_json_numbers_only),
        LLMH_TEST(test_json_write_double_shortest_text),
        LLMH_TEST(test_json_fields_is_in_the_host_table),
        LLMH_TEST(test_json_fields_reads_paths_of_every_kind),
        LLMH_TEST(test_json_fields_decodes_strings_like_json_c),
        LLMH_TEST(test_json_fields_duplicate_members_last_wins),
        LLMH_TEST(test_json_fields_gives_up_when_unsure),
        LLMH_TEST(test_json_fields_strings_stay_put),
        LLMH_TEST(test_json_fields_buffer_is_per_thread),
        LLMH_TEST(test_json_fields_agrees_with_json_parse),
    };
    return llmh_test_suite("jscan", NULL, NULL, tests, sizeof tests / sizeof tests[0]);
}
