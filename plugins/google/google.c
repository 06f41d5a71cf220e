/* google: Google Gemini. Chat goes through Gemini's OpenAI-compatible
 * endpoint ({base} = .../v1beta/openai) with the host's OpenAI codec.
 * Quirks:
 *  - models are listed from the native API, GET .../v1beta/models (the base
 *    without its trailing /openai) with the key in x-goog-api-key and no
 *    Authorization header; pageSize=1000 because the API returns only 50 per
 *    page by default (1000 is its maximum). Only models whose
 *    supportedGenerationMethods has generateContent can chat; ids lose their
 *    "models/" prefix, labels are displayName, context is inputTokenLimit;
 *  - errors from the OpenAI-compatible endpoint often come as a one-element
 *    JSON array, [{"error": {...}}], which is unwrapped before the OpenAI
 *    classification reads it;
 *  - a prompt that does not fit is "The input token count (N) exceeds the
 *    maximum number of tokens allowed (M)." (400): a context-length error;
 *  - a wrong or expired key is a 400 "API key not valid" (reason
 *    API_KEY_INVALID / API_KEY_EXPIRED), not a 401: an authentication error. */
#include <llmhost/plugin.h>
#include <stdio.h>
#include <string.h>

#define KEY_SETTING "llm.google.api_key"
#define KEY_ENV "GEMINI_API_KEY"
#define MODELS_QUERY "pageSize=1000"

static int lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch; }

/* Does s contain needle (lower case), ignoring case? */
static int contains(const char *s, const char *needle)
{
    for (; *s; s++) {
        size_t i = 0;
        while (needle[i] && lower((unsigned char)s[i]) == needle[i])
            i++;
        if (!needle[i])
            return 1;
    }
    return 0;
}

static llmh_status build_models(const llmh_call *c, llmh_http_req *req, llmh_error *err)
{
    const llmh_host *h = c->host;
    if (!c->api_key)
        return h->error_set(err, LLMH_E_CONFIG, 0,
                            "Google Gemini API key not configured: set " KEY_SETTING
                            " (or " KEY_ENV ")");
    /* {base without /openai}/models, keeping any query the base carries. */
    const char *base = c->base_url ? c->base_url : "";
    const char *query = strchr(base, '?');
    size_t n = query ? (size_t)(query - base) : strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    if (n >= 7 && memcmp(base + n - 7, "/openai", 7) == 0)
        n -= 7;
    char url[4096];
    int w = snprintf(url, sizeof url, "%.*s/models?%s%s" MODELS_QUERY, (int)n, base,
                     query ? query + 1 : "", query && query[1] ? "&" : "");
    if (w < 0 || (size_t)w >= sizeof url)
        return h->error_set(err, LLMH_E_CONFIG, 0, "Google Gemini base URL is too long");
    h->req_set(req, "GET", url);
    h->req_header(req, "x-goog-api-key", c->api_key, 1);
    return LLMH_OK;
}

static int can_chat(const llmh_host *h, const llmh_json *model)
{
    const llmh_json *methods = h->json_get(model, "supportedGenerationMethods");
    for (size_t i = 0; i < h->json_length(methods); i++) {
        const char *m = h->json_string(h->json_index(methods, i), NULL);
        if (m && strcmp(m, "generateContent") == 0)
            return 1;
    }
    return 0;
}

static llmh_status parse_models(const llmh_call *c, const char *body, size_t len,
                                llmh_models_out *out, llmh_error *err)
{
    const llmh_host *h = c->host;
    llmh_json *o = h->json_parse(body, len);
    if (h->json_type(o) != LLMH_JSON_OBJECT) {
        h->json_free(o);
        return h->error_set(err, LLMH_E_PROTOCOL, 0,
                            "the Gemini model list is not a JSON object");
    }
    llmh_json *models = h->json_get(o, "models");
    if (!models) {
        /* An empty list is "{}" (empty repeated fields are left out). */
        llmh_status st = LLMH_OK;
        if (h->json_get(o, "error"))
            st = h->error_set(err, LLMH_E_SERVER, 0, "the Gemini model list is an error: %s",
                              h->json_serialize(h->json_get(o, "error")));
        h->json_free(o);
        return st;
    }
    if (h->json_type(models) != LLMH_JSON_ARRAY) {
        h->json_free(o);
        return h->error_set(err, LLMH_E_PROTOCOL, 0,
                            "the Gemini model list has no \"models\" array");
    }
    for (size_t i = 0; i < h->json_length(models); i++) {
        const llmh_json *m = h->json_index(models, i);
        const char *name = h->json_string(h->json_get(m, "name"), NULL);
        if (!name || !can_chat(h, m))
            continue;
        if (strncmp(name, "models/", 7) == 0)
            name += 7;
        const char *label = h->json_string(h->json_get(m, "displayName"), NULL);
        long long ctx = h->json_int(h->json_get(m, "inputTokenLimit"));
        h->models_add(out, name, label, ctx > 0 && ctx <= 0x7fffffffLL ? (long)ctx : 0);
    }
    h->json_free(o);
    return LLMH_OK;
}

/* details[].reason of a Google error object, compared with the key errors. */
static int key_rejected(const llmh_host *h, const llmh_json *error)
{
    const llmh_json *details = h->json_get(error, "details");
    for (size_t i = 0; i < h->json_length(details); i++) {
        const char *r = h->json_string(h->json_get(h->json_index(details, i), "reason"), NULL);
        if (r && (strcmp(r, "API_KEY_INVALID") == 0 || strcmp(r, "API_KEY_EXPIRED") == 0))
            return 1;
    }
    return 0;
}

static void classify_error(const llmh_call *c, int status, const char *body, size_t len,
                           llmh_error *err)
{
    const llmh_host *h = c->host;
    llmh_json *o = body && len ? h->json_parse(body, len) : NULL;
    const llmh_json *top = o;
    if (h->json_type(o) == LLMH_JSON_ARRAY && h->json_length(o) > 0) {
        top = h->json_index(o, 0);
        const char *inner = h->json_serialize(top);
        llmh_openai_classify_error(c, status, inner, strlen(inner), err);
    } else {
        llmh_openai_classify_error(c, status, body, len, err);
    }
    if (err->code == LLMH_E_BAD_REQUEST || err->code == LLMH_E_SERVER) {
        if (contains(err->message, "input token count") &&
            contains(err->message, "exceeds the maximum"))
            err->code = LLMH_E_CONTEXT_LENGTH;
    }
    if (err->code == LLMH_E_BAD_REQUEST &&
        (contains(err->message, "api key not valid") || contains(err->message, "api key expired") ||
         key_rejected(h, h->json_get(top, "error"))))
        err->code = LLMH_E_AUTH;
    h->json_free(o);
}

static const llmh_codec codec = {
    .struct_size = sizeof(llmh_codec),
    .build_chat = llmh_openai_build_chat,
    .parse_chat = llmh_openai_parse_chat,
    .parse_event = llmh_openai_parse_event,
    .build_models = build_models,
    .parse_models = parse_models,
    .classify_error = classify_error,
    .build_probe = NULL,
};

static const llmh_provider provider = {
    .struct_size = sizeof(llmh_provider),
    .key = "google",
    .display_name = "Google Gemini",
    .default_base_url = "https://generativelanguage.googleapis.com/v1beta/openai",
    .api_key_setting = KEY_SETTING,
    .api_key_env = KEY_ENV,
    .kind = LLMH_KIND_CLOUD,
    .flags = LLMH_P_KEY_REQUIRED | LLMH_P_MODELS_NEED_KEY,
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS,
    .codec = &codec,
};

static const llmh_provider *const providers[] = {&provider, NULL};

LLMH_PLUGIN_DEFINE("google", "1.0.0", "Google Gemini (OpenAI protocol for chat, native model list)",
                   providers, NULL, NULL);
