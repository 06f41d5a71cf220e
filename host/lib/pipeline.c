/* pipeline.c: [pipeline.NAME] sections: loading and validating a pipeline
 * (stages, prompt templates, conditions, profiles), expanding templates,
 * evaluating conditions, and running the stages in order through profile.c
 * with a per-stage callback. */
#include "pipeline.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "log.h"
#include "util.h"

const char *llmh_stage_event_name(llmh_stage_event ev)
{
    switch (ev) {
    case LLMH_STAGE_OK: return "ok";
    case LLMH_STAGE_SKIPPED: return "skipped";
    case LLMH_STAGE_FAILED: return "failed";
    case LLMH_STAGE_START: return "start";
    case LLMH_STAGE_DELTA: return "delta";
    }
    return "unknown";
}

char **llmh_pipeline_names(const llmh_settings *s, size_t *n)
{
    return llmh_settings_names(s, "pipeline.", n);
}

/* ---- templates ---- */

static int is_name_start(int c)
{
    return isalpha(c) || c == '_';
}
static int is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.';
}

/* A placeholder at t ('{'): its length up to '}' included, else 0. */
static size_t placeholder_len(const char *t)
{
    if (t[0] != '{' || !is_name_start((unsigned char)t[1]))
        return 0;
    size_t i = 2;
    while (is_name_char((unsigned char)t[i]))
        i++;
    return t[i] == '}' ? i + 1 : 0;
}

int llmh_template_check(const char *tmpl, const char *const *earlier, size_t n, char *why,
                        size_t whysize)
{
    for (const char *t = tmpl; *t; t++) {
        if ((t[0] == '{' && t[1] == '{') || (t[0] == '}' && t[1] == '}')) {
            t++;
            continue;
        }
        size_t len = placeholder_len(t);
        if (!len)
            continue;
        const char *name = t + 1;
        size_t nl = len - 2;
        if ((nl == 5 && !strncmp(name, "query", 5)) || (nl == 8 && !strncmp(name, "previous", 8))) {
            t += len - 1;
            continue;
        }
        if (nl > 6 && !strncmp(name, "stage.", 6)) {
            const char *sn = name + 6;
            size_t sl = nl - 6;
            for (size_t i = 0; i < n; i++) {
                if (strlen(earlier[i]) == sl && !strncmp(earlier[i], sn, sl)) {
                    sn = NULL;
                    break;
                }
            }
            if (sn) {
                llmh_buf b = {0};
                for (size_t i = 0; i < n; i++)
                    llmh_buf_printf(&b, "%s%s", i ? ", " : "", earlier[i]);
                snprintf(why, whysize, "{stage.%.*s} names no earlier stage (earlier: %s)", (int)sl,
                         sn, n ? b.data : "none");
                llmh_buf_free(&b);
                return -1;
            }
            t += len - 1;
            continue;
        }
        snprintf(why, whysize,
                 "unknown placeholder {%.*s} (use {query}, {previous} or {stage.NAME}; "
                 "{{ and }} for literal braces)",
                 (int)nl, name);
        return -1;
    }
    return 0;
}

char *llmh_template_expand(const char *tmpl, const char *query, const char *previous,
                           llmh_template_lookup lookup, void *ud)
{
    llmh_buf b = {0};
    llmh_buf_append(&b, "", 0);
    for (const char *t = tmpl; *t; t++) {
        if ((t[0] == '{' && t[1] == '{') || (t[0] == '}' && t[1] == '}')) {
            llmh_buf_append(&b, t, 1);
            t++;
            continue;
        }
        size_t len = placeholder_len(t);
        if (!len) {
            llmh_buf_append(&b, t, 1);
            continue;
        }
        const char *name = t + 1;
        size_t nl = len - 2;
        if (nl == 5 && !strncmp(name, "query", 5)) {
            llmh_buf_puts(&b, query ? query : "");
        } else if (nl == 8 && !strncmp(name, "previous", 8)) {
            llmh_buf_puts(&b, previous ? previous : "");
        } else if (nl > 6 && !strncmp(name, "stage.", 6)) {
            char *sn = llmh_strndup(name + 6, nl - 6);
            const char *v = lookup ? lookup(ud, sn) : NULL;
            llmh_buf_puts(&b, v ? v : "");
            free(sn);
        } else {
            llmh_buf_append(&b, t, len); /* unchecked: kept as written */
        }
        t += len - 1;
    }
    return b.data;
}

/* ---- conditions ---- */

void llmh_when_clear(llmh_when *w)
{
    if (w->has_re)
        regfree(&w->re);
    free(w->text);
    free(w->stage);
    free(w->word);
    free(w->pattern);
    memset(w, 0, sizeof *w);
}

/* The next white-space separated word of *p, advancing *p. */
static size_t next_word(const char **p, const char **start)
{
    while (isspace((unsigned char)**p))
        (*p)++;
    *start = *p;
    while (**p && !isspace((unsigned char)**p))
        (*p)++;
    return (size_t)(*p - *start);
}

int llmh_when_parse(const char *text, llmh_when *w, char *why, size_t whysize)
{
    static const char usage[] = "when must be \"previous matches REGEX\", \"previous says "
                                "WORD\", \"stage.NAME matches REGEX\" or \"stage.NAME says "
                                "WORD\"";
    memset(w, 0, sizeof *w);
    const char *p = text, *sub, *verb;
    size_t sl = next_word(&p, &sub);
    size_t vl = next_word(&p, &verb);
    while (isspace((unsigned char)*p))
        p++;
    char *arg = llmh_strdup(p);
    size_t al = strlen(arg);
    while (al > 0 && isspace((unsigned char)arg[al - 1]))
        arg[--al] = '\0';
    int bad_subject = !(sl == 8 && !strncasecmp(sub, "previous", 8)) &&
                      !(sl > 6 && !strncasecmp(sub, "stage.", 6));
    int is_matches = vl == 7 && !strncasecmp(verb, "matches", 7);
    int is_says = vl == 4 && !strncasecmp(verb, "says", 4);
    if (!sl || bad_subject || (!is_matches && !is_says) || !al) {
        snprintf(why, whysize, "%s, got \"%.80s\"", usage, text);
        free(arg);
        return -1;
    }
    w->text = llmh_strdup(text);
    if (sl > 6 && !strncasecmp(sub, "stage.", 6))
        w->stage = llmh_strndup(sub + 6, sl - 6);
    if (is_says) {
        w->kind = LLMH_WHEN_SAYS;
        for (char *c = arg; *c; c++) {
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_') {
                snprintf(why, whysize, "%s: WORD is one word, got \"%.80s\"", usage, arg);
                free(arg);
                llmh_when_clear(w);
                return -1;
            }
            *c = (char)tolower((unsigned char)*c);
        }
        w->word = arg;
        return 0;
    }
    w->kind = LLMH_WHEN_MATCHES;
    if (al >= 2 &&
        ((arg[0] == '"' && arg[al - 1] == '"') || (arg[0] == '\'' && arg[al - 1] == '\'') ||
         (arg[0] == '/' && arg[al - 1] == '/'))) {
        memmove(arg, arg + 1, al - 2);
        arg[al - 2] = '\0';
    }
    w->pattern = arg;
    int rc = regcomp(&w->re, arg, REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc != 0) {
        char msg[200];
        regerror(rc, &w->re, msg, sizeof msg);
        snprintf(why, whysize, "when: bad regular expression \"%.80s\": %s", arg, msg);
        llmh_when_clear(w);
        return -1;
    }
    w->has_re = 1;
    return 0;
}

/* The start of an answer, for a reason: one line, at most 40 characters. */
static void excerpt(const char *s, char *buf, size_t size)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strcspn(s, "\r\n");
    if (n > 40)
        n = 40;
    snprintf(buf, size, "%.*s%s", (int)n, s, s[n] ? "..." : "");
}

int llmh_when_eval(const llmh_when *w, const char *subject, const char *subject_name, char **reason)
{
    *reason = NULL;
    if (w->kind == LLMH_WHEN_ALWAYS)
        return 1;
    const char *who = subject_name ? subject_name : "?";
    if (!subject) {
        *reason = w->stage ? llmh_sprintf("stage %s did not answer (when = %s)", who, w->text)
                           : llmh_sprintf("no earlier stage answered (when = %s)", w->text);
        return 0;
    }
    char ex[64];
    if (w->kind == LLMH_WHEN_MATCHES) {
        if (regexec(&w->re, subject, 0, NULL, 0) == 0)
            return 1;
        *reason = llmh_sprintf("the answer of stage %s does not match \"%s\" (when = %s)", who,
                               w->pattern, w->text);
        return 0;
    }
    /* says: trimmed, lower-cased, starts with the word; emphasis and quotes
     * in front ("**Yes**", "\"yes\"") do not count. */
    const char *p = subject;
    while (*p && !isalnum((unsigned char)*p))
        p++;
    size_t n = strlen(w->word);
    if (strncasecmp(p, w->word, n) == 0)
        return 1;
    excerpt(subject, ex, sizeof ex);
    *reason =
        llmh_sprintf("stage %s said \"%s\", not \"%s\" (when = %s)", who, ex, w->word, w->text);
    return 0;
}

/* ---- loading ---- */

void llmh_pipeline_def_free(llmh_pipeline_def *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        llmh_stage_def *st = &d->stages[i];
        free(st->name);
        free(st->profile_name);
        llmh_profile_free(st->profile);
        free(st->prompt);
        llmh_when_clear(&st->when);
    }
    free(d->stages);
    free(d->name);
    free(d->description);
    free(d);
}

/* "WHERE: pipeline.NAME[.STAGE]: message", LLMH_E_CONFIG; key locates it. */
static llmh_status bad(const llmh_settings *s, llmh_error *err, const char *key, const char *what,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static llmh_status bad(const llmh_settings *s, llmh_error *err, const char *key, const char *what,
                       const char *fmt, ...)
{
    char where[300] = "", src[200], msg[400];
    const char *file = NULL;
    int line = 0;
    if (key && llmh_settings_origin(s, key, &file, &line))
        snprintf(where, sizeof where, "%s:%d: ", file, line);
    else if (key && llmh_settings_get(s, key, NULL)) /* from -s or the environment */
        snprintf(where, sizeof where, "%s: ", llmh_settings_source_text(s, key, src, sizeof src));
    else if (llmh_settings_file(s))
        snprintf(where, sizeof where, "%s: ", llmh_settings_file(s));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return llmh_error_set(err, LLMH_E_CONFIG, 0, "%s%s: %s", where, what, msg);
}

static int valid_stage_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return 0;
    return 1;
}

struct keys {
    size_t skip;
    char **k;
    size_t n;
};

static void on_key(void *ud, const char *key, const char *value)
{
    (void)value;
    struct keys *ks = ud;
    ks->k = llmh_xrealloc(ks->k, (ks->n + 1) * sizeof *ks->k);
    ks->k[ks->n++] = llmh_strdup(key + ks->skip);
}

/* One stage: [pipeline.P.S]. earlier: the names before it. */
static llmh_status load_stage(llmh_ctx *ctx, const char *pname, llmh_stage_def *st,
                              const char *const *earlier, size_t n_earlier, llmh_error *err)
{
    const llmh_settings *s = ctx->settings;
    char what[300];
    snprintf(what, sizeof what, "pipeline.%s.%s", pname, st->name);
    char *prefix = llmh_sprintf("%s.", what);
    struct keys ks = {strlen(prefix), NULL, 0};
    llmh_settings_foreach(s, prefix, on_key, &ks);
    llmh_status stt = LLMH_OK;
    for (size_t i = 0; i < ks.n && stt == LLMH_OK; i++) {
        const char *k = ks.k[i];
        if (strcmp(k, "profile") && strcmp(k, "prompt") && strcmp(k, "when") &&
            strcmp(k, "on_error") && strcmp(k, "answer")) {
            char *full = llmh_sprintf("%s%s", prefix, k);
            stt = bad(s, err, full, what,
                      "unknown key \"%s\" (a stage has profile, prompt, when, on_error and "
                      "answer)",
                      k);
            free(full);
        }
    }
    for (size_t i = 0; i < ks.n; i++)
        free(ks.k[i]);
    free(ks.k);
    if (stt != LLMH_OK) {
        free(prefix);
        return stt;
    }
    char key[600];
    char why[400];
    const char *v;

    snprintf(key, sizeof key, "%sprompt", prefix);
    v = llmh_settings_get(s, key, NULL);
    if (!v || !*v) {
        snprintf(key, sizeof key, "pipeline.%s.stages", pname);
        free(prefix);
        return bad(s, err, key, what, "no prompt (add [%s] with prompt = ...)", what);
    }
    st->prompt = llmh_strdup(v);
    if (llmh_template_check(v, earlier, n_earlier, why, sizeof why) != 0) {
        free(prefix);
        return bad(s, err, key, what, "prompt: %s", why);
    }

    snprintf(key, sizeof key, "%sprofile", prefix);
    v = llmh_settings_get(s, key, NULL);
    if (v && *v) {
        st->profile_name = llmh_strdup(v);
        if (!llmh_profile_exists(s, v)) {
            free(prefix);
            return bad(s, err, key, what, "unknown profile \"%s\"", v);
        }
        llmh_status ps = llmh_profile_load(ctx, v, &st->profile, err);
        if (ps != LLMH_OK) {
            free(prefix);
            return ps;
        }
    }

    snprintf(key, sizeof key, "%swhen", prefix);
    v = llmh_settings_get(s, key, NULL);
    if (v && *v) {
        if (llmh_when_parse(v, &st->when, why, sizeof why) != 0) {
            free(prefix);
            return bad(s, err, key, what, "%s", why);
        }
        if (!st->when.stage && n_earlier == 0) {
            free(prefix);
            return bad(s, err, key, what, "the first stage has no previous stage to test");
        }
        if (st->when.stage) {
            size_t i;
            for (i = 0; i < n_earlier && strcmp(earlier[i], st->when.stage); i++)
                ;
            if (i == n_earlier) {
                free(prefix);
                return bad(s, err, key, what, "when: stage.%s names no earlier stage",
                           st->when.stage);
            }
        }
    }

    snprintf(key, sizeof key, "%son_error", prefix);
    v = llmh_settings_get(s, key, NULL);
    if (v && *v) {
        if (!strcasecmp(v, "continue"))
            st->on_error_continue = 1;
        else if (strcasecmp(v, "stop")) {
            free(prefix);
            return bad(s, err, key, what, "on_error must be stop or continue, got \"%.60s\"", v);
        }
    }

    /* answer = no: a decision (a classifier's yes or no), never the final answer. */
    snprintf(key, sizeof key, "%sanswer", prefix);
    v = llmh_settings_get(s, key, NULL);
    st->may_answer = 1;
    if (v && *v) {
        if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") ||
            !strcmp(v, "0"))
            st->may_answer = 0;
        else if (strcasecmp(v, "yes") && strcasecmp(v, "true") && strcasecmp(v, "on") &&
                 strcmp(v, "1")) {
            free(prefix);
            return bad(s, err, key, what, "answer must be yes or no, got \"%.60s\"", v);
        }
    }
    free(prefix);
    return LLMH_OK;
}

struct stage_sections {
    const llmh_pipeline_def *d;
    const char *pname;
};

static void warn_unlisted(void *ud, const char *name)
{
    struct stage_sections *ss = ud;
    for (size_t i = 0; i < ss->d->n; i++)
        if (!strcmp(ss->d->stages[i].name, name))
            return;
    llmh_log(LLMH_LOG_WARN, "[pipeline.%s.%s] is not in pipeline.%s.stages (ignored)", ss->pname,
             name, ss->pname);
}

llmh_status llmh_pipeline_load(llmh_ctx *ctx, const char *name, llmh_pipeline_def **out,
                               llmh_error *err)
{
    *out = NULL;
    if (!ctx || !name || !*name || strchr(name, '.'))
        return llmh_error_set(err, LLMH_E_INVALID, 0,
                              "a pipeline name is not empty and has no "
                              "dot, got \"%s\"",
                              name ? name : "");
    llmh_ctx_load_plugins(ctx);
    const llmh_settings *s = ctx->settings;
    size_t n_names;
    char **names = llmh_pipeline_names(s, &n_names);
    int found = 0;
    llmh_buf known = {0};
    for (size_t i = 0; i < n_names; i++) {
        found |= !strcmp(names[i], name);
        llmh_buf_printf(&known, "%s%s", i ? ", " : "", names[i]);
    }
    llmh_strv_free(names, n_names);
    if (!found) {
        const char *file = llmh_settings_file(s);
        if (n_names)
            llmh_error_set(err, LLMH_E_CONFIG, 0, "unknown pipeline \"%s\"; defined: %s", name,
                           known.data);
        else if (file)
            llmh_error_set(err, LLMH_E_CONFIG, 0,
                           "unknown pipeline \"%s\": %s has no [pipeline.NAME] section", name,
                           file);
        else
            llmh_error_set(err, LLMH_E_CONFIG, 0,
                           "unknown pipeline \"%s\": no config file was read (see -c FILE)", name);
        llmh_buf_free(&known);
        return LLMH_E_CONFIG;
    }
    llmh_buf_free(&known);

    char what[300], key[400];
    snprintf(what, sizeof what, "pipeline.%s", name);
    /* [pipeline.NAME] itself: stages and an optional description. */
    char *prefix = llmh_sprintf("%s.", what);
    struct keys ks = {strlen(prefix), NULL, 0};
    llmh_settings_foreach(s, prefix, on_key, &ks);
    free(prefix);
    llmh_status st = LLMH_OK;
    for (size_t i = 0; i < ks.n && st == LLMH_OK; i++) {
        if (!strchr(ks.k[i], '.') && strcmp(ks.k[i], "stages") && strcmp(ks.k[i], "description")) {
            snprintf(key, sizeof key, "%s.%s", what, ks.k[i]);
            st = bad(s, err, key, what,
                     "unknown key \"%s\" (a pipeline has stages and description; each stage "
                     "has its own [%s.STAGE] section)",
                     ks.k[i], what);
        }
    }
    for (size_t i = 0; i < ks.n; i++)
        free(ks.k[i]);
    free(ks.k);
    if (st != LLMH_OK)
        return st;

    snprintf(key, sizeof key, "%s.stages", what);
    const char *list = llmh_settings_get(s, key, NULL);
    if (!list || !*list)
        return bad(s, err, NULL, what, "no stages (set stages = a, b, c in [%s])", what);

    llmh_pipeline_def *d = llmh_xcalloc(1, sizeof *d);
    d->name = llmh_strdup(name);
    snprintf(key, sizeof key, "%s.description", what);
    const char *desc = llmh_settings_get(s, key, NULL);
    d->description = desc && *desc ? llmh_strdup(desc) : NULL;
    snprintf(key, sizeof key, "%s.stages", what);
    size_t n_items = 0;
    char **items = llmh_split_list(list, ',', &n_items);
    for (size_t k = 0; k < n_items && st == LLMH_OK; k++) {
        const char *tok = items[k];
        if (!valid_stage_name(tok)) {
            st = bad(s, err, key, what,
                     "stages: \"%s\" is not a stage name (letters, digits, '_' and '-')", tok);
            break;
        }
        for (size_t i = 0; i < d->n; i++)
            if (!strcmp(d->stages[i].name, tok))
                st = bad(s, err, key, what, "stages: \"%s\" is listed twice", tok);
        if (st != LLMH_OK)
            break;
        d->stages = llmh_xrealloc(d->stages, (d->n + 1) * sizeof *d->stages);
        memset(&d->stages[d->n], 0, sizeof *d->stages);
        d->stages[d->n].name = llmh_strdup(tok);
        d->n++;
    }
    llmh_strv_free(items, n_items);
    const char **earlier = llmh_xcalloc(d->n ? d->n : 1, sizeof *earlier);
    for (size_t i = 0; i < d->n && st == LLMH_OK; i++) {
        st = load_stage(ctx, name, &d->stages[i], earlier, i, err);
        earlier[i] = d->stages[i].name;
    }
    free(earlier);
    if (st == LLMH_OK && d->n == 0)
        st = bad(s, err, key, what, "no stages (set stages = a, b, c)");
    if (st != LLMH_OK) {
        llmh_pipeline_def_free(d);
        return st;
    }
    char *sp = llmh_sprintf("%s.", what);
    struct stage_sections ss = {d, name};
    llmh_settings_sections(s, sp, warn_unlisted, &ss);
    free(sp);
    *out = d;
    return LLMH_OK;
}

/* ---- running ---- */

void llmh_pipeline_result_free(llmh_pipeline_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_stages; i++) {
        llmh_stage_result *sr = &r->stages[i];
        free(sr->name);
        free(sr->reason);
        free(sr->profile);
        free(sr->provider);
        free(sr->model);
        free(sr->prompt);
        free(sr->content);
        free(sr->reasoning);
    }
    free(r->stages);
    free(r->pipeline);
    free(r->query);
    free(r->answer);
    free(r);
}

typedef struct run_state {
    llmh_pipeline_result *r;
    llmh_stage_cb cb;
    void *ud;
    const char *stage; /* the one running */
    int cancelled;
} run_state;

static int notify(run_state *rs, const char *stage, llmh_stage_event ev, const char *text)
{
    if (!rs->cb || rs->cancelled)
        return rs->cancelled;
    if (rs->cb(rs->ud, stage, ev, text ? text : "", text ? strlen(text) : 0) != 0)
        rs->cancelled = 1;
    return rs->cancelled;
}

static int on_stage_delta(void *ud, const char *content, size_t clen, const char *reasoning,
                          size_t rlen)
{
    run_state *rs = ud;
    (void)reasoning, (void)rlen;
    if (!clen || !rs->cb)
        return 0;
    if (rs->cb(rs->ud, rs->stage, LLMH_STAGE_DELTA, content, clen) != 0)
        rs->cancelled = 1;
    return rs->cancelled;
}

static const char *lookup_stage(void *ud, const char *name)
{
    const llmh_pipeline_result *r = ud;
    for (size_t i = 0; i < r->n_stages; i++)
        if (!strcmp(r->stages[i].name, name))
            return r->stages[i].status == LLMH_STAGE_OK ? r->stages[i].content : NULL;
    return NULL;
}

/* The last stage that answered, or -1. */
static long last_ok(const llmh_pipeline_result *r)
{
    for (size_t i = r->n_stages; i-- > 0;)
        if (r->stages[i].status == LLMH_STAGE_OK)
            return (long)i;
    return -1;
}

llmh_status llmh_pipeline_run(llmh_ctx *ctx, const char *name, const char *query, llmh_stage_cb cb,
                              void *ud, llmh_pipeline_result **out, llmh_error *err)
{
    llmh_error_clear(err);
    if (out)
        *out = NULL;
    if (!ctx || !name || !query || !out)
        return llmh_error_set(err, LLMH_E_INVALID, 0,
                              "llmh_pipeline_run needs a context, a name, a query and out");
    llmh_pipeline_def *d;
    llmh_status st = llmh_pipeline_load(ctx, name, &d, err);
    if (st != LLMH_OK)
        return st;
    llmh_pipeline_result *r = llmh_xcalloc(1, sizeof *r);
    r->pipeline = llmh_strdup(name);
    r->query = llmh_strdup(query);
    r->stages = llmh_xcalloc(d->n, sizeof *r->stages);
    run_state rs = {r, cb, ud, NULL, 0};
    llmh_status last_fail = LLMH_OK;
    char last_fail_msg[LLMH_ERROR_MSG_MAX + 300] = "";
    for (size_t i = 0; i < d->n && st == LLMH_OK; i++) {
        const llmh_stage_def *sd = &d->stages[i];
        /* Before this stage joins the results, so it cannot be its own previous. */
        long prev = last_ok(r);
        llmh_stage_result *sr = &r->stages[r->n_stages++];
        sr->name = llmh_strdup(sd->name);
        sr->profile = llmh_strdup(sd->profile_name);
        sr->confidence = -1;
        sr->usage.prompt_tokens = sr->usage.completion_tokens = -1;
        sr->latency_ms = -1;
        sr->status = LLMH_STAGE_FAILED; /* until it ends otherwise */
        rs.stage = sd->name;

        const char *previous = prev >= 0 ? r->stages[prev].content : NULL;
        const char *subject = previous, *subject_name = prev >= 0 ? r->stages[prev].name : NULL;
        if (sd->when.stage) {
            subject = lookup_stage(r, sd->when.stage);
            subject_name = sd->when.stage;
        }
        char *reason = NULL;
        if (!llmh_when_eval(&sd->when, subject, subject_name, &reason)) {
            sr->status = LLMH_STAGE_SKIPPED;
            sr->reason = reason;
            if (notify(&rs, sd->name, LLMH_STAGE_SKIPPED, reason))
                st = llmh_error_set(err, LLMH_E_CANCELLED, 0, "cancelled by the caller");
            continue;
        }
        /* {previous} before any answer is the query itself. */
        sr->prompt =
            llmh_template_expand(sd->prompt, query, previous ? previous : query, lookup_stage, r);
        llmh_message msg = {"user", sr->prompt};
        llmh_chat_request req;
        memset(&req, 0, sizeof req);
        req.struct_size = sizeof req;
        req.messages = &msg;
        req.n_messages = 1;
        req.stream = -1;
        req.on_delta = on_stage_delta;
        req.ud = &rs;
        llmh_profile_call pc;
        llmh_error e;
        llmh_error_clear(&e);
        llmh_chat_result *res = NULL;
        llmh_status cs = llmh_profile_call_begin(ctx, sd->profile, &req, &pc, &e);
        if (cs == LLMH_OK) {
            char *who =
                llmh_sprintf("%s/%s", pc.provider ? pc.provider : "?", pc.model ? pc.model : "?");
            sr->provider = llmh_strdup(pc.provider);
            sr->model = llmh_strdup(pc.model);
            if (notify(&rs, sd->name, LLMH_STAGE_START, who))
                cs = llmh_error_set(&e, LLMH_E_CANCELLED, 0, "cancelled by the caller");
            free(who);
        }
        if (cs == LLMH_OK)
            cs = llmh_profile_call_run(&pc, &res, &sr->confidence, &e);
        llmh_profile_call_end(&pc);
        if (cs == LLMH_OK) {
            sr->status = LLMH_STAGE_OK;
            free(sr->provider);
            free(sr->model);
            sr->provider = llmh_strdup(res->provider);
            sr->model = llmh_strdup(res->model);
            sr->content = llmh_strdup(res->content);
            sr->reasoning = llmh_strdup(res->reasoning);
            sr->usage = res->usage;
            sr->attempts = res->attempts;
            sr->latency_ms = res->latency_ms;
            llmh_chat_result_free(res);
            if (notify(&rs, sd->name, LLMH_STAGE_OK, sr->content))
                st = llmh_error_set(err, LLMH_E_CANCELLED, 0, "cancelled by the caller");
            continue;
        }
        sr->status = LLMH_STAGE_FAILED;
        sr->error = cs;
        sr->reason = llmh_strdup(e.message);
        if (rs.cancelled || cs == LLMH_E_CANCELLED) {
            st = llmh_error_set(err, LLMH_E_CANCELLED, 0, "cancelled by the caller");
            break;
        }
        notify(&rs, sd->name, LLMH_STAGE_FAILED, e.message);
        if (rs.cancelled) {
            st = llmh_error_set(err, LLMH_E_CANCELLED, 0, "cancelled by the caller");
            break;
        }
        last_fail = cs;
        snprintf(last_fail_msg, sizeof last_fail_msg, "stage %s failed: %s", sd->name, e.message);
        if (!sd->on_error_continue) {
            st = llmh_error_set(err, cs, e.http_status, "%s", last_fail_msg);
            if (err)
                err->retry_after_ms = e.retry_after_ms;
        }
    }
    /* The final answer: the last stage that answered and may give it. */
    for (size_t i = r->n_stages; i-- > 0 && !r->answer;)
        if (r->stages[i].status == LLMH_STAGE_OK && d->stages[i].may_answer)
            r->answer = llmh_strdup(r->stages[i].content);
    if (st == LLMH_OK && !r->answer)
        st = llmh_error_set(err, last_fail != LLMH_OK ? last_fail : LLMH_E_CONFIG, 0,
                            "no stage answered%s%s", last_fail_msg[0] ? "; " : "", last_fail_msg);
    llmh_pipeline_def_free(d);
    *out = r;
    return st;
}
