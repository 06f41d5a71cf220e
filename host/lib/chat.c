/* chat.c: one chat call from request to result: resolve the provider and
 * parameters from settings, check the model where the provider asks for it,
 * build the request with the plugin's codec, run it with retries, frame and
 * parse the stream, strip think tags, and hand pieces to the caller. */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "models.h"
#include "ndjson.h"
#include "retry.h"
#include "sse.h"
#include "target.h"
#include "ratelimit.h"
#include "think.h"
#include "transport.h"

const char *llmh_finish_name(llmh_finish f)
{
    switch (f) {
    case LLMH_FINISH_STOP: return "stop";
    case LLMH_FINISH_LENGTH: return "length";
    case LLMH_FINISH_TOOL_CALLS: return "tool_calls";
    case LLMH_FINISH_CONTENT_FILTER: return "content_filter";
    case LLMH_FINISH_OTHER: return "other";
    default: return "none";
    }
}

void llmh_chat_result_free(llmh_chat_result *r)
{
    if (!r)
        return;
    free(r->provider);
    free(r->model);
    free(r->content);
    free(r->reasoning);
    free(r->fallback_note);
    free(r);
}

/* Everything resolved before the first byte is sent. */
typedef struct prepared {
    llmh_target t;
    llmh_chat_params params;
    llmh_message *msgs;   /* system + the caller's, borrowed strings; NULL: the caller's own */
    const char *model;    /* the request's or chain's, or model_own */
    char *model_own;
    int strip_think;
    llmh_xfer_opts xo;
    long ttft_ms;
} prepared;

static void prepared_clear(prepared *pp)
{
    llmh_target_clear(&pp->t);
    free(pp->msgs);
    free(pp->model_own);
}

static llmh_status parse_long(const llmh_target *t, const char *name, long def, long min, long max,
                              long *out, llmh_error *err)
{
    char key[256];
    snprintf(key, sizeof key, "llm.%s.%s", t->p->key, name);
    if (llmh_settings_get(t->ctx->settings, key, NULL))
        return llmh_settings_get_long(t->ctx->settings, key, def, min, max, out, err);
    snprintf(key, sizeof key, "llm.%s", name);
    return llmh_settings_get_long(t->ctx->settings, key, def, min, max, out, err);
}

/* The context window PROVIDERS.md prescribes: local providers use
 * llm.local_context_window_size; cloud ones are unrestricted unless told. */
static llmh_status context_window(const llmh_target *t, long *window, llmh_error *err)
{
    const llmh_settings *s = t->ctx->settings;
    if (t->p->kind == LLMH_KIND_LOCAL)
        return llmh_settings_get_long(s, "llm.local_context_window_size", 8192, 256,
                                      100000000L, window, err);
    int unrestricted = 1;
    llmh_status st = llmh_settings_get_bool(s, "llm.context_window_unrestricted", 1,
                                            &unrestricted, err);
    if (st != LLMH_OK)
        return st;
    if (unrestricted) {
        *window = 0;
        return LLMH_OK;
    }
    return llmh_settings_get_long(s, "llm.context_window_size", 128000, 256, 100000000L, window,
                                  err);
}

/* What a provider's settings say for every call to it: resolved once per
 * call, or once per batch. */
typedef struct prov_params {
    const char *model;     /* llm.<provider>.model or llm.model; borrowed */
    int has_temperature;
    double temperature;
    long window;
    int supports_max_tokens;
    long max_tokens;       /* the setting, before a request's own */
    int stream;
    int strip_think;
    llmh_xfer_opts xo;     /* timeouts and TLS */
    long ttft_ms;
} prov_params;

static llmh_status provider_params(const llmh_target *t, prov_params *pr, llmh_error *err)
{
    const llmh_settings *s = t->ctx->settings;
    llmh_status st;
    memset(pr, 0, sizeof *pr);
    pr->model = llmh_target_setting(t, "model");
    const char *tv = llmh_target_setting(t, "temperature");
    if (tv && *tv) {
        char key[256];
        snprintf(key, sizeof key, "llm.%s.temperature", t->p->key);
        const char *k2 = llmh_settings_get(s, key, NULL) ? key : "llm.temperature";
        if ((st = llmh_settings_get_double(s, k2, 0.7, 0, 2, &pr->temperature, err)) != LLMH_OK)
            return st;
        pr->has_temperature = 1;
    }
    if ((st = context_window(t, &pr->window, err)) != LLMH_OK)
        return st;
    pr->supports_max_tokens = 1;
    if ((st = llmh_settings_get_bool(s, "llm.supports_max_tokens", 1, &pr->supports_max_tokens,
                                     err)) != LLMH_OK)
        return st;
    if ((st = parse_long(t, "max_tokens", 30000, 0, 100000000L, &pr->max_tokens, err)) != LLMH_OK)
        return st;
    pr->stream = 1;
    if ((st = llmh_settings_get_bool(s, "llm.streaming", 1, &pr->stream, err)) != LLMH_OK)
        return st;
    pr->strip_think = 1;
    llmh_settings_get_bool(s, "llm.strip_think_tags", 1, &pr->strip_think, NULL);
    llmh_target_xfer_opts(t, &pr->xo);
    double ttft = 0;
    llmh_settings_get_double(s, "llm.ttft_timeout", 0, 0, 86400, &ttft, NULL);
    pr->ttft_ms = (long)(ttft * 1000);
    return LLMH_OK;
}

/* provider and model override the request's (a fallback chain entry).
 * cached: a batch's resolved provider_params for this provider, or NULL. */
typedef struct prep_cache {
    /* a resolved target for a provider name, copied instead of resolved again */
    const llmh_target *(*target)(void *ud, const char *name);
    void (*keep_target)(void *ud, const char *name, const llmh_target *t);
    prov_params *(*params)(void *ud, const llmh_target *t);
    void *ud;
} prep_cache;

static llmh_status prepare(llmh_ctx *ctx, const llmh_chat_request *req, const char *provider,
                           const char *model, int offline, const prep_cache *cache, prepared *pp,
                           llmh_error *err)
{
    memset(pp, 0, sizeof *pp);
    const char *name = provider ? provider : req->provider;
    const llmh_target *tpl = cache ? cache->target(cache->ud, name ? name : "") : NULL;
    llmh_status st = LLMH_OK;
    if (tpl) {
        llmh_target_borrow(&pp->t, tpl); /* the batch keeps tpl to its end */
    } else {
        st = llmh_target_resolve(ctx, name, &pp->t, err);
        if (st != LLMH_OK)
            return st;
        if (cache)
            cache->keep_target(cache->ud, name ? name : "", &pp->t);
    }
    llmh_target *t = &pp->t;
    prov_params local, *pr = cache ? cache->params(cache->ud, t) : NULL;
    if (!pr) {
        if ((st = provider_params(t, &local, err)) != LLMH_OK)
            return st;
        pr = &local;
    }
    pp->xo = pr->xo;
    pp->ttft_ms = pr->ttft_ms;

    if (!model)
        model = req->model;
    if (!model || !*model)
        model = pr->model;
    if (!model || !*model) {
        char avail[256] = "";
        llmh_models_suggest(t, offline, avail, sizeof avail); /* --dry-run sends nothing */
        return llmh_error_set(err, LLMH_E_CONFIG, 0,
                              "no model given: use -m MODEL or set llm.model%s%s",
                              avail[0] ? "; available: " : "", avail);
    }
    /* The request and the chain outlive the job; the settings' model may
     * live on this stack (local). */
    if (pr == &local && model == pr->model)
        model = pp->model_own = llmh_strdup(model);
    pp->model = model;

    size_t n = req->n_messages + (req->system ? 1 : 0);
    if (n == 0)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "nothing to send: the prompt is empty");
    for (size_t i = 0; i < req->n_messages; i++) {
        const llmh_message *m = &req->messages[i];
        if (!m->role || !m->content)
            return llmh_error_set(err, LLMH_E_INVALID, 0,
                                  "message %zu has no role or no content", i + 1);
    }
    const llmh_message *msgs = req->messages; /* without a system prompt: as given */
    if (req->system) {
        pp->msgs = llmh_xcalloc(n, sizeof *pp->msgs);
        pp->msgs[0] = (llmh_message){"system", req->system};
        memcpy(pp->msgs + 1, req->messages, req->n_messages * sizeof *pp->msgs);
        msgs = pp->msgs;
    }

    llmh_chat_params *p = &pp->params;
    p->struct_size = sizeof *p;
    p->model = pp->model;
    p->messages = msgs;
    p->n_messages = n;
    p->stop = req->stop;
    p->n_stop = req->n_stop;
    p->thinking = -1;
    p->has_temperature = req->has_temperature ? 1 : pr->has_temperature;
    p->temperature = req->has_temperature ? req->temperature : pr->temperature;
    if (p->has_temperature && (isnan(p->temperature) || p->temperature < 0 || p->temperature > 2))
        return llmh_error_set(err, LLMH_E_INVALID, 0,
                              "temperature must be between 0 and 2, got %g", p->temperature);
    p->context_window = pr->window;
    long max_tokens = req->max_tokens;
    if (max_tokens < 0)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "max tokens must be positive, got %ld",
                              max_tokens);
    if (max_tokens == 0)
        max_tokens = pr->max_tokens;
    if (!pr->supports_max_tokens)
        max_tokens = 0;
    if (max_tokens > 0 && pr->window > 0 && max_tokens > pr->window * 8 / 10)
        max_tokens = pr->window * 8 / 10;
    p->max_tokens = max_tokens;
    int stream = req->stream < 0 ? pr->stream : req->stream;
    p->stream = stream && t->codec->parse_event != NULL;
    pp->strip_think = pr->strip_think;
    return LLMH_OK;
}

/* ---- streaming: framing -> codec -> think filter -> caller */

typedef struct stream_state {
    prepared *pp;
    llmh_sse *sse;
    llmh_ndjson *nd;
    llmh_chat_out delta;
    llmh_buf content, reasoning;
    llmh_buf vis, rsn; /* per-event output of the think filter */
    llmh_think *think;
    int done;
    llmh_finish finish;
    llmh_usage usage;
    int delivered;
    long long t0, first_token_ms;
    const llmh_chat_request *req;
    llmh_error err_copy; /* why the stream callback stopped the transfer */
    llmh_status st;
} stream_state;

static int deliver(stream_state *ss, const char *content, size_t clen, const char *reasoning,
                   size_t rlen)
{
    if (!clen && !rlen)
        return 0;
    if (ss->first_token_ms < 0)
        ss->first_token_ms = llmh_now_ms() - ss->t0;
    llmh_buf_append(&ss->content, content, clen);
    llmh_buf_append(&ss->reasoning, reasoning, rlen);
    ss->delivered = 1;
    if (ss->req->on_delta && ss->req->on_delta(ss->req->ud, content ? content : "", clen,
                                               reasoning ? reasoning : "", rlen) != 0) {
        ss->st = llmh_error_set(&ss->err_copy, LLMH_E_CANCELLED, 0, "cancelled by the caller");
        return 1;
    }
    return 0;
}

static int on_event(stream_state *ss, const char *event, const char *data, size_t len)
{
    if (ss->done)
        return 0; /* anything after the end marker is ignored */
    llmh_stream_event ev = {event, data, len};
    llmh_chat_out_reset(&ss->delta);
    int done = 0;
    llmh_status st = ss->pp->t.codec->parse_event(&ss->pp->t.call, &ev, &ss->delta, &done, &ss->err_copy);
    if (st != LLMH_OK) {
        ss->st = st;
        return 1;
    }
    if (ss->delta.finish != LLMH_FINISH_NONE)
        ss->finish = ss->delta.finish;
    if (ss->delta.usage.prompt_tokens >= 0)
        ss->usage.prompt_tokens = ss->delta.usage.prompt_tokens;
    if (ss->delta.usage.completion_tokens >= 0)
        ss->usage.completion_tokens = ss->delta.usage.completion_tokens;
    llmh_buf_reset(&ss->vis);
    llmh_buf_reset(&ss->rsn);
    if (ss->delta.reasoning.len)
        llmh_buf_append(&ss->rsn, ss->delta.reasoning.data, ss->delta.reasoning.len);
    if (ss->delta.content.len) {
        if (ss->think)
            llmh_think_feed(ss->think, ss->delta.content.data, ss->delta.content.len, &ss->vis,
                            &ss->rsn);
        else
            llmh_buf_append(&ss->vis, ss->delta.content.data, ss->delta.content.len);
    }
    if (done) {
        ss->done = 1;
        if (ss->think)
            llmh_think_finish(ss->think, &ss->vis, &ss->rsn);
    }
    return deliver(ss, ss->vis.data, ss->vis.len, ss->rsn.data, ss->rsn.len);
}

static int on_sse(void *ud, const char *event, const char *data, size_t len, const char *id)
{
    (void)id;
    return on_event(ud, event, data, len);
}

static int on_ndjson(void *ud, const char *line, size_t len)
{
    return on_event(ud, NULL, line, len);
}

static int on_body(void *ud, const char *data, size_t len)
{
    stream_state *ss = ud;
    int rc = ss->sse ? llmh_sse_feed(ss->sse, data, len) : llmh_ndjson_feed(ss->nd, data, len);
    if (rc < 0 && ss->st == LLMH_OK)
        ss->st = llmh_error_set(&ss->err_copy, LLMH_E_PROTOCOL, 0,
                                "%s sent a stream line longer than the limit", ss->pp->t.what);
    return rc;
}

static void stream_state_init(stream_state *ss, prepared *pp, const llmh_chat_request *req,
                              long long t0)
{
    memset(ss, 0, sizeof *ss);
    ss->pp = pp;
    ss->req = req;
    llmh_error_clear(&ss->err_copy);
    ss->t0 = t0;
    ss->first_token_ms = -1;
    ss->usage.prompt_tokens = ss->usage.completion_tokens = -1;
    llmh_chat_out_init(&ss->delta);
    if (!pp->params.stream)
        return; /* a whole answer goes through parse_chat, not the framers */
    if (pp->t.p->flags & LLMH_P_FRAMING_NDJSON)
        ss->nd = llmh_ndjson_new(on_ndjson, ss);
    else
        ss->sse = llmh_sse_new(on_sse, ss);
    if (pp->strip_think)
        ss->think = llmh_think_new();
}

static void stream_state_clear(stream_state *ss)
{
    llmh_sse_free(ss->sse);
    llmh_ndjson_free(ss->nd);
    llmh_chat_out_clear(&ss->delta);
    llmh_buf_free(&ss->content);
    llmh_buf_free(&ss->reasoning);
    llmh_buf_free(&ss->vis);
    llmh_buf_free(&ss->rsn);
    llmh_think_free(ss->think);
}

/* ---- one chat as a job on a loop: attempts, retries, the fallback chain */

typedef struct chain_entry {
    const char *provider;
    const char *model; /* NULL: the request's or the settings' */
    char *own;         /* what provider and model point into, when not the request's */
} chain_entry;

/* Per-provider settings a batch resolves once, not once per request. */
typedef struct prov_cfg {
    char *key;
    llmh_breaker_config bcfg;
    llmh_limits limits;
    llmh_retry_policy policy;
    int cache_mode;
    int have_resilience;
    prov_params params;
    int have_params;
} prov_cfg;

typedef struct named_target {
    char *name;
    llmh_target t;
} named_target;

typedef struct batch_state {
    prov_cfg *cfgs;
    size_t n_cfgs;
    named_target *targets;
    size_t n_targets;
    char **bkeys;      /* breaker keys, made once */
    size_t n_bkeys;
    const char *fallback; /* llm.fallback, read once */
    /* Only running jobs have their (large) state: a finished one hands its
     * outcome to items and its memory to the next job. */
    llmh_ctx *ctx;
    const llmh_chat_request *reqs;
    llmh_batch_item *items;
    struct chat_job **live;    /* by request index; NULL when not running */
    struct chat_job *finished; /* done, outcome not yet taken */
    struct chat_job *spare;    /* memory for the next jobs */
    size_t n, next, done;
    llmh_loop *loop;
    llmh_batch_progress_cb progress;
    void *ud;
} batch_state;

static prov_cfg *batch_cfg(batch_state *b, const char *key)
{
    for (size_t i = 0; i < b->n_cfgs; i++)
        if (!strcmp(b->cfgs[i].key, key))
            return &b->cfgs[i];
    b->cfgs = llmh_xrealloc(b->cfgs, (b->n_cfgs + 1) * sizeof *b->cfgs);
    prov_cfg *pc = &b->cfgs[b->n_cfgs++];
    memset(pc, 0, sizeof *pc);
    pc->key = llmh_strdup(key);
    return pc;
}

/* prepare()'s cache hooks: a batch resolves a provider (and its settings) once. */
static const llmh_target *batch_target(void *ud, const char *name)
{
    batch_state *b = ud;
    for (size_t i = 0; i < b->n_targets; i++)
        if (!strcmp(b->targets[i].name, name))
            return &b->targets[i].t;
    return NULL;
}

static void batch_keep_target(void *ud, const char *name, const llmh_target *t)
{
    batch_state *b = ud;
    b->targets = llmh_xrealloc(b->targets, (b->n_targets + 1) * sizeof *b->targets);
    named_target *nt = &b->targets[b->n_targets++];
    nt->name = llmh_strdup(name);
    llmh_target_clone(&nt->t, t);
}

static prov_params *batch_params(void *ud, const llmh_target *t)
{
    prov_cfg *pc = batch_cfg(ud, t->p->key);
    if (!pc->have_params) {
        llmh_error err;
        if (provider_params(t, &pc->params, &err) != LLMH_OK)
            return NULL; /* let prepare() report it */
        pc->have_params = 1;
    }
    return &pc->params;
}

typedef struct chat_job {
    llmh_ctx *ctx;
    const llmh_chat_request *req;
    llmh_loop *loop;
    chain_entry *chain;
    chain_entry chain0; /* the chain when there is no fallback */
    size_t n_chain, pos;
    prepared pp;
    int have_pp;
    llmh_retry_policy policy;
    int attempts;      /* on the current entry */
    int attempts_all;  /* on every entry */
    /* the attempt in flight */
    llmh_http_req hreq;
    llmh_xfer_job xjob;
    stream_state ss;
    int in_attempt;
    int delivered;     /* the caller has seen text: no retry, no fallback */
    /* outcome */
    llmh_chat_result *res;
    llmh_status st;
    llmh_error err;
    llmh_buf tried;    /* "provider/model: reason; ..." */
    size_t n_tried;
    long long t0;
    int finished;
    void (*on_done)(struct chat_job *job, void *ud);
    void *done_ud;
    int in_batch;      /* single flight would block the shared loop */
    struct batch_state *batch;
    int leading;       /* identical batch jobs wait for this one */
    struct chat_job *followers, *next_follower;
    struct chat_job *next_done; /* in the batch's finished or spare list */
    size_t index;               /* in the batch */
    int following;
    /* resilience, per chain entry */
    const char *bkey;  /* breaker key: provider|base URL */
    char *bkey_own;    /* bkey when this job made it (outside a batch) */
    llmh_breaker_config bcfg;
    llmh_limits limits;
    long est_tokens;
    int limited;
    char cache_key[65];
    llmh_cache_mode cache_mode;
    llmh_cache *cache;
    int flight_leader;
} chat_job;

static pthread_once_t rl_once = PTHREAD_ONCE_INIT;
static llmh_ratelimit *g_ratelimit; /* shared by every thread and context of the process */
static void rl_init(void) { g_ratelimit = llmh_ratelimit_new(); }

static void begin_entry(chat_job *j);
static void start_attempt(void *ud);
static int batch_follow(chat_job *j);
static void entry_settings(chat_job *j);
static void release_followers(chat_job *j);
static void send_attempt(void *ud);

static void parse_chain(chat_job *j, const char *list)
{
    if (!list)
        return;
    size_t n = 0;
    char **items = llmh_split_list(list, ',', &n);
    for (size_t i = 0; i < n; i++) {
        const char *tok = items[i];
        /* provider/model; the model itself may contain '/' (OpenRouter ids). */
        char *own = llmh_strdup(tok), *slash = strchr(own, '/');
        if (j->chain == &j->chain0) {
            j->chain = llmh_xmalloc((j->n_chain + 1) * sizeof *j->chain);
            j->chain[0] = j->chain0;
        } else {
            j->chain = llmh_xrealloc(j->chain, (j->n_chain + 1) * sizeof *j->chain);
        }
        if (slash)
            *slash = '\0';
        j->chain[j->n_chain].provider = own;
        j->chain[j->n_chain].model = slash && slash[1] ? slash + 1 : NULL;
        j->chain[j->n_chain].own = own;
        j->n_chain++;
    }
    llmh_strv_free(items, n);
}

/* default_fallback: llm.fallback as the caller read it. */
static void job_init(chat_job *j, llmh_ctx *ctx, const llmh_chat_request *req, llmh_loop *loop,
                     const char *default_fallback)
{
    memset(j, 0, sizeof *j);
    j->ctx = ctx;
    j->req = req;
    j->loop = loop;
    j->t0 = llmh_now_ms();
    llmh_error_clear(&j->err);
    /* The request's own provider first, then its fallbacks (or llm.fallback). */
    /* The request outlives the job: its own entry borrows its strings. */
    j->chain0 = (chain_entry){req->provider, req->model, NULL};
    j->chain = &j->chain0;
    j->n_chain = 1;
    const char *fb = req->struct_size > offsetof(llmh_chat_request, fallback) ? req->fallback
                                                                              : NULL;
    if (!fb)
        fb = default_fallback;
    parse_chain(j, fb);
}

static void job_clear(chat_job *j)
{
    for (size_t i = 0; i < j->n_chain; i++)
        free(j->chain[i].own);
    if (j->chain != &j->chain0)
        free(j->chain);
    if (j->have_pp)
        prepared_clear(&j->pp);
    llmh_buf_free(&j->tried);
    llmh_chat_result_free(j->res);
    free(j->bkey_own);
}

static void cached_from_result(const llmh_chat_result *r, const char *model, llmh_cached *a)
{
    memset(a, 0, sizeof *a);
    a->content = r->content;
    a->reasoning = r->reasoning;
    a->model = (char *)model;
    a->finish = r->finish;
    a->usage = r->usage;
}

static void job_finish(chat_job *j, llmh_status st)
{
    j->finished = 1;
    j->st = st;
    if (j->flight_leader) {
        llmh_cached a;
        if (st == LLMH_OK)
            cached_from_result(j->res, j->pp.model, &a);
        llmh_cache_flight_end(j->cache, j->cache_key, st == LLMH_OK ? &a : NULL);
        j->flight_leader = 0;
    }
    if (st != LLMH_OK) {
        llmh_chat_result_free(j->res);
        j->res = NULL;
        size_t l = strlen(j->err.message);
        if (j->attempts > 1)
            l += (size_t)snprintf(j->err.message + l, sizeof j->err.message - l,
                                  " (after %d attempts)", j->attempts);
        if (j->n_tried && l < sizeof j->err.message)
            snprintf(j->err.message + l, sizeof j->err.message - l, "; also tried: %s",
                     j->tried.data);
    } else {
        j->res->provider = llmh_strdup(j->pp.t.p->key);
        j->res->model = llmh_strdup(j->pp.model);
        j->res->attempts = j->attempts_all;
        j->res->latency_ms = (long)(llmh_now_ms() - j->t0);
        j->res->fallback_note = j->n_tried ? llmh_strdup(j->tried.data) : NULL;
    }
    if (j->leading)
        release_followers(j);
    if (j->on_done)
        j->on_done(j, j->done_ud);
}

/* This entry failed for good: note why and move down the chain, or stop. */
static void entry_failed(chat_job *j)
{
    int more = j->pos + 1 < j->n_chain && !j->delivered && j->err.code != LLMH_E_CANCELLED;
    if (!more) {
        job_finish(j, j->err.code);
        return;
    }
    const chain_entry *e = &j->chain[j->pos];
    const char *prov = j->have_pp ? j->pp.t.p->key : (e->provider ? e->provider : "?");
    const char *model = j->have_pp && j->pp.model ? j->pp.model : (e->model ? e->model : "");
    if (j->n_tried++)
        llmh_buf_puts(&j->tried, "; ");
    llmh_buf_printf(&j->tried, "%s%s%s: %s", prov, *model ? "/" : "", model, j->err.message);
    llmh_log(LLMH_LOG_WARN, "%s%s%s failed (%s); falling back to %s%s%s", prov, *model ? "/" : "",
             model, j->err.message, j->chain[j->pos + 1].provider,
             j->chain[j->pos + 1].model ? "/" : "",
             j->chain[j->pos + 1].model ? j->chain[j->pos + 1].model : "");
    if (j->flight_leader) {
        llmh_cache_flight_end(j->cache, j->cache_key, NULL);
        j->flight_leader = 0;
    }
    j->pos++;
    begin_entry(j);
}

/* Hand a cached answer to the caller; a streamed request gets it as a
 * stream, a word at a time. */
static void replay(chat_job *j, const llmh_chat_result *r)
{
    if (!j->req->on_delta)
        return;
    j->delivered = 1;
    if (r->reasoning[0])
        j->req->on_delta(j->req->ud, "", 0, r->reasoning, strlen(r->reasoning));
    const char *p = r->content;
    if (!j->pp.params.stream) {
        if (*p)
            j->req->on_delta(j->req->ud, p, strlen(p), "", 0);
        return;
    }
    while (*p) {
        size_t n = strcspn(p, " \n");
        n += strspn(p + n, " \n");
        if (j->req->on_delta(j->req->ud, p, n, "", 0) != 0)
            break;
        p += n;
    }
}

static void take_cached(chat_job *j, llmh_cached *a)
{
    llmh_chat_result *r = j->res;
    r->content = llmh_strdup(a->content ? a->content : "");
    r->reasoning = llmh_strdup(a->reasoning ? a->reasoning : "");
    r->finish = a->finish;
    r->usage = a->usage;
    r->ttft_ms = j->pp.params.stream ? 0 : -1;
    r->cached = 1;
    llmh_cached_clear(a);
    replay(j, r);
    job_finish(j, LLMH_OK);
}

static llmh_cache_mode cache_mode_of(llmh_ctx *ctx, const char *provider)
{
    llmh_cache_config cfg;
    memset(&cfg, 0, sizeof cfg);
    llmh_error e;
    llmh_cache_mode mode = LLMH_CACHE_OFF;
    if (llmh_cache_config_from_settings(ctx->settings, provider, &cfg, &e) == LLMH_OK)
        mode = cfg.mode;
    else
        llmh_log(LLMH_LOG_WARN, "%s; not caching", e.message);
    llmh_cache_config_clear(&cfg);
    return mode;
}

/* Retry policy, breaker, limits and cache mode of this entry's provider. */
static void entry_settings(chat_job *j)
{
    const char *key = j->pp.t.p->key;
    struct batch_state *b = j->batch;
    prov_cfg *pc = b ? batch_cfg(b, key) : NULL;
    if (pc && pc->have_resilience) {
        j->policy = pc->policy;
        j->bcfg = pc->bcfg;
        j->limits = pc->limits;
        j->cache_mode = (llmh_cache_mode)pc->cache_mode;
        return;
    }
    llmh_retry_policy_from_settings(j->ctx->settings, key, &j->policy);
    llmh_breaker_config_from_settings(j->ctx->settings, key, &j->bcfg);
    llmh_limits_from_settings(j->ctx->settings, key, &j->limits);
    j->cache_mode = cache_mode_of(j->ctx, key);
    if (pc) {
        pc->policy = j->policy;
        pc->bcfg = j->bcfg;
        pc->limits = j->limits;
        pc->cache_mode = (int)j->cache_mode;
        pc->have_resilience = 1;
    }
}

/* Look the request up in the response cache. 1: answered from it. */
static int cache_lookup(chat_job *j)
{
    if (j->cache_mode == LLMH_CACHE_OFF || !(j->cache = llmh_ctx_cache(j->ctx))) {
        j->cache_mode = LLMH_CACHE_OFF;
        return 0;
    }
    /* The key: what changes the answer. The same request streamed or not
     * is one entry; the API key is never part of it. */
    llmh_chat_params p = j->pp.params;
    p.stream = 0;
    llmh_http_req req;
    llmh_http_req_init(&req, j->pp.t.base_url);
    llmh_error err;
    if (j->pp.t.codec->build_chat(&j->pp.t.call, &p, &req, &err) != LLMH_OK) {
        llmh_http_req_clear(&req);
        j->cache_mode = LLMH_CACHE_OFF;
        return 0;
    }
    llmh_buf canon = {0};
    llmh_buf_printf(&canon, "%s\n%s\n%s\n", j->pp.t.p->key, j->pp.t.base_url,
                    req.url ? req.url : "");
    llmh_http_req_write_body(&req, &canon);
    llmh_cache_key(canon.data, canon.len, j->cache_key);
    llmh_buf_free(&canon);
    llmh_http_req_clear(&req);
    if (j->cache_mode == LLMH_CACHE_WRITE_ONLY)
        return 0;
    llmh_cached a;
    if (llmh_cache_get(j->cache, j->cache_key, &a)) {
        take_cached(j, &a);
        return 1;
    }
    /* Concurrent identical requests make one upstream call. A batch shares
     * one loop, where waiting would block the leader too. */
    if (j->cache_mode == LLMH_CACHE_ON && !j->in_batch) {
        if (llmh_cache_flight_begin(j->cache, j->cache_key)) {
            j->flight_leader = 1;
        } else if (llmh_cache_flight_wait(j->cache, j->cache_key, &a)) {
            take_cached(j, &a);
            return 1;
        }
    }
    return 0;
}

/* The breaker key of the entry's provider; a batch makes each once. */
static void set_bkey(chat_job *j)
{
    const char *key = j->pp.t.p->key, *base = j->pp.t.base_url;
    free(j->bkey_own);
    j->bkey_own = NULL;
    batch_state *b = j->batch;
    if (b) {
        for (size_t i = 0; i < b->n_bkeys; i++) {
            const char *k = b->bkeys[i];
            size_t kl = strlen(key);
            if (!strncmp(k, key, kl) && k[kl] == '|' && !strcmp(k + kl + 1, base)) {
                j->bkey = k;
                return;
            }
        }
        b->bkeys = llmh_xrealloc(b->bkeys, (b->n_bkeys + 1) * sizeof *b->bkeys);
        j->bkey = b->bkeys[b->n_bkeys++] = llmh_sprintf("%s|%s", key, base);
        return;
    }
    j->bkey = j->bkey_own = llmh_sprintf("%s|%s", key, base);
}

static void begin_entry(chat_job *j)
{
    if (j->have_pp)
        prepared_clear(&j->pp);
    j->have_pp = 0;
    j->attempts = 0;
    llmh_error_clear(&j->err);
    const chain_entry *e = &j->chain[j->pos];
    prep_cache pc = {batch_target, batch_keep_target, batch_params, j->batch};
    llmh_status st = prepare(j->ctx, j->req, e->provider, e->model, 0, j->batch ? &pc : NULL,
                             &j->pp, &j->err);
    j->have_pp = j->pp.t.p != NULL;
    if (st == LLMH_OK)
        st = llmh_target_require_key(&j->pp.t, &j->err);
    if (st == LLMH_OK && (j->pp.t.p->flags & LLMH_P_CHECK_MODEL)) {
        char key[160];
        int check = 1;
        snprintf(key, sizeof key, "llm.%s.check_model", j->pp.t.p->key);
        llmh_settings_get_bool(j->ctx->settings, key, 1, &check, NULL);
        if (check)
            st = llmh_models_check(&j->pp.t, j->pp.model, &j->err);
    }
    if (st != LLMH_OK) {
        entry_failed(j);
        return;
    }
    entry_settings(j);
    j->res = j->res ? j->res : llmh_xcalloc(1, sizeof *j->res);
    if (cache_lookup(j) || batch_follow(j))
        return;
    set_bkey(j);
    start_attempt(j);
}

static void attempt_clear(chat_job *j)
{
    if (!j->in_attempt)
        return;
    stream_state_clear(&j->ss);
    llmh_response_clear(&j->xjob.resp);
    llmh_http_req_clear(&j->hreq);
    j->in_attempt = 0;
}

/* The transfer ended: decide success, retry, fallback or failure. */
static void attempt_done(void *ud, llmh_xfer_job *xjob)
{
    chat_job *j = ud;
    prepared *pp = &j->pp;
    llmh_target *t = &pp->t;
    stream_state *ss = &j->ss;
    llmh_response *resp = &xjob->resp;
    llmh_chat_result *res = j->res;
    llmh_error *err = &j->err;
    *err = xjob->err;
    llmh_status st = xjob->status;
    if (st == LLMH_E_CANCELLED && ss->st != LLMH_OK) {
        st = ss->st; /* the stream callback's own reason, already in err? */
        *err = ss->err_copy;
    }
    j->delivered |= ss->delivered;
    if (st == LLMH_OK && (resp->status < 200 || resp->status >= 300)) {
        llmh_err_ctx x;
        llmh_target_err_ctx(t, pp->model, &x);
        llmh_classify_http_error(&x, resp->status, resp->retry_after_ms, resp->body.data,
                                 resp->body.len, err);
        st = err->code;
    } else if (st == LLMH_OK && pp->params.stream) {
        if (ss->sse)
            llmh_sse_finish(ss->sse);
        else
            llmh_ndjson_finish(ss->nd);
        if (ss->st != LLMH_OK) {
            st = ss->st;
            *err = ss->err_copy;
        }
        if (st == LLMH_OK && !ss->done && ss->finish == LLMH_FINISH_NONE)
            st = llmh_error_set(err, LLMH_E_STREAM_CUT, resp->status,
                                "the stream from %s ended before its end marker", t->what);
        if (st == LLMH_OK && ss->think && !ss->done) {
            llmh_buf_reset(&ss->vis);
            llmh_buf_reset(&ss->rsn);
            llmh_think_finish(ss->think, &ss->vis, &ss->rsn);
            deliver(ss, ss->vis.data, ss->vis.len, ss->rsn.data, ss->rsn.len);
        }
        if (st == LLMH_OK) {
            res->content = llmh_strdup(ss->content.data ? ss->content.data : "");
            res->reasoning = llmh_strdup(ss->reasoning.data ? ss->reasoning.data : "");
            res->finish = ss->finish;
            res->usage = ss->usage;
            res->ttft_ms = (long)ss->first_token_ms;
        }
    } else if (st == LLMH_OK) {
        llmh_chat_out out;
        llmh_chat_out_init(&out);
        st = t->codec->parse_chat(&t->call, resp->body.data ? resp->body.data : "",
                                  resp->body.len, &out, err);
        if (st == LLMH_OK) {
            char *answer = NULL, *thought = NULL;
            /* Every think tag starts with '<': without one there is nothing to strip. */
            if (pp->strip_think && out.content.len && memchr(out.content.data, '<', out.content.len))
                llmh_think_strip(out.content.data, out.content.len, &answer, &thought);
            /* The codec's buffers become the result: no copies. */
            llmh_buf r = out.reasoning;
            memset(&out.reasoning, 0, sizeof out.reasoning);
            if (thought && *thought)
                llmh_buf_puts(&r, thought);
            free(thought);
            if (!answer) {
                answer = out.content.data ? out.content.data : llmh_strdup("");
                memset(&out.content, 0, sizeof out.content);
            }
            res->content = answer;
            res->reasoning = r.data ? r.data : llmh_strdup("");
            res->finish = out.finish;
            res->usage = out.usage;
            res->ttft_ms = -1;
            if (j->req->on_delta && (res->content[0] || res->reasoning[0])) {
                j->delivered = 1;
                if (j->req->on_delta(j->req->ud, res->content, strlen(res->content),
                                     res->reasoning, strlen(res->reasoning)) != 0)
                    st = llmh_error_set(err, LLMH_E_CANCELLED, 0, "cancelled by the caller");
            }
        }
        llmh_chat_out_clear(&out);
    }
    int slow_start = resp->first_byte_timeout;
    attempt_clear(j);
    err->code = st;
    if (st == LLMH_E_PROTOCOL && !strstr(err->message, t->what)) {
        char msg[LLMH_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->message);
        snprintf(err->message, sizeof err->message, "%.200s sent an answer llmhost cannot read: %.250s",
                 t->what, msg);
    }
    long long now = llmh_now_ms();
    /* Only failures that say the provider is unwell count against its breaker. */
    int unhealthy = st != LLMH_OK && llmh_retry_is_retryable(err);
    if (st != LLMH_E_CANCELLED)
        llmh_breaker_record(j->ctx->breakers, j->bkey, &j->bcfg, !unhealthy, err->retry_after_ms,
                            now);
    if (j->limited && st == LLMH_OK && res->usage.prompt_tokens >= 0 &&
        res->usage.completion_tokens >= 0)
        llmh_ratelimit_settle(g_ratelimit, t->p->key, &j->limits, j->est_tokens,
                              res->usage.prompt_tokens + res->usage.completion_tokens, now);
    if (st == LLMH_OK) {
        if (j->cache_mode == LLMH_CACHE_ON || j->cache_mode == LLMH_CACHE_WRITE_ONLY) {
            llmh_cached a;
            cached_from_result(res, pp->model, &a);
            llmh_cache_put(j->cache, j->cache_key, &a);
        }
        job_finish(j, LLMH_OK);
        return;
    }
    /* A model that cannot think refuses a request that asks it to: ask
     * again without, once, when thinking was only the provider's default. */
    if (st == LLMH_E_UNSUPPORTED && pp->params.thinking == -1 && !j->delivered) {
        pp->params.thinking = 0;
        llmh_log(LLMH_LOG_INFO, "%s: retrying without thinking", t->what);
        j->attempts--;
        j->attempts_all--;
        llmh_loop_timer(j->loop, 0, start_attempt, j);
        return;
    }
    /* No first token in time: that is a reason to move down the chain now,
     * not to wait on this provider again (the timeout is only set when a
     * fallback exists). */
    /* A streamed answer is retried only while nothing reached the caller. */
    if (!slow_start && !j->delivered && j->attempts <= j->policy.max_retries &&
        llmh_retry_is_retryable(err)) {
        long delay = llmh_retry_delay_ms(&j->policy, j->attempts, err->retry_after_ms);
        if (delay < 0) {
            size_t l = strlen(err->message);
            snprintf(err->message + l, sizeof err->message - l,
                     "; not retrying: the server asks to wait %ld s, more than "
                     "llm.retry_max_wait (%ld s)",
                     (err->retry_after_ms + 999) / 1000, j->policy.max_wait_ms / 1000);
        } else {
            llmh_log(LLMH_LOG_WARN, "attempt %d of %d failed: %s; retrying in %ld ms",
                     j->attempts, j->policy.max_retries + 1, err->message, delay);
            llmh_loop_timer(j->loop, delay, start_attempt, j);
            return;
        }
    }
    entry_failed(j);
}

/* Before each attempt: the breaker may refuse, the rate limiter may delay. */
static void start_attempt(void *ud)
{
    chat_job *j = ud;
    llmh_target *t = &j->pp.t;
    long long now = llmh_now_ms();
    long retry_in = 0;
    if (!llmh_breaker_allow(j->ctx->breakers, j->bkey, &j->bcfg, now, &retry_in)) {
        llmh_error_set(&j->err, LLMH_E_UNAVAILABLE, 0,
                       "%s is failing: its circuit breaker is open, next try in %.1f s", t->what,
                       retry_in / 1000.0);
        entry_failed(j);
        return;
    }
    j->limited = j->limits.rpm > 0 || j->limits.tpm > 0;
    if (j->limited) {
        pthread_once(&rl_once, rl_init);
        size_t bytes = 0;
        for (size_t i = 0; i < j->pp.params.n_messages; i++)
            bytes += strlen(j->pp.params.messages[i].content);
        j->est_tokens = llmh_ratelimit_estimate(bytes, j->pp.params.max_tokens);
        double max_wait = 60;
        llmh_settings_get_double(j->ctx->settings, "llm.rate_limit_max_wait", 60, 0, 86400,
                                 &max_wait, NULL);
        long would = 0;
        long wait = llmh_ratelimit_acquire(g_ratelimit, t->p->key, &j->limits, j->est_tokens,
                                           (long)(max_wait * 1000), now, &would);
        if (wait < 0) {
            /* The attempt never went out: give the breaker its answer back. */
            llmh_breaker_record(j->ctx->breakers, j->bkey, &j->bcfg, 1, -1, now);
            llmh_error_set(&j->err, LLMH_E_RATE_LIMITED, 0,
                           "client-side rate limit for %s (llm.%s.rpm/tpm): the next slot is in "
                           "%.1f s, more than llm.rate_limit_max_wait (%g s)",
                           t->p->display_name, t->p->key, would / 1000.0, max_wait);
            entry_failed(j);
            return;
        }
        if (wait > 0) {
            llmh_log(LLMH_LOG_INFO, "rate limit: waiting %.1f s for %s", wait / 1000.0,
                     t->p->key);
            llmh_loop_timer(j->loop, wait, send_attempt, j);
            return;
        }
    }
    send_attempt(j);
}

static void send_attempt(void *ud)
{
    chat_job *j = ud;
    prepared *pp = &j->pp;
    llmh_target *t = &pp->t;
    j->attempts++;
    j->attempts_all++;
    llmh_error_clear(&j->err);
    llmh_http_req_init(&j->hreq, t->base_url);
    llmh_status st = t->codec->build_chat(&t->call, &pp->params, &j->hreq, &j->err);
    if (st != LLMH_OK) {
        llmh_http_req_clear(&j->hreq);
        j->err.code = st;
        entry_failed(j);
        return;
    }
    j->in_attempt = 1;
    memset(&j->xjob, 0, sizeof j->xjob);
    j->xjob.req = &j->hreq;
    j->xjob.opts = pp->xo;
    /* Without a fallback there is nothing better to do than wait. */
    if (pp->ttft_ms > 0 && j->pos + 1 < j->n_chain)
        j->xjob.opts.first_byte_timeout_ms = pp->ttft_ms;
    stream_state_init(&j->ss, pp, j->req, j->t0);
    if (pp->params.stream) {
        j->xjob.opts.on_body = on_body;
        j->xjob.opts.ud = &j->ss;
    }
    llmh_loop_add(j->loop, &j->xjob, attempt_done, j);
}

llmh_status llmh_chat(llmh_ctx *ctx, const llmh_chat_request *req, llmh_chat_result **out,
                      llmh_error *err)
{
    *out = NULL;
    if (!ctx || !req) {
        if (err)
            llmh_error_set(err, LLMH_E_INVALID, 0, "llmh_chat needs a context and a request");
        return LLMH_E_INVALID;
    }
    llmh_loop *loop = llmh_loop_new(0);
    chat_job j;
    job_init(&j, ctx, req, loop, llmh_settings_get(ctx->settings, "llm.fallback", NULL));
    begin_entry(&j);
    llmh_loop_run(loop);
    llmh_loop_free(loop);
    llmh_status st = j.st;
    if (err)
        *err = j.err;
    if (st == LLMH_OK) {
        *out = j.res;
        j.res = NULL;
    }
    job_clear(&j);
    return st;
}

/* ---- batches: many jobs on one loop */

/* Identical requests in one batch make one upstream call: a job whose
 * cache key matches a running one waits for it (cache on only). */
static int batch_follow(chat_job *j)
{
    batch_state *b = j->batch;
    if (!b || j->cache_mode != LLMH_CACHE_ON)
        return 0;
    for (size_t i = 0; i < b->next; i++) {
        chat_job *l = b->live[i];
        if (l && l != j && l->leading && !l->finished && strcmp(l->cache_key, j->cache_key) == 0) {
            j->following = 1;
            j->next_follower = l->followers;
            l->followers = j;
            return 1;
        }
    }
    j->leading = 1;
    return 0;
}

static void follower_go(void *ud)
{
    chat_job *f = ud;
    set_bkey(f);
    start_attempt(f);
}

static void release_followers(chat_job *j)
{
    chat_job *f = j->followers;
    j->followers = NULL;
    j->leading = 0;
    while (f) {
        chat_job *next = f->next_follower;
        f->following = 0;
        if (j->st == LLMH_OK) {
            llmh_cached a;
            memset(&a, 0, sizeof a);
            a.content = llmh_strdup(j->res->content);
            a.reasoning = llmh_strdup(j->res->reasoning);
            a.finish = j->res->finish;
            a.usage = j->res->usage;
            take_cached(f, &a);
        } else {
            /* The leader failed: each follower tries for itself. */
            llmh_loop_timer(f->loop, 0, follower_go, f);
        }
        f = next;
    }
}

static void batch_job_done(chat_job *j, void *ud);

/* Hand finished jobs' outcomes to items; their memory goes to spare. */
static void batch_harvest(batch_state *b)
{
    while (b->finished) {
        chat_job *j = b->finished;
        b->finished = j->next_done;
        llmh_batch_item *it = &b->items[j->index];
        it->status = j->st;
        it->error = j->err;
        it->result = j->res;
        j->res = NULL;
        b->live[j->index] = NULL;
        job_clear(j);
        j->next_done = b->spare;
        b->spare = j;
    }
}

static void batch_start(void *ud)
{
    batch_state *b = ud;
    batch_harvest(b);
    if (b->next >= b->n)
        return;
    chat_job *j = b->spare;
    if (j)
        b->spare = j->next_done;
    else
        j = llmh_xmalloc(sizeof *j);
    size_t i = b->next++;
    job_init(j, b->ctx, &b->reqs[i], b->loop, b->fallback);
    j->index = i;
    j->on_done = batch_job_done;
    j->done_ud = b;
    j->in_batch = 1;
    j->batch = b;
    b->live[i] = j;
    begin_entry(j);
}

static void batch_job_done(chat_job *j, void *ud)
{
    batch_state *b = ud;
    /* Its outcome is taken later: this runs inside the job's own calls. */
    j->next_done = b->finished;
    b->finished = j;
    b->done++;
    if (b->progress)
        b->progress(b->ud, b->done, b->n);
    /* Start the next job from the loop, not from inside this one's stack. */
    if (b->next < b->n)
        llmh_loop_timer(b->loop, 0, batch_start, b);
}

llmh_status llmh_chat_batch(llmh_ctx *ctx, const llmh_chat_request *reqs, size_t n,
                            size_t concurrency, llmh_batch_item *items,
                            llmh_batch_progress_cb progress, void *ud)
{
    if (!ctx || (!reqs && n) || (!items && n))
        return LLMH_E_INVALID;
    llmh_loop *loop = llmh_loop_new(concurrency);
    batch_state b;
    memset(&b, 0, sizeof b);
    b.ctx = ctx;
    b.reqs = reqs;
    b.items = items;
    b.live = llmh_xcalloc(n ? n : 1, sizeof *b.live);
    b.n = n;
    b.loop = loop;
    b.progress = progress;
    b.ud = ud;
    b.fallback = llmh_settings_get(ctx->settings, "llm.fallback", NULL);
    /* Jobs start as others finish, so the first requests go out at once
     * instead of after every job has been prepared. */
    size_t first = concurrency ? concurrency : n;
    for (size_t i = 0; i < first && b.next < n; i++)
        batch_start(&b);
    llmh_loop_run(loop);
    batch_harvest(&b);
    /* The loop only ends when every job has finished; should one not have,
     * its request fails rather than reading as a success. */
    for (size_t i = 0; i < n; i++) {
        if (b.live[i] || i >= b.next) {
            items[i].status = llmh_error_set(&items[i].error, LLMH_E_CANCELLED, 0,
                                             "the request did not finish");
            items[i].result = NULL;
            if (b.live[i]) {
                job_clear(b.live[i]);
                free(b.live[i]);
            }
        }
    }
    while (b.spare) {
        chat_job *j = b.spare;
        b.spare = j->next_done;
        free(j);
    }
    free(b.live);
    for (size_t i = 0; i < b.n_cfgs; i++)
        free(b.cfgs[i].key);
    free(b.cfgs);
    for (size_t i = 0; i < b.n_targets; i++) {
        free(b.targets[i].name);
        llmh_target_clear(&b.targets[i].t);
    }
    free(b.targets);
    for (size_t i = 0; i < b.n_bkeys; i++)
        free(b.bkeys[i]);
    free(b.bkeys);
    llmh_loop_free(loop);
    return LLMH_OK;
}

llmh_status llmh_chat_dry_run(llmh_ctx *ctx, const llmh_chat_request *req, char **json,
                              llmh_error *err)
{
    *json = NULL;
    prepared pp;
    llmh_status st = prepare(ctx, req, NULL, NULL, 1, NULL, &pp, err);
    if (st == LLMH_OK)
        st = llmh_target_require_key(&pp.t, err);
    if (st != LLMH_OK) {
        prepared_clear(&pp);
        return st;
    }
    llmh_http_req hreq;
    llmh_http_req_init(&hreq, pp.t.base_url);
    st = pp.t.codec->build_chat(&pp.t.call, &pp.params, &hreq, err);
    if (st == LLMH_OK) {
        json_object *doc = json_object_new_object();
        json_object *arr = json_object_new_array();
        llmh_dry_run_entry(arr, &hreq);
        json_object_object_add(doc, "requests", arr);
        *json = llmh_strdup(json_object_to_json_string_ext(
            doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                     JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(doc);
    }
    llmh_http_req_clear(&hreq);
    prepared_clear(&pp);
    return st;
}
