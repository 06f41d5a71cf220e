/* fixture.c: test plugins for the gate. One source, one variant per -D
 * flag, each breaking exactly one rule (or none, for FIXTURE_GOOD). The
 * bench builds many good copies with -DFIXTURE_NAME and -DFIXTURE_KEY. */
#include "fixture.h"

#include <string.h>

#if defined(FIXTURE_GOOD)
#define NAME "fixture_good"
#elif defined(FIXTURE_NOENTRY)
#define NAME "fixture_noentry"
#elif defined(FIXTURE_BADMAGIC)
#define NAME "fixture_badmagic"
#elif defined(FIXTURE_ABIMAJOR)
#define NAME "fixture_abimajor"
#elif defined(FIXTURE_ABIMINOR)
#define NAME "fixture_abiminor"
#elif defined(FIXTURE_STRUCTSMALL)
#define NAME "fixture_structsmall"
#elif defined(FIXTURE_NAMEMISMATCH)
#define NAME "some_other_name"
#elif defined(FIXTURE_HOOKSMISSING)
#define NAME "fixture_hooksmissing"
#elif defined(FIXTURE_CAPSMISMATCH)
#define NAME "fixture_capsmismatch"
#elif defined(FIXTURE_DUPKEY)
#define NAME "fixture_dupkey"
#elif defined(FIXTURE_INITFAIL)
#define NAME "fixture_initfail"
#endif

#ifdef FIXTURE_NAME
#undef NAME
#define NAME FIXTURE_NAME
#endif
#ifndef FIXTURE_KEY
#if defined(FIXTURE_GOOD) || defined(FIXTURE_DUPKEY)
#define FIXTURE_KEY "fixture"
#else
#define FIXTURE_KEY NAME
#endif
#endif

__attribute__((unused)) static llmh_status build_chat(const llmh_call *c, const llmh_chat_params *p, llmh_http_req *req,
                              llmh_error *err)
{
    (void)err;
    c->host->req_set(req, "POST", "/echo");
    llmh_json *body = c->host->json_new_object();
    c->host->json_set(body, "model", c->host->json_new_string(p->model, strlen(p->model)));
    c->host->req_body(req, body);
    return LLMH_OK;
}

static llmh_status parse_chat(const llmh_call *c, const char *body, size_t len, llmh_chat_out *out,
                              llmh_error *err)
{
    (void)err;
    c->host->out_content(out, body, len);
    return LLMH_OK;
}

static llmh_status parse_event(const llmh_call *c, const llmh_stream_event *ev, llmh_chat_out *out,
                               int *done, llmh_error *err)
{
    (void)err;
    c->host->out_content(out, ev->data, ev->len);
    *done = 0;
    return LLMH_OK;
}

static const llmh_codec codec = {
    .struct_size = sizeof(llmh_codec),
#ifndef FIXTURE_HOOKSMISSING
    .build_chat = build_chat,
#endif
    .parse_chat = parse_chat,
    .parse_event = parse_event,
};

static const llmh_provider provider = {
#ifdef FIXTURE_STRUCTSMALL
    .struct_size = 8,
#else
    .struct_size = sizeof(llmh_provider),
#endif
    .key = FIXTURE_KEY,
    .display_name = "Fixture " NAME,
    .default_base_url = "http://127.0.0.1:9",
    .kind = LLMH_KIND_LOCAL,
#ifdef FIXTURE_CAPSMISMATCH
    .caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS, /* models declared, but no model hooks */
#else
    .caps = LLMH_CAP_STREAM,
#endif
    .codec = &codec,
};

static const llmh_provider *const providers[] = {&provider, NULL};

#ifdef FIXTURE_INITFAIL
static llmh_status init(const llmh_host *host, void **state, llmh_error *err)
{
    (void)state;
    return host->error_set(err, LLMH_E_CONFIG, 0, "fixture refuses to start");
}
#else
static llmh_status init(const llmh_host *host, void **state, llmh_error *err)
{
    (void)err;
    /* Prove the table is usable from init. */
    *state = (void *)host->version;
    return LLMH_OK;
}
#endif

#if defined(FIXTURE_NOENTRY)
/* Exports a symbol, just not the entry point. */
LLMH_PLUGIN_EXPORT const int llmh_not_the_entry = 1;
LLMH_PLUGIN_EXPORT const llmh_provider *const *fixture_unused(void);
LLMH_PLUGIN_EXPORT const llmh_provider *const *fixture_unused(void)
{
    (void)init;
    return providers;
}
#else
LLMH_PLUGIN_EXPORT const llmh_plugin_desc llmh_plugin = {
#ifdef FIXTURE_BADMAGIC
    0xdeadbeefu,
#else
    LLMH_PLUGIN_MAGIC,
#endif
#ifdef FIXTURE_ABIMAJOR
    LLMH_ABI_MAJOR + 1,
#else
    LLMH_ABI_MAJOR,
#endif
#ifdef FIXTURE_ABIMINOR
    LLMH_ABI_MINOR + 1,
#else
    LLMH_ABI_MINOR,
#endif
    sizeof(llmh_plugin_desc),
    NAME,
    "0.0.1",
    "a test fixture",
    providers,
    init,
    NULL,
};
#endif
