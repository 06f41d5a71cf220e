/* test_profile.c: profiles and pipelines (host/lib/profile.c, pipeline.c)
 * and the settings pieces they stand on (the PROFILE layer, cloning): key
 * mapping and precedence, system prompt composition, max_length, the
 * confidence line, prompt templates, `when` conditions, and load errors with
 * FILE:LINE. No network: providers are declared in the config and never
 * called. */
#include "pipeline.h"
#include "profile.h"
#include "settings.h"

#include "ctx.h"
#include "log.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"

/* ---- fixtures: a temp dir with a config file, warnings captured ---- */

static char g_dir[256];
static char g_log[8192];

static void capture_sink(void *ud, int level, const char *line)
{
    (void)ud;
    if (level > LLMH_LOG_WARN)
        return;
    size_t n = strlen(g_log);
    snprintf(g_log + n, sizeof g_log - n, "%s\n", line);
}

/* Variables that would change what the tests see. */
static const char *const env_names[] = {
    "LLMHOST_LLM_TEMPERATURE", "LLMHOST_LLM_PROVIDER",         "LLMHOST_LLM_MODEL",
    "LLMHOST_LLM_MAX_TOKENS",  "LLMHOST_LLM_MOCK_TEMPERATURE", "LLMHOST_LLM_FALLBACK",
    "PROFILE_TEST_ALIAS"};

static int suite_init(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/llmh-profile-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(g_dir))
        return -1;
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++)
        unsetenv(env_names[i]);
    llmh_log_set_sink(capture_sink, NULL);
    return 0;
}

static void rm_file(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    unlink(p);
}

static int suite_clean(void)
{
    static const char *const files[] = {"llmhost.ini", "system.txt", "knowledge.md"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        rm_file(files[i]);
    rmdir(g_dir);
    llmh_log_set_sink(NULL, NULL);
    return 0;
}

static void write_file(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static const char *ini_path(void)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/llmhost.ini", g_dir);
    return p;
}

/* A declared provider, so no plugin is needed; nothing is ever sent to it. */
#define MOCK_PROVIDER "[provider.mock]\nurl = http://127.0.0.1:9/v1\n\n"

static llmh_ctx *ctx_with(const char *ini)
{
    write_file("llmhost.ini", ini);
    g_log[0] = '\0';
    llmh_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.config_file = ini_path();
    llmh_ctx *ctx = NULL;
    llmh_error err;
    if (llmh_ctx_new(&o, &ctx, &err) != LLMH_OK)
        return NULL;
    return ctx;
}

/* Load profile name; the error message (or "") in msg. */
static llmh_status load(llmh_ctx *ctx, const char *name, llmh_profile **p, char *msg, size_t size)
{
    llmh_error err;
    memset(&err, 0, sizeof err);
    llmh_status st = llmh_profile_load(ctx, name, p, &err);
    snprintf(msg, size, "%s", st == LLMH_OK ? "" : err.message);
    return st;
}

/* ---- the settings layer ---- */

static void test_profile_layer_ranks_between_file_and_environment(void)
{
    llmh_settings *s = llmh_settings_new();
    llmh_setting_source src;
    llmh_settings_set(s, "x.k", "file", LLMH_SRC_FILE);
    llmh_settings_set(s, "x.k", "profile", LLMH_SRC_PROFILE);
    CU_ASSERT_STRING_EQUAL(llmh_settings_get(s, "x.k", &src), "profile");
    CU_ASSERT_EQUAL(src, LLMH_SRC_PROFILE);
    char buf[64];
    CU_ASSERT_STRING_EQUAL(llmh_settings_source_text(s, "x.k", buf, sizeof buf), "profile");
    llmh_settings_set(s, "x.k", "alias", LLMH_SRC_ALIAS_ENV);
    CU_ASSERT_STRING_EQUAL(llmh_settings_get(s, "x.k", &src), "alias");
    llmh_settings_set(s, "x.k", NULL, LLMH_SRC_ALIAS_ENV);
    llmh_settings_add_env_alias(s, "x.k", "PROFILE_TEST_ALIAS");
    setenv("PROFILE_TEST_ALIAS", "from-env", 1);
    CU_ASSERT_STRING_EQUAL(llmh_settings_get(s, "x.k", &src), "from-env");
    unsetenv("PROFILE_TEST_ALIAS");
    llmh_settings_set(s, "x.k", "cli", LLMH_SRC_CLI);
    CU_ASSERT_STRING_EQUAL(llmh_settings_get(s, "x.k", &src), "cli");
    llmh_settings_set(s, "x.k", NULL, LLMH_SRC_CLI);
    llmh_settings_set(s, "x.k", NULL, LLMH_SRC_PROFILE);
    CU_ASSERT_STRING_EQUAL(llmh_settings_get(s, "x.k", &src), "file");
    /* The values of the older layers did not move. */
    CU_ASSERT_EQUAL(LLMH_SRC_CLI, 5);
    CU_ASSERT_EQUAL(LLMH_SRC_PROFILE, 6);
    llmh_settings_free(s);
}

static void test_clone_is_deep_and_keeps_origins_aliases_and_sections(void)
{
    llmh_settings *s = llmh_settings_new();
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_settings_load_string(
                        s, "conf.ini", "[llm]\ntemperature = 0.3\n[profile.a]\nmodel = m\n", &err),
                    LLMH_OK);
    llmh_settings_add_env_alias(s, "llm.thing", "PROFILE_TEST_ALIAS");
    llmh_settings *c = llmh_settings_clone(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    const char *file = NULL;
    int line = 0;
    CU_ASSERT_TRUE(llmh_settings_origin(c, "llm.temperature", &file, &line));
    CU_ASSERT_STRING_EQUAL(file, "conf.ini");
    CU_ASSERT_EQUAL(line, 2);
    CU_ASSERT_STRING_EQUAL(llmh_settings_file(c), "conf.ini");
    setenv("PROFILE_TEST_ALIAS", "aliased", 1);
    CU_ASSERT_STRING_EQUAL(llmh_settings_get(c, "llm.thing", NULL), "aliased");
    unsetenv("PROFILE_TEST_ALIAS");
    CU_ASSERT_TRUE(llmh_profile_exists(c, "a"));
    llmh_settings_set(c, "llm.temperature", "1.5", LLMH_SRC_CLI);
    CU_ASSERT_STRING_EQUAL(llmh_settings_get(s, "llm.temperature", NULL), "0.3");
    llmh_settings_free(s); /* the clone owns its own file names */
    CU_ASSERT_TRUE(llmh_settings_origin(c, "profile.a.model", &file, &line));
    CU_ASSERT_STRING_EQUAL(file, "conf.ini");
    llmh_settings_free(c);
}

/* ---- mapping and precedence ---- */

static const char mapping_ini[] = MOCK_PROVIDER "[llm]\n"
                                                "temperature = 0.9\n"
                                                "max_tokens = 4000\n"
                                                "[llm.mock]\n"
                                                "temperature = 0.8\n"
                                                "[profile.p]\n"
                                                "provider = mock\n"
                                                "model = small\n"
                                                "temperature = 0.2\n"
                                                "mock.url = http://127.0.0.1:10/v1\n"
                                                "max_retries = 0\n"
                                                "cache = on\n"
                                                "breaker.failures = 3\n"
                                                "fallback = mock/big\n";

static void test_profile_keys_map_into_the_profile_layer(void)
{
    llmh_ctx *ctx = ctx_with(mapping_ini);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    llmh_profile *p;
    char msg[512];
    CU_ASSERT_EQUAL_FATAL(load(ctx, "p", &p, msg, sizeof msg), LLMH_OK);
    llmh_settings *s = llmh_profile_settings(p, ctx->settings, NULL);
    llmh_setting_source src;
    static const char *const want[][2] = {
        {"llm.provider", "mock"},        {"llm.model", "small"},
        {"llm.temperature", "0.2"},      {"llm.mock.url", "http://127.0.0.1:10/v1"},
        {"llm.max_retries", "0"},        {"llm.cache", "on"},
        {"breaker.failures", "3"},       {"llm.fallback", "mock/big"},
        {"llm.mock.temperature", "0.2"}, {"llm.mock.model", "small"},
        {"breaker.mock.failures", "3"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *v = llmh_settings_get(s, want[i][0], &src);
        CU_ASSERT_PTR_NOT_NULL(v);
        if (v)
            CU_ASSERT_STRING_EQUAL(v, want[i][1]);
        CU_ASSERT_EQUAL(src, LLMH_SRC_PROFILE);
    }
    /* The context's own settings are untouched. */
    CU_ASSERT_STRING_EQUAL(llmh_settings_get(ctx->settings, "llm.temperature", NULL), "0.9");
    CU_ASSERT_PTR_NULL(llmh_settings_get(ctx->settings, "llm.provider", NULL));
    llmh_settings_free(s);
    llmh_profile_free(p);
    llmh_ctx_free(ctx);
}

/* Effective temperature for provider mock in s: what chat reads. */
static const char *mock_temperature(const llmh_settings *s)
{
    const char *v = llmh_settings_get(s, "llm.mock.temperature", NULL);
    return v ? v : llmh_settings_get(s, "llm.temperature", NULL);
}

static void test_cli_beats_profile_beats_file(void)
{
    llmh_ctx *ctx = ctx_with(mapping_ini);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    llmh_profile *p;
    char msg[512];
    CU_ASSERT_EQUAL_FATAL(load(ctx, "p", &p, msg, sizeof msg), LLMH_OK);
    /* The profile beats both [llm] and [llm.mock]. */
    llmh_settings *s = llmh_profile_settings(p, ctx->settings, NULL);
    CU_ASSERT_STRING_EQUAL(mock_temperature(s), "0.2");
    llmh_settings_free(s);
    /* The environment beats the profile. */
    setenv("LLMHOST_LLM_TEMPERATURE", "0.6", 1);
    s = llmh_profile_settings(p, ctx->settings, NULL);
    CU_ASSERT_STRING_EQUAL(mock_temperature(s), "0.6");
    llmh_settings_free(s);
    unsetenv("LLMHOST_LLM_TEMPERATURE");
    /* -s beats the profile, for the general and the provider's key. */
    llmh_settings_set(ctx->settings, "llm.temperature", "0.5", LLMH_SRC_CLI);
    s = llmh_profile_settings(p, ctx->settings, NULL);
    CU_ASSERT_STRING_EQUAL(mock_temperature(s), "0.5");
    llmh_settings_free(s);
    llmh_settings_set(ctx->settings, "llm.mock.temperature", "0.4", LLMH_SRC_CLI);
    s = llmh_profile_settings(p, ctx->settings, NULL);
    CU_ASSERT_STRING_EQUAL(mock_temperature(s), "0.4");
    llmh_settings_free(s);
    /* A key the profile does not set stays the file's. */
    s = llmh_profile_settings(p, ctx->settings, NULL);
    CU_ASSERT_STRING_EQUAL(llmh_settings_get(s, "llm.max_tokens", NULL), "4000");
    llmh_settings_free(s);
    llmh_profile_free(p);
    llmh_ctx_free(ctx);
}

static void test_request_fields_win_over_the_profile(void)
{
    llmh_ctx *ctx = ctx_with(MOCK_PROVIDER "[profile.p]\nprovider = mock\nmodel = small\n"
                                           "system = Be kind.\nstyle = simple\nmax_length = 100\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    llmh_profile *p;
    char msg[512];
    CU_ASSERT_EQUAL_FATAL(load(ctx, "p", &p, msg, sizeof msg), LLMH_OK);
    llmh_message m = {"user", "hi"};
    llmh_chat_request req;
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.messages = &m;
    req.n_messages = 1;
    llmh_profile_call pc;
    llmh_error err;
    CU_ASSERT_EQUAL_FATAL(llmh_profile_call_begin(ctx, p, &req, &pc, &err), LLMH_OK);
    CU_ASSERT_STRING_EQUAL(pc.provider, "mock");
    CU_ASSERT_STRING_EQUAL(pc.model, "small");
    CU_ASSERT_EQUAL(pc.req.max_tokens, 150);
    CU_ASSERT_PTR_NOT_NULL(strstr(pc.req.system, "Be kind."));
    CU_ASSERT_PTR_EQUAL(pc.view.settings, pc.settings);
    CU_ASSERT_PTR_EQUAL(pc.view.registry, ctx->registry);
    llmh_profile_call_end(&pc);
    req.model = "big";
    req.system = "Be terse.";
    req.max_tokens = 7;
    CU_ASSERT_EQUAL_FATAL(llmh_profile_call_begin(ctx, p, &req, &pc, &err), LLMH_OK);
    CU_ASSERT_STRING_EQUAL(pc.model, "big");
    CU_ASSERT_EQUAL(pc.req.max_tokens, 7);
    /* The request's system prompt replaces the profile's, the shape stays. */
    CU_ASSERT_PTR_NULL(strstr(pc.req.system, "Be kind."));
    CU_ASSERT_PTR_NOT_NULL(strstr(pc.req.system, "Be terse."));
    CU_ASSERT_PTR_NOT_NULL(strstr(pc.req.system, "Style: simple."));
    llmh_profile_call_end(&pc);
    llmh_profile_free(p);
    llmh_ctx_free(ctx);
}

/* ---- the system prompt ---- */

static char *compose(const char *ini_profile)
{
    char ini[2048];
    snprintf(ini, sizeof ini, MOCK_PROVIDER "[profile.p]\n%s", ini_profile);
    llmh_ctx *ctx = ctx_with(ini);
    llmh_profile *p = NULL;
    char msg[512];
    char *out = NULL;
    if (ctx && load(ctx, "p", &p, msg, sizeof msg) == LLMH_OK)
        out = llmh_profile_system_prompt(p, NULL);
    else
        out = strdup(msg);
    llmh_profile_free(p);
    llmh_ctx_free(ctx);
    return out;
}

static void test_each_style_adds_its_instruction(void)
{
    static const char *const styles[][2] = {
        {"concise", "Style: concise."},
        {"detailed", "Style: detailed."},
        {"technical", "Style: technical."},
        {"simple", "Style: simple."},
    };
    for (size_t i = 0; i < 4; i++) {
        char line[64];
        snprintf(line, sizeof line, "style = %s\n", styles[i][0]);
        char *sys = compose(line);
        CU_ASSERT_PTR_NOT_NULL_FATAL(sys);
        CU_ASSERT_PTR_NOT_NULL(strstr(sys, styles[i][1]));
        for (size_t j = 0; j < 4; j++)
            if (j != i)
                CU_ASSERT_PTR_NULL(strstr(sys, styles[j][1]));
        free(sys);
    }
    char *none = compose("model = m\n");
    CU_ASSERT_PTR_NULL(none); /* nothing to say: no system message at all */
    free(none);
}

static void test_max_length_is_an_instruction_and_a_token_limit(void)
{
    char *sys = compose("max_length = 120\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sys);
    CU_ASSERT_PTR_NOT_NULL(strstr(sys, "Keep the answer under 120 words."));
    free(sys);
    CU_ASSERT_EQUAL(llmh_profile_length_tokens(100, 0, 0), 150);
    CU_ASSERT_EQUAL(llmh_profile_length_tokens(101, 0, 0), 152); /* 151.5 rounded up */
    CU_ASSERT_EQUAL(llmh_profile_length_tokens(100, 1, 0), 160); /* room for the confidence */
    CU_ASSERT_EQUAL(llmh_profile_length_tokens(100, 0, 120), 120);
    CU_ASSERT_EQUAL(llmh_profile_length_tokens(0, 1, 120), 0);
}

static void test_max_length_never_exceeds_the_max_tokens_setting(void)
{
    llmh_ctx *ctx = ctx_with(MOCK_PROVIDER "[llm]\nmax_tokens = 60\n"
                                           "[profile.p]\nprovider = mock\nmodel = m\n"
                                           "max_length = 100\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    llmh_profile *p;
    char msg[512];
    CU_ASSERT_EQUAL_FATAL(load(ctx, "p", &p, msg, sizeof msg), LLMH_OK);
    llmh_message m = {"user", "hi"};
    llmh_chat_request req = {.struct_size = sizeof req, .messages = &m, .n_messages = 1};
    llmh_profile_call pc;
    llmh_error err;
    CU_ASSERT_EQUAL_FATAL(llmh_profile_call_begin(ctx, p, &req, &pc, &err), LLMH_OK);
    CU_ASSERT_EQUAL(pc.req.max_tokens, 60);
    llmh_profile_call_end(&pc);
    llmh_profile_free(p);
    llmh_ctx_free(ctx);
}

static void test_confidence_instruction_comes_last(void)
{
    char *sys = compose("system = Base.\nstyle = concise\ninclude_confidence = yes\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sys);
    CU_ASSERT_EQUAL(strncmp(sys, "Base.\n\n", 7), 0);
    const char *c = strstr(sys, "Confidence: NN%");
    CU_ASSERT_PTR_NOT_NULL(c);
    CU_ASSERT_PTR_NULL(c ? strstr(c, "\n\n") : NULL);
    CU_ASSERT_TRUE(strstr(sys, "Style: concise.") < c);
    free(sys);
}

static void test_domain_and_expertise_tiers(void)
{
    char *sys = compose("domain = astronomy\nexpertise_level = 0.9\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sys);
    CU_ASSERT_PTR_NOT_NULL(strstr(sys, "You are an expert in astronomy."));
    CU_ASSERT_PTR_NOT_NULL(strstr(sys, "expertise level is 0.90"));
    CU_ASSERT_PTR_NOT_NULL(strstr(sys, "leading authority: be rigorous"));
    free(sys);
    sys = compose("domain = law\nexpertise_level = 0.5\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(sys, "experienced practitioner"));
    free(sys);
    sys = compose("expertise_level = 0.2\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(sys, "well-established basics"));
    CU_ASSERT_PTR_NULL(strstr(sys, "You are an expert in"));
    free(sys);
    sys = compose("domain = cooking\n");
    CU_ASSERT_STRING_EQUAL(sys, "You are an expert in cooking.");
    free(sys);
}

static void test_system_and_knowledge_files_are_relative_to_the_config(void)
{
    write_file("system.txt", "You answer questions about stars.\n\n");
    write_file("knowledge.md", "Term: parsec = 3.26 light years.\n");
    char *sys = compose("system = @system.txt\nknowledge = @knowledge.md\ndomain = astronomy\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sys);
    CU_ASSERT_STRING_EQUAL(sys, "You answer questions about stars.\n\n"
                                "You are an expert in astronomy.\n\n"
                                "Domain knowledge (terms and facts to rely on):\n"
                                "Term: parsec = 3.26 light years.");
    free(sys);
    rm_file("system.txt");
    rm_file("knowledge.md");
}

/* ---- the confidence line ---- */

static int strip(const char *in, char *out, size_t size)
{
    snprintf(out, size, "%s", in);
    return llmh_confidence_strip(out);
}

static void test_confidence_line_is_parsed_and_removed(void)
{
    char b[256];
    CU_ASSERT_EQUAL(strip("The answer.\nConfidence: 85%", b, sizeof b), 85);
    CU_ASSERT_STRING_EQUAL(b, "The answer.");
    CU_ASSERT_EQUAL(strip("The answer.\n\nconfidence: 0.85\n", b, sizeof b), 85);
    CU_ASSERT_STRING_EQUAL(b, "The answer.");
    CU_ASSERT_EQUAL(strip("A.\n**Confidence:** 72%", b, sizeof b), 72);
    CU_ASSERT_STRING_EQUAL(b, "A.");
    CU_ASSERT_EQUAL(strip("A.\nConfidence level: 8/10", b, sizeof b), 80);
    CU_ASSERT_EQUAL(strip("A.\nCONFIDENCE = 100 %.", b, sizeof b), 100);
    CU_ASSERT_EQUAL(strip("A.\nConfidence: 40", b, sizeof b), 40); /* no point: a percentage */
    CU_ASSERT_EQUAL(strip("A.\nConfidence: 1", b, sizeof b), 1);
    CU_ASSERT_EQUAL(strip("Confidence: 0%", b, sizeof b), 0);
    CU_ASSERT_STRING_EQUAL(b, "");
}

static void test_no_confidence_line_leaves_the_answer_alone(void)
{
    static const char *const keep[] = {
        "A.\nConfidence: high",            /* not a number */
        "A.\nConfidence: 150%",            /* out of range */
        "Confidence: 80%\nThen more text", /* not the last line */
        "My confidence is 80%",            /* not a confidence line */
        "A.\nConfidence: 80% because",
        "",
        "   \n",
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        char b[256];
        CU_ASSERT_EQUAL(strip(keep[i], b, sizeof b), -1);
        CU_ASSERT_STRING_EQUAL(b, keep[i]);
    }
    CU_ASSERT_EQUAL(llmh_confidence_strip(NULL), -1);
}

/* ---- templates ---- */

static const char *lookup(void *ud, const char *stage)
{
    (void)ud;
    if (!strcmp(stage, "explore"))
        return "EXPLORED";
    return NULL; /* skipped or failed */
}

static void test_template_substitutes_query_previous_and_stages(void)
{
    char *s = llmh_template_expand("Q={query} P={previous} E={stage.explore} C={stage.classify} "
                                   "{{literal}} {not a name} }}",
                                   "the query", "the previous", lookup, NULL);
    CU_ASSERT_STRING_EQUAL(s, "Q=the query P=the previous E=EXPLORED C= {literal} {not a name} }");
    free(s);
    s = llmh_template_expand("{previous}", "q", NULL, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(s, "");
    free(s);
}

static void test_template_check_rejects_unknown_placeholders(void)
{
    const char *earlier[] = {"explore", "classify"};
    char why[300];
    CU_ASSERT_EQUAL(llmh_template_check("{query} {previous} {stage.explore} {{x}} {a b}", earlier,
                                        2, why, sizeof why),
                    0);
    CU_ASSERT_EQUAL(llmh_template_check("about {topic}", earlier, 2, why, sizeof why), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "unknown placeholder {topic}"));
    CU_ASSERT_EQUAL(llmh_template_check("{stage.expert}", earlier, 2, why, sizeof why), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "{stage.expert} names no earlier stage"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "explore, classify"));
    CU_ASSERT_EQUAL(llmh_template_check("{stage.explore}", earlier, 0, why, sizeof why), -1);
}

/* ---- when ---- */

static void test_when_matches_is_extended_and_case_insensitive(void)
{
    llmh_when w;
    char why[300];
    char *reason;
    CU_ASSERT_EQUAL_FATAL(
        llmh_when_parse("previous matches (needs|requires) an? expert", &w, why, sizeof why), 0);
    CU_ASSERT_EQUAL(w.kind, LLMH_WHEN_MATCHES);
    CU_ASSERT_PTR_NULL(w.stage);
    CU_ASSERT_EQUAL(llmh_when_eval(&w, "This NEEDS AN EXPERT.", "explore", &reason), 1);
    CU_ASSERT_PTR_NULL(reason);
    CU_ASSERT_EQUAL(llmh_when_eval(&w, "All clear.", "explore", &reason), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reason);
    CU_ASSERT_PTR_NOT_NULL(strstr(reason, "stage explore does not match"));
    free(reason);
    CU_ASSERT_EQUAL(llmh_when_eval(&w, NULL, NULL, &reason), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(reason, "no earlier stage answered"));
    free(reason);
    llmh_when_clear(&w);
    CU_ASSERT_EQUAL(llmh_when_parse("previous matches \"^yes\"", &w, why, sizeof why), 0);
    CU_ASSERT_STRING_EQUAL(w.pattern, "^yes");
    llmh_when_clear(&w);
}

static void test_when_says_yes_reads_the_start_of_the_answer(void)
{
    llmh_when w;
    char why[300];
    char *reason;
    CU_ASSERT_EQUAL_FATAL(llmh_when_parse("stage.classify says YES", &w, why, sizeof why), 0);
    CU_ASSERT_EQUAL(w.kind, LLMH_WHEN_SAYS);
    CU_ASSERT_STRING_EQUAL(w.stage, "classify");
    CU_ASSERT_STRING_EQUAL(w.word, "yes");
    static const char *const yes[] = {"yes", "  Yes.", "YES, it needs one", "**Yes**", "\"yes\""};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        CU_ASSERT_EQUAL(llmh_when_eval(&w, yes[i], "classify", &reason), 1);
        free(reason);
    }
    CU_ASSERT_EQUAL(llmh_when_eval(&w, "No, it is simple.", "classify", &reason), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reason);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(reason, "stage classify said \"No, it is simple.\", not \"yes\""));
    free(reason);
    CU_ASSERT_EQUAL(llmh_when_eval(&w, NULL, "classify", &reason), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(reason, "stage classify did not answer"));
    free(reason);
    llmh_when_clear(&w);
}

static void test_when_syntax_errors_are_explained(void)
{
    static const char *const bad[] = {"previous contains x", "classify says yes",
                                      "stage.classify says", "previous says yes please",
                                      "previous matches (unclosed"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmh_when w;
        char why[300] = "";
        CU_ASSERT_EQUAL(llmh_when_parse(bad[i], &w, why, sizeof why), -1);
        CU_ASSERT_TRUE(strstr(why, "when") != NULL);
    }
}

/* ---- load errors with FILE:LINE ---- */

/* The message loading profile p from ini gives; "" when it loads. */
static void expect_profile_error(const char *ini, const char *want)
{
    llmh_ctx *ctx = ctx_with(ini);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    llmh_profile *p = NULL;
    char msg[512];
    llmh_status st = load(ctx, "p", &p, msg, sizeof msg);
    CU_ASSERT_EQUAL(st, LLMH_E_CONFIG);
    char full[600];
    snprintf(full, sizeof full, "%s:%s", ini_path(), want);
    if (!strstr(msg, full))
        fprintf(stderr, "\n  want \"%s\"\n  got  \"%s\"\n", full, msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, full));
    llmh_profile_free(p);
    llmh_ctx_free(ctx);
}

static void test_bad_profile_values_are_reported_with_file_and_line(void)
{
    expect_profile_error(MOCK_PROVIDER "[profile.p]\nprovider = mock\nexpertise_level = 2\n",
                         "6: profile.p: expertise_level must be between 0 and 1, got \"2\"");
    expect_profile_error(MOCK_PROVIDER "[profile.p]\nprovider = nosuch\n",
                         "5: profile.p: unknown provider \"nosuch\"; known: ");
    expect_profile_error(MOCK_PROVIDER "[profile.p]\nfallback = mock/x, ghost/y\n",
                         "5: profile.p: unknown provider \"ghost\"");
    expect_profile_error(MOCK_PROVIDER "[profile.p]\n\nsystem = @missing.txt\n",
                         "6: profile.p: cannot read the system file ");
    expect_profile_error(MOCK_PROVIDER "[profile.p]\nknowledge = @nothere.md\n",
                         "5: profile.p: cannot read the knowledge file ");
    expect_profile_error(MOCK_PROVIDER "[profile.p]\nstyle = poetic\n",
                         "5: profile.p: style must be concise, detailed, technical or simple, "
                         "got \"poetic\"");
    expect_profile_error(MOCK_PROVIDER "[profile.p]\nmax_length = lots\n",
                         "5: profile.p: max_length must be a whole number of words");
    expect_profile_error(MOCK_PROVIDER "[profile.p]\nmax_length = 0\n",
                         "5: profile.p: max_length must be a whole number of words");
    expect_profile_error(MOCK_PROVIDER "[profile.p]\ninclude_confidence = maybe\n",
                         "5: profile.p: include_confidence must be true or false");
    expect_profile_error(MOCK_PROVIDER "[profile.p]\ntemperature = hot\n",
                         "5: profile.p: temperature must be a number from 0 to 2");
    expect_profile_error(MOCK_PROVIDER "[profile.p]\ntemprature = 0.2\n",
                         "5: profile.p: unknown key \"temprature\"");
    expect_profile_error(MOCK_PROVIDER "[profile.p]\nghost.url = http://x\n",
                         "5: profile.p: ghost.url: no provider \"ghost\"");
}

static void test_unknown_profile_names_the_defined_ones(void)
{
    llmh_ctx *ctx = ctx_with(MOCK_PROVIDER "[profile.a]\nmodel = m\n[profile.b]\nmodel = n\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    llmh_profile *p;
    char msg[512];
    CU_ASSERT_EQUAL(load(ctx, "c", &p, msg, sizeof msg), LLMH_E_CONFIG);
    CU_ASSERT_STRING_EQUAL(msg, "unknown profile \"c\"; defined: a, b");
    llmh_ctx_free(ctx);
}

static void expect_pipeline_error(const char *ini, const char *want)
{
    llmh_ctx *ctx = ctx_with(ini);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    llmh_pipeline_def *d = NULL;
    llmh_error err;
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(llmh_pipeline_load(ctx, "r", &d, &err), LLMH_E_CONFIG);
    CU_ASSERT_PTR_NULL(d);
    if (!strstr(err.message, want))
        fprintf(stderr, "\n  want \"%s\"\n  got  \"%s\"\n", want, err.message);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, want));
    llmh_pipeline_def_free(d);
    llmh_ctx_free(ctx);
}

#define PIPE_HEAD MOCK_PROVIDER "[profile.p]\nprovider = mock\nmodel = m\n"

static void test_bad_pipelines_are_reported_with_file_and_line(void)
{
    /* PIPE_HEAD is lines 1-6. */
    expect_pipeline_error(PIPE_HEAD "[pipeline.r]\nstages = a, b\n[pipeline.r.a]\nprofile = p\n"
                                    "prompt = {query}\n[pipeline.r.b]\nprofile = p\n"
                                    "prompt = about {topic}\n",
                          "llmhost.ini:14: pipeline.r.b: prompt: unknown placeholder {topic}");
    expect_pipeline_error(PIPE_HEAD "[pipeline.r]\nstages = a, b\n[pipeline.r.a]\n"
                                    "prompt = {stage.b}\n[pipeline.r.b]\nprompt = x\n",
                          "llmhost.ini:10: pipeline.r.a: prompt: {stage.b} names no earlier stage");
    expect_pipeline_error(PIPE_HEAD "[pipeline.r]\nstages = a, b\n[pipeline.r.a]\nprompt = x\n"
                                    "[pipeline.r.b]\nprompt = y\nwhen = previous matches (\n",
                          "llmhost.ini:13: pipeline.r.b: when: bad regular expression");
    expect_pipeline_error(PIPE_HEAD "[pipeline.r]\nstages = a, b\n[pipeline.r.a]\nprompt = x\n"
                                    "[pipeline.r.b]\nprompt = y\nwhen = stage.c says yes\n",
                          "llmhost.ini:13: pipeline.r.b: when: stage.c names no earlier stage");
    expect_pipeline_error(PIPE_HEAD "[pipeline.r]\nstages = a\n[pipeline.r.a]\nprompt = x\n"
                                    "when = previous says yes\n",
                          "llmhost.ini:11: pipeline.r.a: the first stage has no previous stage");
    expect_pipeline_error(PIPE_HEAD "[pipeline.r]\nstages = a\n[pipeline.r.a]\nprompt = x\n"
                                    "profile = nope\n",
                          "llmhost.ini:11: pipeline.r.a: unknown profile \"nope\"");
    expect_pipeline_error(PIPE_HEAD "[pipeline.r]\nstages = a, b\n[pipeline.r.a]\nprompt = x\n",
                          "llmhost.ini:8: pipeline.r.b: no prompt");
    expect_pipeline_error(PIPE_HEAD "[pipeline.r]\nstages = a\n[pipeline.r.a]\nprompt = x\n"
                                    "on_error = ignore\n",
                          "llmhost.ini:11: pipeline.r.a: on_error must be stop or continue");
    expect_pipeline_error(PIPE_HEAD "[pipeline.r]\nstages = a\n[pipeline.r.a]\nprompt = x\n"
                                    "wen = previous says yes\n",
                          "llmhost.ini:11: pipeline.r.a: unknown key \"wen\"");
    expect_pipeline_error(PIPE_HEAD "[pipeline.r]\nstages = a\n[pipeline.r.a]\nprompt = x\n"
                                    "answer = maybe\n",
                          "llmhost.ini:11: pipeline.r.a: answer must be yes or no");
    expect_pipeline_error(PIPE_HEAD "[pipeline.r]\nstages = a, a\n[pipeline.r.a]\nprompt = x\n",
                          "llmhost.ini:8: pipeline.r: stages: \"a\" is listed twice");
    /* A stage's invalid profile is reported as the profile's error. */
    expect_pipeline_error(PIPE_HEAD "[profile.q]\nstyle = loud\n[pipeline.r]\nstages = a\n"
                                    "[pipeline.r.a]\nprompt = x\nprofile = q\n",
                          "llmhost.ini:8: profile.q: style must be");
}

static void test_a_valid_pipeline_loads_in_order(void)
{
    llmh_ctx *ctx =
        ctx_with(PIPE_HEAD "[pipeline.r]\nstages = explore, classify, expert\n"
                           "[pipeline.r.explore]\nprofile = p\nprompt = {query}\n"
                           "[pipeline.r.classify]\nprompt = Expert? {previous}\nanswer = no\n"
                           "[pipeline.r.expert]\nprofile = p\n"
                           "prompt = {query} {stage.explore}\n"
                           "when = stage.classify says yes\non_error = continue\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    llmh_pipeline_def *d = NULL;
    llmh_error err;
    CU_ASSERT_EQUAL_FATAL(llmh_pipeline_load(ctx, "r", &d, &err), LLMH_OK);
    CU_ASSERT_EQUAL_FATAL(d->n, 3);
    CU_ASSERT_STRING_EQUAL(d->stages[0].name, "explore");
    CU_ASSERT_PTR_NOT_NULL(d->stages[0].profile);
    CU_ASSERT_PTR_NULL(d->stages[1].profile); /* no profile: the plain settings */
    CU_ASSERT_EQUAL(d->stages[2].when.kind, LLMH_WHEN_SAYS);
    CU_ASSERT_TRUE(d->stages[2].on_error_continue);
    CU_ASSERT_FALSE(d->stages[0].on_error_continue);
    CU_ASSERT_TRUE(d->stages[0].may_answer);
    CU_ASSERT_FALSE(d->stages[1].may_answer); /* answer = no: a classifier */
    CU_ASSERT_TRUE(d->stages[2].may_answer);
    llmh_pipeline_def_free(d);
    CU_ASSERT_EQUAL(llmh_pipeline_load(ctx, "other", &d, &err), LLMH_E_CONFIG);
    CU_ASSERT_STRING_EQUAL(err.message, "unknown pipeline \"other\"; defined: r");
    llmh_ctx_free(ctx);
}

int llmh_test_register_profile(void)
{
    static const llmh_test tests[] = {
#define T(f) {#f, f}
        T(test_profile_layer_ranks_between_file_and_environment),
        T(test_clone_is_deep_and_keeps_origins_aliases_and_sections),
        T(test_profile_keys_map_into_the_profile_layer),
        T(test_cli_beats_profile_beats_file),
        T(test_request_fields_win_over_the_profile),
        T(test_each_style_adds_its_instruction),
        T(test_max_length_is_an_instruction_and_a_token_limit),
        T(test_max_length_never_exceeds_the_max_tokens_setting),
        T(test_confidence_instruction_comes_last),
        T(test_domain_and_expertise_tiers),
        T(test_system_and_knowledge_files_are_relative_to_the_config),
        T(test_confidence_line_is_parsed_and_removed),
        T(test_no_confidence_line_leaves_the_answer_alone),
        T(test_template_substitutes_query_previous_and_stages),
        T(test_template_check_rejects_unknown_placeholders),
        T(test_when_matches_is_extended_and_case_insensitive),
        T(test_when_says_yes_reads_the_start_of_the_answer),
        T(test_when_syntax_errors_are_explained),
        T(test_bad_profile_values_are_reported_with_file_and_line),
        T(test_unknown_profile_names_the_defined_ones),
        T(test_bad_pipelines_are_reported_with_file_and_line),
        T(test_a_valid_pipeline_loads_in_order),
#undef T
    };
    return llmh_test_suite("profile", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]);
}
