/* test_settings.c: the settings layers, the INI reader, typed getters and
 * their messages (host/lib/settings.c). Fixtures live in
 * TEST_SRCDIR/fixtures/settings (TEST_SRCDIR: the tests/unit source folder,
 * given by Makefile.am; tests/unit under the current directory otherwise). */
#include "settings.h"
#include "suites.h"

#include "log.h"

#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "tests/unit"
#endif


extern char **environ;

/* ---- fixtures: captured warnings, a clean environment, temp dirs ---- */

static char g_log[16384];
static int g_log_lines;

static void capture_sink(void *ud, int level, const char *line)
{
    (void)ud;
    if (level > LLMH_LOG_WARN)
        return;
    size_t n = strlen(g_log);
    snprintf(g_log + n, sizeof g_log - n, "%s\n", line);
    g_log_lines++;
}

static void log_reset(void)
{
    g_log[0] = '\0';
    g_log_lines = 0;
}

/* Variables that would change what the tests see; saved, cleared, restored. */
static char **g_saved_env;
static size_t g_n_saved;

static int affects_tests(const char *entry)
{
    static const char *const names[] = {"OPENAI_API_KEY=", "OLLAMA_HOST=", "ANTHROPIC_API_KEY=",
                                        "GEMINI_API_KEY=", "XDG_CONFIG_HOME=", "HOME="};
    if (strncmp(entry, "LLMHOST_", 8) == 0)
        return 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(entry, names[i], strlen(names[i])) == 0)
            return 1;
    return 0;
}

static void clear_test_env(void)
{
    for (;;) {
        char **e;
        for (e = environ; *e && !affects_tests(*e); e++)
            ;
        if (!*e)
            return;
        char name[256];
        size_t n = strcspn(*e, "=");
        if (n >= sizeof name)
            n = sizeof name - 1;
        memcpy(name, *e, n);
        name[n] = '\0';
        unsetenv(name);
    }
}

static int suite_init(void)
{
    size_t n = 0;
    for (char **e = environ; *e; e++)
        n += affects_tests(*e);
    g_saved_env = calloc(n + 1, sizeof *g_saved_env);
    if (!g_saved_env)
        return -1;
    for (char **e = environ; *e; e++)
        if (affects_tests(*e) && !(g_saved_env[g_n_saved++] = strdup(*e)))
            return -1;
    clear_test_env();
    llmh_log_set_sink(capture_sink, NULL);
    return 0;
}

static int suite_clean(void)
{
    clear_test_env();
    for (size_t i = 0; i < g_n_saved; i++) {
        char *eq = strchr(g_saved_env[i], '=');
        *eq = '\0';
        setenv(g_saved_env[i], eq + 1, 1);
        free(g_saved_env[i]);
    }
    free(g_saved_env);
    g_saved_env = NULL;
    g_n_saved = 0;
    llmh_log_set_sink(NULL, NULL);
    return 0;
}

/* Every test starts from a clean environment and an empty log. */
static llmh_settings *fresh(void)
{
    clear_test_env();
    log_reset();
    return llmh_settings_new();
}

static const char *fixture(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/fixtures/settings/%s", TEST_SRCDIR, name);
    return path;
}

static char g_tmp[256];

static const char *make_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(g_tmp, sizeof g_tmp, "%s/llmh-settings-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(g_tmp);
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static llmh_status load(llmh_settings *s, const char *text, llmh_error *err)
{
    err->code = LLMH_OK;
    err->message[0] = '\0';
    return llmh_settings_load_string(s, "mem.ini", text, err);
}

static const char *get(const llmh_settings *s, const char *key)
{
    return llmh_settings_get(s, key, NULL);
}

#define ASSERT_STR(actual, expected)                                                             \
    do {                                                                                         \
        const char *a_ = (actual);                                                               \
        CU_ASSERT_PTR_NOT_NULL(a_);                                                              \
        if (a_)                                                                                  \
            CU_ASSERT_STRING_EQUAL(a_, (expected));                                              \
    } while (0)

/* ---- precedence ---- */

static void test_cli_beats_llmhost_env(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    llmh_setting_source src;
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.temperature=0.1", &err), LLMH_OK);
    setenv("LLMHOST_LLM_TEMPERATURE", "0.2", 1);
    ASSERT_STR(llmh_settings_get(s, "llm.temperature", &src), "0.1");
    CU_ASSERT_EQUAL(src, LLMH_SRC_CLI);
    llmh_settings_free(s);
}

static void test_llmhost_env_beats_alias_env(void)
{
    llmh_settings *s = fresh();
    llmh_setting_source src;
    llmh_settings_add_env_alias(s, "llm.openai.api_key", "OPENAI_API_KEY");
    setenv("OPENAI_API_KEY", "sk-alias", 1);
    setenv("LLMHOST_LLM_OPENAI_API_KEY", "sk-llmhost", 1);
    ASSERT_STR(llmh_settings_get(s, "llm.openai.api_key", &src), "sk-llmhost");
    CU_ASSERT_EQUAL(src, LLMH_SRC_ENV);
    llmh_settings_free(s);
}

static void test_alias_env_beats_file(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    llmh_setting_source src;
    llmh_settings_add_env_alias(s, "llm.ollama.url", "OLLAMA_HOST");
    CU_ASSERT_EQUAL(load(s, "[llm.ollama]\nurl = http://file:11434\n", &err), LLMH_OK);
    setenv("OLLAMA_HOST", "http://alias:11434", 1);
    ASSERT_STR(llmh_settings_get(s, "llm.ollama.url", &src), "http://alias:11434");
    CU_ASSERT_EQUAL(src, LLMH_SRC_ALIAS_ENV);
    llmh_settings_free(s);
}

static void test_file_beats_builtin_default(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    llmh_setting_source src;
    ASSERT_STR(llmh_settings_get(s, "llm.max_tokens", &src), "30000");
    CU_ASSERT_EQUAL(src, LLMH_SRC_DEFAULT);
    CU_ASSERT_EQUAL(load(s, "[llm]\nmax_tokens = 4096\n", &err), LLMH_OK);
    ASSERT_STR(llmh_settings_get(s, "llm.max_tokens", &src), "4096");
    CU_ASSERT_EQUAL(src, LLMH_SRC_FILE);
    llmh_settings_free(s);
}

static void test_unset_key_has_no_value_and_source_none(void)
{
    llmh_settings *s = fresh();
    llmh_setting_source src = LLMH_SRC_CLI;
    CU_ASSERT_PTR_NULL(llmh_settings_get(s, "llm.nothing.here", &src));
    CU_ASSERT_EQUAL(src, LLMH_SRC_NONE);
    llmh_settings_free(s);
}

static void test_empty_or_blank_alias_env_counts_as_unset(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    llmh_setting_source src;
    llmh_settings_add_env_alias(s, "llm.openai.api_key", "OPENAI_API_KEY");
    CU_ASSERT_EQUAL(load(s, "[llm.openai]\napi_key = sk-from-file\n", &err), LLMH_OK);
    setenv("OPENAI_API_KEY", "", 1);
    ASSERT_STR(llmh_settings_get(s, "llm.openai.api_key", &src), "sk-from-file");
    CU_ASSERT_EQUAL(src, LLMH_SRC_FILE);
    setenv("OPENAI_API_KEY", "  ", 1);
    ASSERT_STR(llmh_settings_get(s, "llm.openai.api_key", &src), "sk-from-file");
    llmh_settings_free(s);
}

static void test_first_registered_alias_wins(void)
{
    llmh_settings *s = fresh();
    llmh_settings_add_env_alias(s, "llm.google.api_key", "GEMINI_API_KEY");
    llmh_settings_add_env_alias(s, "llm.google.api_key", "LLMH_TEST_SECOND_ALIAS");
    setenv("LLMH_TEST_SECOND_ALIAS", "second", 1);
    ASSERT_STR(get(s, "llm.google.api_key"), "second");
    setenv("GEMINI_API_KEY", "first", 1);
    ASSERT_STR(get(s, "llm.google.api_key"), "first");
    unsetenv("LLMH_TEST_SECOND_ALIAS");
    llmh_settings_free(s);
}

static void test_environment_is_read_at_lookup_time(void)
{
    llmh_settings *s = fresh();
    ASSERT_STR(get(s, "llm.streaming"), "true");
    setenv("LLMHOST_LLM_STREAMING", "false", 1);
    ASSERT_STR(get(s, "llm.streaming"), "false");
    unsetenv("LLMHOST_LLM_STREAMING");
    ASSERT_STR(get(s, "llm.streaming"), "true");
    llmh_settings_free(s);
}

static void test_empty_llmhost_env_is_a_value(void)
{
    llmh_settings *s = fresh();
    llmh_setting_source src;
    setenv("LLMHOST_LLM_STREAMING", "", 1);
    ASSERT_STR(llmh_settings_get(s, "llm.streaming", &src), "");
    CU_ASSERT_EQUAL(src, LLMH_SRC_ENV);
    llmh_settings_free(s);
}

static void test_env_name_is_alias_else_llmhost_form(void)
{
    llmh_settings *s = fresh();
    char buf[64];
    llmh_settings_add_env_alias(s, "llm.openai.api_key", "OPENAI_API_KEY");
    ASSERT_STR(llmh_settings_env_name(s, "llm.openai.api_key", buf, sizeof buf), "OPENAI_API_KEY");
    ASSERT_STR(llmh_settings_env_name(s, "llm.ollama.url", buf, sizeof buf),
               "LLMHOST_LLM_OLLAMA_URL");
    ASSERT_STR(llmh_settings_env_name(s, "llm.open-ai.x", buf, sizeof buf), "LLMHOST_LLM_OPEN_AI_X");
    CU_ASSERT_PTR_NULL(llmh_settings_env_name(s, "llm.ollama.url", buf, 10));
    llmh_settings_free(s);
}

static void test_programmatic_layers_rank_like_their_sources(void)
{
    llmh_settings *s = fresh();
    llmh_setting_source src;
    CU_ASSERT_EQUAL(llmh_settings_set(s, "x.k", "d", LLMH_SRC_DEFAULT), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_set(s, "x.k", "f", LLMH_SRC_FILE), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_set(s, "x.k", "c", LLMH_SRC_CLI), LLMH_OK);
    ASSERT_STR(llmh_settings_get(s, "x.k", &src), "c");
    CU_ASSERT_EQUAL(llmh_settings_set(s, "x.k", NULL, LLMH_SRC_CLI), LLMH_OK);
    ASSERT_STR(llmh_settings_get(s, "x.k", &src), "f");
    CU_ASSERT_EQUAL(src, LLMH_SRC_FILE);
    CU_ASSERT_EQUAL(llmh_settings_set(s, "x.k", "e", LLMH_SRC_ENV), LLMH_OK);
    setenv("LLMHOST_X_K", "real", 1);
    ASSERT_STR(get(s, "x.k"), "real");
    unsetenv("LLMHOST_X_K");
    ASSERT_STR(get(s, "x.k"), "e");
    CU_ASSERT_EQUAL(llmh_settings_set(s, "x.k", "v", LLMH_SRC_NONE), LLMH_E_INVALID);
    CU_ASSERT_EQUAL(llmh_settings_set(s, "", "v", LLMH_SRC_CLI), LLMH_E_INVALID);
    llmh_settings_free(s);
}

/* ---- the INI file: sections and values ---- */

static void test_every_section_kind_maps_to_its_prefix(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL_FATAL(llmh_settings_load(s, fixture("full.ini"), &err), LLMH_OK);
    ASSERT_STR(get(s, "llm.temperature"), "0.25");
    ASSERT_STR(get(s, "llm.streaming"), "off");
    ASSERT_STR(get(s, "llm.ollama.url"), "http://gpu-box:11434");
    ASSERT_STR(get(s, "host.plugin_dir"), "/opt/llmhost/plugins");
    ASSERT_STR(get(s, "provider.work.base"), "openai_endpoint");
    ASSERT_STR(get(s, "profile.fast.model"), "gemma3:12b");
    ASSERT_STR(get(s, "pipeline.research.stages"), "draft, review");
    ASSERT_STR(get(s, "pipeline.research.draft.temperature"), "0.9");
    ASSERT_STR(get(s, "breaker.failures"), "3");
    ASSERT_STR(get(s, "cache.dir"), "/var/cache/llmhost");
    CU_ASSERT_PTR_NULL(get(s, "temperature"));
    CU_ASSERT_PTR_NULL(get(s, "dir"));
    ASSERT_STR(llmh_settings_file(s), fixture("full.ini"));
    CU_ASSERT_EQUAL(g_log_lines, 0);
    llmh_settings_free(s);
}

static void test_unknown_section_warns_and_its_keys_are_ignored(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s,
                         "[llm]\n"
                         "streaming = false\n"
                         "[models]\n"
                         "default = x\n"
                         "[llm.a.b]\n"
                         "url = y\n"
                         "[profile]\n"
                         "model = z\n",
                         &err),
                    LLMH_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "mem.ini:3: unknown section [models]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "mem.ini:5: unknown section [llm.a.b]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "mem.ini:7: unknown section [profile]"));
    CU_ASSERT_EQUAL(g_log_lines, 3);
    CU_ASSERT_PTR_NULL(get(s, "models.default"));
    CU_ASSERT_PTR_NULL(get(s, "default"));
    CU_ASSERT_PTR_NULL(get(s, "llm.a.b.url"));
    CU_ASSERT_PTR_NULL(get(s, "profile.model"));
    CU_ASSERT_PTR_NULL(get(s, "model"));
    ASSERT_STR(get(s, "llm.streaming"), "false");
    llmh_settings_free(s);
}

static void test_values_trimmed_quotes_stripped_comments_removed(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s,
                         "a.plain =    spaced out   \n"
                         "a.quoted = \"  keeps ; and # inside  \"  ; comment\n"
                         "a.comment = value ; gone\n"
                         "a.hash = value # gone\n"
                         "a.semicolon = a;b#c\n"
                         "a.empty = \"\"\n"
                         "a.colon: http://h:1\n"
                         "a.half = say \"hi\"\n",
                         &err),
                    LLMH_OK);
    ASSERT_STR(get(s, "a.plain"), "spaced out");
    ASSERT_STR(get(s, "a.quoted"), "  keeps ; and # inside  ");
    ASSERT_STR(get(s, "a.comment"), "value");
    ASSERT_STR(get(s, "a.hash"), "value");
    ASSERT_STR(get(s, "a.semicolon"), "a;b#c");
    ASSERT_STR(get(s, "a.empty"), "");
    ASSERT_STR(get(s, "a.colon"), "http://h:1");
    ASSERT_STR(get(s, "a.half"), "say \"hi\"");
    llmh_settings_free(s);
}

static void test_repeated_key_last_wins_with_its_line(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    const char *file = NULL;
    int line = 0;
    CU_ASSERT_EQUAL_FATAL(llmh_settings_load(s, fixture("full.ini"), &err), LLMH_OK);
    ASSERT_STR(get(s, "llm.max_tokens"), "8192");
    CU_ASSERT_EQUAL(llmh_settings_origin(s, "llm.max_tokens", &file, &line), 1);
    ASSERT_STR(file, fixture("full.ini"));
    CU_ASSERT_EQUAL(line, 33);
    llmh_settings_free(s);
}

static void test_origin_only_when_the_file_value_is_effective(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    const char *file = NULL;
    int line = 0;
    CU_ASSERT_EQUAL(load(s, "\n[profile.fast]\n\nmodel = m\n", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_origin(s, "profile.fast.model", &file, &line), 1);
    ASSERT_STR(file, "mem.ini");
    CU_ASSERT_EQUAL(line, 4);
    CU_ASSERT_EQUAL(llmh_settings_origin(s, "llm.max_tokens", NULL, NULL), 0);
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "profile.fast.model=other", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_origin(s, "profile.fast.model", &file, &line), 0);
    llmh_settings_free(s);
}

static void test_indented_line_is_a_key_not_a_continuation(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s, "[llm]\n  max_tokens = 100\n\tstreaming = no\n", &err), LLMH_OK);
    ASSERT_STR(get(s, "llm.max_tokens"), "100");
    ASSERT_STR(get(s, "llm.streaming"), "no");
    llmh_settings_free(s);
}

static void test_long_lines_and_long_section_names_are_kept_whole(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    char value[1501], text[2000];
    memset(value, 'j', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    snprintf(text, sizeof text,
             "[llm.ionos]\napi_key = %s\n"
             "[pipeline.a_rather_long_pipeline_name.and_a_long_stage_name_too]\nmodel = m\n",
             value);
    CU_ASSERT_EQUAL(load(s, text, &err), LLMH_OK);
    ASSERT_STR(get(s, "llm.ionos.api_key"), value);
    ASSERT_STR(get(s, "pipeline.a_rather_long_pipeline_name.and_a_long_stage_name_too.model"), "m");
    llmh_settings_free(s);
}

static void test_bom_and_crlf_are_ignored(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s, "\xEF\xBB\xBF[llm]\r\nmax_tokens = 7\r\n", &err), LLMH_OK);
    ASSERT_STR(get(s, "llm.max_tokens"), "7");
    llmh_settings_free(s);
}

/* ---- syntax errors ---- */

static void test_syntax_error_names_file_and_line_of_unclosed_section(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    char expected[4200];
    CU_ASSERT_EQUAL(llmh_settings_load(s, fixture("syntax_missing_bracket.ini"), &err),
                    LLMH_E_CONFIG);
    CU_ASSERT_EQUAL(err.code, LLMH_E_CONFIG);
    snprintf(expected, sizeof expected, "%s:4: syntax error: missing ']' after the section name",
             fixture("syntax_missing_bracket.ini"));
    CU_ASSERT_STRING_EQUAL(err.message, expected);
    llmh_settings_free(s);
}

static void test_syntax_error_names_line_without_equals_and_hides_its_text(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    char expected[4200];
    CU_ASSERT_EQUAL(llmh_settings_load(s, fixture("syntax_no_equals.ini"), &err), LLMH_E_CONFIG);
    snprintf(expected, sizeof expected, "%s:6: syntax error: expected KEY = VALUE or [section]",
             fixture("syntax_no_equals.ini"));
    CU_ASSERT_STRING_EQUAL(err.message, expected);
    CU_ASSERT_PTR_NULL(strstr(err.message, "SECRET"));
    CU_ASSERT_PTR_NULL(strstr(g_log, "SECRET"));
    CU_ASSERT_PTR_NULL(strstr(g_log, "sk-file-secret-0001"));
    llmh_settings_free(s);
}

static void test_syntax_error_leaves_settings_unchanged(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_settings_load(s, fixture("syntax_no_equals.ini"), &err), LLMH_E_CONFIG);
    CU_ASSERT_PTR_NULL(get(s, "llm.openai.api_key"));
    CU_ASSERT_PTR_NULL(llmh_settings_file(s));
    ASSERT_STR(get(s, "llm.temperature"), "0.7");
    llmh_settings_free(s);
}

static void test_syntax_errors_in_strings_name_their_line(void)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"a.b = 1\nc.d = \"open\n", "mem.ini:2: syntax error: missing the closing '\"'"},
        {"\n\n = 5\n", "mem.ini:3: syntax error: missing the key before '='"},
        {"[llm] extra\n", "mem.ini:1: syntax error: unexpected text after ']'"},
        {"x = 1\n[ ]\n", "mem.ini:2: syntax error: empty section name"},
        {"x = \"a\" b\n", "mem.ini:1: syntax error: unexpected text after the closing '\"'"},
        {"[llm]\n  continued text\n", "mem.ini:2: syntax error: expected KEY = VALUE or [section]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmh_settings *s = fresh();
        llmh_error err;
        CU_ASSERT_EQUAL(load(s, cases[i].text, &err), LLMH_E_CONFIG);
        CU_ASSERT_STRING_EQUAL(err.message, cases[i].message);
        llmh_settings_free(s);
    }
}

/* ---- unknown keys ---- */

static void test_unknown_key_warns_with_file_line_and_value_is_kept(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    char expected[4200];
    CU_ASSERT_EQUAL_FATAL(llmh_settings_load(s, fixture("full.ini"), &err), LLMH_OK);
    CU_ASSERT_EQUAL(g_log_lines, 0);
    llmh_settings_warn_unknown(s);
    snprintf(expected, sizeof expected, "%s:34: unknown setting \"llm.temprature\" (value kept)\n",
             fixture("full.ini"));
    CU_ASSERT_STRING_EQUAL(g_log, expected);
    CU_ASSERT_EQUAL(g_log_lines, 1);
    ASSERT_STR(get(s, "llm.temprature"), "0.3");
    llmh_settings_free(s);
}

static void test_unknown_key_is_warned_only_once(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s, "llm.bogus = 1\n", &err), LLMH_OK);
    llmh_settings_warn_unknown(s);
    llmh_settings_warn_unknown(s);
    CU_ASSERT_EQUAL(g_log_lines, 1);
    llmh_settings_free(s);
}

static void test_known_key_patterns_draw_no_warning(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s,
                         "[llm]\n"
                         "temperature = 0.1\n"
                         "somecloud.api_key = k\n"
                         "somecloud.context_window_size = 9\n"
                         "[host]\n"
                         "deny = bad\n"
                         "plugin_dir = /p\n"
                         "[provider.x]\nanything = 1\n"
                         "[profile.p]\nanything = 1\n"
                         "[pipeline.q.r]\nanything = 1\n"
                         "[breaker]\nanything = 1\n"
                         "[cache]\nanything = 1\n",
                         &err),
                    LLMH_OK);
    llmh_settings_warn_unknown(s);
    CU_ASSERT_EQUAL(g_log_lines, 0);
    CU_ASSERT_STRING_EQUAL(g_log, "");
    llmh_settings_free(s);
}

static void test_unknown_key_patterns_do_warn(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s,
                         "llm.ollama.urll = x\n"
                         "llm.nonsense = x\n"
                         "host.other = x\n"
                         "llm.a.b.url = x\n",
                         &err),
                    LLMH_OK);
    llmh_settings_warn_unknown(s);
    CU_ASSERT_EQUAL(g_log_lines, 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "mem.ini:1: unknown setting \"llm.ollama.urll\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "mem.ini:4: unknown setting \"llm.a.b.url\""));
    llmh_settings_free(s);
}

static void test_add_known_and_plugin_defaults_silence_unknown_warning(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s, "llm.myplugin.flavour = x\nllm.other.colour = y\n", &err), LLMH_OK);
    llmh_settings_add_known(s, "llm.myplugin.flavour");
    llmh_settings_set(s, "llm.other.colour", "blue", LLMH_SRC_DEFAULT);
    llmh_settings_warn_unknown(s);
    CU_ASSERT_EQUAL(g_log_lines, 0);
    ASSERT_STR(get(s, "llm.other.colour"), "y");
    llmh_settings_free(s);
}

static void test_unknown_key_from_cli_warns_naming_dash_s(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.tempreture=0.3", &err), LLMH_OK);
    llmh_settings_warn_unknown(s);
    CU_ASSERT_STRING_EQUAL(g_log, "-s: unknown setting \"llm.tempreture\" (value kept)\n");
    llmh_settings_free(s);
}

/* ---- iteration ---- */

struct collected {
    char text[1024];
};

static void collect_pair(void *ud, const char *key, const char *value)
{
    struct collected *c = ud;
    size_t n = strlen(c->text);
    snprintf(c->text + n, sizeof c->text - n, "%s=%s;", key, value);
}

static void collect_name(void *ud, const char *name)
{
    struct collected *c = ud;
    size_t n = strlen(c->text);
    snprintf(c->text + n, sizeof c->text - n, "%s;", name);
}

static void test_foreach_visits_prefix_sorted_at_effective_values(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    struct collected c = {{0}};
    CU_ASSERT_EQUAL(load(s,
                         "[profile.slow]\nmodel = big\ntemperature = 0.1\n"
                         "[profile.fast]\nmodel = small\n"
                         "[profiles]\nx = 1\n"
                         "[provider.p]\nbase = b\n",
                         &err),
                    LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "profile.slow.temperature=0.2", &err), LLMH_OK);
    setenv("LLMHOST_PROFILE_FAST_MODEL", "tiny", 1);
    llmh_settings_foreach(s, "profile.", collect_pair, &c);
    CU_ASSERT_STRING_EQUAL(c.text,
                           "profile.fast.model=tiny;profile.slow.model=big;"
                           "profile.slow.temperature=0.2;");
    c.text[0] = '\0';
    llmh_settings_foreach(s, "breaker.f", collect_pair, &c);
    CU_ASSERT_STRING_EQUAL(c.text, "breaker.failure_rate=0.5;breaker.failures=5;");
    llmh_settings_free(s);
}

static void test_sections_lists_each_name_once_in_file_order(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    struct collected c = {{0}};
    CU_ASSERT_EQUAL(load(s,
                         "[profile.slow]\n"
                         "[profile.fast]\nmodel = m\n"
                         "[profile.slow]\nmodel = n\n"
                         "[pipeline.research.draft]\n"
                         "[pipeline.research]\n"
                         "[pipeline.research.review]\n"
                         "[pipeline.quick]\n"
                         "[odd]\n",
                         &err),
                    LLMH_OK);
    llmh_settings_sections(s, "profile.", collect_name, &c);
    CU_ASSERT_STRING_EQUAL(c.text, "slow;fast;");
    c.text[0] = '\0';
    llmh_settings_sections(s, "pipeline.", collect_name, &c);
    CU_ASSERT_STRING_EQUAL(c.text, "research;quick;");
    c.text[0] = '\0';
    llmh_settings_sections(s, "pipeline.research.", collect_name, &c);
    CU_ASSERT_STRING_EQUAL(c.text, "draft;review;");
    c.text[0] = '\0';
    llmh_settings_sections(s, "odd", collect_name, &c);
    CU_ASSERT_STRING_EQUAL(c.text, "");
    llmh_settings_free(s);
}

/* ---- typed getters ---- */

static void test_get_long_error_names_key_type_value_and_source(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    long out = -77;
    CU_ASSERT_EQUAL(load(s, "[llm]\nmax_tokens = lots\n", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "llm.max_tokens", 1, 0, 1000000, &out, &err),
                    LLMH_E_CONFIG);
    CU_ASSERT_EQUAL(err.code, LLMH_E_CONFIG);
    CU_ASSERT_STRING_EQUAL(err.message,
                           "llm.max_tokens: expected an integer, got \"lots\" (from mem.ini:2)");
    CU_ASSERT_EQUAL(out, -77);
    llmh_settings_free(s);
}

static void test_get_long_rejects_trailing_garbage_and_fractions(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    long out = -1;
    llmh_settings_set(s, "x.n", "12abc", LLMH_SRC_CLI);
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "x.n", 0, 0, 100, &out, &err), LLMH_E_CONFIG);
    llmh_settings_set(s, "x.n", "1.5", LLMH_SRC_CLI);
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "x.n", 0, 0, 100, &out, &err), LLMH_E_CONFIG);
    CU_ASSERT_STRING_EQUAL(err.message, "x.n: expected an integer, got \"1.5\" (from -s)");
    llmh_settings_set(s, "x.n", " 42 ", LLMH_SRC_CLI);
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "x.n", 0, 0, 100, &out, &err), LLMH_OK);
    CU_ASSERT_EQUAL(out, 42);
    llmh_settings_free(s);
}

static void test_get_long_clamps_out_of_range_with_warning(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    long out = 0;
    llmh_settings_set(s, "x.n", "500", LLMH_SRC_CLI);
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "x.n", 0, 0, 100, &out, &err), LLMH_OK);
    CU_ASSERT_EQUAL(out, 100);
    CU_ASSERT_STRING_EQUAL(g_log, "x.n: \"500\" is above the maximum 100, using 100 (from -s)\n");
    log_reset();
    llmh_settings_set(s, "x.n", "-4", LLMH_SRC_CLI);
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "x.n", 0, 0, 100, &out, &err), LLMH_OK);
    CU_ASSERT_EQUAL(out, 0);
    CU_ASSERT_EQUAL(g_log_lines, 1);
    llmh_settings_free(s);
}

static void test_get_double_parses_and_names_env_source_on_error(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    double out = -1;
    CU_ASSERT_EQUAL(llmh_settings_get_double(s, "llm.temperature", 9, 0, 2, &out, &err), LLMH_OK);
    CU_ASSERT_DOUBLE_EQUAL(out, 0.7, 1e-12);
    setenv("LLMHOST_LLM_TEMPERATURE", "hot", 1);
    out = -1;
    CU_ASSERT_EQUAL(llmh_settings_get_double(s, "llm.temperature", 9, 0, 2, &out, &err),
                    LLMH_E_CONFIG);
    CU_ASSERT_STRING_EQUAL(err.message, "llm.temperature: expected a number, got \"hot\" (from "
                                        "environment variable LLMHOST_LLM_TEMPERATURE)");
    CU_ASSERT_DOUBLE_EQUAL(out, -1, 0);
    setenv("LLMHOST_LLM_TEMPERATURE", "nan", 1);
    CU_ASSERT_EQUAL(llmh_settings_get_double(s, "llm.temperature", 9, 0, 2, &out, &err),
                    LLMH_E_CONFIG);
    setenv("LLMHOST_LLM_TEMPERATURE", "3.5", 1);
    CU_ASSERT_EQUAL(llmh_settings_get_double(s, "llm.temperature", 9, 0, 2, &out, &err), LLMH_OK);
    CU_ASSERT_DOUBLE_EQUAL(out, 2.0, 0);
    CU_ASSERT_EQUAL(g_log_lines, 1);
    llmh_settings_free(s);
}

static void test_get_bool_accepts_every_spelling_in_any_case(void)
{
    static const struct {
        const char *text;
        int value;
    } cases[] = {{"true", 1}, {"FALSE", 0}, {"Yes", 1}, {"no", 0},
                 {"ON", 1},   {"off", 0},   {" 1 ", 1}, {"0", 0}};
    llmh_settings *s = fresh();
    llmh_error err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int out = -1;
        llmh_settings_set(s, "x.b", cases[i].text, LLMH_SRC_CLI);
        CU_ASSERT_EQUAL(llmh_settings_get_bool(s, "x.b", !cases[i].value, &out, &err), LLMH_OK);
        CU_ASSERT_EQUAL(out, cases[i].value);
    }
    llmh_settings_free(s);
}

static void test_get_bool_error_names_key_and_expected_words(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    int out = -5;
    llmh_settings_set(s, "llm.streaming", "maybe", LLMH_SRC_CLI);
    CU_ASSERT_EQUAL(llmh_settings_get_bool(s, "llm.streaming", 1, &out, &err), LLMH_E_CONFIG);
    CU_ASSERT_STRING_EQUAL(err.message, "llm.streaming: expected a boolean (true/false, yes/no, "
                                        "on/off, 1/0), got \"maybe\" (from -s)");
    CU_ASSERT_EQUAL(out, -5);
    llmh_settings_free(s);
}

static void test_typed_getter_unset_gives_def_but_builtin_default_wins(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    long n = 0;
    int b = -1;
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "x.unset", 42, 0, 100, &n, &err), LLMH_OK);
    CU_ASSERT_EQUAL(n, 42);
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "llm.max_tokens", 1, 0, 1000000, &n, &err), LLMH_OK);
    CU_ASSERT_EQUAL(n, 30000);
    CU_ASSERT_EQUAL(llmh_settings_get_bool(s, "llm.openai_endpoint.stream_usage", 1, &b, &err),
                    LLMH_OK);
    CU_ASSERT_EQUAL(b, 0);
    llmh_settings_free(s);
}

static void test_empty_value_means_the_default(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    long n = 0;
    CU_ASSERT_EQUAL(load(s, "[llm]\nmax_tokens = 5\n", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.max_tokens=", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "llm.max_tokens", 1, 0, 1000000, &n, &err), LLMH_OK);
    CU_ASSERT_EQUAL(n, 30000);
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "x.custom=", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "x.custom", 8, 0, 10, &n, &err), LLMH_OK);
    CU_ASSERT_EQUAL(n, 8);
    llmh_settings_free(s);
}

/* ---- secrets ---- */

static void test_secret_never_in_typed_getter_error_or_clamp_warning(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    long n = 0;
    CU_ASSERT_EQUAL(load(s, "[llm.openai]\napi_key = sk-SECRET-0042\n", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "llm.openai.api_key", 0, 0, 9, &n, &err),
                    LLMH_E_CONFIG);
    CU_ASSERT_STRING_EQUAL(err.message, "llm.openai.api_key: expected an integer, got (value "
                                        "hidden) (from mem.ini:2)");
    CU_ASSERT_PTR_NULL(strstr(err.message, "SECRET"));
    llmh_settings_set(s, "provider.x.token", "123456789", LLMH_SRC_CLI);
    llmh_settings_set(s, "provider.x.password", "hunter2", LLMH_SRC_CLI);
    CU_ASSERT_EQUAL(llmh_settings_get_long(s, "provider.x.token", 0, 0, 9, &n, &err), LLMH_OK);
    CU_ASSERT_EQUAL(n, 9);
    CU_ASSERT_EQUAL(g_log_lines, 1);
    CU_ASSERT_PTR_NULL(strstr(g_log, "123456789"));
    int b = 0;
    CU_ASSERT_EQUAL(llmh_settings_get_bool(s, "provider.x.password", 0, &b, &err), LLMH_E_CONFIG);
    CU_ASSERT_PTR_NULL(strstr(err.message, "hunter2"));
    llmh_settings_free(s);
}

static void test_secret_never_in_unknown_key_warning_or_cli_error(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s, "llm.openai.apikey = sk-SECRET-0043\n", &err), LLMH_OK);
    llmh_settings_warn_unknown(s);
    CU_ASSERT_EQUAL(g_log_lines, 1);
    CU_ASSERT_PTR_NULL(strstr(g_log, "SECRET"));
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.openai.api_key:sk-SECRET-0044", &err),
                    LLMH_E_INVALID);
    CU_ASSERT_PTR_NULL(strstr(err.message, "SECRET"));
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "=sk-SECRET-0045", &err), LLMH_E_INVALID);
    CU_ASSERT_PTR_NULL(strstr(err.message, "SECRET"));
    llmh_settings_free(s);
}

static void test_blank_secret_is_missing(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s, "[llm.openai]\napi_key = \"   \"\n[llm.xai]\napi_key =\n", &err),
                    LLMH_OK);
    CU_ASSERT_PTR_NULL(llmh_settings_get_secret(s, "llm.openai.api_key"));
    CU_ASSERT_PTR_NULL(llmh_settings_get_secret(s, "llm.xai.api_key"));
    CU_ASSERT_PTR_NULL(llmh_settings_get_secret(s, "llm.deepseek.api_key"));
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.xai.api_key=xai-1", &err), LLMH_OK);
    ASSERT_STR(llmh_settings_get_secret(s, "llm.xai.api_key"), "xai-1");
    llmh_settings_free(s);
}

/* ---- request_timeout and max_retries ---- */

static void test_request_timeout_defaults_to_1800(void)
{
    llmh_settings *s = fresh();
    CU_ASSERT_EQUAL(llmh_settings_request_timeout(s, "ollama"), 1800);
    CU_ASSERT_EQUAL(llmh_settings_request_timeout(s, NULL), 1800);
    CU_ASSERT_EQUAL(g_log_lines, 0);
    llmh_settings_free(s);
}

static void test_request_timeout_zero_becomes_one_with_warning(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.request_timeout=0", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_request_timeout(s, "ollama"), 1);
    CU_ASSERT_EQUAL(g_log_lines, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "llm.request_timeout"));
    llmh_settings_free(s);
}

static void test_request_timeout_nonsense_becomes_default_with_warning(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s, "[llm]\nrequest_timeout = abc\n", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_request_timeout(s, "openai"), 1800);
    CU_ASSERT_STRING_EQUAL(g_log, "llm.request_timeout: expected a whole number, got \"abc\" "
                                  "(from mem.ini:2); using the default 1800\n");
    llmh_settings_free(s);
}

static void test_max_retries_is_clamped_to_0_through_5(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_settings_max_retries(s, "vllm"), 2);
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.max_retries=9", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_max_retries(s, "vllm"), 5);
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.max_retries=-3", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_max_retries(s, "vllm"), 0);
    CU_ASSERT_EQUAL(g_log_lines, 2);
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.max_retries=often", &err), LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_max_retries(s, "vllm"), 2);
    CU_ASSERT_EQUAL(g_log_lines, 3);
    llmh_settings_free(s);
}

static void test_per_provider_override_beats_global(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s,
                         "[llm]\nrequest_timeout = 600\nmax_retries = 1\n"
                         "[llm.ollama]\nrequest_timeout = 30\nmax_retries = 4\n",
                         &err),
                    LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_request_timeout(s, "ollama"), 30);
    CU_ASSERT_EQUAL(llmh_settings_max_retries(s, "ollama"), 4);
    CU_ASSERT_EQUAL(llmh_settings_request_timeout(s, "openai"), 600);
    CU_ASSERT_EQUAL(llmh_settings_max_retries(s, "openai"), 1);
    setenv("LLMHOST_LLM_OLLAMA_REQUEST_TIMEOUT", "45", 1);
    CU_ASSERT_EQUAL(llmh_settings_request_timeout(s, "ollama"), 45);
    CU_ASSERT_EQUAL(g_log_lines, 0);
    llmh_settings_free(s);
}

static void test_invalid_provider_override_falls_back_to_global(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(load(s, "[llm]\nrequest_timeout = 600\n[llm.ollama]\nrequest_timeout = soon\n",
                         &err),
                    LLMH_OK);
    CU_ASSERT_EQUAL(llmh_settings_request_timeout(s, "ollama"), 600);
    CU_ASSERT_EQUAL(g_log_lines, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_log, "llm.ollama.request_timeout"));
    llmh_settings_free(s);
}

/* ---- -s ---- */

static void test_cli_without_equals_is_invalid(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.temperature", &err), LLMH_E_INVALID);
    CU_ASSERT_EQUAL(err.code, LLMH_E_INVALID);
    CU_ASSERT_STRING_EQUAL(err.message, "-s expects KEY=VALUE, got \"llm.temperature\"");
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.temperature 0.5", &err), LLMH_E_INVALID);
    CU_ASSERT_STRING_EQUAL(err.message,
                           "-s expects KEY=VALUE, got \"llm.temperature...\" (rest hidden)");
    llmh_settings_free(s);
}

static void test_cli_with_empty_key_is_invalid(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "  =0.5", &err), LLMH_E_INVALID);
    CU_ASSERT_STRING_EQUAL(err.message, "-s expects KEY=VALUE, got \"=(value hidden)\"");
    llmh_settings_free(s);
}

static void test_cli_splits_at_first_equals_and_trims(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, " profile.p.system = a=b ", &err), LLMH_OK);
    ASSERT_STR(get(s, "profile.p.system"), "a=b");
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "profile.p.system=later", &err), LLMH_OK);
    ASSERT_STR(get(s, "profile.p.system"), "later");
    llmh_settings_free(s);
}

/* ---- finding the file ---- */

static void test_explicit_missing_file_is_config_error(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_settings_load(s, "/nonexistent/llmhost-test.ini", &err), LLMH_E_CONFIG);
    CU_ASSERT_STRING_EQUAL(err.message, "cannot read config file /nonexistent/llmhost-test.ini: "
                                        "No such file or directory");
    CU_ASSERT_PTR_NULL(llmh_settings_file(s));
    llmh_settings_free(s);
}

static void test_directory_as_config_file_is_config_error(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    char expected[512];
    const char *dir = make_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    CU_ASSERT_EQUAL(llmh_settings_load(s, dir, &err), LLMH_E_CONFIG);
    snprintf(expected, sizeof expected, "cannot read config file %s: %s", dir, strerror(EISDIR));
    CU_ASSERT_STRING_EQUAL(err.message, expected);
    rmdir(dir);
    llmh_settings_free(s);
}

static void test_xdg_config_home_file_is_read(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    char sub[512], path[512];
    const char *dir = make_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    snprintf(sub, sizeof sub, "%s/llmhost", dir);
    snprintf(path, sizeof path, "%s/llmhost/llmhost.ini", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
    CU_ASSERT_EQUAL_FATAL(write_file(path, "[llm]\nmax_tokens = 1234\n"), 0);
    setenv("XDG_CONFIG_HOME", dir, 1);
    setenv("HOME", "/nonexistent-home-for-test", 1);
    CU_ASSERT_EQUAL(llmh_settings_load(s, NULL, &err), LLMH_OK);
    ASSERT_STR(get(s, "llm.max_tokens"), "1234");
    ASSERT_STR(llmh_settings_file(s), path);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
    llmh_settings_free(s);
}

static void test_home_dot_config_is_used_when_xdg_unset(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    char sub[512], path[512];
    const char *dir = make_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    snprintf(sub, sizeof sub, "%s/.config", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof sub, "%s/.config/llmhost", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s/.config/llmhost/llmhost.ini", dir);
    CU_ASSERT_EQUAL_FATAL(write_file(path, "[llm]\nmax_tokens = 4321\n"), 0);
    setenv("HOME", dir, 1);
    CU_ASSERT_EQUAL(llmh_settings_load(s, NULL, &err), LLMH_OK);
    ASSERT_STR(get(s, "llm.max_tokens"), "4321");
    ASSERT_STR(llmh_settings_file(s), path);
    unlink(path);
    rmdir(sub);
    snprintf(sub, sizeof sub, "%s/.config", dir);
    rmdir(sub);
    rmdir(dir);
    llmh_settings_free(s);
}

static void test_no_config_file_anywhere_is_fine(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    const char *dir = make_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    setenv("XDG_CONFIG_HOME", dir, 1);
    CU_ASSERT_EQUAL(llmh_settings_load(s, NULL, &err), LLMH_OK);
    /* The system file is outside the test's control. */
    if (access("/etc/llmhost/llmhost.ini", F_OK) != 0)
        CU_ASSERT_PTR_NULL(llmh_settings_file(s));
    ASSERT_STR(get(s, "llm.max_tokens"), "30000");
    rmdir(dir);
    llmh_settings_free(s);
}

static void test_explicit_file_means_xdg_file_is_not_read(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    char sub[512], path[512];
    const char *dir = make_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    snprintf(sub, sizeof sub, "%s/llmhost", dir);
    snprintf(path, sizeof path, "%s/llmhost/llmhost.ini", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
    CU_ASSERT_EQUAL_FATAL(write_file(path, "xdg.only = yes\n"), 0);
    setenv("XDG_CONFIG_HOME", dir, 1);
    CU_ASSERT_EQUAL(llmh_settings_load(s, fixture("full.ini"), &err), LLMH_OK);
    CU_ASSERT_PTR_NULL(get(s, "xdg.only"));
    ASSERT_STR(get(s, "llm.max_tokens"), "8192");
    ASSERT_STR(llmh_settings_file(s), fixture("full.ini"));
    unlink(path);
    rmdir(sub);
    rmdir(dir);
    llmh_settings_free(s);
}

static void test_source_text_describes_each_layer(void)
{
    llmh_settings *s = fresh();
    llmh_error err;
    char buf[128];
    llmh_settings_add_env_alias(s, "llm.openai.api_key", "OPENAI_API_KEY");
    CU_ASSERT_EQUAL(load(s, "\nprofile.a.model = m\n", &err), LLMH_OK);
    ASSERT_STR(llmh_settings_source_text(s, "profile.a.model", buf, sizeof buf), "mem.ini:2");
    ASSERT_STR(llmh_settings_source_text(s, "llm.max_tokens", buf, sizeof buf), "built-in default");
    ASSERT_STR(llmh_settings_source_text(s, "x.none", buf, sizeof buf), "not set");
    setenv("OPENAI_API_KEY", "sk-x", 1);
    ASSERT_STR(llmh_settings_source_text(s, "llm.openai.api_key", buf, sizeof buf),
               "environment variable OPENAI_API_KEY");
    CU_ASSERT_EQUAL(llmh_settings_set_cli(s, "llm.openai.api_key=sk-y", &err), LLMH_OK);
    ASSERT_STR(llmh_settings_source_text(s, "llm.openai.api_key", buf, sizeof buf), "-s");
    llmh_settings_free(s);
}

int llmh_test_register_settings(void)
{
    static const llmh_test tests[] = {
#define T(f) {#f, f}
        T(test_cli_beats_llmhost_env),
        T(test_llmhost_env_beats_alias_env),
        T(test_alias_env_beats_file),
        T(test_file_beats_builtin_default),
        T(test_unset_key_has_no_value_and_source_none),
        T(test_empty_or_blank_alias_env_counts_as_unset),
        T(test_first_registered_alias_wins),
        T(test_environment_is_read_at_lookup_time),
        T(test_empty_llmhost_env_is_a_value),
        T(test_env_name_is_alias_else_llmhost_form),
        T(test_programmatic_layers_rank_like_their_sources),
        T(test_every_section_kind_maps_to_its_prefix),
        T(test_unknown_section_warns_and_its_keys_are_ignored),
        T(test_values_trimmed_quotes_stripped_comments_removed),
        T(test_repeated_key_last_wins_with_its_line),
        T(test_origin_only_when_the_file_value_is_effective),
        T(test_indented_line_is_a_key_not_a_continuation),
        T(test_long_lines_and_long_section_names_are_kept_whole),
        T(test_bom_and_crlf_are_ignored),
        T(test_syntax_error_names_file_and_line_of_unclosed_section),
        T(test_syntax_error_names_line_without_equals_and_hides_its_text),
        T(test_syntax_error_leaves_settings_unchanged),
        T(test_syntax_errors_in_strings_name_their_line),
        T(test_unknown_key_warns_with_file_line_and_value_is_kept),
        T(test_unknown_key_is_warned_only_once),
        T(test_known_key_patterns_draw_no_warning),
        T(test_unknown_key_patterns_do_warn),
        T(test_add_known_and_plugin_defaults_silence_unknown_warning),
        T(test_unknown_key_from_cli_warns_naming_dash_s),
        T(test_foreach_visits_prefix_sorted_at_effective_values),
        T(test_sections_lists_each_name_once_in_file_order),
        T(test_get_long_error_names_key_type_value_and_source),
        T(test_get_long_rejects_trailing_garbage_and_fractions),
        T(test_get_long_clamps_out_of_range_with_warning),
        T(test_get_double_parses_and_names_env_source_on_error),
        T(test_get_bool_accepts_every_spelling_in_any_case),
        T(test_get_bool_error_names_key_and_expected_words),
        T(test_typed_getter_unset_gives_def_but_builtin_default_wins),
        T(test_empty_value_means_the_default),
        T(test_secret_never_in_typed_getter_error_or_clamp_warning),
        T(test_secret_never_in_unknown_key_warning_or_cli_error),
        T(test_blank_secret_is_missing),
        T(test_request_timeout_defaults_to_1800),
        T(test_request_timeout_zero_becomes_one_with_warning),
        T(test_request_timeout_nonsense_becomes_default_with_warning),
        T(test_max_retries_is_clamped_to_0_through_5),
        T(test_per_provider_override_beats_global),
        T(test_invalid_provider_override_falls_back_to_global),
        T(test_cli_without_equals_is_invalid),
        T(test_cli_with_empty_key_is_invalid),
        T(test_cli_splits_at_first_equals_and_trims),
        T(test_explicit_missing_file_is_config_error),
        T(test_directory_as_config_file_is_config_error),
        T(test_xdg_config_home_file_is_read),
        T(test_home_dot_config_is_used_when_xdg_unset),
        T(test_no_config_file_anywhere_is_fine),
        T(test_explicit_file_means_xdg_file_is_not_read),
        T(test_source_text_describes_each_layer),
#undef T
    };
    return llmh_test_suite("settings", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]);
}
