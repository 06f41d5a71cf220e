/* test_ndjson.c: the newline-delimited JSON splitter against a recorded Ollama
 * /api/chat stream split at every byte, and its edge cases. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "suites.h"

/* Feed a string literal. */
#define FEED(p, lit) llmh_ndjson_feed((p), (lit), sizeof(lit) - 1)

/* Lines are recorded as "<line>\n" so a whole run is one exact string. */
struct rec {
    char *s;
    size_t len;
    int count;
    int abort_at;
    int abort_value;
    int len_mismatch;
};

static int on_line(void *ud, const char *line, size_t len)
{
    struct rec *r = ud;
    if (strlen(line) != len)
        r->len_mismatch = 1;
    char *ns = realloc(r->s, r->len + len + 2);
    if (!ns)
        abort();
    r->s = ns;
    memcpy(r->s + r->len, line, len);
    r->len += len;
    r->s[r->len++] = '\n';
    r->s[r->len] = '\0';
    r->count++;
    if (r->abort_at && r->count == r->abort_at)
        return r->abort_value;
    return 0;
}

static const char *rec_str(const struct rec *r)
{
    return r->s ? r->s : "";
}

#define OL1                                                                                   \
    "{\"model\":\"qwen3:8b\",\"created_at\":\"2025-05-01T10:00:00.1Z\",\"message\":{\"role\":"  \
    "\"assistant\",\"content\":\"\",\"thinking\":\"The user greets.\"},\"done\":false}"
#define OL2                                                                                   \
    "{\"model\":\"qwen3:8b\",\"created_at\":\"2025-05-01T10:00:00.2Z\",\"message\":{\"role\":"  \
    "\"assistant\",\"content\":\"Hello\"},\"done\":false}"
#define OL3                                                                                   \
    "{\"model\":\"qwen3:8b\",\"created_at\":\"2025-05-01T10:00:00.3Z\",\"message\":{\"role\":"  \
    "\"assistant\",\"content\":\" there \\u00e9!\\n\"},\"done\":false}"
#define OL4                                                                                   \
    "{\"model\":\"qwen3:8b\",\"created_at\":\"2025-05-01T10:00:00.4Z\",\"message\":{\"role\":"  \
    "\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true,"                   \
    "\"total_duration\":812345678,\"load_duration\":12345678,\"prompt_eval_count\":11,"       \
    "\"prompt_eval_duration\":40000000,\"eval_count\":4,\"eval_duration\":700000000}"

static const char ollama_stream[] = OL1 "\n" OL2 "\n" OL3 "\n" OL4 "\n";
static const char ollama_expected[] = OL1 "\n" OL2 "\n" OL3 "\n" OL4 "\n";

/* Split text at every offset, then 1-byte pieces; count runs that differ. */
static int split_everywhere(const char *text, size_t len, const char *expected)
{
    int bad = 0;
    for (size_t k = 0; k <= len + 1; k++) {
        struct rec r = {0};
        llmh_ndjson *p = llmh_ndjson_new(on_line, &r);
        if (!p)
            abort();
        int rc = 0;
        if (k <= len) {
            rc |= llmh_ndjson_feed(p, text, k);
            rc |= llmh_ndjson_feed(p, text + k, len - k);
        } else {
            for (size_t i = 0; i < len; i++)
                rc |= llmh_ndjson_feed(p, text + i, 1);
        }
        rc |= llmh_ndjson_finish(p);
        llmh_ndjson_free(p);
        if (rc || r.len_mismatch || strcmp(rec_str(&r), expected) != 0) {
            if (bad++ == 0)
                fprintf(stderr, "\nndjson run %zu gave:\n%s\n", k, rec_str(&r));
        }
        free(r.s);
    }
    return bad;
}

static void test_ndjson_ollama_stream_same_lines_at_every_split(void)
{
    CU_ASSERT_EQUAL(split_everywhere(ollama_stream, sizeof ollama_stream - 1, ollama_expected),
                    0);
}

static void test_ndjson_crlf_stream_same_lines_at_every_split(void)
{
    static const char crlf[] = OL1 "\r\n" OL2 "\r\n" OL3 "\r\n" OL4 "\r\n";
    CU_ASSERT_EQUAL(split_everywhere(crlf, sizeof crlf - 1, ollama_expected), 0);
}

static void test_ndjson_blank_and_whitespace_lines_are_skipped(void)
{
    static const char text[] = "\n\r\n   \n\t \r\n{\"a\":1}\n\n  {\"b\":2}  \n \r\n";
    CU_ASSERT_EQUAL(split_everywhere(text, sizeof text - 1, "{\"a\":1}\n  {\"b\":2}  \n"), 0);
}

static void test_ndjson_final_line_without_lf_delivered_by_finish(void)
{
    struct rec r = {0};
    llmh_ndjson *p = llmh_ndjson_new(on_line, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(FEED(p, "{\"a\":1}\n{\"done\":true}"), 0);
    CU_ASSERT_EQUAL(r.count, 1);
    CU_ASSERT_EQUAL(llmh_ndjson_finish(p), 0);
    CU_ASSERT_EQUAL(r.count, 2);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "{\"a\":1}\n{\"done\":true}\n");
    /* Nothing pending: finish delivers nothing more. */
    CU_ASSERT_EQUAL(llmh_ndjson_finish(p), 0);
    CU_ASSERT_EQUAL(r.count, 2);
    /* A trailing CR without LF is removed at finish too. */
    CU_ASSERT_EQUAL(FEED(p, "{\"c\":3}\r"), 0);
    CU_ASSERT_EQUAL(llmh_ndjson_finish(p), 0);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "{\"a\":1}\n{\"done\":true}\n{\"c\":3}\n");
    llmh_ndjson_free(p);
    free(r.s);
}

static void test_ndjson_only_the_trailing_cr_is_removed(void)
{
    struct rec r = {0};
    llmh_ndjson *p = llmh_ndjson_new(on_line, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(FEED(p, "a\rb\r\n"), 0);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "a\rb\n");
    llmh_ndjson_free(p);
    free(r.s);
}

static void test_ndjson_callback_abort_value_is_returned(void)
{
    struct rec r = {0};
    r.abort_at = 1;
    r.abort_value = 9;
    llmh_ndjson *p = llmh_ndjson_new(on_line, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(FEED(p, "{}\n[]\n"), 9);
    CU_ASSERT_EQUAL(r.count, 1);
    llmh_ndjson_free(p);
    free(r.s);

    struct rec r2 = {0};
    r2.abort_at = 1;
    r2.abort_value = 5;
    p = llmh_ndjson_new(on_line, &r2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(FEED(p, "{}"), 0);
    CU_ASSERT_EQUAL(llmh_ndjson_finish(p), 5);
    llmh_ndjson_free(p);
    free(r2.s);
}

static void test_ndjson_line_longer_than_max_fails(void)
{
    struct rec r = {0};
    llmh_ndjson *p = llmh_ndjson_new(on_line, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    llmh_ndjson_set_max_line(p, 8);
    /* Exactly 8 bytes, with and without CR: accepted. */
    CU_ASSERT_EQUAL(FEED(p, "{\"a\":12}\n{\"b\":34}\r\n"), 0);
    CU_ASSERT_EQUAL(r.count, 2);
    /* 9 bytes split across feeds. */
    CU_ASSERT_EQUAL(FEED(p, "{\"a\":"), 0);
    CU_ASSERT_EQUAL(FEED(p, "123}\n"), -1);
    CU_ASSERT_EQUAL(FEED(p, "{}\n"), -1);
    CU_ASSERT_EQUAL(llmh_ndjson_finish(p), -1);
    CU_ASSERT_EQUAL(r.count, 2);
    llmh_ndjson_free(p);
    free(r.s);

    /* An endless line fails before its end arrives. */
    p = llmh_ndjson_new(on_line, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    llmh_ndjson_set_max_line(p, 8);
    CU_ASSERT_EQUAL(FEED(p, "0123456789abcdef"), -1);
    llmh_ndjson_free(p);

    /* 9 bytes of content then CR, at finish. */
    p = llmh_ndjson_new(on_line, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    llmh_ndjson_set_max_line(p, 8);
    CU_ASSERT_EQUAL(FEED(p, "012345678"), 0);
    CU_ASSERT_EQUAL(llmh_ndjson_finish(p), -1);
    llmh_ndjson_free(p);
}

int llmh_test_register_ndjson(void)
{
    static const llmh_test tests[] = {
        {"test_ndjson_ollama_stream_same_lines_at_every_split",
         test_ndjson_ollama_stream_same_lines_at_every_split},
        {"test_ndjson_crlf_stream_same_lines_at_every_split",
         test_ndjson_crlf_stream_same_lines_at_every_split},
        {"test_ndjson_blank_and_whitespace_lines_are_skipped",
         test_ndjson_blank_and_whitespace_lines_are_skipped},
        {"test_ndjson_final_line_without_lf_delivered_by_finish",
         test_ndjson_final_line_without_lf_delivered_by_finish},
        {"test_ndjson_only_the_trailing_cr_is_removed", test_ndjson_only_the_trailing_cr_is_removed},
        {"test_ndjson_callback_abort_value_is_returned",
         test_ndjson_callback_abort_value_is_returned},
        {"test_ndjson_line_longer_than_max_fails", test_ndjson_line_longer_than_max_fails},
    };
    return llmh_test_suite("ndjson", NULL, NULL, tests, sizeof tests / sizeof tests[0]);
}
