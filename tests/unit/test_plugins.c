/* test_plugins.c: the provider plugins as built, loaded through the real
 * registry and gate, then driven hook by hook with recorded bytes: their
 * descriptors, URL resolution, each plugin's quirks, and the host's OpenAI
 * codec that most of them share. No network. */
#include <CUnit/CUnit.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hostapi.h"
#include "plugin_harness.h"
#include "provider.h"
#include "registry.h"
#include "settings.h"
#include "util.h"

#include "suites.h"

/* Variables that would leak the user's setup into the tests. */
static const char *const g_env_vars[] = {
    "OPENAI_API_KEY",   "OPENROUTER_API_KEY", "GEMINI_API_KEY",   "XAI_API_KEY",
    "DEEPSEEK_API_KEY", "OLLAMA_HOST",        "LLMHOST_PLUGIN_PATH",
    "LLMHOST_LLM_OPENAI_ORGANIZATION", "LLMHOST_LLM_OPENAI_API_BASE", "LLMHOST_LLM_OPENAI_URL",
    "LLMHOST_LLM_LMSTUDIO_URL", "LLMHOST_LLM_LLAMACPP_URL", "LLMHOST_LLM_VLLM_URL",
    "LLMHOST_LLM_GOOGLE_URL", "LLMHOST_LLM_OPENAI_ENDPOINT_STREAM_USAGE",
    "LLMHOST_LLM_OPENAI_ENDPOINT_ENABLE_THINKING", "LLMHOST_LLM_OPENAI_ENDPOINT_URL",
    "LLMHOST_LLM_OPENROUTER_URL", "LLMHOST_LLM_XAI_URL", "LLMHOST_LLM_DEEPSEEK_URL",
    "LLMHOST_LLM_IONOS_URL", "LLMHOST_LLM_REQUESTY_URL", NULL};



static const llmh_message g_msgs[] = {{"system", "Be brief."}, {"user", "Hi \"there\""}};

static llmh_chat_params params(const char *model, int stream)
{
    llmh_chat_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.model = model;
    p.messages = g_msgs;
    p.n_messages = 2;
    p.stream = stream;
    p.thinking = -1;
    return p;
}

/* ---- descriptors */

typedef struct {
    const char *key, *display, *url, *url_setting, *key_setting, *key_env, *suffix;
    llmh_kind kind;
    unsigned flags;
    int null_codec;
} expect_desc;

static const expect_desc g_expect[] = {
    {"lmstudio", "LM Studio", "http://localhost:1234/v1", "llm.lmstudio.url",
     "llm.lmstudio.api_key", NULL, "/v1", LLMH_KIND_LOCAL, 0, 1},
    {"llamacpp", "llama.cpp", "http://localhost:8080/v1", "llm.llamacpp.url",
     "llm.llamacpp.api_key", NULL, NULL, LLMH_KIND_LOCAL, 0, 1},
    {"vllm", "vLLM", "http://localhost:8000/v1", "llm.vllm.url", "llm.vllm.api_key", NULL, NULL,
     LLMH_KIND_LOCAL, 0, 1},
    {"openai", "OpenAI", "https://api.openai.com/v1", "llm.openai.api_base", "llm.openai.api_key",
     "OPENAI_API_KEY", NULL, LLMH_KIND_CLOUD, LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY, 0},
    {"openrouter", "OpenRouter", "https://openrouter.ai/api/v1", NULL, "llm.openrouter.api_key",
     "OPENROUTER_API_KEY", NULL, LLMH_KIND_CLOUD, LLMH_P_KEY_REQUIRED, 1},
    {"google", "Google Gemini", "https://generativelanguage.googleapis.com/v1beta/openai", NULL,
     "llm.google.api_key", "GEMINI_API_KEY", NULL, LLMH_KIND_CLOUD,
     LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY, 0},
    {"xai", "xAI Grok", "https://api.x.ai/v1", NULL, "llm.xai.api_key", "XAI_API_KEY", NULL,
     LLMH_KIND_CLOUD, LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY, 1},
    {"deepseek", "DeepSeek", "https://api.deepseek.com/v1", NULL, "llm.deepseek.api_key",
     "DEEPSEEK_API_KEY", NULL, LLMH_KIND_CLOUD, LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY, 1},
    {"ionos", "IONOS AI Model Hub", "https://openai.inference.de-txl.ionos.com/v1", NULL,
     "llm.ionos.api_key", NULL, NULL, LLMH_KIND_CLOUD,
     LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY, 1},
    {"requesty", "Requesty", "https://router.requesty.ai/v1", NULL, "llm.requesty.api_key", NULL,
     NULL, LLMH_KIND_CLOUD, LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY, 1},
    {"openai_endpoint", "OpenAI-Compatible Endpoint", "https://api.openai.com/v1",
     "llm.openai_endpoint.url", "llm.openai_endpoint.api_key", NULL, NULL, LLMH_KIND_CUSTOM, 0,
     0},
};

static int str_eq_or_null(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void test_plugins_load_and_register_their_keys(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(th_reg);
    for (size_t i = 0; i < sizeof g_expect / sizeof g_expect[0]; i++) {
        const expect_desc *e = &g_expect[i];
        llmh_plugin_rec *pl = llmh_registry_find_plugin(th_reg, e->key);
        CU_ASSERT_PTR_NOT_NULL(pl);
        if (!pl) {
            fprintf(stderr, "\n  plugin %s not found in %s\n", e->key, PLUGIN_DIR);
            continue;
        }
        CU_ASSERT_EQUAL(pl->gate, LLMH_GATE_OK);
        if (pl->gate != LLMH_GATE_OK)
            fprintf(stderr, "\n  %s refused: %s\n", e->key, pl->reason ? pl->reason : "?");
        const llmh_provider_rec *r = llmh_registry_find(th_reg, e->key);
        CU_ASSERT_PTR_NOT_NULL(r);
        if (!r)
            continue;
        const llmh_provider *p = r->p;
        CU_ASSERT_PTR_EQUAL(r->plugin, pl);
        CU_ASSERT_STRING_EQUAL(p->key, e->key);
        CU_ASSERT_STRING_EQUAL(p->display_name, e->display);
        CU_ASSERT(str_eq_or_null(p->default_base_url, e->url));
        CU_ASSERT(str_eq_or_null(p->url_setting, e->url_setting));
        CU_ASSERT(str_eq_or_null(p->api_key_setting, e->key_setting));
        CU_ASSERT(str_eq_or_null(p->api_key_env, e->key_env));
        CU_ASSERT(str_eq_or_null(p->url_suffix, e->suffix));
        CU_ASSERT_PTR_NULL(p->default_model);
        CU_ASSERT_EQUAL(p->kind, e->kind);
        CU_ASSERT_EQUAL(p->flags, e->flags);
        CU_ASSERT_EQUAL(p->caps, LLMH_CAP_STREAM | LLMH_CAP_MODELS);
        CU_ASSERT_EQUAL(p->codec == NULL, e->null_codec);
        if (!str_eq_or_null(p->display_name, e->display) || p->flags != e->flags ||
            (p->codec == NULL) != e->null_codec)
            fprintf(stderr, "\n  descriptor of %s differs from PROVIDERS.md\n", e->key);
    }
}

static void test_openai_declares_organization_setting(void)
{
    const llmh_provider_rec *r = llmh_registry_find(th_reg, "openai");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    int found = 0;
    for (size_t i = 0; r->p->settings && r->p->settings[i]; i++)
        found |= strcmp(r->p->settings[i], "llm.openai.organization") == 0;
    CU_ASSERT(found);
}

/* ---- URL resolution */

static void expect_url(const char *key, const char *setting, const char *value,
                       const char *expected)
{
    tcall t;
    if (tcall_open(&t, key, settings_of(setting, value, NULL), NULL) != 0)
        return;
    ASSERT_STR(t.url, expected);
    tcall_close(&t);
}

static void test_url_defaults(void)
{
    for (size_t i = 0; i < sizeof g_expect / sizeof g_expect[0]; i++)
        expect_url(g_expect[i].key, NULL, NULL, g_expect[i].url);
}

static void test_url_lmstudio_always_ends_in_v1(void)
{
    expect_url("lmstudio", "llm.lmstudio.url", "http://localhost:1234", "http://localhost:1234/v1");
    expect_url("lmstudio", "llm.lmstudio.url", "localhost:1234/v1/", "http://localhost:1234/v1");
    expect_url("lmstudio", "llm.lmstudio.url", "http://localhost:1234/v1",
               "http://localhost:1234/v1");
    expect_url("lmstudio", "llm.lmstudio.url", "192.168.1.20:1234",
               "http://192.168.1.20:1234/v1");
}

static void test_url_llamacpp_used_as_given(void)
{
    expect_url("llamacpp", "llm.llamacpp.url", "http://localhost:8080", "http://localhost:8080");
    expect_url("llamacpp", "llm.llamacpp.url", "http://gpu-box.local:8080/v1/",
               "http://gpu-box.local:8080/v1");
    expect_url("vllm", "llm.vllm.url", "10.0.0.5:8000/v1", "http://10.0.0.5:8000/v1");
}

static void test_url_openai_api_base_honoured(void)
{
    expect_url("openai", "llm.openai.api_base", "https://proxy.example.com/openai/v1/",
               "https://proxy.example.com/openai/v1");
    expect_url("openai", "llm.openai.api_base", "proxy.example.com/v1",
               "https://proxy.example.com/v1");
}

/* ---- openai: Authorization, OpenAI-Organization, max_completion_tokens */

static void test_openai_build_chat_headers(void)
{
    tcall t;
    if (tcall_open(&t, "openai", NULL, "K") != 0)
        return;
    llmh_chat_params p = params("gpt-4o", 0);
    llmh_error err;
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    ASSERT_STR(t.req.method, "POST");
    ASSERT_STR(t.req.url, "https://api.openai.com/v1/chat/completions");
    const llmh_header *auth = find_header(&t.req, "Authorization");
    CU_ASSERT_PTR_NOT_NULL(auth);
    if (auth) {
        CU_ASSERT_STRING_EQUAL(auth->value, "Bearer K");
        CU_ASSERT_EQUAL(auth->secret, 1);
    }
    CU_ASSERT_PTR_NULL(find_header(&t.req, "OpenAI-Organization"));
    ASSERT_STR(llmh_http_req_header(&t.req, "Content-Type"), "application/json");
    tcall_close(&t);

    /* Set: sent (not a secret); blank: not sent. */
    if (tcall_open(&t, "openai", settings_of("llm.openai.organization", "org-123", NULL), "K") != 0)
        return;
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    const llmh_header *org = find_header(&t.req, "OpenAI-Organization");
    CU_ASSERT_PTR_NOT_NULL(org);
    if (org) {
        CU_ASSERT_STRING_EQUAL(org->value, "org-123");
        CU_ASSERT_EQUAL(org->secret, 0);
    }
    llmh_http_req_clear(&t.req);
    CU_ASSERT_EQUAL(codec_of(&t)->build_models(&t.call, &t.req, &err), LLMH_OK);
    ASSERT_STR(t.req.method, "GET");
    ASSERT_STR(t.req.url, "https://api.openai.com/v1/models");
    ASSERT_STR(llmh_http_req_header(&t.req, "OpenAI-Organization"), "org-123");
    ASSERT_STR(llmh_http_req_header(&t.req, "Authorization"), "Bearer K");
    tcall_close(&t);

    if (tcall_open(&t, "openai", settings_of("llm.openai.organization", "  ", NULL), "K") != 0)
        return;
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    CU_ASSERT_PTR_NULL(find_header(&t.req, "OpenAI-Organization"));
    tcall_close(&t);
}

static void test_openai_sends_max_completion_tokens(void)
{
    tcall t;
    if (tcall_open(&t, "openai", NULL, "K") != 0)
        return;
    llmh_chat_params p = params("o3-mini", 1);
    p.max_tokens = 2048;
    llmh_error err;
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    ASSERT_STR(body_text(&t.req),
               "{\"model\":\"o3-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Be "
               "brief.\"},{\"role\":\"user\",\"content\":\"Hi \\\"there\\\"\"}],\"stream\":true,"
               "\"stream_options\":{\"include_usage\":true},\"max_completion_tokens\":2048}");
    llmh_http_req_clear(&t.req);
    p.max_tokens = 0;
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    CU_ASSERT_FALSE(json_object_object_get_ex(llmh_http_req_body(&t.req), "max_completion_tokens", NULL));
    CU_ASSERT_FALSE(json_object_object_get_ex(llmh_http_req_body(&t.req), "max_tokens", NULL));
    tcall_close(&t);
}

/* ---- google: native model list, unwrapped errors */

static const char g_gemini_models[] =
    "{\n"
    "  \"models\": [\n"
    "    {\n"
    "      \"name\": \"models/embedding-001\",\n"
    "      \"version\": \"001\",\n"
    "      \"displayName\": \"Embedding 001\",\n"
    "      \"inputTokenLimit\": 2048,\n"
    "      \"outputTokenLimit\": 1,\n"
    "      \"supportedGenerationMethods\": [\"embedContent\"]\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"models/gemini-2.5-flash\",\n"
    "      \"version\": \"001\",\n"
    "      \"displayName\": \"Gemini 2.5 Flash\",\n"
    "      \"description\": \"Stable version of Gemini 2.5 Flash\",\n"
    "      \"inputTokenLimit\": 1048576,\n"
    "      \"outputTokenLimit\": 65536,\n"
    "      \"supportedGenerationMethods\": [\"generateContent\", \"countTokens\", "
    "\"createCachedContent\", \"batchGenerateContent\"],\n"
    "      \"temperature\": 1,\n"
    "      \"thinking\": true\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"models/imagen-4.0-generate-001\",\n"
    "      \"displayName\": \"Imagen 4\",\n"
    "      \"inputTokenLimit\": 480,\n"
    "      \"supportedGenerationMethods\": [\"predict\"]\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"models/gemma-3-27b-it\",\n"
    "      \"version\": \"001\",\n"
    "      \"inputTokenLimit\": 131072,\n"
    "      \"supportedGenerationMethods\": [\"generateContent\", \"countTokens\"]\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"models/text-embedding-004\",\n"
    "      \"displayName\": \"Text Embedding 004\",\n"
    "      \"inputTokenLimit\": 2048,\n"
    "      \"supportedGenerationMethods\": [\"embedContent\"]\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"models/gemini-2.0-flash-001\",\n"
    "      \"displayName\": \"Gemini 2.0 Flash 001\",\n"
    "      \"inputTokenLimit\": 1048576,\n"
    "      \"supportedGenerationMethods\": [\"generateContent\"]\n"
    "    }\n"
    "  ],\n"
    "  \"nextPageToken\": \"Chxtb2RlbHMvZ2VtaW5pLTIuMC1mbGFzaC0wMDE=\"\n"
    "}\n";

static void test_google_build_models_native(void)
{
    tcall t;
    if (tcall_open(&t, "google", NULL, "GK") != 0)
        return;
    llmh_error err;
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(codec_of(&t)->build_models(&t.call, &t.req, &err), LLMH_OK);
    ASSERT_STR(t.req.method, "GET");
    ASSERT_STR(t.req.url, "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000");
    const llmh_header *k = find_header(&t.req, "x-goog-api-key");
    CU_ASSERT_PTR_NOT_NULL(k);
    if (k) {
        CU_ASSERT_STRING_EQUAL(k->value, "GK");
        CU_ASSERT_EQUAL(k->secret, 1);
    }
    CU_ASSERT_PTR_NULL(find_header(&t.req, "Authorization"));
    CU_ASSERT_FALSE(llmh_http_req_has_body(&t.req));
    tcall_close(&t);

    /* Another base: only a trailing /openai is dropped; its query is kept. */
    if (tcall_open(&t, "google", settings_of("llm.google.url", "https://gw.example.com/v1beta/openai/", NULL),
                   "GK") != 0)
        return;
    CU_ASSERT_EQUAL(codec_of(&t)->build_models(&t.call, &t.req, &err), LLMH_OK);
    ASSERT_STR(t.req.url, "https://gw.example.com/v1beta/models?pageSize=1000");
    tcall_close(&t);
    if (tcall_open(&t, "google", settings_of("llm.google.url", "https://gw.example.com/g?team=a", NULL),
                   "GK") != 0)
        return;
    CU_ASSERT_EQUAL(codec_of(&t)->build_models(&t.call, &t.req, &err), LLMH_OK);
    ASSERT_STR(t.req.url, "https://gw.example.com/g/models?team=a&pageSize=1000");
    tcall_close(&t);

    /* No key: refused before any request, naming the setting. */
    if (tcall_open(&t, "google", NULL, NULL) != 0)
        return;
    CU_ASSERT_EQUAL(codec_of(&t)->build_models(&t.call, &t.req, &err), LLMH_E_CONFIG);
    ASSERT_STR(err.message,
               "Google Gemini API key not configured: set llm.google.api_key (or GEMINI_API_KEY)");
    tcall_close(&t);
}

static void test_google_chat_uses_openai_endpoint(void)
{
    tcall t;
    if (tcall_open(&t, "google", NULL, "GK") != 0)
        return;
    llmh_chat_params p = params("gemini-2.5-flash", 1);
    llmh_error err;
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    ASSERT_STR(t.req.url,
               "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions");
    ASSERT_STR(llmh_http_req_header(&t.req, "Authorization"), "Bearer GK");
    CU_ASSERT_PTR_NULL(find_header(&t.req, "x-goog-api-key"));
    tcall_close(&t);
}

static void test_google_parse_models_keeps_chat_models(void)
{
    tcall t;
    if (tcall_open(&t, "google", NULL, "GK") != 0)
        return;
    llmh_models_out out;
    llmh_models_out_init(&out);
    llmh_error err;
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(codec_of(&t)->parse_models(&t.call, g_gemini_models,
                                                sizeof g_gemini_models - 1, &out, &err),
                    LLMH_OK);
    CU_ASSERT_EQUAL_FATAL(out.n, 3);
    ASSERT_STR(out.models[0].id, "gemini-2.5-flash");
    ASSERT_STR(out.models[0].label, "Gemini 2.5 Flash");
    CU_ASSERT_EQUAL(out.models[0].context_length, 1048576);
    ASSERT_STR(out.models[1].id, "gemma-3-27b-it");
    ASSERT_STR(out.models[1].label, "gemma-3-27b-it"); /* no displayName: the id */
    CU_ASSERT_EQUAL(out.models[1].context_length, 131072);
    ASSERT_STR(out.models[2].id, "gemini-2.0-flash-001");
    ASSERT_STR(out.models[2].label, "Gemini 2.0 Flash 001");
    CU_ASSERT_EQUAL(out.models[2].context_length, 1048576);
    llmh_models_out_clear(&out);

    /* No models at all is "{}"; garbage and a wrong shape are protocol errors. */
    CU_ASSERT_EQUAL(codec_of(&t)->parse_models(&t.call, "{}", 2, &out, &err), LLMH_OK);
    CU_ASSERT_EQUAL(out.n, 0);
    CU_ASSERT_EQUAL(codec_of(&t)->parse_models(&t.call, "{\"models\": {}}", 14, &out, &err),
                    LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(codec_of(&t)->parse_models(&t.call, "{\"models\": [", 12, &out, &err),
                    LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(out.n, 0);
    llmh_models_out_clear(&out);
    tcall_close(&t);
}

static llmh_error classified(tcall *t, llmh_status preset, int status, const char *body)
{
    llmh_error err;
    memset(&err, 0, sizeof err);
    err.code = preset;
    err.http_status = status;
    err.retry_after_ms = -1;
    snprintf(err.message, sizeof err.message, "generic %d", status);
    codec_of(t)->classify_error(&t->call, status, body, strlen(body), &err);
    return err;
}

static void test_google_classify_error(void)
{
    tcall t;
    if (tcall_open(&t, "google", NULL, "GK") != 0)
        return;
    /* The OpenAI-compatible endpoint wraps its errors in an array. */
    llmh_error e = classified(&t, LLMH_E_NOT_FOUND, 404,
                              "[{\n  \"error\": {\n    \"code\": 404,\n    \"message\": \"models/"
                              "gemini-9 is not found for API version v1main\",\n    \"status\": "
                              "\"NOT_FOUND\"\n  }\n}\n]");
    CU_ASSERT_EQUAL(e.code, LLMH_E_NOT_FOUND);
    ASSERT_STR(e.message, "models/gemini-9 is not found for API version v1main");

    e = classified(&t, LLMH_E_BAD_REQUEST, 400,
                   "[{\"error\": {\"code\": 400, \"message\": \"The input token count (1200293) "
                   "exceeds the maximum number of tokens allowed (1048576).\", \"status\": "
                   "\"INVALID_ARGUMENT\"}}]");
    CU_ASSERT_EQUAL(e.code, LLMH_E_CONTEXT_LENGTH);
    ASSERT_STR(e.message,
               "The input token count (1200293) exceeds the maximum number of tokens allowed "
               "(1048576).");

    /* A bad key is a 400 at Google: an auth error all the same. */
    e = classified(&t, LLMH_E_BAD_REQUEST, 400,
                   "{\"error\": {\"code\": 400, \"message\": \"API key not valid. Please pass a "
                   "valid API key.\", \"status\": \"INVALID_ARGUMENT\", \"details\": "
                   "[{\"@type\": \"type.googleapis.com/google.rpc.ErrorInfo\", \"reason\": "
                   "\"API_KEY_INVALID\", \"domain\": \"googleapis.com\"}]}}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_AUTH);
    ASSERT_STR(e.message, "API key not valid. Please pass a valid API key.");

    /* Plain bad requests stay bad requests. */
    e = classified(&t, LLMH_E_BAD_REQUEST, 400,
                   "[{\"error\": {\"code\": 400, \"message\": \"Invalid JSON payload received. "
                   "Unknown name \\\"foo\\\": Cannot find field.\", \"status\": "
                   "\"INVALID_ARGUMENT\"}}]");
    CU_ASSERT_EQUAL(e.code, LLMH_E_BAD_REQUEST);
    ASSERT_STR(e.message,
               "Invalid JSON payload received. Unknown name \"foo\": Cannot find field.");

    /* A body that is not JSON leaves the host's classification alone. */
    e = classified(&t, LLMH_E_SERVER, 502, "<html>Bad Gateway</html>");
    CU_ASSERT_EQUAL(e.code, LLMH_E_SERVER);
    ASSERT_STR(e.message, "generic 502");
    tcall_close(&t);
}

/* ---- the host's OpenAI codec, through plugins whose codec is NULL */

static void test_codec_request_body(void)
{
    tcall t;
    if (tcall_open(&t, "lmstudio", NULL, NULL) != 0)
        return;
    CU_ASSERT_PTR_NULL(t.rec->p->codec);
    llmh_error err;
    memset(&err, 0, sizeof err);

    /* Everything set. */
    llmh_chat_params p = params("qwen3-8b", 1);
    p.has_temperature = 1;
    p.temperature = 0.25;
    p.max_tokens = 512;
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    ASSERT_STR(t.req.method, "POST");
    ASSERT_STR(t.req.url, "http://localhost:1234/v1/chat/completions");
    CU_ASSERT_PTR_NULL(find_header(&t.req, "Authorization")); /* no key, no header */
    ASSERT_STR(body_text(&t.req),
               "{\"model\":\"qwen3-8b\",\"messages\":[{\"role\":\"system\",\"content\":\"Be "
               "brief.\"},{\"role\":\"user\",\"content\":\"Hi \\\"there\\\"\"}],"
               "\"temperature\":0.25,\"max_tokens\":512,\"stream\":true,"
               "\"stream_options\":{\"include_usage\":true}}");
    llmh_http_req_clear(&t.req);

    /* Nothing optional: no temperature, no max_tokens, no stream_options. */
    p = params("qwen3-8b", 0);
    p.max_tokens = 0;
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    ASSERT_STR(body_text(&t.req),
               "{\"model\":\"qwen3-8b\",\"messages\":[{\"role\":\"system\",\"content\":\"Be "
               "brief.\"},{\"role\":\"user\",\"content\":\"Hi \\\"there\\\"\"}],"
               "\"stream\":false}");
    llmh_http_req_clear(&t.req);

    /* Temperature 0 is a value, a negative max_tokens is none; stop sequences. */
    static const char *const stop[] = {"###", "\n\n"};
    p = params("m", 0);
    p.has_temperature = 1;
    p.temperature = 0.0;
    p.max_tokens = -1;
    p.stop = stop;
    p.n_stop = 2;
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    ASSERT_STR(body_text(&t.req),
               "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"Be "
               "brief.\"},{\"role\":\"user\",\"content\":\"Hi \\\"there\\\"\"}],"
               "\"temperature\":0,\"stop\":[\"###\",\"\\n\\n\"],\"stream\":false}");
    tcall_close(&t);

    /* With a key: Bearer, marked secret. */
    if (tcall_open(&t, "deepseek", NULL, "sk-ds") != 0)
        return;
    p = params("deepseek-chat", 0);
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    ASSERT_STR(t.req.url, "https://api.deepseek.com/v1/chat/completions");
    const llmh_header *auth = find_header(&t.req, "Authorization");
    CU_ASSERT_PTR_NOT_NULL(auth);
    if (auth) {
        CU_ASSERT_STRING_EQUAL(auth->value, "Bearer sk-ds");
        CU_ASSERT_EQUAL(auth->secret, 1);
    }
    tcall_close(&t);
}

static int has_member(json_object *o, const char *key)
{
    return json_object_object_get_ex(o, key, NULL) ? 1 : 0;
}

static void test_openai_endpoint_stream_usage_and_thinking(void)
{
    tcall t;
    llmh_error err;
    memset(&err, 0, sizeof err);
    llmh_chat_params p = params("local-model", 1);

    /* Default: stream_options dropped, no chat_template_kwargs. */
    if (tcall_open(&t, "openai_endpoint", NULL, NULL) != 0)
        return;
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    CU_ASSERT_EQUAL(has_member(llmh_http_req_body(&t.req), "stream_options"), 0);
    CU_ASSERT_EQUAL(has_member(llmh_http_req_body(&t.req), "chat_template_kwargs"), 0);
    ASSERT_STR(body_text(&t.req),
               "{\"model\":\"local-model\",\"messages\":[{\"role\":\"system\",\"content\":\"Be "
               "brief.\"},{\"role\":\"user\",\"content\":\"Hi \\\"there\\\"\"}],"
               "\"stream\":true}");
    tcall_close(&t);

    /* Opted in. */
    if (tcall_open(&t, "openai_endpoint",
                   settings_of("llm.openai_endpoint.stream_usage", "true", NULL), NULL) != 0)
        return;
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    json_object *so = NULL, *iu = NULL;
    CU_ASSERT(json_object_object_get_ex(llmh_http_req_body(&t.req), "stream_options", &so));
    CU_ASSERT(so && json_object_object_get_ex(so, "include_usage", &iu) &&
              json_object_get_boolean(iu));
    tcall_close(&t);

    /* Thinking off. */
    if (tcall_open(&t, "openai_endpoint",
                   settings_of("llm.openai_endpoint.enable_thinking", "false", NULL), NULL) != 0)
        return;
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    json_object *kw = NULL;
    CU_ASSERT(json_object_object_get_ex(llmh_http_req_body(&t.req), "chat_template_kwargs", &kw));
    if (kw)
        ASSERT_STR(json_object_to_json_string_ext(kw, JSON_C_TO_STRING_PLAIN),
                   "{\"enable_thinking\":false}");
    CU_ASSERT_EQUAL(has_member(llmh_http_req_body(&t.req), "stream_options"), 0);
    tcall_close(&t);

    /* Thinking explicitly on: nothing sent. */
    if (tcall_open(&t, "openai_endpoint",
                   settings_of("llm.openai_endpoint.enable_thinking", "true", NULL), NULL) != 0)
        return;
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    CU_ASSERT_EQUAL(has_member(llmh_http_req_body(&t.req), "chat_template_kwargs"), 0);
    tcall_close(&t);
}

/* The OpenAI codec writes the body as text; a plugin that edits it gets a
 * tree with the same content, and the edit is what goes out. */
static void test_openai_body_text_until_edited(void)
{
    tcall t;
    llmh_error err;
    memset(&err, 0, sizeof err);
    llmh_chat_params p = params("local-model", 0);
    p.has_temperature = 1;
    p.temperature = 0.7;
    p.max_tokens = 64;
    if (tcall_open(&t, "openai_endpoint", NULL, NULL) != 0)
        return;
    CU_ASSERT_EQUAL(codec_of(&t)->build_chat(&t.call, &p, &t.req, &err), LLMH_OK);
    /* Nothing to change for a plain request: no tree was made. */
    CU_ASSERT_TRUE(t.req.has_text);
    CU_ASSERT_PTR_NULL(t.req.body);
    llmh_buf text = {0};
    llmh_http_req_write_body(&t.req, &text);
    ASSERT_STR(text.data, "{\"model\":\"local-model\",\"messages\":[{\"role\":\"system\","
                          "\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":"
                          "\"Hi \\\"there\\\"\"}],\"temperature\":0.7,\"max_tokens\":64,"
                          "\"stream\":false}");
    /* Asking for the tree (as a plugin does through req_get_body) parses it. */
    const llmh_host *h = llmh_host_table();
    json_object *tree = (json_object *)h->req_get_body(&t.req);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tree);
    CU_ASSERT_FALSE(t.req.has_text);
    json_object *want = json_tokener_parse(text.data);
    CU_ASSERT_TRUE(json_object_equal(tree, want));
    json_object_put(want);
    h->json_set((llmh_json *)tree, "seed", h->json_new_int(7));
    llmh_buf edited = {0};
    llmh_http_req_write_body(&t.req, &edited);
    CU_ASSERT_PTR_NOT_NULL(strstr(edited.data, ",\"seed\":7}"));
    llmh_buf_free(&edited);
    llmh_buf_free(&text);
    tcall_close(&t);
}

static const char g_chat_body[] =
    "{\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion\",\"created\":1735689600,"
    "\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
    "\"assistant\",\"content\":\"The answer is 42.\",\"reasoning_content\":\"Six times "
    "seven.\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
    "17,\"completion_tokens\":23,\"total_tokens\":40,\"completion_tokens_details\":"
    "{\"reasoning_tokens\":12}},\"system_fingerprint\":\"fp_1\"}";

static void test_codec_parse_chat(void)
{
    tcall t;
    if (tcall_open(&t, "deepseek", NULL, "K") != 0)
        return;
    const llmh_codec *cd = codec_of(&t);
    llmh_chat_out out;
    llmh_chat_out_init(&out);
    llmh_error err;
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(cd->parse_chat(&t.call, g_chat_body, sizeof g_chat_body - 1, &out, &err),
                    LLMH_OK);
    CU_ASSERT_EQUAL(out.content.len, strlen("The answer is 42."));
    CU_ASSERT(out.content.len && memcmp(out.content.data, "The answer is 42.", 17) == 0);
    CU_ASSERT_EQUAL(out.reasoning.len, strlen("Six times seven."));
    CU_ASSERT(out.reasoning.len && memcmp(out.reasoning.data, "Six times seven.", 16) == 0);
    CU_ASSERT_EQUAL(out.finish, LLMH_FINISH_STOP);
    CU_ASSERT_EQUAL(out.usage.prompt_tokens, 17);
    CU_ASSERT_EQUAL(out.usage.completion_tokens, 23);
    llmh_chat_out_clear(&out);

    /* "length", no usage: usage stays unknown (-1). */
    static const char cut[] = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":"
                              "\"Once upon\"},\"finish_reason\":\"length\"}]}";
    CU_ASSERT_EQUAL(cd->parse_chat(&t.call, cut, sizeof cut - 1, &out, &err), LLMH_OK);
    CU_ASSERT_EQUAL(out.finish, LLMH_FINISH_LENGTH);
    CU_ASSERT_EQUAL(out.reasoning.len, 0);
    CU_ASSERT_EQUAL(out.usage.prompt_tokens, -1);
    CU_ASSERT_EQUAL(out.usage.completion_tokens, -1);
    llmh_chat_out_clear(&out);

    /* Not what the API promises. */
    static const char noch[] = "{\"object\":\"chat.completion\",\"choices\":[]}";
    CU_ASSERT_EQUAL(cd->parse_chat(&t.call, noch, sizeof noch - 1, &out, &err), LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(err.code, LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(cd->parse_chat(&t.call, "<html>", 6, &out, &err), LLMH_E_PROTOCOL);
    static const char half[] = "{\"choices\":[{\"message\":{\"content\":\"Hel";
    CU_ASSERT_EQUAL(cd->parse_chat(&t.call, half, sizeof half - 1, &out, &err), LLMH_E_PROTOCOL);
    /* An error inside a 200. */
    static const char e200[] = "{\"error\":{\"message\":\"upstream failed\",\"code\":502}}";
    CU_ASSERT_EQUAL(cd->parse_chat(&t.call, e200, sizeof e200 - 1, &out, &err), LLMH_E_SERVER);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "upstream failed"));
    llmh_chat_out_clear(&out);
    tcall_close(&t);
}

/* Feed one SSE data payload; returns the status, *done as set. */
static llmh_status feed(tcall *t, const char *data, llmh_chat_out *out, int *done,
                        llmh_error *err)
{
    llmh_stream_event ev = {"message", data, strlen(data)};
    return codec_of(t)->parse_event(&t->call, &ev, out, done, err);
}

/* Does buffer b hold exactly the text s? */
#define BUF_IS(b, s) ((b).len == strlen(s) && ((b).len == 0 || memcmp((b).data, (s), (b).len) == 0))

static void test_codec_parse_event(void)
{
    tcall t;
    if (tcall_open(&t, "vllm", NULL, NULL) != 0)
        return;
    CU_ASSERT_PTR_NULL(t.rec->p->codec);
    llmh_chat_out out;
    llmh_chat_out_init(&out);
    llmh_error err;
    memset(&err, 0, sizeof err);
    int done = 0;

    /* A recorded stream: role, reasoning, content, finish, usage-only, [DONE]. */
    static const char *const chunks[] = {
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"q\","
        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
        "\"logprobs\":null,\"finish_reason\":null}]}",
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
        "\"delta\":{\"reasoning_content\":\"Let me think. \"},\"finish_reason\":null}]}",
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
        "\"delta\":{\"reasoning_content\":null,\"content\":\"Hello\"},\"finish_reason\":null}]}",
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
        "\"delta\":{\"content\":\", world\"},\"finish_reason\":null}]}",
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
        "\"delta\":{},\"finish_reason\":\"stop\"}]}",
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":"
        "{\"prompt_tokens\":9,\"completion_tokens\":5,\"total_tokens\":14}}",
    };
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        CU_ASSERT_EQUAL(feed(&t, chunks[i], &out, &done, &err), LLMH_OK);
        CU_ASSERT_EQUAL(done, 0);
    }
    CU_ASSERT(BUF_IS(out.content, "Hello, world"));
    CU_ASSERT(BUF_IS(out.reasoning, "Let me think. "));
    CU_ASSERT_EQUAL(out.finish, LLMH_FINISH_STOP);
    CU_ASSERT_EQUAL(out.usage.prompt_tokens, 9);
    CU_ASSERT_EQUAL(out.usage.completion_tokens, 5);
    CU_ASSERT_EQUAL(feed(&t, "[DONE]", &out, &done, &err), LLMH_OK);
    CU_ASSERT_EQUAL(done, 1);
    llmh_chat_out_clear(&out);

    /* The usage-only chunk alone: usage, no text, no finish. */
    llmh_chat_out_init(&out);
    done = 0;
    CU_ASSERT_EQUAL(feed(&t, chunks[5], &out, &done, &err), LLMH_OK);
    CU_ASSERT_EQUAL(out.content.len, 0);
    CU_ASSERT_EQUAL(out.finish, LLMH_FINISH_NONE);
    CU_ASSERT_EQUAL(out.usage.prompt_tokens, 9);
    CU_ASSERT_EQUAL(out.usage.completion_tokens, 5);
    llmh_chat_out_clear(&out);

    /* OpenRouter-style "reasoning" delta; "length" finish. */
    CU_ASSERT_EQUAL(feed(&t,
                         "{\"id\":\"gen-1\",\"provider\":\"x\",\"choices\":[{\"index\":0,"
                         "\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"reasoning\":"
                         "\"Hmm.\"},\"finish_reason\":null}]}",
                         &out, &done, &err),
                    LLMH_OK);
    CU_ASSERT(BUF_IS(out.reasoning, "Hmm."));
    CU_ASSERT_EQUAL(out.content.len, 0);
    CU_ASSERT_EQUAL(feed(&t,
                         "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},"
                         "\"finish_reason\":\"length\"}]}",
                         &out, &done, &err),
                    LLMH_OK);
    CU_ASSERT_EQUAL(out.finish, LLMH_FINISH_LENGTH);
    CU_ASSERT_EQUAL(done, 0);
    llmh_chat_out_clear(&out);

    /* Malformed chunks are protocol errors and do not end the stream. */
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(feed(&t, "{\"choices\":[{\"delta\":{\"content\":\"Hel", &out, &done, &err),
                    LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(err.code, LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(done, 0);
    CU_ASSERT_EQUAL(feed(&t, "not json", &out, &done, &err), LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(feed(&t, "[1,2]", &out, &done, &err), LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(feed(&t, "", &out, &done, &err), LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(out.content.len, 0);
    /* The parser recovers after a bad chunk. */
    CU_ASSERT_EQUAL(feed(&t, chunks[3], &out, &done, &err), LLMH_OK);
    CU_ASSERT(BUF_IS(out.content, ", world"));
    /* An error event in the stream. */
    CU_ASSERT_EQUAL(feed(&t, "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}",
                         &out, &done, &err),
                    LLMH_E_SERVER);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "overloaded"));
    CU_ASSERT_EQUAL(done, 0);
    llmh_chat_out_clear(&out);
    tcall_close(&t);
}

static void test_codec_parse_models(void)
{
    tcall t;
    if (tcall_open(&t, "openrouter", NULL, NULL) != 0)
        return;
    const llmh_codec *cd = codec_of(&t);
    llmh_error err;
    memset(&err, 0, sizeof err);
    llmh_http_req *r = &t.req;
    CU_ASSERT_EQUAL(cd->build_models(&t.call, r, &err), LLMH_OK);
    ASSERT_STR(r->method, "GET");
    ASSERT_STR(r->url, "https://openrouter.ai/api/v1/models");
    CU_ASSERT_PTR_NULL(find_header(r, "Authorization")); /* listing needs no key */

    static const char body[] =
        "{\"object\":\"list\",\"data\":["
        "{\"id\":\"openai/gpt-4o\",\"name\":\"OpenAI: GPT-4o\",\"context_length\":128000},"
        "{\"id\":\"Qwen/Qwen3-8B\",\"object\":\"model\",\"owned_by\":\"vllm\","
        "\"max_model_len\":32768},"
        "{\"object\":\"model\",\"owned_by\":\"nobody\"},"
        "{\"id\":\"local-gguf\",\"object\":\"model\"}]}";
    llmh_models_out out;
    llmh_models_out_init(&out);
    CU_ASSERT_EQUAL(cd->parse_models(&t.call, body, sizeof body - 1, &out, &err), LLMH_OK);
    CU_ASSERT_EQUAL_FATAL(out.n, 3);
    ASSERT_STR(out.models[0].id, "openai/gpt-4o");
    ASSERT_STR(out.models[0].label, "OpenAI: GPT-4o");
    CU_ASSERT_EQUAL(out.models[0].context_length, 128000);
    ASSERT_STR(out.models[1].id, "Qwen/Qwen3-8B");
    ASSERT_STR(out.models[1].label, "Qwen/Qwen3-8B");
    CU_ASSERT_EQUAL(out.models[1].context_length, 32768);
    ASSERT_STR(out.models[2].id, "local-gguf");
    CU_ASSERT_EQUAL(out.models[2].context_length, 0);
    llmh_models_out_clear(&out);

    CU_ASSERT_EQUAL(cd->parse_models(&t.call, "{\"data\":[]}", 11, &out, &err), LLMH_OK);
    CU_ASSERT_EQUAL(out.n, 0);
    CU_ASSERT_EQUAL(cd->parse_models(&t.call, "{\"object\":\"list\"}", 17, &out, &err),
                    LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(cd->parse_models(&t.call, "Not Found", 9, &out, &err), LLMH_E_PROTOCOL);
    CU_ASSERT_EQUAL(out.n, 0);
    llmh_models_out_clear(&out);
    tcall_close(&t);

    /* With a key the list request carries it. */
    if (tcall_open(&t, "xai", NULL, "xk") != 0)
        return;
    CU_ASSERT_EQUAL(codec_of(&t)->build_models(&t.call, &t.req, &err), LLMH_OK);
    ASSERT_STR(t.req.url, "https://api.x.ai/v1/models");
    ASSERT_STR(llmh_http_req_header(&t.req, "Authorization"), "Bearer xk");
    tcall_close(&t);
}

static void test_codec_classify_error(void)
{
    tcall t;
    if (tcall_open(&t, "requesty", NULL, "K") != 0)
        return;
    CU_ASSERT_PTR_NULL(t.rec->p->codec);
    llmh_error e = classified(&t, LLMH_E_NOT_FOUND, 404,
                              "{\"error\":{\"message\":\"The model `gpt-9` does not exist\","
                              "\"type\":\"invalid_request_error\",\"param\":null,\"code\":"
                              "\"model_not_found\"}}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_NOT_FOUND);
    ASSERT_STR(e.message, "The model `gpt-9` does not exist");

    e = classified(&t, LLMH_E_BAD_REQUEST, 400,
                   "{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens. "
                   "However, your messages resulted in 9000 tokens.\",\"type\":"
                   "\"invalid_request_error\",\"code\":\"context_length_exceeded\"}}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_CONTEXT_LENGTH);
    ASSERT_STR(e.message, "This model's maximum context length is 8192 tokens. However, your "
                          "messages resulted in 9000 tokens.");

    /* The same words under another status do not change the class. */
    e = classified(&t, LLMH_E_AUTH, 401,
                   "{\"error\":{\"message\":\"Incorrect API key provided (maximum context "
                   "length irrelevant)\"}}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_AUTH);

    e = classified(&t, LLMH_E_BAD_REQUEST, 400, "{\"error\":\"model is required\"}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_BAD_REQUEST);
    ASSERT_STR(e.message, "model is required");

    e = classified(&t, LLMH_E_RATE_LIMITED, 429, "{\"error\":{\"type\":\"rate_limit\"}}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_RATE_LIMITED);
    ASSERT_STR(e.message, "generic 429"); /* no message: the host's stays */

    e = classified(&t, LLMH_E_SERVER, 503, "upstream connect error");
    CU_ASSERT_EQUAL(e.code, LLMH_E_SERVER);
    ASSERT_STR(e.message, "generic 503");
    tcall_close(&t);
}

static void test_xai_prompt_length_is_context_error(void)
{
    tcall t;
    if (tcall_open(&t, "xai", NULL, "K") != 0)
        return;
    llmh_error e = classified(&t, LLMH_E_BAD_REQUEST, 400,
                              "{\"code\":\"Client specified an invalid argument\",\"error\":"
                              "\"This model's maximum prompt length is 131072 but the request "
                              "contains 136973 tokens.\"}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_CONTEXT_LENGTH);
    ASSERT_STR(e.message,
               "This model's maximum prompt length is 131072 but the request contains 136973 "
               "tokens.");
    e = classified(&t, LLMH_E_BAD_REQUEST, 400,
                   "{\"code\":\"Client specified an invalid argument\",\"error\":\"Model not "
                   "found: grok-9\"}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_BAD_REQUEST);
    ASSERT_STR(e.message, "Model not found: grok-9");
    tcall_close(&t);
}

static void test_llamacpp_context_size_is_context_error(void)
{
    tcall t;
    if (tcall_open(&t, "llamacpp", NULL, NULL) != 0)
        return;
    llmh_error e = classified(&t, LLMH_E_BAD_REQUEST, 400,
                              "{\"error\":{\"code\":400,\"message\":\"request (4390 tokens) "
                              "exceeds the available context size (4096 tokens), try increasing "
                              "it\",\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":"
                              "4390,\"n_ctx\":4096}}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_CONTEXT_LENGTH);
    ASSERT_STR(e.message, "request (4390 tokens) exceeds the available context size (4096 "
                          "tokens), try increasing it");
    e = classified(&t, LLMH_E_SERVER, 500,
                   "{\"error\":{\"code\":500,\"message\":\"Context size has been exceeded.\","
                   "\"type\":\"server_error\"}}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_CONTEXT_LENGTH);
    e = classified(&t, LLMH_E_SERVER, 500,
                   "{\"error\":{\"code\":500,\"message\":\"the request exceeds the available "
                   "context. try increasing it\",\"type\":\"exceed_context_size_error\"}}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_CONTEXT_LENGTH);
    e = classified(&t, LLMH_E_SERVER, 500,
                   "{\"error\":{\"code\":500,\"message\":\"failed to load model\","
                   "\"type\":\"server_error\"}}");
    CU_ASSERT_EQUAL(e.code, LLMH_E_SERVER);
    ASSERT_STR(e.message, "failed to load model");
    tcall_close(&t);
}

/* ---- suite */

static int suite_init(void) { return th_suite_init("/tmp/llmh-plugins-XXXXXX", g_env_vars); }

static int suite_clean(void) { return th_suite_clean(); }

int llmh_test_register_plugins(void)
{
    static const llmh_test tests[] = {
        {"test_plugins_load_and_register_their_keys", test_plugins_load_and_register_their_keys},
        {"test_openai_declares_organization_setting", test_openai_declares_organization_setting},
        {"test_url_defaults", test_url_defaults},
        {"test_url_lmstudio_always_ends_in_v1", test_url_lmstudio_always_ends_in_v1},
        {"test_url_llamacpp_used_as_given", test_url_llamacpp_used_as_given},
        {"test_url_openai_api_base_honoured", test_url_openai_api_base_honoured},
        {"test_openai_build_chat_headers", test_openai_build_chat_headers},
        {"test_openai_sends_max_completion_tokens", test_openai_sends_max_completion_tokens},
        {"test_google_build_models_native", test_google_build_models_native},
        {"test_google_chat_uses_openai_endpoint", test_google_chat_uses_openai_endpoint},
        {"test_google_parse_models_keeps_chat_models",
         test_google_parse_models_keeps_chat_models},
        {"test_google_classify_error", test_google_classify_error},
        {"test_codec_request_body", test_codec_request_body},
        {"test_openai_endpoint_stream_usage_and_thinking",
         test_openai_endpoint_stream_usage_and_thinking},
        {"test_openai_body_text_until_edited", test_openai_body_text_until_edited},
        {"test_codec_parse_chat", test_codec_parse_chat},
        {"test_codec_parse_event", test_codec_parse_event},
        {"test_codec_parse_models", test_codec_parse_models},
        {"test_codec_classify_error", test_codec_classify_error},
        {"test_xai_prompt_length_is_context_error", test_xai_prompt_length_is_context_error},
        {"test_llamacpp_context_size_is_context_error",
         test_llamacpp_context_size_is_context_error},
    };
    return llmh_test_suite("plugins", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]);
}
