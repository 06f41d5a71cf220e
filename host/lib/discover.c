/* discover.c: is a provider usable, and which local servers are running.
 * Cloud providers are available when their key is set; custom endpoints
 * when they have a key or a URL of their own; local servers are probed,
 * all at once, and only HTTP 200 counts. */
#include "discover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "models.h"
#include "provider.h"
#include "url.h"

void llmh_probe_clear(llmh_probe *p)
{
    llmh_target_clear(&p->t);
    free(p->reason);
    free(p->version);
    llmh_models_out_clear(&p->models);
    memset(p, 0, sizeof *p);
}

static long probe_timeout(const llmh_provider *p)
{
    if (p->probe_timeout_ms > 0)
        return p->probe_timeout_ms;
    return (p->flags & LLMH_P_FRAMING_NDJSON) ? 3000 : 1000;
}

/* Availability that needs no network: cloud and custom providers. */
static int decide_offline(llmh_probe *pr)
{
    const llmh_target *t = &pr->t;
    const llmh_provider *p = t->p;
    if (p->kind == LLMH_KIND_CLOUD) {
        pr->available = t->api_key != NULL;
        if (!pr->available) {
            llmh_error e;
            llmh_error_clear(&e);
            if (llmh_target_require_key(t, &e) == LLMH_OK)
                llmh_error_set(&e, LLMH_E_CONFIG, 0, "no API key set: set %s", t->key_setting);
            pr->reason = llmh_strdup(e.message);
        }
        return 1;
    }
    if (p->kind == LLMH_KIND_CUSTOM) {
        char *def = NULL;
        int own_url = 1;
        if (p->default_base_url) {
            llmh_url_normalize(p->default_base_url, &def, NULL);
            own_url = !def || strcmp(def, t->base_url) != 0;
        }
        free(def);
        pr->available = t->api_key != NULL || own_url;
        if (!pr->available) {
            char urlkey[256];
            pr->reason = llmh_sprintf("no API key and no URL of its own: set %s or %s",
                                      t->key_setting, llmh_provider_url_key(p, urlkey, sizeof urlkey));
        }
        return 1;
    }
    return 0;
}

void llmh_probe_run(llmh_ctx *ctx, const char *const *keys, size_t n, long timeout_ms,
                    int want_models, llmh_probe *out)
{
    llmh_xfer_job *jobs = llmh_xcalloc(n ? n : 1, sizeof *jobs);
    llmh_http_req *reqs = llmh_xcalloc(n ? n : 1, sizeof *reqs);
    size_t *job_of = llmh_xcalloc(n ? n : 1, sizeof *job_of);
    size_t nj = 0;
    for (size_t i = 0; i < n; i++) {
        llmh_probe *pr = &out[i];
        memset(pr, 0, sizeof *pr);
        llmh_models_out_init(&pr->models);
        llmh_error e;
        llmh_error_clear(&e);
        if (llmh_target_resolve(ctx, keys[i], &pr->t, &e) != LLMH_OK) {
            pr->reason = llmh_strdup(e.message);
            continue;
        }
        pr->resolved = 1;
        if (decide_offline(pr))
            continue;
        llmh_target *t = &pr->t;
        llmh_http_req_init(&reqs[nj], t->base_url);
        llmh_status st = t->codec->build_probe
                             ? t->codec->build_probe(&t->call, &reqs[nj], &e)
                             : llmh_models_build_request(t, &reqs[nj], &e);
        if (st != LLMH_OK) {
            pr->reason = llmh_strdup(e.message);
            llmh_http_req_clear(&reqs[nj]);
            continue;
        }
        llmh_target_xfer_opts(t, &jobs[nj].opts);
        long to = timeout_ms > 0 ? timeout_ms : probe_timeout(t->p);
        jobs[nj].opts.total_timeout_ms = to;
        jobs[nj].opts.connect_timeout_ms = to;
        jobs[nj].opts.idle_timeout_ms = to;
        jobs[nj].req = &reqs[nj];
        job_of[nj] = i;
        nj++;
    }
    llmh_http_perform_all(jobs, nj, 0);
    for (size_t j = 0; j < nj; j++) {
        llmh_probe *pr = &out[job_of[j]];
        llmh_target *t = &pr->t;
        llmh_xfer_job *job = &jobs[j];
        if (job->status != LLMH_OK) {
            pr->reason = llmh_strdup(job->err.message);
        } else if (job->resp.status != 200) {
            llmh_err_ctx x;
            llmh_error e;
            llmh_target_err_ctx(t, NULL, &x);
            llmh_classify_http_error(&x, job->resp.status, job->resp.retry_after_ms,
                                     job->resp.body.data, job->resp.body.len, &e);
            pr->reason = llmh_strdup(e.message);
        } else {
            pr->available = 1;
            if (want_models && !t->codec->build_probe && t->codec->parse_models) {
                llmh_error e;
                if (t->codec->parse_models(&t->call, job->resp.body.data ? job->resp.body.data : "",
                                           job->resp.body.len, &pr->models, &e) == LLMH_OK)
                    pr->has_models = 1;
                else
                    llmh_models_out_clear(&pr->models);
            }
        }
        llmh_response_clear(&job->resp);
        llmh_http_req_clear(&reqs[j]);
    }
    free(jobs);
    free(reqs);
    free(job_of);
}

void llmh_probe_versions(llmh_probe *probes, size_t n)
{
    llmh_xfer_job *jobs = llmh_xcalloc(n ? n : 1, sizeof *jobs);
    llmh_http_req *reqs = llmh_xcalloc(n ? n : 1, sizeof *reqs);
    size_t *of = llmh_xcalloc(n ? n : 1, sizeof *of), nj = 0;
    for (size_t i = 0; i < n; i++) {
        llmh_target *t = &probes[i].t;
        if (!probes[i].available || !t->codec || !t->codec->build_version)
            continue;
        llmh_error e;
        llmh_http_req_init(&reqs[nj], t->base_url);
        if (t->codec->build_version(&t->call, &reqs[nj], &e) != LLMH_OK) {
            llmh_http_req_clear(&reqs[nj]);
            continue;
        }
        llmh_target_xfer_opts(t, &jobs[nj].opts);
        jobs[nj].opts.total_timeout_ms = probe_timeout(t->p);
        jobs[nj].req = &reqs[nj];
        of[nj++] = i;
    }
    llmh_http_perform_all(jobs, nj, 0);
    for (size_t j = 0; j < nj; j++) {
        llmh_probe *pr = &probes[of[j]];
        if (jobs[j].status == LLMH_OK && jobs[j].resp.status == 200) {
            char buf[128] = "";
            llmh_error e;
            if (pr->t.codec->parse_version(&pr->t.call, jobs[j].resp.body.data ? jobs[j].resp.body.data : "",
                                           jobs[j].resp.body.len, buf, sizeof buf, &e) == LLMH_OK &&
                buf[0])
                pr->version = llmh_strdup(buf);
        }
        llmh_response_clear(&jobs[j].resp);
        llmh_http_req_clear(&reqs[j]);
    }
    free(jobs);
    free(reqs);
    free(of);
}

llmh_status llmh_provider_available(llmh_ctx *ctx, const char *provider, int *available,
                                    char **reason, llmh_error *err)
{
    llmh_ctx_load_plugins(ctx);
    if (!provider || !llmh_registry_find(ctx->registry, provider))
        return llmh_error_set(err, LLMH_E_INVALID, 0, "unknown provider \"%s\"",
                              provider ? provider : "(null)");
    llmh_probe pr;
    const char *keys[1] = {provider};
    llmh_probe_run(ctx, keys, 1, 0, 0, &pr);
    *available = pr.available;
    if (reason)
        *reason = pr.reason ? llmh_strdup(pr.reason) : NULL;
    llmh_probe_clear(&pr);
    return LLMH_OK;
}

llmh_status llmh_discover(llmh_ctx *ctx, long timeout_ms, llmh_server **out, size_t *n,
                          llmh_error *err)
{
    (void)err;
    llmh_ctx_load_plugins(ctx);
    const llmh_registry *r = ctx->registry;
    size_t np = llmh_registry_provider_count(r), nl = 0;
    const char **keys = llmh_xcalloc(np ? np : 1, sizeof *keys);
    for (size_t i = 0; i < np; i++) {
        const llmh_provider *p = llmh_registry_provider(r, i)->p;
        if (p->kind == LLMH_KIND_LOCAL)
            keys[nl++] = p->key;
    }
    llmh_probe *probes = llmh_xcalloc(nl ? nl : 1, sizeof *probes);
    llmh_probe_run(ctx, keys, nl, timeout_ms, 1, probes);
    llmh_server *servers = llmh_xcalloc(nl ? nl : 1, sizeof *servers);
    for (size_t i = 0; i < nl; i++) {
        llmh_probe *pr = &probes[i];
        llmh_server *s = &servers[i];
        s->provider = llmh_strdup(keys[i]);
        s->base_url = llmh_strdup(pr->t.url_shown);
        s->available = pr->available;
        s->reason = pr->reason ? llmh_strdup(pr->reason) : NULL;
        s->n_models = pr->models.n;
        s->models = llmh_xcalloc(s->n_models ? s->n_models : 1, sizeof *s->models);
        for (size_t k = 0; k < s->n_models; k++)
            s->models[k] = llmh_strdup(pr->models.models[k].id);
        llmh_probe_clear(pr);
    }
    free(probes);
    free(keys);
    *out = servers;
    *n = nl;
    return LLMH_OK;
}

void llmh_servers_free(llmh_server *s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++) {
        free(s[i].provider);
        free(s[i].base_url);
        free(s[i].reason);
        for (size_t k = 0; k < s[i].n_models; k++)
            free(s[i].models[k]);
        free(s[i].models);
    }
    free(s);
}

llmh_status llmh_breaker_status(llmh_ctx *ctx, const char *provider, const char **state,
                                long *retry_in_ms, llmh_error *err)
{
    llmh_target t;
    llmh_status st = llmh_target_resolve(ctx, provider, &t, err);
    if (st == LLMH_OK) {
        char *key = llmh_sprintf("%s|%s", t.p->key, t.base_url);
        long retry = 0;
        llmh_breaker_state bs = llmh_breaker_get(ctx->breakers, key, llmh_now_ms(), &retry);
        *state = llmh_breaker_state_name(bs);
        if (retry_in_ms)
            *retry_in_ms = bs == LLMH_BREAKER_CLOSED ? 0 : retry;
        free(key);
    }
    llmh_target_clear(&t);
    return st;
}
