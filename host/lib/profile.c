/* profile.c: [profile.NAME] sections: loading and validating a profile,
 * composing its system prompt, applying it to a clone of the settings (the
 * PROFILE layer), and running a chat through it on a view context, with the
 * confidence line parsed out of the answer. */
#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "log.h"
#include "registry.h"

/* Keys of a profile that shape the call rather than name a setting. */
static const char *const shape_keys[] = {
    "provider",           "model",  "fallback",        "system",   "style", "max_length",
    "include_confidence", "domain", "expertise_level", "knowledge"};

/* Settings that also exist per provider (llm.<provider>.KEY); the same list
 * as settings.c's. A profile's value for one of them is written for the
 * call's provider too, so it beats an [llm.PROVIDER] section. */
static const char *const per_provider[] = {"url",
                                           "api_key",
                                           "api_base",
                                           "organization",
                                           "enable_thinking",
                                           "stream_usage",
                                           "thinking_budget",
                                           "rpm",
                                           "tpm",
                                           "max_retries",
                                           "request_timeout",
                                           "models_ttl",
                                           "check_model",
                                           "max_tokens",
                                           "temperature",
                                           "context_window_size",
                                           "model",
                                           "rpm_burst",
                                           "cache",
                                           "cache_ttl",
                                           "ttft_timeout",
                                           "retry_max_wait"};

/* Values checked at load, by the last part of the key. */
enum { T_LONG, T_DOUBLE, T_BOOL, T_CACHE };
static const struct {
    const char *name;
    int type;
    double min, max;
} typed[] = {
    {"temperature", T_DOUBLE, 0, 2},
    {"max_tokens", T_LONG, 1, 100000000},
    {"max_retries", T_LONG, 0, 5},
    {"request_timeout", T_LONG, 1, 1e9},
    {"retry_initial_delay", T_DOUBLE, 0, 3600},
    {"retry_max_delay", T_DOUBLE, 0, 3600},
    {"retry_max_wait", T_DOUBLE, 0, 86400},
    {"ttft_timeout", T_DOUBLE, 0, 86400},
    {"rate_limit_max_wait", T_DOUBLE, 0, 86400},
    {"cache_ttl", T_LONG, 0, 2147483647},
    {"rpm", T_LONG, 0, 1e9},
    {"tpm", T_LONG, 0, 1e12},
    {"rpm_burst", T_LONG, 1, 1e9},
    {"context_window_size", T_LONG, 256, 100000000},
    {"local_context_window_size", T_LONG, 256, 100000000},
    {"streaming", T_BOOL, 0, 0},
    {"strip_think_tags", T_BOOL, 0, 0},
    {"stream_usage", T_BOOL, 0, 0},
    {"tls_verify", T_BOOL, 0, 0},
    {"supports_max_tokens", T_BOOL, 0, 0},
    {"context_window_unrestricted", T_BOOL, 0, 0},
    {"cache", T_CACHE, 0, 0},
};

static const char *const style_names[] = {NULL, "concise", "detailed", "technical", "simple"};

#define MAX_FILE_BYTES (1024 * 1024)

/* ---- small helpers ---- */

static int in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int is_blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}

/* Locale-independent decimal: digits with an optional '.' fraction and sign. */
static int parse_number(const char *v, double *out)
{
    while (isspace((unsigned char)*v))
        v++;
    int neg = 0;
    if (*v == '-' || *v == '+')
        neg = *v++ == '-';
    double x = 0, scale = 1;
    int digits = 0;
    for (; isdigit((unsigned char)*v); v++, digits++)
        x = x * 10 + (*v - '0');
    if (*v == '.')
        for (v++; isdigit((unsigned char)*v); v++, digits++)
            x += (*v - '0') * (scale /= 10);
    while (isspace((unsigned char)*v))
        v++;
    if (!digits || *v)
        return 0;
    *out = neg ? -x : x;
    return 1;
}

static int parse_whole(const char *v, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (end == v || *end || errno)
        return 0;
    *out = x;
    return 1;
}

static int parse_bool(const char *v, int *out)
{
    static const struct {
        const char *w;
        int b;
    } words[] = {{"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0},
                 {"on", 1},   {"off", 0},   {"1", 1},   {"0", 0}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcasecmp(v, words[i].w) == 0) {
            *out = words[i].b;
            return 1;
        }
    }
    return 0;
}


char **llmh_profile_names(const llmh_settings *s, size_t *n)
{
    return llmh_settings_names(s, "profile.", n);
}

int llmh_profile_exists(const llmh_settings *s, const char *name)
{
    size_t n;
    char **v = llmh_profile_names(s, &n);
    int found = 0;
    for (size_t i = 0; i < n && !found; i++)
        found = strcmp(v[i], name) == 0;
    llmh_strv_free(v, n);
    return found;
}

/* ---- loading ---- */

typedef struct kv {
    char *key; /* the part after "profile.NAME." */
    char *value;
} kv;

struct collect {
    size_t skip;
    kv *v;
    size_t n;
};

static void on_key(void *ud, const char *key, const char *value)
{
    struct collect *c = ud;
    c->v = llmh_xrealloc(c->v, (c->n + 1) * sizeof *c->v);
    c->v[c->n].key = llmh_strdup(key + c->skip);
    c->v[c->n].value = llmh_strdup(value);
    c->n++;
}

void llmh_profile_free(llmh_profile *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->provider);
    free(p->model);
    free(p->fallback);
    free(p->system);
    free(p->system_ref);
    free(p->domain);
    free(p->knowledge);
    free(p->knowledge_ref);
    for (size_t i = 0; i < p->n_sets; i++) {
        free(p->sets[i].key);
        free(p->sets[i].value);
    }
    free(p->sets);
    free(p->where);
    free(p);
}

/* Loading state: the settings, the profile, and where messages point. */
typedef struct loader {
    const llmh_settings *s;
    llmh_registry *r;
    llmh_profile *p;
    llmh_error *err;
} loader;

/* "FILE:LINE: profile.NAME: " + message, LLMH_E_CONFIG. */
static llmh_status bad(loader *ld, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static llmh_status bad(loader *ld, const char *key, const char *fmt, ...)
{
    char full[512], where[300], msg[400];
    snprintf(full, sizeof full, "profile.%s.%s", ld->p->name, key);
    llmh_settings_source_text(ld->s, full, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return llmh_error_set(ld->err, LLMH_E_CONFIG, 0, "%s: profile.%s: %s", where, ld->p->name, msg);
}

/* A value for a message: quoted, cut at 60 characters. */
static const char *shown(const char *v, char *buf, size_t size)
{
    snprintf(buf, size, "\"%.60s%s\"", v, strlen(v) > 60 ? "..." : "");
    for (char *c = buf; *c; c++)
        if (iscntrl((unsigned char)*c))
            *c = '?';
    return buf;
}

/* @path relative to the directory of the file the key came from. */
static char *resolve_path(const llmh_settings *s, const char *full_key, const char *path)
{
    if (path[0] == '/')
        return llmh_strdup(path);
    if (path[0] == '~' && path[1] == '/') {
        const char *home = getenv("HOME");
        if (home && *home)
            return llmh_sprintf("%s%s", home, path + 1);
    }
    const char *file = NULL;
    if (!llmh_settings_origin(s, full_key, &file, NULL))
        file = llmh_settings_file(s);
    if (!file)
        return llmh_strdup(path);
    char *dir = llmh_dirname(file);
    char *full = llmh_sprintf("%s/%s", dir, path);
    free(dir);
    return full;
}

/* Reads a whole text file; NULL with errno set (EFBIG when too large). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    llmh_buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        llmh_buf_append(&b, chunk, n);
        if (b.len > MAX_FILE_BYTES) {
            fclose(f);
            llmh_buf_free(&b);
            errno = EFBIG;
            return NULL;
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        llmh_buf_free(&b);
        errno = EIO;
        return NULL;
    }
    if (!b.data)
        llmh_buf_append(&b, "", 0);
    /* Trailing white space would only pad the system prompt. */
    while (b.len > 0 && isspace((unsigned char)b.data[b.len - 1]))
        b.data[--b.len] = '\0';
    return b.data;
}

/* system or knowledge: inline text, or @path. */
static llmh_status text_or_file(loader *ld, const char *key, const char *value, char **text,
                                char **ref)
{
    if (value[0] != '@') {
        *text = llmh_strdup(value);
        return LLMH_OK;
    }
    const char *path = value + 1;
    while (isspace((unsigned char)*path))
        path++;
    if (!*path)
        return bad(ld, key, "%s = @ needs a file name", key);
    char full[512];
    snprintf(full, sizeof full, "profile.%s.%s", ld->p->name, key);
    char *resolved = resolve_path(ld->s, full, path);
    *text = slurp(resolved);
    if (!*text) {
        llmh_status st = bad(ld, key, "cannot read the %s file %s: %s", key, resolved,
                             errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
        free(resolved);
        return st;
    }
    free(resolved);
    *ref = llmh_strdup(value);
    return LLMH_OK;
}

static llmh_status check_provider(loader *ld, const char *key, const char *name)
{
    if (!ld->r || llmh_registry_find(ld->r, name))
        return LLMH_OK;
    llmh_buf known = {0};
    for (size_t i = 0; i < llmh_registry_provider_count(ld->r); i++) {
        if (i)
            llmh_buf_puts(&known, ", ");
        llmh_buf_puts(&known, llmh_registry_provider(ld->r, i)->p->key);
    }
    char sv[100];
    llmh_status st = bad(ld, key, "unknown provider %s; known: %s", shown(name, sv, sizeof sv),
                         known.len ? known.data : "none (no plugin loaded)");
    llmh_buf_free(&known);
    return st;
}

/* fallback = provider/model, provider/model: every provider must exist. */
static llmh_status check_fallback(loader *ld, const char *list)
{
    size_t n = 0;
    char **items = llmh_split_list(list, ',', &n);
    llmh_status st = LLMH_OK;
    for (size_t i = 0; i < n && st == LLMH_OK; i++) {
        char *slash = strchr(items[i], '/'); /* provider/model: the provider must exist */
        if (slash)
            *slash = '\0';
        size_t len = strlen(items[i]);
        while (len > 0 && isspace((unsigned char)items[i][len - 1]))
            items[i][--len] = '\0';
        if (*items[i])
            st = check_provider(ld, "fallback", items[i]);
    }
    llmh_strv_free(items, n);
    return st;
}

/* A key that is not a shape: which setting it names, and is its value fine? */
static llmh_status map_setting(loader *ld, const char *key, const char *value)
{
    char *full;
    if (strncmp(key, "llm.", 4) == 0 || strncmp(key, "breaker.", 8) == 0)
        full = llmh_strdup(key);
    else
        full = llmh_sprintf("llm.%s", key);
    const char *last = strrchr(full, '.') + 1;
    int is_llm = strncmp(full, "llm.", 4) == 0;
    char sv[100];
    if (is_llm && *value) {
        for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++) {
            if (strcmp(last, typed[i].name) != 0)
                continue;
            double d;
            long l;
            int b;
            llmh_status st = LLMH_OK;
            switch (typed[i].type) {
            case T_LONG:
                if (!parse_whole(value, &l) || l < typed[i].min || l > typed[i].max)
                    st = bad(ld, key, "%s must be a whole number from %.0f to %.0f, got %s", key,
                             typed[i].min, typed[i].max, shown(value, sv, sizeof sv));
                break;
            case T_DOUBLE:
                if (!parse_number(value, &d) || d < typed[i].min || d > typed[i].max)
                    st = bad(ld, key, "%s must be a number from %g to %g, got %s", key,
                             typed[i].min, typed[i].max, shown(value, sv, sizeof sv));
                break;
            case T_BOOL:
                if (!parse_bool(value, &b))
                    st = bad(ld, key, "%s must be true or false, got %s", key,
                             shown(value, sv, sizeof sv));
                break;
            case T_CACHE:
                if (strcmp(value, "off") && strcmp(value, "on") && strcmp(value, "read_only") &&
                    strcmp(value, "write_only"))
                    st = bad(ld, key, "%s must be off, on, read_only or write_only, got %s", key,
                             shown(value, sv, sizeof sv));
                break;
            }
            if (st != LLMH_OK) {
                free(full);
                return st;
            }
        }
    }
    /* A typo would otherwise be a setting nothing reads. Known: a built-in or
     * plugin default, a typed or per-provider key, anything under a known
     * provider (plugins have their own keys), any breaker.* key. */
    if (is_llm) {
        const char *rest = full + 4;
        const char *dot = strchr(rest, '.');
        llmh_setting_source src = LLMH_SRC_NONE;
        llmh_settings_get(ld->s, full, &src);
        int known = src == LLMH_SRC_DEFAULT ||
                    in_list(rest, per_provider, sizeof per_provider / sizeof per_provider[0]);
        for (size_t i = 0; !known && i < sizeof typed / sizeof typed[0]; i++)
            known = strcmp(rest, typed[i].name) == 0;
        if (!known && dot) {
            char *prov = llmh_strndup(rest, (size_t)(dot - rest));
            known = !ld->r || llmh_registry_find(ld->r, prov) != NULL;
            if (!known) {
                llmh_status st = bad(ld, key,
                                     "%s: no provider \"%s\" (a key with a dot names "
                                     "a provider setting, like ollama.url)",
                                     key, prov);
                free(prov);
                free(full);
                return st;
            }
            free(prov);
        }
        if (!known) {
            free(full);
            return bad(ld, key,
                       "unknown key \"%s\" (expected provider, model, system, "
                       "fallback, style, max_length, include_confidence, domain, "
                       "expertise_level, knowledge, or an llm.* setting such as "
                       "temperature)",
                       key);
        }
    }
    llmh_profile *p = ld->p;
    p->sets = llmh_xrealloc(p->sets, (p->n_sets + 1) * sizeof *p->sets);
    p->sets[p->n_sets].key = full;
    p->sets[p->n_sets].value = llmh_strdup(value);
    p->n_sets++;
    return LLMH_OK;
}

static void add_set(llmh_profile *p, const char *key, const char *value)
{
    p->sets = llmh_xrealloc(p->sets, (p->n_sets + 1) * sizeof *p->sets);
    p->sets[p->n_sets].key = llmh_strdup(key);
    p->sets[p->n_sets].value = llmh_strdup(value);
    p->n_sets++;
}

static llmh_status shape_key(loader *ld, const char *key, const char *value)
{
    llmh_profile *p = ld->p;
    char sv[100];
    if (is_blank(value))
        return LLMH_OK; /* "key =" leaves it to the settings */
    if (!strcmp(key, "provider")) {
        p->provider = llmh_strdup(value);
        add_set(p, "llm.provider", value);
        return check_provider(ld, key, value);
    }
    if (!strcmp(key, "model")) {
        p->model = llmh_strdup(value);
        add_set(p, "llm.model", value);
        return LLMH_OK;
    }
    if (!strcmp(key, "fallback")) {
        p->fallback = llmh_strdup(value);
        add_set(p, "llm.fallback", value);
        return check_fallback(ld, value);
    }
    if (!strcmp(key, "system"))
        return text_or_file(ld, key, value, &p->system, &p->system_ref);
    if (!strcmp(key, "knowledge"))
        return text_or_file(ld, key, value, &p->knowledge, &p->knowledge_ref);
    if (!strcmp(key, "domain")) {
        p->domain = llmh_strdup(value);
        return LLMH_OK;
    }
    if (!strcmp(key, "style")) {
        for (int i = 1; i < (int)(sizeof style_names / sizeof style_names[0]); i++) {
            if (strcasecmp(value, style_names[i]) == 0) {
                p->style = (llmh_style)i;
                return LLMH_OK;
            }
        }
        return bad(ld, key, "style must be concise, detailed, technical or simple, got %s",
                   shown(value, sv, sizeof sv));
    }
    if (!strcmp(key, "max_length")) {
        long words;
        if (!parse_whole(value, &words) || words < 1 || words > 100000)
            return bad(ld, key,
                       "max_length must be a whole number of words from 1 to 100000, "
                       "got %s",
                       shown(value, sv, sizeof sv));
        p->max_length = words;
        return LLMH_OK;
    }
    if (!strcmp(key, "include_confidence")) {
        if (!parse_bool(value, &p->include_confidence))
            return bad(ld, key, "include_confidence must be true or false, got %s",
                       shown(value, sv, sizeof sv));
        return LLMH_OK;
    }
    if (!strcmp(key, "expertise_level")) {
        double d;
        if (!parse_number(value, &d) || d < 0 || d > 1)
            return bad(ld, key, "expertise_level must be between 0 and 1, got %s",
                       shown(value, sv, sizeof sv));
        p->expertise = d;
        return LLMH_OK;
    }
    return LLMH_OK;
}

/* The profile's location: the earliest file line among its keys. */
static char *first_line(const llmh_settings *s, const char *name, const kv *v, size_t n)
{
    const char *best_file = NULL;
    int best = 0;
    for (size_t i = 0; i < n; i++) {
        char full[512];
        const char *file;
        int line;
        snprintf(full, sizeof full, "profile.%s.%s", name, v[i].key);
        if (llmh_settings_origin(s, full, &file, &line) && (!best_file || line < best)) {
            best_file = file;
            best = line;
        }
    }
    return best_file ? llmh_sprintf("%s:%d", best_file, best) : llmh_strdup("");
}

static llmh_status load_from(const llmh_settings *s, llmh_registry *r, const char *name,
                             llmh_profile **out, llmh_error *err)
{
    *out = NULL;
    if (!name || !*name || strchr(name, '.'))
        return llmh_error_set(err, LLMH_E_INVALID, 0,
                              "a profile name is not empty and has "
                              "no dot, got \"%s\"",
                              name ? name : "");
    if (!llmh_profile_exists(s, name)) {
        size_t n;
        char **names = llmh_profile_names(s, &n);
        llmh_buf known = {0};
        for (size_t i = 0; i < n; i++) {
            if (i)
                llmh_buf_puts(&known, ", ");
            llmh_buf_puts(&known, names[i]);
        }
        const char *file = llmh_settings_file(s);
        if (n)
            llmh_error_set(err, LLMH_E_CONFIG, 0, "unknown profile \"%s\"; defined: %s", name,
                           known.data);
        else if (file)
            llmh_error_set(err, LLMH_E_CONFIG, 0,
                           "unknown profile \"%s\": %s has no [profile.NAME] section", name, file);
        else
            llmh_error_set(err, LLMH_E_CONFIG, 0,
                           "unknown profile \"%s\": no config file was read (see -c FILE)", name);
        llmh_buf_free(&known);
        llmh_strv_free(names, n);
        return LLMH_E_CONFIG;
    }
    llmh_profile *p = llmh_xcalloc(1, sizeof *p);
    p->name = llmh_strdup(name);
    p->expertise = -1;
    char *prefix = llmh_sprintf("profile.%s.", name);
    struct collect c = {strlen(prefix), NULL, 0};
    llmh_settings_foreach(s, prefix, on_key, &c);
    free(prefix);
    p->where = first_line(s, name, c.v, c.n);
    loader ld = {s, r, p, err};
    llmh_status st = LLMH_OK;
    /* Shapes first, in a fixed order, so the first error is the same every time. */
    for (size_t k = 0; k < sizeof shape_keys / sizeof shape_keys[0] && st == LLMH_OK; k++)
        for (size_t i = 0; i < c.n && st == LLMH_OK; i++)
            if (!strcmp(c.v[i].key, shape_keys[k]))
                st = shape_key(&ld, c.v[i].key, c.v[i].value);
    for (size_t i = 0; i < c.n && st == LLMH_OK; i++)
        if (!in_list(c.v[i].key, shape_keys, sizeof shape_keys / sizeof shape_keys[0]))
            st = map_setting(&ld, c.v[i].key, c.v[i].value);
    for (size_t i = 0; i < c.n; i++) {
        free(c.v[i].key);
        free(c.v[i].value);
    }
    free(c.v);
    if (st != LLMH_OK) {
        llmh_profile_free(p);
        return st;
    }
    *out = p;
    return LLMH_OK;
}

llmh_status llmh_profile_load(llmh_ctx *ctx, const char *name, llmh_profile **out, llmh_error *err)
{
    *out = NULL;
    if (!ctx)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "no context given");
    llmh_ctx_load_plugins(ctx);
    return load_from(ctx->settings, ctx->registry, name, out, err);
}

/* ---- the system prompt ---- */

static void para(llmh_buf *b, const char *text)
{
    if (b->len)
        llmh_buf_puts(b, "\n\n");
    llmh_buf_puts(b, text);
}

char *llmh_profile_system_prompt(const llmh_profile *p, const char *base)
{
    llmh_buf b = {0};
    if (!base && p)
        base = p->system;
    if (base && !is_blank(base))
        para(&b, base);
    if (!p)
        return b.data;
    if (p->domain || p->expertise >= 0) {
        llmh_buf e = {0};
        if (p->domain)
            llmh_buf_printf(&e, "You are an expert in %s.", p->domain);
        if (p->expertise >= 0) {
            /* Two decimals without printf's locale-dependent point. */
            long h = lround(p->expertise * 100);
            const char *tier =
                p->expertise < 0.4
                    ? "keep to well-established basics, explain the terms you use, and say "
                      "when a question needs a specialist"
                : p->expertise < 0.7
                    ? "answer as an experienced practitioner: use the field's terminology and "
                      "explain the trade-offs"
                    : "answer as a leading authority: be rigorous and precise, go into depth, "
                      "and point out subtleties and open questions";
            llmh_buf_printf(&e,
                            "%sYour expertise level is %ld.%02ld on a scale from 0 "
                            "(novice) to 1 (leading authority), so %s.",
                            e.len ? " " : "", h / 100, h % 100, tier);
        }
        para(&b, e.data);
        llmh_buf_free(&e);
    }
    if (p->knowledge && !is_blank(p->knowledge)) {
        para(&b, "Domain knowledge (terms and facts to rely on):\n");
        llmh_buf_puts(&b, p->knowledge);
    }
    switch (p->style) {
    case LLMH_STYLE_CONCISE:
        para(&b, "Style: concise. Answer directly, in as few words as the question allows; "
                 "no preamble, no repetition.");
        break;
    case LLMH_STYLE_DETAILED:
        para(&b, "Style: detailed. Give a thorough answer: the background, the reasoning step "
                 "by step, and examples.");
        break;
    case LLMH_STYLE_TECHNICAL:
        para(&b, "Style: technical. Use precise terminology, and give formulas, code or "
                 "specifications where they help.");
        break;
    case LLMH_STYLE_SIMPLE:
        para(&b, "Style: simple. Use plain, everyday language that a non-specialist "
                 "understands; avoid jargon, or explain it.");
        break;
    case LLMH_STYLE_NONE: break;
    }
    if (p->max_length > 0) {
        char line[80];
        snprintf(line, sizeof line, "Keep the answer under %ld words.", p->max_length);
        para(&b, line);
    }
    if (p->include_confidence)
        para(&b, "End your answer with a last line of the form \"Confidence: NN%\", where NN "
                 "(0 to 100) is how likely it is that your answer is correct.");
    return b.data;
}

long llmh_profile_length_tokens(long words, int include_confidence, long cap)
{
    if (words <= 0)
        return 0;
    long t = (words * 3 + 1) / 2 + (include_confidence ? 10 : 0);
    return cap > 0 && t > cap ? cap : t;
}

/* ---- applying: the PROFILE layer of a clone ---- */

static int overridden(llmh_setting_source src)
{
    return src == LLMH_SRC_CLI || src == LLMH_SRC_ENV || src == LLMH_SRC_ALIAS_ENV;
}

llmh_settings *llmh_profile_settings(const llmh_profile *p, const llmh_settings *s,
                                     const char *provider)
{
    llmh_settings *c = llmh_settings_clone(s);
    if (!c || !p)
        return c;
    for (size_t i = 0; i < p->n_sets; i++) {
        if (llmh_settings_set(c, p->sets[i].key, p->sets[i].value, LLMH_SRC_PROFILE) != LLMH_OK) {
            llmh_settings_free(c);
            return NULL;
        }
    }
    char *prov =
        llmh_strdup(provider && *provider ? provider : llmh_settings_get(c, "llm.provider", NULL));
    if (!prov || !*prov) {
        free(prov);
        return c;
    }
    for (size_t i = 0; i < p->n_sets; i++) {
        const char *key = p->sets[i].key, *name;
        const char *prefix;
        if (!strncmp(key, "llm.", 4)) {
            prefix = "llm.";
            name = key + 4;
            if (!in_list(name, per_provider, sizeof per_provider / sizeof per_provider[0]))
                continue;
        } else if (!strncmp(key, "breaker.", 8) && !strchr(key + 8, '.')) {
            prefix = "breaker.";
            name = key + 8;
        } else {
            continue;
        }
        /* The general key's effective value: the profile's, or what -s or the
         * environment put above it, which then beats [llm.PROVIDER] too. */
        char *value = llmh_strdup(llmh_settings_get(c, key, NULL));
        char *pkey = llmh_sprintf("%s%s.%s", prefix, prov, name);
        llmh_setting_source src;
        llmh_settings_get(c, pkey, &src);
        int failed = value && !overridden(src) &&
                     llmh_settings_set(c, pkey, value, LLMH_SRC_PROFILE) != LLMH_OK;
        free(value);
        if (failed) {
            free(pkey);
            free(prov);
            llmh_settings_free(c);
            return NULL;
        }
        free(pkey);
    }
    free(prov);
    return c;
}

void llmh_ctx_view_init(llmh_ctx *view, llmh_ctx *ctx, llmh_settings *s)
{
    llmh_ctx_load_plugins(ctx);
    /* Taken by ctx, so the view never holds a reference of its own. */
    llmh_ctx_hold_transport(ctx);
    /* Everything ctx holds is shared by pointer; only the settings differ and
     * the lock is the view's own (a mutex cannot be copied). */
    pthread_mutex_lock(&ctx->lock);
    memcpy(view, ctx, sizeof *view);
    pthread_mutex_unlock(&ctx->lock);
    view->settings = s;
    view->plugins_loaded = 1;
    pthread_mutex_init(&view->lock, NULL);
}

void llmh_ctx_view_clear(llmh_ctx *view, llmh_ctx *ctx)
{
    /* What the view opened lazily belongs to ctx from now on: the response
     * cache (closed instead when ctx opened its own meanwhile). */
    llmh_cache *extra = NULL;
    pthread_mutex_lock(&ctx->lock);
    if (view->cache && view->cache != ctx->cache) {
        if (!ctx->cache)
            ctx->cache = view->cache;
        else
            extra = view->cache;
    }
    pthread_mutex_unlock(&ctx->lock);
    llmh_cache_close(extra);
    pthread_mutex_destroy(&view->lock);
}

/* ---- the confidence line ---- */

static int is_decor(int c)
{
    return c == '*' || c == '_' || c == '`' || c == '>' || c == '#';
}

/* "Confidence: 85%" and friends; 0..100 or -1. */
static int parse_confidence_line(const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end && (isspace((unsigned char)*p) || is_decor(*p) || *p == '-'))
        p++;
    if ((size_t)(end - p) < 10 || strncasecmp(p, "confidence", 10) != 0)
        return -1;
    p += 10;
    while (p < end && (isspace((unsigned char)*p) || is_decor(*p)))
        p++;
    if ((size_t)(end - p) >= 5 && !strncasecmp(p, "level", 5))
        p += 5;
    else if ((size_t)(end - p) >= 5 && !strncasecmp(p, "score", 5))
        p += 5;
    while (p < end && (isspace((unsigned char)*p) || is_decor(*p)))
        p++;
    if (p < end && (*p == ':' || *p == '='))
        p++;
    while (p < end && (isspace((unsigned char)*p) || is_decor(*p)))
        p++;
    double x = 0, scale = 1;
    int digits = 0, point = 0;
    for (; p < end && isdigit((unsigned char)*p); p++, digits++)
        x = x * 10 + (*p - '0');
    if (p < end && *p == '.' && p + 1 < end && isdigit((unsigned char)p[1]))
        for (p++, point = 1; p < end && isdigit((unsigned char)*p); p++, digits++)
            x += (*p - '0') * (scale /= 10);
    if (!digits)
        return -1;
    while (p < end && *p == ' ')
        p++;
    if (p < end && *p == '%') {
        p++;
    } else if ((size_t)(end - p) >= 7 && !strncasecmp(p, "percent", 7)) {
        p += 7;
    } else if (p < end && *p == '/') {
        double d = 0;
        int dd = 0;
        for (p++; p < end && isdigit((unsigned char)*p); p++, dd++)
            d = d * 10 + (*p - '0');
        if (!dd || d <= 0)
            return -1;
        x = x / d * 100;
    } else if (point && x <= 1) {
        x *= 100; /* a fraction: 0.85 */
    }
    while (p < end && (isspace((unsigned char)*p) || is_decor(*p) || *p == '.' || *p == ')'))
        p++;
    if (p != end || x < 0 || x > 100)
        return -1;
    return (int)lround(x);
}

int llmh_confidence_strip(char *content)
{
    if (!content)
        return -1;
    size_t end = strlen(content);
    while (end > 0 && isspace((unsigned char)content[end - 1]))
        end--;
    if (!end)
        return -1;
    size_t start = end;
    while (start > 0 && content[start - 1] != '\n')
        start--;
    int v = parse_confidence_line(content + start, end - start);
    if (v < 0)
        return -1;
    while (start > 0 && isspace((unsigned char)content[start - 1]))
        start--;
    content[start] = '\0';
    return v;
}

/* Could this (partial) line still turn out to be a confidence line? */
static int may_be_confidence(const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end && (isspace((unsigned char)*p) || is_decor(*p) || *p == '-'))
        p++;
    size_t m = (size_t)(end - p);
    return strncasecmp(p, "confidence", m < 10 ? m : 10) == 0;
}

/* ---- one chat through a profile ---- */

static int emit_held(llmh_profile_call *pc, size_t upto)
{
    int rc = 0;
    if (upto > 0)
        rc = pc->orig->on_delta(pc->orig->ud, pc->held.data, upto, "", 0);
    memmove(pc->held.data, pc->held.data + upto, pc->held.len - upto + 1);
    pc->held.len -= upto;
    return rc;
}

/* Streams the answer through, holding back its last line while that line
 * may be the confidence line. */
static int confidence_filter(void *ud, const char *content, size_t clen, const char *reasoning,
                             size_t rlen)
{
    llmh_profile_call *pc = ud;
    if (rlen && pc->orig->on_delta(pc->orig->ud, "", 0, reasoning, rlen) != 0)
        return 1;
    if (!clen)
        return 0;
    llmh_buf_append(&pc->held, content, clen);
    const char *t = pc->held.data;
    size_t e = pc->held.len;
    while (e > 0 && isspace((unsigned char)t[e - 1]))
        e--;
    if (!e)
        return 0;
    size_t ls = e;
    while (ls > 0 && t[ls - 1] != '\n')
        ls--;
    /* Trailing white space waits: a confidence line may follow it. */
    if (!may_be_confidence(t + ls, pc->held.len - ls))
        return emit_held(pc, e);
    /* The white space before it goes with it if it is one. */
    while (ls > 0 && isspace((unsigned char)t[ls - 1]))
        ls--;
    return emit_held(pc, ls);
}

llmh_status llmh_profile_call_begin(llmh_ctx *ctx, const llmh_profile *p,
                                    const llmh_chat_request *req, llmh_profile_call *pc,
                                    llmh_error *err)
{
    memset(pc, 0, sizeof *pc);
    if (!ctx || !req)
        return llmh_error_set(err, LLMH_E_INVALID, 0,
                              "a profile chat needs a context and a request");
    /* The profile's system prompt alone is not a question. */
    if (!req->messages || req->n_messages == 0)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "nothing to send: the prompt is empty");
    size_t rs =
        req->struct_size && req->struct_size < sizeof pc->req ? req->struct_size : sizeof pc->req;
    memcpy(&pc->req, req, rs);
    pc->req.struct_size = sizeof pc->req;
    pc->orig = req;
    llmh_ctx_load_plugins(ctx);
    pc->settings = llmh_profile_settings(p, ctx->settings, req->provider);
    if (!pc->settings)
        return llmh_error_set(err, LLMH_E_NOMEM, 0, "out of memory");
    llmh_ctx_view_init(&pc->view, ctx, pc->settings);
    pc->parent = ctx;
    const llmh_settings *s = pc->settings;

    pc->system = llmh_profile_system_prompt(p, req->system);
    pc->req.system = pc->system;

    const char *prov = req->provider && *req->provider ? req->provider
                                                       : llmh_settings_get(s, "llm.provider", NULL);
    pc->provider = prov && *prov ? llmh_strdup(prov) : NULL;
    const char *model = req->model && *req->model ? req->model : NULL;
    if (!model && pc->provider) {
        char *k = llmh_sprintf("llm.%s.model", pc->provider);
        model = llmh_settings_get(s, k, NULL);
        free(k);
    }
    if (!model || !*model)
        model = llmh_settings_get(s, "llm.model", NULL);
    pc->model = model && *model ? llmh_strdup(model) : NULL;

    if (p && p->max_length > 0 && req->max_tokens == 0) {
        long cap = 0;
        char *k = pc->provider ? llmh_sprintf("llm.%s.max_tokens", pc->provider) : NULL;
        const char *key = k && llmh_settings_get(s, k, NULL) ? k : "llm.max_tokens";
        llmh_status st = llmh_settings_get_long(s, key, 30000, 1, 100000000L, &cap, err);
        free(k);
        if (st != LLMH_OK)
            return st;
        pc->req.max_tokens = llmh_profile_length_tokens(p->max_length, p->include_confidence, cap);
    }
    pc->include_confidence = p && p->include_confidence;
    if (pc->include_confidence && req->on_delta) {
        pc->req.on_delta = confidence_filter;
        pc->req.ud = pc;
    }
    return LLMH_OK;
}

llmh_status llmh_profile_call_run(llmh_profile_call *pc, llmh_chat_result **out, int *confidence,
                                  llmh_error *err)
{
    int conf = -1;
    llmh_status st = llmh_chat(&pc->view, &pc->req, out, err);
    if (st == LLMH_OK && pc->include_confidence)
        conf = llmh_confidence_strip((*out)->content);
    if (pc->held.len) {
        /* What was held back: the confidence line goes, anything else is the answer's. */
        int held_conf = llmh_confidence_strip(pc->held.data);
        if (held_conf >= 0)
            pc->held.len = strlen(pc->held.data);
        if (pc->held.len)
            pc->orig->on_delta(pc->orig->ud, pc->held.data, pc->held.len, "", 0);
        llmh_buf_reset(&pc->held);
    }
    if (confidence)
        *confidence = conf;
    return st;
}

void llmh_profile_call_end(llmh_profile_call *pc)
{
    if (pc->settings)
        llmh_ctx_view_clear(&pc->view, pc->parent);
    llmh_settings_free(pc->settings);
    free(pc->system);
    free(pc->provider);
    free(pc->model);
    llmh_buf_free(&pc->held);
    memset(pc, 0, sizeof *pc);
}

/* ---- the public API ---- */

llmh_status llmh_profile_chat_ex(llmh_ctx *ctx, const char *profile, const llmh_chat_request *req,
                                 llmh_chat_result **out, int *confidence, llmh_error *err)
{
    if (out)
        *out = NULL;
    if (confidence)
        *confidence = -1;
    llmh_error_clear(err);
    if (!ctx || !profile || !req || !out)
        return llmh_error_set(err, LLMH_E_INVALID, 0,
                              "llmh_profile_chat needs a context, a profile, a request and out");
    llmh_profile *p;
    llmh_status st = llmh_profile_load(ctx, profile, &p, err);
    if (st != LLMH_OK)
        return st;
    llmh_profile_call pc;
    st = llmh_profile_call_begin(ctx, p, req, &pc, err);
    if (st == LLMH_OK)
        st = llmh_profile_call_run(&pc, out, confidence, err);
    llmh_profile_call_end(&pc);
    llmh_profile_free(p);
    return st;
}

llmh_status llmh_profile_chat(llmh_ctx *ctx, const char *profile, const llmh_chat_request *req,
                              llmh_chat_result **out, llmh_error *err)
{
    return llmh_profile_chat_ex(ctx, profile, req, out, NULL, err);
}

llmh_status llmh_profile_chat_dry_run(llmh_ctx *ctx, const char *profile,
                                      const llmh_chat_request *req, char **json, llmh_error *err)
{
    if (json)
        *json = NULL;
    llmh_error_clear(err);
    if (!ctx || !profile || !req || !json)
        return llmh_error_set(err, LLMH_E_INVALID, 0,
                              "llmh_profile_chat_dry_run needs a context, a profile, a request "
                              "and json");
    llmh_profile *p;
    llmh_status st = llmh_profile_load(ctx, profile, &p, err);
    if (st != LLMH_OK)
        return st;
    llmh_profile_call pc;
    st = llmh_profile_call_begin(ctx, p, req, &pc, err);
    if (st == LLMH_OK)
        st = llmh_chat_dry_run(&pc.view, &pc.req, json, err);
    llmh_profile_call_end(&pc);
    llmh_profile_free(p);
    return st;
}

static void info_fill(llmh_ctx *ctx, const llmh_profile *p, llmh_profile_info *in)
{
    llmh_settings *s = llmh_profile_settings(p, ctx->settings, NULL);
    if (!s)
        return;
    const char *prov = llmh_settings_get(s, "llm.provider", NULL);
    in->provider = prov && *prov ? llmh_strdup(prov) : NULL;
    const char *model = NULL;
    if (in->provider) {
        char *k = llmh_sprintf("llm.%s.model", in->provider);
        model = llmh_settings_get(s, k, NULL);
        free(k);
    }
    if (!model || !*model)
        model = llmh_settings_get(s, "llm.model", NULL);
    in->model = model && *model ? llmh_strdup(model) : NULL;
    const char *fb = llmh_settings_get(s, "llm.fallback", NULL);
    in->fallback = fb && *fb ? llmh_strdup(fb) : NULL;
    in->style = p->style ? llmh_strdup(style_names[p->style]) : NULL;
    in->max_length = p->max_length;
    if (p->max_length > 0) {
        long cap = 30000;
        char *k = in->provider ? llmh_sprintf("llm.%s.max_tokens", in->provider) : NULL;
        const char *key = k && llmh_settings_get(s, k, NULL) ? k : "llm.max_tokens";
        llmh_settings_get_long(s, key, 30000, 1, 100000000L, &cap, NULL);
        free(k);
        in->max_tokens = llmh_profile_length_tokens(p->max_length, p->include_confidence, cap);
    }
    in->include_confidence = p->include_confidence;
    in->domain = llmh_strdup(p->domain);
    in->expertise_level = p->expertise;
    in->system = llmh_profile_system_prompt(p, NULL);
    llmh_settings_free(s);
}

llmh_status llmh_profiles(llmh_ctx *ctx, llmh_profile_info **out, size_t *n, llmh_error *err)
{
    llmh_error_clear(err);
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!ctx || !out || !n)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "llmh_profiles needs a context, out and n");
    llmh_ctx_load_plugins(ctx);
    size_t count;
    char **names = llmh_profile_names(ctx->settings, &count);
    llmh_profile_info *v = llmh_xcalloc(count ? count : 1, sizeof *v);
    for (size_t i = 0; i < count; i++) {
        llmh_profile_info *in = &v[i];
        in->name = llmh_strdup(names[i]);
        in->expertise_level = -1;
        llmh_profile *p = NULL;
        llmh_error e;
        llmh_error_clear(&e);
        if (llmh_profile_load(ctx, names[i], &p, &e) != LLMH_OK) {
            in->error = llmh_strdup(e.message);
            continue;
        }
        in->source = llmh_strdup(p->where);
        info_fill(ctx, p, in);
        llmh_profile_free(p);
    }
    llmh_strv_free(names, count);
    *out = v;
    *n = count;
    return LLMH_OK;
}

void llmh_profiles_free(llmh_profile_info *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        free(p[i].name);
        free(p[i].error);
        free(p[i].provider);
        free(p[i].model);
        free(p[i].style);
        free(p[i].domain);
        free(p[i].fallback);
        free(p[i].system);
        free(p[i].source);
    }
    free(p);
}
