/* test_think.c: removal of <think> blocks and stray tags from answer text,
 * whole and streamed at every split, with exact expected answer and reasoning. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "think.h"


#define FEED(t, lit, a, r) llmh_think_feed((t), (lit), sizeof(lit) - 1, (a), (r))

static const char *str(const llmh_buf *b)
{
    return b->data ? b->data : "";
}

static void check_strip(const char *in, const char *want_answer, const char *want_reasoning)
{
    char *a = NULL, *r = NULL;
    llmh_think_strip(in, strlen(in), &a, &r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(a, want_answer);
    CU_ASSERT_STRING_EQUAL(r, want_reasoning);
    if (strcmp(a, want_answer) != 0 || strcmp(r, want_reasoning) != 0)
        fprintf(stderr, "\n  input %s\n  answer [%s] want [%s]\n  reasoning [%s] want [%s]\n",
                in, a, want_answer, r, want_reasoning);
    free(a);
    free(r);
}

/* Feed in[0..cut1), in[cut1..cut2), in[cut2..) and finish; 1 if the result
 * is exactly the expected pair. */
static int run_split(llmh_think *t, const char *in, size_t cut1, size_t cut2, const char *wa,
                     const char *wr)
{
    size_t n = strlen(in);
    llmh_buf a = {0}, r = {0};
    llmh_think_feed(t, in, cut1, &a, &r);
    llmh_think_feed(t, in + cut1, cut2 - cut1, &a, &r);
    llmh_think_feed(t, in + cut2, n - cut2, &a, &r);
    llmh_think_finish(t, &a, &r);
    int ok = strcmp(str(&a), wa) == 0 && strcmp(str(&r), wr) == 0;
    if (!ok)
        fprintf(stderr, "\n  input %s cut at %zu,%zu: answer [%s] reasoning [%s]\n", in, cut1,
                cut2, str(&a), str(&r));
    llmh_buf_free(&a);
    llmh_buf_free(&r);
    return ok;
}

static int run_bytewise(llmh_think *t, const char *in, const char *wa, const char *wr)
{
    llmh_buf a = {0}, r = {0};
    for (const char *p = in; *p; p++)
        llmh_think_feed(t, p, 1, &a, &r);
    llmh_think_finish(t, &a, &r);
    int ok = strcmp(str(&a), wa) == 0 && strcmp(str(&r), wr) == 0;
    if (!ok)
        fprintf(stderr, "\n  input %s bytewise: answer [%s] reasoning [%s]\n", in, str(&a),
                str(&r));
    llmh_buf_free(&a);
    llmh_buf_free(&r);
    return ok;
}

static const struct {
    const char *in, *answer, *reasoning;
} cases[] = {
    {"<think>The user greets me.</think>\n\nHello there!", "Hello there!", "The user greets me."},
    {"", "", ""},
    {"plain answer, no tags", "plain answer, no tags", ""},
    {"Reasoning first.</think>\n\nAnswer", "Reasoning first.Answer", ""},
    {"Answer<think>partial reasoning", "Answer", "partial reasoning"},
    {"<THINK>Upper</Think>\nA", "A", "Upper"},
    {"<thinking>long form</thinking>\r\n\t Answer", "Answer", "long form"},
    {"<thinking>mixed</THINK>ok", "ok", "mixed"},
    {"a < b and <div>x</div> and c<<think>r</think>d", "a < b and <div>x</div> and c<d", "r"},
    {"<thin>not a tag</thin> <thinkers>", "<thin>not a tag</thin> <thinkers>", ""},
    {"<think>a</think>\n\nX\n\n<think>b</think>\nY", "X\n\nY", "ab"},
    {"<think>a<think>b</think>c</think>\n d", "cd", "a<think>b"},
    {"  keep  <think>r</think>x  y \n", "  keep  x  y \n", "r"},
    {"end <thi", "end <thi", ""},
    {"<think>x</th", "", "x</th"},
    {"</think>\n\n", "", ""},
};

static void test_think_strip_whole_response_separates_reasoning(void)
{
    check_strip("<think>\nThe user says hi. I should greet back.\n</think>\n\nHi! How can I help?",
                "Hi! How can I help?", "\nThe user says hi. I should greet back.\n");
}

static void test_think_table_whole_text(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_strip(cases[i].in, cases[i].answer, cases[i].reasoning);
}

static void test_think_split_at_every_offset_matches_whole(void)
{
    llmh_think *t = llmh_think_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].in);
        int bad = 0;
        for (size_t c1 = 0; c1 <= n; c1++)
            for (size_t c2 = c1; c2 <= n; c2++)
                bad += !run_split(t, cases[i].in, c1, c2, cases[i].answer, cases[i].reasoning);
        CU_ASSERT_EQUAL(bad, 0);
    }
    llmh_think_free(t);
}

static void test_think_one_byte_pieces_match_whole(void)
{
    llmh_think *t = llmh_think_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CU_ASSERT_TRUE(run_bytewise(t, cases[i].in, cases[i].answer, cases[i].reasoning));
    llmh_think_free(t);
}

static void test_think_split_tag_across_chunks(void)
{
    llmh_think *t = llmh_think_new();
    llmh_buf a = {0}, r = {0};
    FEED(t, "<thi", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "");
    CU_ASSERT_STRING_EQUAL(str(&r), "");
    FEED(t, "nk>I reason</TH", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "");
    CU_ASSERT_STRING_EQUAL(str(&r), "I reason");
    FEED(t, "INK>", &a, &r);
    FEED(t, "\n", &a, &r);
    FEED(t, "\nThe answer.", &a, &r);
    llmh_think_finish(t, &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "The answer.");
    CU_ASSERT_STRING_EQUAL(str(&r), "I reason");
    llmh_buf_free(&a);
    llmh_buf_free(&r);
    llmh_think_free(t);
}

static void test_think_holds_back_only_a_possible_tag_prefix(void)
{
    llmh_think *t = llmh_think_new();
    llmh_buf a = {0}, r = {0};
    FEED(t, "Hello", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "Hello");
    FEED(t, " <", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "Hello ");
    FEED(t, "b", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "Hello <b");
    FEED(t, " <thi", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "Hello <b ");
    FEED(t, "s", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "Hello <b <this");
    FEED(t, "</think", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "Hello <b <this");
    FEED(t, "s", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "Hello <b <this</thinks");
    CU_ASSERT_STRING_EQUAL(str(&r), "");
    llmh_buf_free(&a);
    llmh_buf_free(&r);
    llmh_think_free(t);
}

static void test_think_reasoning_streams_without_waiting_for_close(void)
{
    llmh_think *t = llmh_think_new();
    llmh_buf a = {0}, r = {0};
    FEED(t, "<think>step one", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&r), "step one");
    FEED(t, ", step <b>two<", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&r), "step one, step <b>two");
    FEED(t, "/", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&r), "step one, step <b>two");
    FEED(t, "x", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&r), "step one, step <b>two</x");
    CU_ASSERT_STRING_EQUAL(str(&a), "");
    llmh_buf_free(&a);
    llmh_buf_free(&r);
    llmh_think_free(t);
}

static void test_think_stray_close_is_removed(void)
{
    check_strip("The user wants a haiku.</think>\n\nSnow on the pine.",
                "The user wants a haiku.Snow on the pine.", "");
    check_strip("A</think>B</thinking>C", "ABC", "");
}

static void test_think_unclosed_open_makes_rest_reasoning(void)
{
    check_strip("Answer first. <think>then reasoning\n that never ends",
                "Answer first. ", "then reasoning\n that never ends");
}

static void test_think_finish_flushes_held_prefix_as_answer(void)
{
    llmh_think *t = llmh_think_new();
    llmh_buf a = {0}, r = {0};
    FEED(t, "x <thi", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "x ");
    llmh_think_finish(t, &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "x <thi");
    CU_ASSERT_STRING_EQUAL(str(&r), "");
    llmh_buf_free(&a);
    llmh_buf_free(&r);
    llmh_think_free(t);
}

static void test_think_finish_flushes_held_prefix_inside_block_as_reasoning(void)
{
    check_strip("<think>r</think", "", "r</think");
}

static void test_think_uppercase_tags(void)
{
    check_strip("<THINK>R</THINK>A", "A", "R");
    check_strip("<ThInKiNg>R</tHiNkInG>A", "A", "R");
}

static void test_think_thinking_tag(void)
{
    check_strip("<thinking>Let me see.</thinking>\n\n42", "42", "Let me see.");
}

static void test_think_less_than_is_plain_text(void)
{
    check_strip("a < b", "a < b", "");
    check_strip("<div>x</div>", "<div>x</div>", "");
    check_strip("if (a<b && c>d) <", "if (a<b && c>d) <", "");
    check_strip("<thinker> </thinkx> <think", "<thinker> </thinkx> <think", "");
}

static void test_think_drops_whitespace_only_after_close(void)
{
    check_strip("<think>r</think>\n\n  Line one\n\n  Line two\n", "Line one\n\n  Line two\n", "r");
    check_strip("  Lead\n\n<think>r</think>", "  Lead\n\n", "r");
    check_strip("<think>  r  </think>x", "x", "  r  ");
}

static void test_think_multiple_blocks(void)
{
    check_strip("<think>one</think>\nFirst. <think>two</think> Second.", "First. Second.",
                "onetwo");
}

static void test_think_nested_open_is_reasoning_text(void)
{
    check_strip("<think>outer <think>inner</think>after", "after", "outer <think>inner");
}

static void test_think_empty_input(void)
{
    check_strip("", "", "");
    char *a = NULL, *r = NULL;
    llmh_think_strip(NULL, 0, &a, &r);
    CU_ASSERT_STRING_EQUAL(a, "");
    CU_ASSERT_STRING_EQUAL(r, "");
    free(a);
    free(r);

    llmh_think *t = llmh_think_new();
    llmh_buf ab = {0}, rb = {0};
    llmh_think_feed(t, "", 0, &ab, &rb);
    llmh_think_finish(t, &ab, &rb);
    CU_ASSERT_EQUAL(ab.len, 0);
    CU_ASSERT_EQUAL(rb.len, 0);
    llmh_think_free(t);
}

static void test_think_null_buffer_discards_that_part(void)
{
    llmh_think *t = llmh_think_new();
    llmh_buf a = {0};
    FEED(t, "<think>hidden</think>shown", &a, NULL);
    llmh_think_finish(t, &a, NULL);
    CU_ASSERT_STRING_EQUAL(str(&a), "shown");
    llmh_buf_free(&a);
    llmh_think_free(t);

    char *r = NULL;
    llmh_think_strip("<think>why</think>what", 22, NULL, &r);
    CU_ASSERT_STRING_EQUAL(r, "why");
    free(r);
}

static void test_think_reset_and_finish_start_a_new_text(void)
{
    llmh_think *t = llmh_think_new();
    llmh_buf a = {0}, r = {0};
    FEED(t, "<think>half", &a, &r);
    llmh_think_reset(t);
    llmh_buf_reset(&a);
    llmh_buf_reset(&r);
    FEED(t, "fresh", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "fresh");
    CU_ASSERT_STRING_EQUAL(str(&r), "");

    FEED(t, "<thi", &a, &r);
    llmh_think_reset(t);
    FEED(t, "nk>x", &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "freshnk>x");

    llmh_buf_reset(&a);
    llmh_buf_reset(&r);
    FEED(t, "</think>", &a, &r);
    llmh_think_finish(t, &a, &r);
    FEED(t, "\nkept", &a, &r);
    llmh_think_finish(t, &a, &r);
    CU_ASSERT_STRING_EQUAL(str(&a), "\nkept");
    CU_ASSERT_STRING_EQUAL(str(&r), "");
    llmh_buf_free(&a);
    llmh_buf_free(&r);
    llmh_think_free(t);
}

int llmh_test_register_think(void)
{
    static const llmh_test tests[] = {
        {"test_think_strip_whole_response_separates_reasoning",
         test_think_strip_whole_response_separates_reasoning},
        {"test_think_table_whole_text", test_think_table_whole_text},
        {"test_think_split_at_every_offset_matches_whole",
         test_think_split_at_every_offset_matches_whole},
        {"test_think_one_byte_pieces_match_whole", test_think_one_byte_pieces_match_whole},
        {"test_think_split_tag_across_chunks", test_think_split_tag_across_chunks},
        {"test_think_holds_back_only_a_possible_tag_prefix",
         test_think_holds_back_only_a_possible_tag_prefix},
        {"test_think_reasoning_streams_without_waiting_for_close",
         test_think_reasoning_streams_without_waiting_for_close},
        {"test_think_stray_close_is_removed", test_think_stray_close_is_removed},
        {"test_think_unclosed_open_makes_rest_reasoning",
         test_think_unclosed_open_makes_rest_reasoning},
        {"test_think_finish_flushes_held_prefix_as_answer",
         test_think_finish_flushes_held_prefix_as_answer},
        {"test_think_finish_flushes_held_prefix_inside_block_as_reasoning",
         test_think_finish_flushes_held_prefix_inside_block_as_reasoning},
        {"test_think_uppercase_tags", test_think_uppercase_tags},
        {"test_think_thinking_tag", test_think_thinking_tag},
        {"test_think_less_than_is_plain_text", test_think_less_than_is_plain_text},
        {"test_think_drops_whitespace_only_after_close",
         test_think_drops_whitespace_only_after_close},
        {"test_think_multiple_blocks", test_think_multiple_blocks},
        {"test_think_nested_open_is_reasoning_text", test_think_nested_open_is_reasoning_text},
        {"test_think_empty_input", test_think_empty_input},
        {"test_think_null_buffer_discards_that_part", test_think_null_buffer_discards_that_part},
        {"test_think_reset_and_finish_start_a_new_text",
         test_think_reset_and_finish_start_a_new_text},
    };
    return llmh_test_suite("think", NULL, NULL, tests, sizeof tests / sizeof tests[0]);
}
