/* models.c: listing models, cached per provider and base URL with a TTL.
 * A listing never fails a command: an empty list and the reason instead. */
#include "models.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "log.h"

typedef struct list_priv {
    llmh_models_out out;
    char *provider;
    char *error;
} list_priv;

/* Declarative providers may list their models in the config ("models = a, b"). */
static int static_models(llmh_target *t, llmh_models_out *out)
{
    char key[256];
    snprintf(key, sizeof key, "provider.%s.models", t->p->key);
    const char *v = t->rec->plugin ? NULL : llmh_settings_get(t->ctx->settings, key, NULL);
    if (!v || !*v)
        return 0;
    size_t n = 0;
    char **ids = llmh_split_list(v, ',', &n);
    for (size_t i = 0; i < n; i++)
        llmh_host_table()->models_add(out, ids[i], NULL, 0);
    llmh_strv_free(ids, n);
    return 1;
}

static char *cache_path(const llmh_target *t)
{
    char *dir = llmh_xdg_path("XDG_CACHE_HOME", ".cache", "models");
    if (!dir)
        return NULL;
    /* FNV-1a of the base URL: the file name must not carry credentials. */
    unsigned long long h = 1469598103934665603ull;
    for (const char *p = t->base_url; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    char *path = llmh_sprintf("%s/%s-%016llx.json", dir, t->p->key, h);
    free(dir);
    return path;
}

static long ttl_seconds(const llmh_target *t)
{
    long ttl = 86400;
    char key[256];
    snprintf(key, sizeof key, "llm.%s.models_ttl", t->p->key);
    const char *k = llmh_settings_get(t->ctx->settings, key, NULL) ? key : "llm.models_ttl";
    llmh_settings_get_long(t->ctx->settings, k, 86400, 0, 365L * 86400, &ttl, NULL);
    return ttl;
}

static int cache_read(const llmh_target *t, llmh_models_out *out, int ignore_ttl)
{
    char *path = cache_path(t);
    if (!path)
        return 0;
    json_object *doc = json_object_from_file(path);
    free(path);
    if (!doc)
        return 0;
    json_object *at, *models;
    int ok = 0;
    if (json_object_object_get_ex(doc, "fetched_at", &at) &&
        json_object_object_get_ex(doc, "models", &models) &&
        json_object_is_type(models, json_type_array)) {
        long long age = (long long)time(NULL) - json_object_get_int64(at);
        if (ignore_ttl || (age >= 0 && age < ttl_seconds(t))) {
            for (size_t i = 0; i < json_object_array_length(models); i++) {
                json_object *m = json_object_array_get_idx(models, i), *v;
                const char *id = json_object_object_get_ex(m, "id", &v) ? json_object_get_string(v) : NULL;
                const char *label = json_object_object_get_ex(m, "label", &v) ? json_object_get_string(v) : NULL;
                long ctxlen = json_object_object_get_ex(m, "context_length", &v) ? (long)json_object_get_int64(v) : 0;
                llmh_host_table()->models_add(out, id, label, ctxlen);
                json_object *d;
                if (json_object_object_get_ex(m, "details", &d) &&
                    json_object_is_type(d, json_type_object)) {
                    json_object_object_foreach(d, dk, dv)
                        llmh_host_table()->models_detail(out, dk, json_object_get_string(dv));
                }
            }
            ok = 1;
        }
    }
    json_object_put(doc);
    return ok;
}

static void cache_write(const llmh_target *t, const llmh_models_out *out)
{
    char *path = cache_path(t);
    if (!path)
        return;
    char *dir = llmh_dirname(path);
    if (llmh_mkdir_p(dir, 0700) != 0) {
        llmh_log(LLMH_LOG_INFO, "cannot create %s: %s; models not cached", dir, strerror(errno));
        free(dir);
        free(path);
        return;
    }
    free(dir);
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "provider", json_object_new_string(t->p->key));
    json_object_object_add(doc, "base_url", json_object_new_string(t->url_shown));
    json_object_object_add(doc, "fetched_at", json_object_new_int64((int64_t)time(NULL)));
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < out->n; i++) {
        const llmh_model_entry *m = &out->models[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(m->id));
        json_object_object_add(o, "label", json_object_new_string(m->label));
        json_object_object_add(o, "context_length", json_object_new_int64(m->context_length));
        json_object *d = json_object_new_object();
        for (size_t j = 0; j < m->n_details; j++)
            json_object_object_add(d, m->details[j].key,
                                   json_object_new_string(m->details[j].value));
        json_object_object_add(o, "details", d);
        json_object_array_add(arr, o);
    }
    json_object_object_add(doc, "models", arr);
    /* Write then rename: a reader never sees half a file. */
    char *tmp = llmh_sprintf("%s.%ld.tmp", path, (long)getpid());
    if (json_object_to_file_ext(tmp, doc, JSON_C_TO_STRING_PLAIN) == 0)
        rename(tmp, path);
    else
        unlink(tmp);
    free(tmp);
    json_object_put(doc);
    free(path);
}

llmh_status llmh_models_build_request(llmh_target *t, llmh_http_req *req, llmh_error *err)
{
    const llmh_codec *c = t->codec;
    if (!c->build_models)
        return llmh_error_set(err, LLMH_E_UNSUPPORTED, 0, "%s cannot list models",
                              t->p->display_name);
    return c->build_models(&t->call, req, err);
}

/* The caller has checked that a key needed for listing is there. */
static llmh_status fetch(llmh_target *t, llmh_models_out *out, llmh_error *err)
{
    llmh_http_req req;
    llmh_http_req_init(&req, t->base_url);
    llmh_status st = llmh_models_build_request(t, &req, err);
    if (st == LLMH_OK) {
        llmh_xfer_opts o;
        llmh_target_xfer_opts(t, &o);
        o.total_timeout_ms = t->p->models_timeout_ms > 0 ? t->p->models_timeout_ms : 30000;
        if (o.connect_timeout_ms > 5000)
            o.connect_timeout_ms = 5000;
        llmh_response resp;
        st = llmh_http_perform(&req, &o, &resp, err);
        if (st == LLMH_OK && (resp.status < 200 || resp.status >= 300)) {
            llmh_err_ctx x;
            llmh_target_err_ctx(t, NULL, &x);
            llmh_classify_http_error(&x, resp.status, resp.retry_after_ms, resp.body.data,
                                     resp.body.len, err);
            st = err->code;
        } else if (st == LLMH_OK) {
            st = t->codec->parse_models(&t->call, resp.body.data ? resp.body.data : "",
                                        resp.body.len, out, err);
            if (st != LLMH_OK) {
                char msg[LLMH_ERROR_MSG_MAX];
                snprintf(msg, sizeof msg, "%s", err->message);
                llmh_error_set(err, st, resp.status, "%s sent a model list llmhost cannot read: %s",
                               t->what, msg);
            }
        }
        llmh_response_clear(&resp);
    }
    llmh_http_req_clear(&req);
    return st;
}

llmh_status llmh_models_get(llmh_target *t, int refresh, llmh_models_out *out, char **error,
                            int *cached)
{
    *error = NULL;
    *cached = 0;
    if (static_models(t, out))
        return LLMH_OK;
    /* Without the key the provider would not list them: neither does the cache. */
    if ((t->p->flags & LLMH_P_MODELS_NEED_KEY) && !t->api_key) {
        llmh_error err;
        llmh_error_clear(&err);
        if (llmh_target_require_key(t, &err) == LLMH_OK)
            llmh_error_set(&err, LLMH_E_CONFIG, 0, "%s needs an API key to list models",
                           t->p->display_name);
        *error = llmh_strdup(err.message);
        return LLMH_OK;
    }
    if (!refresh && cache_read(t, out, 0)) {
        *cached = 1;
        return LLMH_OK;
    }
    llmh_error err;
    llmh_error_clear(&err);
    if (fetch(t, out, &err) != LLMH_OK) {
        llmh_models_out_clear(out);
        *error = llmh_strdup(err.message);
        return LLMH_OK;
    }
    cache_write(t, out);
    return LLMH_OK;
}

void llmh_models_suggest(llmh_target *t, int cache_only, char *buf, size_t size)
{
    buf[0] = '\0';
    llmh_models_out out;
    llmh_models_out_init(&out);
    char *error = NULL;
    int cached = 0;
    if (cache_only) {
        if (!static_models(t, &out))
            cache_read(t, &out, 1);
    } else {
        llmh_models_get(t, 0, &out, &error, &cached);
    }
    size_t len = 0;
    for (size_t i = 0; i < out.n && len + 8 < size; i++) {
        int n = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", out.models[i].id);
        if (n < 0 || (size_t)n >= size - len) {
            snprintf(buf + len, size - len, ", ...");
            break;
        }
        len += (size_t)n;
    }
    free(error);
    llmh_models_out_clear(&out);
}

static int has_model(const llmh_models_out *out, const char *model)
{
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->models[i].id, model) == 0)
            return 1;
    return 0;
}

llmh_status llmh_models_check(llmh_target *t, const char *model, llmh_error *err)
{
    llmh_models_out out;
    llmh_models_out_init(&out);
    char *error = NULL;
    int cached = 0;
    llmh_models_get(t, 0, &out, &error, &cached);
    if (!has_model(&out, model) && cached) {
        /* The model may have been pulled since the list was cached. */
        llmh_models_out_clear(&out);
        free(error);
        error = NULL;
        llmh_models_get(t, 1, &out, &error, &cached);
    }
    llmh_status st = LLMH_OK;
    if (!error && !has_model(&out, model)) {
        llmh_buf names = {0};
        for (size_t i = 0; i < out.n && i < 20; i++) {
            if (i)
                llmh_buf_puts(&names, ", ");
            llmh_buf_puts(&names, out.models[i].id);
        }
        if (out.n > 20)
            llmh_buf_puts(&names, ", ...");
        st = llmh_error_set(err, LLMH_E_NOT_FOUND, 0,
                            "model \"%s\" is not available on %s; available: %s", model,
                            t->url_shown, names.len ? names.data : "none");
        llmh_buf_free(&names);
    }
    free(error);
    llmh_models_out_clear(&out);
    return st;
}

static void merge_details(llmh_model_entry *dst, const llmh_model_entry *src)
{
    if (src->context_length > 0)
        dst->context_length = src->context_length;
    for (size_t k = 0; k < src->n_details; k++) {
        int have = 0;
        for (size_t j = 0; j < dst->n_details; j++) {
            if (strcmp(dst->details[j].key, src->details[k].key) == 0) {
                free(dst->details[j].value);
                dst->details[j].value = llmh_strdup(src->details[k].value);
                have = 1;
            }
        }
        if (!have) {
            dst->details = llmh_xrealloc(dst->details, (dst->n_details + 1) * sizeof *dst->details);
            dst->details[dst->n_details].key = llmh_strdup(src->details[k].key);
            dst->details[dst->n_details].value = llmh_strdup(src->details[k].value);
            dst->n_details++;
        }
    }
}

void llmh_models_fill_details(llmh_target *t, llmh_models_out *out)
{
    const llmh_codec *c = t->codec;
    if (!c->build_model_info || !c->parse_model_info || !out->n)
        return;
    llmh_xfer_job *jobs = llmh_xcalloc(out->n, sizeof *jobs);
    llmh_http_req *reqs = llmh_xcalloc(out->n, sizeof *reqs);
    size_t *of = llmh_xcalloc(out->n, sizeof *of), nj = 0;
    for (size_t i = 0; i < out->n; i++) {
        llmh_error e;
        llmh_http_req_init(&reqs[nj], t->base_url);
        if (c->build_model_info(&t->call, out->models[i].id, &reqs[nj], &e) != LLMH_OK) {
            llmh_http_req_clear(&reqs[nj]);
            continue;
        }
        llmh_target_xfer_opts(t, &jobs[nj].opts);
        jobs[nj].opts.total_timeout_ms =
            t->p->models_timeout_ms > 0 ? t->p->models_timeout_ms : 30000;
        jobs[nj].req = &reqs[nj];
        of[nj++] = i;
    }
    llmh_http_perform_all(jobs, nj, 8);
    for (size_t j = 0; j < nj; j++) {
        llmh_model_entry *m = &out->models[of[j]];
        if (jobs[j].status == LLMH_OK && jobs[j].resp.status == 200) {
            llmh_models_out one;
            llmh_models_out_init(&one);
            llmh_error e;
            if (c->parse_model_info(&t->call, m->id,
                                    jobs[j].resp.body.data ? jobs[j].resp.body.data : "",
                                    jobs[j].resp.body.len, &one, &e) == LLMH_OK &&
                one.n > 0)
                merge_details(m, &one.models[0]);
            llmh_models_out_clear(&one);
        } else {
            llmh_log(LLMH_LOG_INFO, "no details for %s: %s", m->id,
                     jobs[j].status != LLMH_OK ? jobs[j].err.message : "server refused");
        }
        llmh_response_clear(&jobs[j].resp);
        llmh_http_req_clear(&reqs[j]);
    }
    free(jobs);
    free(reqs);
    free(of);
}

/* ---- the public listing API */

llmh_status llmh_models(llmh_ctx *ctx, const char *provider, unsigned flags,
                        llmh_model_list **out, llmh_error *err)
{
    int refresh = (flags & LLMH_MODELS_REFRESH) != 0;
    *out = NULL;
    llmh_target t;
    llmh_error local;
    llmh_error_clear(&local);
    llmh_status st = llmh_target_resolve(ctx, provider, &t, &local);
    if (st == LLMH_E_INVALID) {
        if (err)
            *err = local;
        llmh_target_clear(&t);
        return st;
    }
    list_priv *priv = llmh_xcalloc(1, sizeof *priv);
    llmh_model_list *l = llmh_xcalloc(1, sizeof *l);
    l->priv = priv;
    llmh_models_out_init(&priv->out);
    priv->provider = llmh_strdup(t.p ? t.p->key : provider);
    if (st != LLMH_OK)
        priv->error = llmh_strdup(local.message);
    else
        llmh_models_get(&t, refresh, &priv->out, &priv->error, &l->cached);
    if (st == LLMH_OK && (flags & LLMH_MODELS_DETAILS))
        llmh_models_fill_details(&t, &priv->out);
    l->provider = priv->provider;
    l->error = priv->error;
    l->n = priv->out.n;
    l->models = llmh_xcalloc(l->n ? l->n : 1, sizeof *l->models);
    for (size_t i = 0; i < l->n; i++) {
        l->models[i].id = priv->out.models[i].id;
        l->models[i].label = priv->out.models[i].label;
        l->models[i].provider = priv->provider;
        l->models[i].context_length = priv->out.models[i].context_length;
    }
    llmh_target_clear(&t);
    *out = l;
    return LLMH_OK;
}

void llmh_model_list_free(llmh_model_list *l)
{
    if (!l)
        return;
    list_priv *priv = l->priv;
    llmh_models_out_clear(&priv->out);
    free(priv->provider);
    free(priv->error);
    free(priv);
    free(l->models);
    free(l);
}

llmh_status llmh_models_dry_run(llmh_ctx *ctx, const char *provider, char **json,
                                llmh_error *err)
{
    *json = NULL;
    llmh_target t;
    llmh_status st = llmh_target_resolve(ctx, provider, &t, err);
    if (st != LLMH_OK) {
        llmh_target_clear(&t);
        return st;
    }
    llmh_http_req req;
    llmh_http_req_init(&req, t.base_url);
    json_object *doc = json_object_new_object();
    json_object *arr = json_object_new_array();
    llmh_models_out fixed;
    llmh_models_out_init(&fixed);
    if (!static_models(&t, &fixed)) {
        st = llmh_models_build_request(&t, &req, err);
        if (st == LLMH_OK)
            llmh_dry_run_entry(arr, &req);
    }
    llmh_models_out_clear(&fixed);
    json_object_object_add(doc, "requests", arr);
    if (st == LLMH_OK)
        *json = llmh_strdup(json_object_to_json_string_ext(
            doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                     JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(doc);
    llmh_http_req_clear(&req);
    llmh_target_clear(&t);
    return st;
}

size_t llmh_model_detail_count(const llmh_model_list *l, size_t i)
{
    const list_priv *priv = l ? l->priv : NULL;
    return priv && i < priv->out.n ? priv->out.models[i].n_details : 0;
}

int llmh_model_detail_at(const llmh_model_list *l, size_t i, size_t k, const char **key,
                         const char **value)
{
    if (k >= llmh_model_detail_count(l, i))
        return 0;
    const list_priv *priv = l->priv;
    *key = priv->out.models[i].details[k].key;
    *value = priv->out.models[i].details[k].value;
    return 1;
}

const char *llmh_model_detail(const llmh_model_list *l, size_t i, const char *key)
{
    const char *k, *v;
    for (size_t n = 0; llmh_model_detail_at(l, i, n, &k, &v); n++)
        if (strcmp(k, key) == 0)
            return v;
    return NULL;
}
