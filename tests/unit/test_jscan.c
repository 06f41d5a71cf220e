/* test_jscan.c: the allocation-free JSON scanner, and the OpenAI codec's
 * fast path built on it giving the same results as the full parser. */
#include <CUnit/CUnit.h>
#include <json-c/json.h>
#include <string.h>

#include "codec_openai.h"
#include "hostapi.h"
#include "registry.h"
#include "jscan.h"
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

int llmh_test_register_jscan(void)
{
    CU_pSuite s = CU_add_suite("jscan", NULL, NULL);
    if (!s ||
        !CU_add_test(s, "test_jscan_skips_every_value_kind", test_jscan_skips_every_value_kind) ||
        !CU_add_test(s, "test_jscan_rejects_malformed_text", test_jscan_rejects_malformed_text) ||
        !CU_add_test(s, "test_jscan_decodes_escapes_and_surrogate_pairs",
                     test_jscan_decodes_escapes_and_surrogate_pairs) ||
        !CU_add_test(s, "test_openai_fast_path_matches_full_parser",
                     test_openai_fast_path_matches_full_parser) ||
        !CU_add_test(s, "test_openai_event_errors_still_reported",
                     test_openai_event_errors_still_reported))
        return -1;
    return 0;
}
