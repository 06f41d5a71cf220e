/* test_sse.c: the Server-Sent Events parser against recorded streams split at
 * every byte, and against each rule of the WHATWG event stream format. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "suites.h"

/* Feed a string literal, embedded NULs included. */
#define FEED(p, lit) llmh_sse_feed((p), (lit), sizeof(lit) - 1)

/* Events are recorded as "event|id|data" lines joined by "\n" so that a whole
 * run is compared with one exact string. */
struct rec {
    char *s;
    size_t len;
    size_t cap;
    int count;
    int abort_at; /* return abort_value from this event (1-based); 0: never */
    int abort_value;
    int len_mismatch; /* data_len disagreed with strlen(data) */
};

static void rec_put(struct rec *r, const char *s, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->s = realloc(r->s, r->cap);
        if (!r->s)
            abort();
    }
    memcpy(r->s + r->len, s, n);
    r->len += n;
    r->s[r->len] = '\0';
}

static int on_event(void *ud, const char *event, const char *data, size_t data_len,
                    const char *id)
{
    struct rec *r = ud;
    if (strlen(data) != data_len)
        r->len_mismatch = 1;
    rec_put(r, event, strlen(event));
    rec_put(r, "|", 1);
    rec_put(r, id, strlen(id));
    rec_put(r, "|", 1);
    rec_put(r, data, data_len);
    rec_put(r, "\n", 1);
    r->count++;
    if (r->abort_at && r->count == r->abort_at)
        return r->abort_value;
    return 0;
}

static void rec_init(struct rec *r)
{
    memset(r, 0, sizeof *r);
    rec_put(r, "", 0);
}

static const char *rec_str(const struct rec *r)
{
    return r->s ? r->s : "";
}

/* Feed all of text in one call, then finish; return the record. */
static void run_whole(const char *text, size_t len, struct rec *r)
{
    rec_init(r);
    llmh_sse *p = llmh_sse_new(on_event, r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(llmh_sse_feed(p, text, len), 0);
    llmh_sse_finish(p);
    llmh_sse_free(p);
}

/* ---- recorded streams ---------------------------------------------------- */

#define OAI_C1                                                                                    \
    "{\"id\":\"chatcmpl-9x1\",\"object\":\"chat.completion.chunk\",\"created\":1731000000,"        \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[{" \
    "\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"            \
    "\"logprobs\":null,\"finish_reason\":null}]}"
#define OAI_C2                                                                                    \
    "{\"id\":\"chatcmpl-9x1\",\"object\":\"chat.completion.chunk\",\"created\":1731000000,"        \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[{" \
    "\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}]}"
#define OAI_C3                                                                                    \
    "{\"id\":\"chatcmpl-9x1\",\"object\":\"chat.completion.chunk\",\"created\":1731000000,"        \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[{" \
    "\"index\":0,\"delta\":{\"content\":\"! How can\"},\"logprobs\":null,\"finish_reason\":null}]}"
#define OAI_C4                                                                                    \
    "{\"id\":\"chatcmpl-9x1\",\"object\":\"chat.completion.chunk\",\"created\":1731000000,"        \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[{" \
    "\"index\":0,\"delta\":{\"content\":\" I help?\"},\"logprobs\":null,\"finish_reason\":null}]}"
#define OAI_C5                                                                                    \
    "{\"id\":\"chatcmpl-9x1\",\"object\":\"chat.completion.chunk\",\"created\":1731000000,"        \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[{" \
    "\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}"
#define OAI_C6                                                                                    \
    "{\"id\":\"chatcmpl-9x1\",\"object\":\"chat.completion.chunk\",\"created\":1731000000,"        \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[],"\
    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":8,\"total_tokens\":17}}"

/* With LF line ends; other line ends are made by substitution. The comment
 * line is what OpenRouter sends while a model warms up. */
static const char oai_stream[] = ": OPENROUTER PROCESSING\n"
                                 "\n"
                                 "data: " OAI_C1 "\n\n"
                                 "data: " OAI_C2 "\n\n"
                                 "data: " OAI_C3 "\n\n"
                                 "data: " OAI_C4 "\n\n"
                                 "data: " OAI_C5 "\n\n"
                                 "data: " OAI_C6 "\n\n"
                                 "data: [DONE]\n\n";

static const char oai_expected[] = "message||" OAI_C1 "\n"
                                   "message||" OAI_C2 "\n"
                                   "message||" OAI_C3 "\n"
                                   "message||" OAI_C4 "\n"
                                   "message||" OAI_C5 "\n"
                                   "message||" OAI_C6 "\n"
                                   "message||[DONE]\n";

static const char anthropic_stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\","
    "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-20250514\",\"content\":[],"
    "\"stop_reason\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n"
    "\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
    "\"text\":\"\"}}\n"
    "\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n"
    "\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"Hi\"}}\n"
    "\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n"
    "\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
    "\"usage\":{\"output_tokens\":5}}\n"
    "\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n"
    "\n";

static const char anthropic_expected[] =
    "message_start||{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":"
    "\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-20250514\",\"content\":[],"
    "\"stop_reason\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n"
    "content_block_start||{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{"
    "\"type\":\"text\",\"text\":\"\"}}\n"
    "ping||{\"type\": \"ping\"}\n"
    "content_block_delta||{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"text_delta\",\"text\":\"Hi\"}}\n"
    "content_block_stop||{\"type\":\"content_block_stop\",\"index\":0}\n"
    "message_delta||{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
    "\"usage\":{\"output_tokens\":5}}\n"
    "message_stop||{\"type\":\"message_stop\"}\n";

/* Copy of src with every LF replaced by eol. Caller frees. */
static char *with_eol(const char *src, const char *eol, size_t *out_len)
{
    size_t el = strlen(eol), n = 0;
    char *r = malloc(strlen(src) * el + 1);
    if (!r)
        abort();
    for (const char *s = src; *s; s++) {
        if (*s == '\n') {
            memcpy(r + n, eol, el);
            n += el;
        } else {
            r[n++] = *s;
        }
    }
    r[n] = '\0';
    *out_len = n;
    return r;
}

/* Feed text split in two at every offset, then in 1-byte pieces; every run
 * must give exactly `expected`. Returns the number of runs that differed. */
static int split_everywhere(const char *text, size_t len, const char *expected)
{
    int bad = 0;
    for (size_t k = 0; k <= len; k++) {
        struct rec r;
        rec_init(&r);
        llmh_sse *p = llmh_sse_new(on_event, &r);
        if (!p)
            abort();
        int rc1 = llmh_sse_feed(p, text, k);
        int rc2 = llmh_sse_feed(p, text + k, len - k);
        llmh_sse_finish(p);
        llmh_sse_free(p);
        if (rc1 || rc2 || r.len_mismatch || strcmp(rec_str(&r), expected) != 0) {
            if (bad++ == 0)
                fprintf(stderr, "\nsse split at %zu gave:\n%s\n", k, rec_str(&r));
        }
        free(r.s);
    }
    struct rec r;
    rec_init(&r);
    llmh_sse *p = llmh_sse_new(on_event, &r);
    if (!p)
        abort();
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0; i++)
        rc = llmh_sse_feed(p, text + i, 1);
    llmh_sse_finish(p);
    llmh_sse_free(p);
    if (rc || strcmp(rec_str(&r), expected) != 0) {
        bad++;
        fprintf(stderr, "\nsse 1-byte feeds gave:\n%s\n", rec_str(&r));
    }
    free(r.s);
    return bad;
}

static void check_stream_all_eols(const char *lf_text, const char *expected)
{
    static const char *const eols[] = {"\n", "\r\n", "\r"};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        char *text = with_eol(lf_text, eols[i], &len);
        CU_ASSERT_EQUAL(split_everywhere(text, len, expected), 0);
        free(text);
    }
}

static void test_sse_openai_stream_same_events_at_every_split_lf_crlf_cr(void)
{
    check_stream_all_eols(oai_stream, oai_expected);
}

static void test_sse_anthropic_named_events_same_at_every_split_lf_crlf_cr(void)
{
    check_stream_all_eols(anthropic_stream, anthropic_expected);
}

/* ---- single rules ---------------------------------------------------------- */

static void expect(const char *text, const char *expected)
{
    struct rec r;
    run_whole(text, strlen(text), &r);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), expected);
    CU_ASSERT_FALSE(r.len_mismatch);
    free(r.s);
}

static void test_sse_comment_lines_are_ignored(void)
{
    expect(": hello\ndata: a\n: between\ndata: b\n\n:\n\n", "message||a\nb\n");
}

static void test_sse_multiline_data_joined_with_lf(void)
{
    expect("data: first\ndata: second\ndata:\ndata: fourth\n\n",
           "message||first\nsecond\n\nfourth\n");
}

static void test_sse_event_field_names_the_event(void)
{
    expect("event: content_block_delta\ndata: {\"x\":1}\n\n",
           "content_block_delta||{\"x\":1}\n");
}

static void test_sse_only_one_space_after_colon_is_stripped(void)
{
    expect("data:nospace\n\ndata:  two\n\nevent:ev\ndata:x\n\n",
           "message||nospace\nmessage|| two\nev||x\n");
}

static void test_sse_data_line_without_colon_dispatches_empty_data(void)
{
    /* "data" alone is field data with an empty value: buffer "\n", dispatched as "". */
    struct rec r;
    run_whole("data\n\n", 6, &r);
    CU_ASSERT_EQUAL(r.count, 1);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "message||\n");
    free(r.s);
}

static void test_sse_unknown_fields_are_ignored(void)
{
    expect("foo: bar\nDATA: upper\ndata : spaced\nevents: x\ndata: ok\n\n", "message||ok\n");
}

static void test_sse_leading_bom_is_ignored_once(void)
{
    /* Split inside the BOM: the parser must still recognise it. */
    struct rec r;
    rec_init(&r);
    llmh_sse *p = llmh_sse_new(on_event, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(FEED(p, "\xEF\xBB"), 0);
    CU_ASSERT_EQUAL(FEED(p, "\xBF" "data: a\n\n"), 0);
    /* A second BOM is not stripped: it makes the field name unknown. */
    CU_ASSERT_EQUAL(FEED(p, "\xEF\xBB\xBF" "data: b\n\ndata: c\n\n"), 0);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "message||a\nmessage||c\n");
    llmh_sse_free(p);
    free(r.s);
}

static void test_sse_partial_bom_bytes_are_kept_as_text(void)
{
    /* EF BB then 'd' is not a BOM: those bytes stay and spoil the field name. */
    expect("\xEF\xBB" "data: a\n\ndata: b\n\n", "message||b\n");
}

static void test_sse_retry_takes_digits_only(void)
{
    llmh_sse *p = llmh_sse_new(on_event, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(llmh_sse_retry_ms(p), -1);
    CU_ASSERT_EQUAL(FEED(p, "retry: 2500\n"), 0);
    CU_ASSERT_EQUAL(llmh_sse_retry_ms(p), 2500);
    CU_ASSERT_EQUAL(FEED(p, "retry: 12x\nretry: -5\nretry:\nretry: 1.5\n"), 0);
    CU_ASSERT_EQUAL(llmh_sse_retry_ms(p), 2500);
    CU_ASSERT_EQUAL(FEED(p, "retry:0\n"), 0);
    CU_ASSERT_EQUAL(llmh_sse_retry_ms(p), 0);
    llmh_sse_reset(p);
    CU_ASSERT_EQUAL(llmh_sse_retry_ms(p), -1);
    llmh_sse_free(p);
}

static void test_sse_id_persists_and_id_with_nul_is_ignored(void)
{
    static const char text[] = "id: 7\ndata: a\n\n"
                               "data: b\n\n"
                               "id: 8\0x\ndata: c\n\n"
                               "id\ndata: d\n\n";
    struct rec r;
    run_whole(text, sizeof text - 1, &r);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "message|7|a\nmessage|7|b\nmessage|7|c\nmessage||d\n");
    free(r.s);
}

static void test_sse_empty_data_is_not_dispatched_and_resets_event(void)
{
    expect("event: lonely\n\n\n\ndata: x\n\n", "message||x\n");
}

static void test_sse_event_name_resets_after_dispatch(void)
{
    expect("event: a\ndata: 1\n\ndata: 2\n\nevent: b\nevent: c\ndata: 3\n\n",
           "a||1\nmessage||2\nc||3\n");
}

static void test_sse_finish_discards_unterminated_event(void)
{
    struct rec r;
    rec_init(&r);
    llmh_sse *p = llmh_sse_new(on_event, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    static const char t1[] = "data: a\n\nevent: x\ndata: b\n";
    CU_ASSERT_EQUAL(llmh_sse_feed(p, t1, sizeof t1 - 1), 0);
    llmh_sse_finish(p);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "message||a\n");
    /* A new stream after finish starts clean: no leftover data or event name,
     * and an unterminated last line is dropped too. */
    static const char t2[] = "data: c\n\ndata: d";
    CU_ASSERT_EQUAL(llmh_sse_feed(p, t2, sizeof t2 - 1), 0);
    llmh_sse_finish(p);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "message||a\nmessage||c\n");
    /* After finish a new stream begins: its BOM is ignored again. */
    CU_ASSERT_EQUAL(FEED(p, "\xEF\xBB\xBF" "data: d\n\n"), 0);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "message||a\nmessage||c\nmessage||d\n");
    llmh_sse_free(p);
    free(r.s);
}

static void test_sse_cr_then_lf_across_feeds_is_one_line_end(void)
{
    struct rec r;
    rec_init(&r);
    llmh_sse *p = llmh_sse_new(on_event, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    /* If the LF were a second line end it would dispatch "a" alone. */
    CU_ASSERT_EQUAL(FEED(p, "data: a\r"), 0);
    CU_ASSERT_EQUAL(FEED(p, ""), 0);
    CU_ASSERT_EQUAL(FEED(p, "\ndata: b\r"), 0);
    CU_ASSERT_EQUAL(FEED(p, "\n\r"), 0);
    CU_ASSERT_EQUAL(FEED(p, "\r\n"), 0); /* CR ends a line; LF pairs with it */
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "message||a\nb\n");
    CU_ASSERT_EQUAL(r.count, 1);
    llmh_sse_free(p);
    free(r.s);
}

static void test_sse_callback_abort_value_is_returned(void)
{
    struct rec r;
    rec_init(&r);
    r.abort_at = 2;
    r.abort_value = 42;
    llmh_sse *p = llmh_sse_new(on_event, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    static const char text[] = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
    CU_ASSERT_EQUAL(llmh_sse_feed(p, text, sizeof text - 1), 42);
    CU_ASSERT_EQUAL(r.count, 2);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "message||1\nmessage||2\n");
    llmh_sse_free(p);
    free(r.s);
}

static void test_sse_line_longer_than_max_fails(void)
{
    struct rec r;
    rec_init(&r);
    llmh_sse *p = llmh_sse_new(on_event, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    llmh_sse_set_max_line(p, 10);
    /* "data: 1234" is exactly 10 bytes: accepted. */
    CU_ASSERT_EQUAL(FEED(p, "data: 1234\n\n"), 0);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "message||1234\n");
    /* 11 bytes in one feed. */
    CU_ASSERT_EQUAL(FEED(p, "data: 12345\n\n"), -1);
    /* Once failed, stays failed until reset. */
    CU_ASSERT_EQUAL(FEED(p, "data: 1\n\n"), -1);
    llmh_sse_reset(p);
    llmh_sse_set_max_line(p, 10);
    CU_ASSERT_EQUAL(FEED(p, "data: 1\n\n"), 0);
    /* An unterminated line over the limit fails without waiting for its end. */
    CU_ASSERT_EQUAL(FEED(p, "data:"), 0);
    CU_ASSERT_EQUAL(FEED(p, " 123456"), -1);
    CU_ASSERT_EQUAL(r.count, 2);
    llmh_sse_free(p);
    free(r.s);
}

static void test_sse_event_data_larger_than_max_fails(void)
{
    llmh_sse *p = llmh_sse_new(on_event, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    llmh_sse_set_max_line(p, 10);
    /* Each line fits, but the event's data grows past 10 bytes. */
    CU_ASSERT_EQUAL(FEED(p, "data: 1234\ndata: 1234\ndata: 1234\n"), -1);
    llmh_sse_free(p);
}

static void test_sse_reset_forgets_partial_event_and_id(void)
{
    struct rec r;
    rec_init(&r);
    llmh_sse *p = llmh_sse_new(on_event, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(FEED(p, "id: 5\nevent: e\ndata: x\ndata: y"), 0);
    llmh_sse_reset(p);
    CU_ASSERT_EQUAL(FEED(p, "data: z\n\n"), 0);
    CU_ASSERT_STRING_EQUAL(rec_str(&r), "message||z\n");
    llmh_sse_free(p);
    free(r.s);
}

int llmh_test_register_sse(void)
{
    static const llmh_test tests[] = {
        {"test_sse_openai_stream_same_events_at_every_split_lf_crlf_cr",
         test_sse_openai_stream_same_events_at_every_split_lf_crlf_cr},
        {"test_sse_anthropic_named_events_same_at_every_split_lf_crlf_cr",
         test_sse_anthropic_named_events_same_at_every_split_lf_crlf_cr},
        {"test_sse_comment_lines_are_ignored", test_sse_comment_lines_are_ignored},
        {"test_sse_multiline_data_joined_with_lf", test_sse_multiline_data_joined_with_lf},
        {"test_sse_event_field_names_the_event", test_sse_event_field_names_the_event},
        {"test_sse_only_one_space_after_colon_is_stripped",
         test_sse_only_one_space_after_colon_is_stripped},
        {"test_sse_data_line_without_colon_dispatches_empty_data",
         test_sse_data_line_without_colon_dispatches_empty_data},
        {"test_sse_unknown_fields_are_ignored", test_sse_unknown_fields_are_ignored},
        {"test_sse_leading_bom_is_ignored_once", test_sse_leading_bom_is_ignored_once},
        {"test_sse_partial_bom_bytes_are_kept_as_text",
         test_sse_partial_bom_bytes_are_kept_as_text},
        {"test_sse_retry_takes_digits_only", test_sse_retry_takes_digits_only},
        {"test_sse_id_persists_and_id_with_nul_is_ignored",
         test_sse_id_persists_and_id_with_nul_is_ignored},
        {"test_sse_empty_data_is_not_dispatched_and_resets_event",
         test_sse_empty_data_is_not_dispatched_and_resets_event},
        {"test_sse_event_name_resets_after_dispatch", test_sse_event_name_resets_after_dispatch},
        {"test_sse_finish_discards_unterminated_event",
         test_sse_finish_discards_unterminated_event},
        {"test_sse_cr_then_lf_across_feeds_is_one_line_end",
         test_sse_cr_then_lf_across_feeds_is_one_line_end},
        {"test_sse_callback_abort_value_is_returned", test_sse_callback_abort_value_is_returned},
        {"test_sse_line_longer_than_max_fails", test_sse_line_longer_than_max_fails},
        {"test_sse_event_data_larger_than_max_fails", test_sse_event_data_larger_than_max_fails},
        {"test_sse_reset_forgets_partial_event_and_id",
         test_sse_reset_forgets_partial_event_and_id},
    };
    return llmh_test_suite("sse", NULL, NULL, tests, sizeof tests / sizeof tests[0]);
}
