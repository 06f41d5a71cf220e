/* settings.c: the layered settings store (defaults, INI file, environment,
 * -s), the INI reader, and the typed getters with their messages.
 *
 * The INI reader is our own rather than inih's: the packaged libinih has a
 * fixed 200-byte line (an IONOS JWT key does not fit, and the error it gives
 * names the wrong line), cuts section names at 49 characters without an error,
 * and gives the handler no line numbers. The grammar is inih's, minus
 * multi-line values, plus quotes. */
#include "settings.h"

#include "error.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Stored layers, lowest first; the two environment slots hold programmatic
 * values that rank just below the real variables. */
enum { L_DEFAULT, L_FILE, L_PROFILE, L_ALIAS, L_ENV, L_CLI, L_COUNT };

struct entry {
    char *key;        /* one allocation with env */
    const char *env;  /* its LLMHOST_ variable name (NULL: too long for one) */
    char *val[L_COUNT];
    const char *file; /* origin of val[L_FILE]; points into names */
    int line;
    char **aliases;
    size_t n_aliases;
    unsigned known : 1;
    unsigned warned : 1;
};

struct strv {
    char **v;
    size_t n, cap;
};

struct llmh_settings {
    struct entry *e; /* sorted by strcmp on key */
    size_t n, cap;
    struct strv names;    /* file names, owned; entries point into them */
    struct strv sections; /* accepted section headers, file order, distinct */
    const char *file;
};

static const struct {
    const char *key, *value;
} builtin_defaults[] = {
    {"llm.temperature", "0.7"},
    {"llm.max_tokens", "30000"},
    {"llm.context_window_size", "128000"},
    {"llm.local_context_window_size", "8192"},
    {"llm.context_window_unrestricted", "true"},
    {"llm.supports_max_tokens", "true"},
    {"llm.streaming", "true"},
    {"llm.request_timeout", "1800"},
    {"llm.max_retries", "2"},
    {"llm.retry_initial_delay", "0.5"},
    {"llm.retry_max_delay", "30"},
    {"llm.retry_max_wait", "60"},
    {"llm.ttft_timeout", "0"},
    {"llm.rate_limit_max_wait", "60"},
    {"llm.models_ttl", "86400"},
    {"llm.strip_think_tags", "true"},
    {"llm.tls_verify", "true"},
    {"llm.cache", "off"},
    {"llm.cache_ttl", "86400"},
    {"llm.ollama.enable_thinking", "true"},
    {"llm.openai_endpoint.enable_thinking", "true"},
    {"llm.openai_endpoint.stream_usage", "false"},
    {"llm.anthropic.thinking_budget", "0"},
    {"breaker.failures", "5"},
    {"breaker.failure_rate", "0.5"},
    {"breaker.min_requests", "10"},
    {"breaker.window", "60"},
    {"breaker.cooldown", "30"},
};

/* Keys llm.<provider>.<suffix> that every provider may have. */
static const char *const provider_suffixes[] = {
    "url", "api_key", "api_base", "organization", "enable_thinking", "stream_usage",
    "thinking_budget", "rpm", "tpm", "max_retries", "request_timeout", "models_ttl",
    "check_model", "max_tokens", "temperature", "context_window_size", "model",
    "rpm_burst", "cache", "cache_ttl", "ttft_timeout", "retry_max_wait",
};

/* Whole subtrees that later code validates. */
static const char *const known_prefixes[] = {"provider.", "profile.", "pipeline.", "breaker.",
                                             "cache."};

static const char *const known_keys[] = {"host.plugin_dir", "host.deny"};

/* ---- small helpers ---- */

static int strv_push(struct strv *sv, const char *str)
{
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 8;
        char **v = realloc(sv->v, cap * sizeof *v);
        if (!v)
            return -1;
        sv->v = v;
        sv->cap = cap;
    }
    char *copy = strdup(str);
    if (!copy)
        return -1;
    sv->v[sv->n++] = copy;
    return 0;
}

static int strv_has(const struct strv *sv, const char *str)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], str) == 0)
            return 1;
    return 0;
}

static void strv_free(struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int is_blank(const char *v)
{
    for (; *v; v++)
        if (!isspace((unsigned char)*v))
            return 0;
    return 1;
}

static char *trim(char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    size_t n = strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        p[--n] = '\0';
    return p;
}

/* Keys whose values must never reach a message. */
static int is_secret_key(const char *key)
{
    static const char *const words[] = {"key", "token", "secret", "password"};
    const char *last = strrchr(key, '.');
    last = last ? last + 1 : key;
    size_t n = strlen(last);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t w = strlen(words[i]);
        if (n >= w && strcasecmp(last + n - w, words[i]) == 0)
            return 1;
    }
    return 0;
}

/* A value for a one-line message: quoted, at most 60 characters, control
 * characters shown as '?', or "(value hidden)" for secrets. */
static const char *shown_value(const char *key, const char *v, char *buf, size_t size)
{
    if (is_secret_key(key)) {
        snprintf(buf, size, "(value hidden)");
        return buf;
    }
    size_t o = 0, i = 0;
    if (size < 8)
        return "";
    buf[o++] = '"';
    for (; i < 60 && v[i] && o + 5 < size; i++)
        buf[o++] = iscntrl((unsigned char)v[i]) ? '?' : v[i];
    if (v[i])
        o += (size_t)snprintf(buf + o, size - o, "...");
    if (o + 1 < size)
        buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* LLMHOST_<KEY> into buf; NULL if it does not fit. */
#define ENV_NAME_MAX 256

static char *llmhost_env_name(const char *key, char *buf, size_t size)
{
    static const char prefix[] = "LLMHOST_";
    size_t n = strlen(key);
    if (sizeof prefix + n > size)
        return NULL;
    memcpy(buf, prefix, sizeof prefix - 1);
    char *o = buf + sizeof prefix - 1;
    for (const char *k = key; *k; k++)
        *o++ = isalnum((unsigned char)*k) ? (char)toupper((unsigned char)*k) : '_';
    *o = '\0';
    return buf;
}

/* ---- the table ---- */

static size_t lower_bound(const llmh_settings *s, const char *key)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->e[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct entry *find(const llmh_settings *s, const char *key)
{
    size_t i = lower_bound(s, key);
    return i < s->n && strcmp(s->e[i].key, key) == 0 ? &s->e[i] : NULL;
}

/* key and its LLMHOST_ variable name in one allocation (env may be NULL). */
static char *key_copy(const char *key, const char **env)
{
    size_t n = strlen(key);
    char *copy = malloc(2 * n + sizeof "LLMHOST_" + 1);
    if (!copy)
        return NULL;
    memcpy(copy, key, n + 1);
    /* NULL past ENV_NAME_MAX, as for a key looked up without an entry */
    *env = n + sizeof "LLMHOST_" <= ENV_NAME_MAX
               ? llmhost_env_name(key, copy + n + 1, n + sizeof "LLMHOST_")
               : NULL;
    return copy;
}

static struct entry *find_or_add(llmh_settings *s, const char *key)
{
    size_t i = lower_bound(s, key);
    if (i < s->n && strcmp(s->e[i].key, key) == 0)
        return &s->e[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct entry *e = realloc(s->e, cap * sizeof *e);
        if (!e)
            return NULL;
        s->e = e;
        s->cap = cap;
    }
    const char *env;
    char *copy = key_copy(key, &env);
    if (!copy)
        return NULL;
    memmove(&s->e[i + 1], &s->e[i], (s->n - i) * sizeof *s->e);
    memset(&s->e[i], 0, sizeof *s->e);
    s->e[i].key = copy;
    s->e[i].env = env;
    s->n++;
    return &s->e[i];
}

static int set_slot(struct entry *e, int layer, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return -1;
    free(e->val[layer]);
    e->val[layer] = copy;
    if (layer == L_FILE) {
        e->file = NULL;
        e->line = 0;
    }
    return 0;
}

llmh_settings *llmh_settings_new(void)
{
    llmh_settings *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    for (size_t i = 0; i < sizeof builtin_defaults / sizeof builtin_defaults[0]; i++) {
        struct entry *e = find_or_add(s, builtin_defaults[i].key);
        if (!e || set_slot(e, L_DEFAULT, builtin_defaults[i].value) != 0) {
            llmh_settings_free(s);
            return NULL;
        }
    }
    return s;
}

void llmh_settings_free(llmh_settings *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct entry *e = &s->e[i];
        free(e->key);
        for (int l = 0; l < L_COUNT; l++)
            free(e->val[l]);
        for (size_t a = 0; a < e->n_aliases; a++)
            free(e->aliases[a]);
        free(e->aliases);
    }
    free(s->e);
    strv_free(&s->names);
    strv_free(&s->sections);
    free(s);
}

/* Index of name in sv, or sv->n. */
static size_t strv_index(const struct strv *sv, const char *str)
{
    size_t i;
    for (i = 0; i < sv->n && sv->v[i] != str; i++)
        ;
    return i;
}

llmh_settings *llmh_settings_clone(const llmh_settings *s)
{
    if (!s)
        return NULL;
    llmh_settings *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (size_t i = 0; i < s->names.n; i++)
        if (strv_push(&c->names, s->names.v[i]) != 0)
            goto fail;
    for (size_t i = 0; i < s->sections.n; i++)
        if (strv_push(&c->sections, s->sections.v[i]) != 0)
            goto fail;
    if (s->file) {
        size_t fi = strv_index(&s->names, s->file);
        c->file = fi < c->names.n ? c->names.v[fi] : NULL;
    }
    if (s->n && !(c->e = calloc(s->n, sizeof *c->e)))
        goto fail;
    c->cap = s->n;
    for (size_t i = 0; i < s->n; i++) {
        const struct entry *from = &s->e[i];
        struct entry *to = &c->e[i];
        c->n = i + 1; /* so a failure below frees what is there */
        if (!(to->key = key_copy(from->key, &to->env)))
            goto fail;
        for (int l = 0; l < L_COUNT; l++)
            if (from->val[l] && !(to->val[l] = strdup(from->val[l])))
                goto fail;
        if (from->file) {
            size_t fi = strv_index(&s->names, from->file);
            to->file = fi < c->names.n ? c->names.v[fi] : NULL;
        }
        to->line = from->line;
        to->known = from->known;
        to->warned = from->warned;
        if (from->n_aliases) {
            if (!(to->aliases = calloc(from->n_aliases, sizeof *to->aliases)))
                goto fail;
            for (size_t a = 0; a < from->n_aliases; a++) {
                if (!(to->aliases[a] = strdup(from->aliases[a])))
                    goto fail;
                to->n_aliases = a + 1;
            }
        }
    }
    return c;
fail:
    llmh_settings_free(c);
    return NULL;
}

static int layer_of(llmh_setting_source src)
{
    switch (src) {
    case LLMH_SRC_DEFAULT: return L_DEFAULT;
    case LLMH_SRC_FILE: return L_FILE;
    case LLMH_SRC_ALIAS_ENV: return L_ALIAS;
    case LLMH_SRC_ENV: return L_ENV;
    case LLMH_SRC_CLI: return L_CLI;
    case LLMH_SRC_PROFILE: return L_PROFILE;
    case LLMH_SRC_NONE: break;
    }
    return -1;
}

llmh_status llmh_settings_set(llmh_settings *s, const char *key, const char *value,
                              llmh_setting_source layer)
{
    int l = layer_of(layer);
    if (!s || !key || !*key || l < 0)
        return LLMH_E_INVALID;
    struct entry *e = find_or_add(s, key);
    if (!e || set_slot(e, l, value) != 0)
        return LLMH_E_NOMEM;
    return LLMH_OK;
}

void llmh_settings_add_env_alias(llmh_settings *s, const char *key, const char *env_var)
{
    if (!s || !key || !*key || !env_var || !*env_var)
        return;
    struct entry *e = find_or_add(s, key);
    if (!e)
        return;
    for (size_t i = 0; i < e->n_aliases; i++)
        if (strcmp(e->aliases[i], env_var) == 0)
            return;
    char **v = realloc(e->aliases, (e->n_aliases + 1) * sizeof *v);
    if (!v)
        return;
    e->aliases = v;
    if ((v[e->n_aliases] = strdup(env_var)) != NULL)
        e->n_aliases++;
}

void llmh_settings_add_known(llmh_settings *s, const char *key)
{
    struct entry *e = s && key && *key ? find_or_add(s, key) : NULL;
    if (e)
        e->known = 1;
}

/* ---- lookup ---- */

/* The effective value of key; *src its layer, *env the variable it came from
 * (NULL when not from the real environment). */
static const char *resolve(const llmh_settings *s, const char *key, llmh_setting_source *src,
                           const char **env, char *envbuf, size_t envsize)
{
    const struct entry *e = s && key ? find(s, key) : NULL;
    const char *v;
    *env = NULL;
    if (!key) {
        *src = LLMH_SRC_NONE;
        return NULL;
    }
    if (e && e->val[L_CLI]) {
        *src = LLMH_SRC_CLI;
        return e->val[L_CLI];
    }
    /* A known key's variable name was made with it. */
    const char *name = e ? e->env : llmhost_env_name(key, envbuf, envsize);
    if (name && (v = getenv(name)) != NULL) {
        *src = LLMH_SRC_ENV;
        *env = name;
        return v;
    }
    if (e && e->val[L_ENV]) {
        *src = LLMH_SRC_ENV;
        return e->val[L_ENV];
    }
    for (size_t i = 0; e && i < e->n_aliases; i++) {
        if ((v = getenv(e->aliases[i])) != NULL && !is_blank(v)) {
            *src = LLMH_SRC_ALIAS_ENV;
            *env = e->aliases[i];
            return v;
        }
    }
    static const struct {
        int layer;
        llmh_setting_source src;
    } rest[] = {{L_ALIAS, LLMH_SRC_ALIAS_ENV},
                {L_PROFILE, LLMH_SRC_PROFILE},
                {L_FILE, LLMH_SRC_FILE},
                {L_DEFAULT, LLMH_SRC_DEFAULT}};
    for (size_t i = 0; e && i < sizeof rest / sizeof rest[0]; i++) {
        if (e->val[rest[i].layer]) {
            *src = rest[i].src;
            return e->val[rest[i].layer];
        }
    }
    *src = LLMH_SRC_NONE;
    return NULL;
}

/* Long enough for LLMHOST_ plus any sensible key; longer keys have no
 * environment form. */

const char *llmh_settings_get(const llmh_settings *s, const char *key, llmh_setting_source *src)
{
    llmh_setting_source dummy;
    const char *env;
    char envbuf[ENV_NAME_MAX];
    return resolve(s, key, src ? src : &dummy, &env, envbuf, sizeof envbuf);
}

const char *llmh_settings_get_secret(const llmh_settings *s, const char *key)
{
    const char *v = llmh_settings_get(s, key, NULL);
    return v && !is_blank(v) ? v : NULL;
}

const char *llmh_settings_env_name(const llmh_settings *s, const char *key, char *buf,
                                   size_t size)
{
    const struct entry *e = s && key ? find(s, key) : NULL;
    if (!key || !buf || size == 0)
        return NULL;
    if (e && e->n_aliases > 0) {
        if ((size_t)snprintf(buf, size, "%s", e->aliases[0]) >= size)
            return NULL;
        return buf;
    }
    return llmhost_env_name(key, buf, size);
}

const char *llmh_settings_source_text(const llmh_settings *s, const char *key, char *buf,
                                      size_t size)
{
    llmh_setting_source src;
    const char *env;
    char envbuf[ENV_NAME_MAX];
    const char *v = resolve(s, key, &src, &env, envbuf, sizeof envbuf);
    const struct entry *e = v ? find(s, key) : NULL;
    if (!buf || size == 0)
        return buf;
    switch (src) {
    case LLMH_SRC_CLI: snprintf(buf, size, "-s"); break;
    case LLMH_SRC_ENV:
    case LLMH_SRC_ALIAS_ENV:
        if (env)
            snprintf(buf, size, "environment variable %s", env);
        else
            snprintf(buf, size, "environment");
        break;
    case LLMH_SRC_FILE:
        if (e && e->file)
            snprintf(buf, size, "%s:%d", e->file, e->line);
        else
            snprintf(buf, size, "config file");
        break;
    case LLMH_SRC_PROFILE: snprintf(buf, size, "profile"); break;
    case LLMH_SRC_DEFAULT: snprintf(buf, size, "built-in default"); break;
    case LLMH_SRC_NONE: snprintf(buf, size, "not set"); break;
    }
    return buf;
}

int llmh_settings_origin(const llmh_settings *s, const char *key, const char **file, int *line)
{
    llmh_setting_source src;
    const struct entry *e;
    if (!llmh_settings_get(s, key, &src) || src != LLMH_SRC_FILE || !(e = find(s, key)) ||
        !e->file)
        return 0;
    if (file)
        *file = e->file;
    if (line)
        *line = e->line;
    return 1;
}

const char *llmh_settings_file(const llmh_settings *s) { return s ? s->file : NULL; }

/* ---- unknown keys ---- */

static int is_known(const struct entry *e)
{
    if (e->known || e->val[L_DEFAULT])
        return 1;
    for (size_t i = 0; i < sizeof known_prefixes / sizeof known_prefixes[0]; i++)
        if (starts_with(e->key, known_prefixes[i]))
            return 1;
    for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++)
        if (strcmp(e->key, known_keys[i]) == 0)
            return 1;
    if (!starts_with(e->key, "llm."))
        return 0;
    const char *provider = e->key + 4;
    const char *dot = strchr(provider, '.');
    if (!dot || dot == provider)
        return 0;
    for (size_t i = 0; i < sizeof provider_suffixes / sizeof provider_suffixes[0]; i++)
        if (strcmp(dot + 1, provider_suffixes[i]) == 0)
            return 1;
    return 0;
}

void llmh_settings_warn_unknown(llmh_settings *s)
{
    for (size_t i = 0; s && i < s->n; i++) {
        struct entry *e = &s->e[i];
        if (e->warned || (!e->val[L_FILE] && !e->val[L_CLI]) || is_known(e))
            continue;
        e->warned = 1;
        if (e->val[L_FILE] && e->file)
            llmh_log(LLMH_LOG_WARN, "%s:%d: unknown setting \"%s\" (value kept)", e->file, e->line,
                     e->key);
        else if (e->val[L_CLI])
            llmh_log(LLMH_LOG_WARN, "-s: unknown setting \"%s\" (value kept)", e->key);
        else
            llmh_log(LLMH_LOG_WARN, "unknown setting \"%s\" (value kept)", e->key);
    }
}

/* ---- the INI reader ---- */

struct pending {
    char *key, *value;
    int line;
};

struct parse {
    const char *name;
    char *prefix; /* of the current section's keys; NULL before any section */
    int ignore;   /* inside an unknown section */
    struct pending *p;
    size_t n, cap;
    struct strv sections;
};

static void parse_free(struct parse *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        free(ps->p[i].key);
        free(ps->p[i].value);
    }
    free(ps->p);
    free(ps->prefix);
    strv_free(&ps->sections);
}

/* Number of dot-separated components, or 0 when one of them is empty. */
static int components(const char *name)
{
    int n = 1;
    const char *start = name;
    for (const char *p = name;; p++) {
        if (*p == '.' || *p == '\0') {
            if (p == start)
                return 0;
            if (*p == '\0')
                return n;
            n++;
            start = p + 1;
        }
    }
}

static int section_known(const char *sec)
{
    int n = components(sec);
    const char *dot = strchr(sec, '.');
    size_t head = dot ? (size_t)(dot - sec) : strlen(sec);
#define HEAD_IS(word) (head == strlen(word) && strncmp(sec, word, head) == 0)
    if (n == 0)
        return 0;
    if (HEAD_IS("llm"))
        return n <= 2;
    if (HEAD_IS("host") || HEAD_IS("cache"))
        return n == 1;
    if (HEAD_IS("breaker")) /* [breaker] and [breaker.PROVIDER] */
        return n <= 2;
    if (HEAD_IS("provider") || HEAD_IS("profile"))
        return n == 2;
    if (HEAD_IS("pipeline"))
        return n == 2 || n == 3;
#undef HEAD_IS
    return 0;
}

static llmh_status syntax_error(const struct parse *ps, int line, const char *hint,
                                llmh_error *err)
{
    return llmh_error_set(err, LLMH_E_CONFIG, 0, "%s:%d: syntax error: %s", ps->name, line, hint);
}

/* Where an inline comment starts: ';' or '#' after white space. */
static char *inline_comment(char *v)
{
    for (char *p = v; *p; p++)
        if ((*p == ';' || *p == '#') && p > v && isspace((unsigned char)p[-1]))
            return p;
    return NULL;
}

static llmh_status parse_section(struct parse *ps, char *p, int line, llmh_error *err)
{
    char *close = strchr(p, ']');
    if (!close)
        return syntax_error(ps, line, "missing ']' after the section name", err);
    char *rest = close + 1;
    while (isspace((unsigned char)*rest))
        rest++;
    if (*rest && *rest != ';' && *rest != '#')
        return syntax_error(ps, line, "unexpected text after ']'", err);
    *close = '\0';
    char *sec = trim(p + 1);
    if (!*sec)
        return syntax_error(ps, line, "empty section name", err);
    free(ps->prefix);
    ps->prefix = NULL;
    ps->ignore = !section_known(sec);
    if (ps->ignore) {
        llmh_log(LLMH_LOG_WARN, "%s:%d: unknown section [%s] (its settings are ignored)", ps->name,
                 line, sec);
        return LLMH_OK;
    }
    size_t n = strlen(sec);
    if (!(ps->prefix = malloc(n + 2)))
        return llmh_error_set(err, LLMH_E_NOMEM, 0, "out of memory reading %s", ps->name);
    memcpy(ps->prefix, sec, n);
    memcpy(ps->prefix + n, ".", 2);
    if (!strv_has(&ps->sections, sec) && strv_push(&ps->sections, sec) != 0)
        return llmh_error_set(err, LLMH_E_NOMEM, 0, "out of memory reading %s", ps->name);
    return LLMH_OK;
}

static llmh_status parse_pair(struct parse *ps, char *p, int line, llmh_error *err)
{
    char *sep = strpbrk(p, "=:");
    if (!sep)
        return syntax_error(ps, line, "expected KEY = VALUE or [section]", err);
    char sepc = *sep;
    *sep = '\0';
    char *key = trim(p);
    if (!*key)
        return syntax_error(ps, line,
                            sepc == '=' ? "missing the key before '='" : "missing the key before ':'",
                            err);
    char *value = sep + 1;
    while (isspace((unsigned char)*value))
        value++;
    if (*value == '"') {
        char *close = strchr(value + 1, '"');
        if (!close)
            return syntax_error(ps, line, "missing the closing '\"'", err);
        char *rest = close + 1;
        while (isspace((unsigned char)*rest))
            rest++;
        if (*rest && *rest != ';' && *rest != '#')
            return syntax_error(ps, line, "unexpected text after the closing '\"'", err);
        *close = '\0';
        value++;
    } else {
        char *c = inline_comment(value);
        if (c)
            *c = '\0';
        value = trim(value);
    }
    if (ps->ignore)
        return LLMH_OK;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 32;
        struct pending *np = realloc(ps->p, cap * sizeof *np);
        if (!np)
            return llmh_error_set(err, LLMH_E_NOMEM, 0, "out of memory reading %s", ps->name);
        ps->p = np;
        ps->cap = cap;
    }
    size_t pl = ps->prefix ? strlen(ps->prefix) : 0, kl = strlen(key);
    struct pending *pe = &ps->p[ps->n];
    pe->key = malloc(pl + kl + 1);
    pe->value = strdup(value);
    pe->line = line;
    if (!pe->key || !pe->value) {
        free(pe->key);
        free(pe->value);
        return llmh_error_set(err, LLMH_E_NOMEM, 0, "out of memory reading %s", ps->name);
    }
    if (pl)
        memcpy(pe->key, ps->prefix, pl);
    memcpy(pe->key + pl, key, kl + 1);
    ps->n++;
    return LLMH_OK;
}

/* Lines come from a FILE or from a string. */
struct source {
    FILE *f;
    const char *text;
};

/* The next line, without its end-of-line, into *buf; its length, -1 at the
 * end, -2 on a read error (errno set). */
static long next_line(struct source *src, char **buf, size_t *cap)
{
    size_t len;
    if (src->f) {
        ssize_t n = getline(buf, cap, src->f);
        if (n < 0)
            return ferror(src->f) ? -2 : -1;
        len = (size_t)n;
        if (len > 0 && (*buf)[len - 1] == '\n')
            (*buf)[--len] = '\0';
        return (long)len;
    }
    if (!*src->text)
        return -1;
    const char *nl = strchr(src->text, '\n');
    len = nl ? (size_t)(nl - src->text) : strlen(src->text);
    if (len + 1 > *cap) {
        char *b = realloc(*buf, len + 1);
        if (!b) {
            errno = ENOMEM;
            return -2;
        }
        *buf = b;
        *cap = len + 1;
    }
    memcpy(*buf, src->text, len);
    (*buf)[len] = '\0';
    src->text += nl ? len + 1 : len;
    return (long)len;
}

/* The parsed file becomes the file layer only when all of it parsed. */
static llmh_status commit(llmh_settings *s, struct parse *ps, llmh_error *err)
{
    size_t ni;
    for (ni = 0; ni < s->names.n && strcmp(s->names.v[ni], ps->name) != 0; ni++)
        ;
    if (ni == s->names.n && strv_push(&s->names, ps->name) != 0)
        return llmh_error_set(err, LLMH_E_NOMEM, 0, "out of memory reading %s", ps->name);
    const char *name = s->names.v[ni];
    for (size_t i = 0; i < ps->n; i++) {
        struct entry *e = find_or_add(s, ps->p[i].key);
        if (!e)
            return llmh_error_set(err, LLMH_E_NOMEM, 0, "out of memory reading %s", name);
        free(e->val[L_FILE]);
        e->val[L_FILE] = ps->p[i].value;
        ps->p[i].value = NULL;
        e->file = name;
        e->line = ps->p[i].line;
    }
    for (size_t i = 0; i < ps->sections.n; i++)
        if (!strv_has(&s->sections, ps->sections.v[i]) &&
            strv_push(&s->sections, ps->sections.v[i]) != 0)
            return llmh_error_set(err, LLMH_E_NOMEM, 0, "out of memory reading %s", name);
    s->file = name;
    return LLMH_OK;
}

static llmh_status parse_source(llmh_settings *s, const char *name, struct source *src,
                                llmh_error *err)
{
    struct parse ps = {.name = name};
    char *buf = NULL;
    size_t cap = 0;
    long len;
    int line = 0;
    llmh_status st = LLMH_OK;
    while (st == LLMH_OK && (len = next_line(src, &buf, &cap)) >= 0) {
        line++;
        char *p = buf;
        if (line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
            p += 3;
        if (strlen(buf) != (size_t)len) {
            st = syntax_error(&ps, line, "NUL byte in the line", err);
            break;
        }
        p = trim(p);
        if (!*p || *p == ';' || *p == '#')
            continue;
        st = *p == '[' ? parse_section(&ps, p, line, err) : parse_pair(&ps, p, line, err);
    }
    if (st == LLMH_OK && len == -2)
        st = llmh_error_set(err, errno == ENOMEM ? LLMH_E_NOMEM : LLMH_E_CONFIG, 0,
                            "cannot read config file %s: %s", name, strerror(errno));
    if (st == LLMH_OK)
        st = commit(s, &ps, err);
    free(buf);
    parse_free(&ps);
    return st;
}

llmh_status llmh_settings_load_string(llmh_settings *s, const char *name, const char *text,
                                      llmh_error *err)
{
    if (!s || !text)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "no settings text given");
    struct source src = {.text = text};
    return parse_source(s, name ? name : "<string>", &src, err);
}

/* Reads path; *found = 0 when it does not exist and that is allowed. */
static llmh_status load_path(llmh_settings *s, const char *path, int must_exist, int *found,
                             llmh_error *err)
{
    FILE *f = fopen(path, "r");
    *found = f != NULL;
    if (!f) {
        if (!must_exist && (errno == ENOENT || errno == ENOTDIR))
            return LLMH_OK;
        return llmh_error_set(err, LLMH_E_CONFIG, 0, "cannot read config file %s: %s", path,
                              strerror(errno));
    }
    struct source src = {.f = f};
    llmh_status st = parse_source(s, path, &src, err);
    fclose(f);
    return st;
}

llmh_status llmh_settings_load(llmh_settings *s, const char *explicit_path, llmh_error *err)
{
    int found = 0;
    if (!s)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "no settings given");
    if (explicit_path)
        return load_path(s, explicit_path, 1, &found, err);
    char *user = llmh_settings_user_path();
    if (user) {
        llmh_status st = load_path(s, user, 0, &found, err);
        free(user);
        if (st != LLMH_OK || found)
            return st;
    }
    return load_path(s, "/etc/llmhost/llmhost.ini", 0, &found, err);
}

char *llmh_settings_user_path(void)
{
    return llmh_xdg_path("XDG_CONFIG_HOME", ".config", "llmhost.ini");
}

/* ---- -s KEY=VALUE ---- */

llmh_status llmh_settings_set_cli(llmh_settings *s, const char *assignment, llmh_error *err)
{
    if (!s || !assignment)
        return llmh_error_set(err, LLMH_E_INVALID, 0, "-s expects KEY=VALUE, got nothing");
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        /* Echo only what looks like a key name: the rest may be a secret
         * typed with the wrong separator. */
        size_t r = strspn(assignment, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789._-");
        if (r > 60)
            r = 60;
        if (!assignment[r])
            return llmh_error_set(err, LLMH_E_INVALID, 0, "-s expects KEY=VALUE, got \"%s\"",
                                  assignment);
        return llmh_error_set(err, LLMH_E_INVALID, 0,
                              "-s expects KEY=VALUE, got \"%.*s...\" (rest hidden)", (int)r,
                              assignment);
    }
    char *copy = strdup(assignment);
    if (!copy)
        return llmh_error_set(err, LLMH_E_NOMEM, 0, "out of memory");
    copy[eq - assignment] = '\0';
    char *key = trim(copy), *value = trim(copy + (eq - assignment) + 1);
    llmh_status st = LLMH_OK;
    if (!*key)
        st = llmh_error_set(err, LLMH_E_INVALID, 0, "-s expects KEY=VALUE, got \"=%s\"",
                            *value ? "(value hidden)" : "");
    else if ((st = llmh_settings_set(s, key, value, LLMH_SRC_CLI)) != LLMH_OK)
        llmh_error_set(err, st, 0, "out of memory");
    free(copy);
    return st;
}

/* ---- typed getters ---- */

/* The value a typed getter parses and where it is from; NULL when unset or
 * empty and there is no non-empty built-in default. */
/* Where the value came from is worded only when a message needs it
 * (see SRC below): getters run on every call's hot path. */
static const char *typed_value(const llmh_settings *s, const char *key, char *srcbuf,
                               size_t srcsize)
{
    const char *v = llmh_settings_get(s, key, NULL);
    srcbuf[0] = '\0';
    if (v && !is_blank(v))
        return v;
    const struct entry *e = s && key ? find(s, key) : NULL;
    if (e && e->val[L_DEFAULT] && !is_blank(e->val[L_DEFAULT])) {
        snprintf(srcbuf, srcsize, "built-in default");
        return e->val[L_DEFAULT];
    }
    return NULL;
}

static int parse_long(const char *v, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v)
        return 0;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return 0;
    *out = x; /* ERANGE gives LONG_MIN/MAX, which the caller then clamps */
    return 1;
}

static locale_t c_locale; /* made once, kept for the process */
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static int parse_double(const char *v, double *out)
{
    /* Settings always use '.', whatever locale an embedding program set. */
    pthread_once(&c_locale_once, c_locale_init);
    locale_t c = c_locale;
    locale_t old = c ? uselocale(c) : (locale_t)0;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    int range = errno == ERANGE;
    if (c) {
        uselocale(old);
    }
    if (end == v || isnan(x) || (isinf(x) && !range))
        return 0;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return 0;
    *out = x;
    return 1;
}

static int parse_bool(const char *v, int *out)
{
    static const struct {
        const char *word;
        int value;
    } words[] = {{"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0},
                 {"on", 1},   {"off", 0},   {"1", 1},   {"0", 0}};
    char buf[8];
    while (isspace((unsigned char)*v))
        v++;
    size_t n = strlen(v);
    while (n > 0 && isspace((unsigned char)v[n - 1]))
        n--;
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, v, n);
    buf[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcasecmp(buf, words[i].word) == 0) {
            *out = words[i].value;
            return 1;
        }
    }
    return 0;
}

static llmh_status bad_value(const char *key, const char *what, const char *v, const char *src,
                             llmh_error *err)
{
    char shown[80];
    return llmh_error_set(err, LLMH_E_CONFIG, 0, "%s: expected %s, got %s (from %s)", key, what,
                          shown_value(key, v, shown, sizeof shown), src);
}

/* The source text of key, filled into the caller's src on first use. */
#define SRC() (src[0] ? src : llmh_settings_source_text(s, key, src, sizeof src))

static long clamp_long(const llmh_settings *s, const char *key, const char *v, char *src,
                       size_t srcsize, long x, long min, long max)
{
    char shown[80];
    if (x < min || x > max) {
        if (!src[0])
            llmh_settings_source_text(s, key, src, srcsize);
        long to = x < min ? min : max;
        llmh_log(LLMH_LOG_WARN, "%s: %s is %s the %s %ld, using %ld (from %s)", key,
                 shown_value(key, v, shown, sizeof shown), x < min ? "below" : "above",
                 x < min ? "minimum" : "maximum", to, to, src);
        return to;
    }
    return x;
}

llmh_status llmh_settings_get_long(const llmh_settings *s, const char *key, long def, long min,
                                   long max, long *out, llmh_error *err)
{
    char src[300];
    const char *v = typed_value(s, key, src, sizeof src);
    long x;
    if (!v) {
        *out = def;
        return LLMH_OK;
    }
    if (!parse_long(v, &x))
        return bad_value(key, "an integer", v, SRC(), err);
    *out = clamp_long(s, key, v, src, sizeof src, x, min, max);
    return LLMH_OK;
}

llmh_status llmh_settings_get_double(const llmh_settings *s, const char *key, double def,
                                     double min, double max, double *out, llmh_error *err)
{
    char src[300], shown[80];
    const char *v = typed_value(s, key, src, sizeof src);
    double x;
    if (!v) {
        *out = def;
        return LLMH_OK;
    }
    if (!parse_double(v, &x))
        return bad_value(key, "a number", v, SRC(), err);
    if (x < min || x > max) {
        double to = x < min ? min : max;
        SRC();
        llmh_log(LLMH_LOG_WARN, "%s: %s is %s the %s %g, using %g (from %s)", key,
                 shown_value(key, v, shown, sizeof shown), x < min ? "below" : "above",
                 x < min ? "minimum" : "maximum", to, to, src);
        x = to;
    }
    *out = x;
    return LLMH_OK;
}

llmh_status llmh_settings_get_bool(const llmh_settings *s, const char *key, int def, int *out,
                                   llmh_error *err)
{
    char src[300];
    const char *v = typed_value(s, key, src, sizeof src);
    int x;
    if (!v) {
        *out = def ? 1 : 0;
        return LLMH_OK;
    }
    if (!parse_bool(v, &x))
        return bad_value(key, "a boolean (true/false, yes/no, on/off, 1/0)", v, SRC(), err);
    *out = x;
    return LLMH_OK;
}

/* ---- iteration ---- */

void llmh_settings_foreach(const llmh_settings *s, const char *prefix,
                           void (*fn)(void *ud, const char *key, const char *value), void *ud)
{
    if (!s || !fn)
        return;
    if (!prefix)
        prefix = "";
    size_t plen = strlen(prefix);
    for (size_t i = lower_bound(s, prefix); i < s->n; i++) {
        const char *key = s->e[i].key;
        if (strncmp(key, prefix, plen) != 0)
            break;
        const char *v = llmh_settings_get(s, key, NULL);
        if (v)
            fn(ud, key, v);
    }
}

void llmh_settings_sections(const llmh_settings *s, const char *prefix,
                            void (*fn)(void *ud, const char *name), void *ud)
{
    if (!s || !fn)
        return;
    if (!prefix)
        prefix = "";
    size_t plen = strlen(prefix);
    char *name = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < s->sections.n; i++) {
        const char *sec = s->sections.v[i];
        if (strncmp(sec, prefix, plen) != 0 || !sec[plen])
            continue;
        const char *rest = sec + plen;
        size_t n = strcspn(rest, ".");
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *other = s->sections.v[j];
            seen = strncmp(other, prefix, plen) == 0 && strncmp(other + plen, rest, n) == 0 &&
                   (other[plen + n] == '\0' || other[plen + n] == '.');
        }
        if (seen)
            continue;
        if (n + 1 > cap) {
            char *b = realloc(name, n + 1);
            if (!b)
                break;
            name = b;
            cap = n + 1;
        }
        memcpy(name, rest, n);
        name[n] = '\0';
        fn(ud, name);
    }
    free(name);
}

/* ---- request_timeout and max_retries ---- */

/* 1 and *out when key has a usable integer (clamped, with a warning); 0 when
 * unset, empty, or not a number (warned, with what happens instead). */
static int lenient_long(const llmh_settings *s, const char *key, long min, long max,
                        const char *instead, long *out)
{
    char src[300], shown[80];
    const char *v = llmh_settings_get(s, key, NULL);
    long x;
    if (!v || is_blank(v))
        return 0;
    src[0] = '\0';
    if (!parse_long(v, &x)) {
        llmh_log(LLMH_LOG_WARN, "%s: expected a whole number, got %s (from %s); %s", key,
                 shown_value(key, v, shown, sizeof shown), SRC(), instead);
        return 0;
    }
    *out = clamp_long(s, key, v, src, sizeof src, x, min, max);
    return 1;
}

static long provider_long(const llmh_settings *s, const char *provider_key, const char *suffix,
                          long def, long min, long max)
{
    char key[256], instead[300];
    long x;
    if (provider_key && *provider_key &&
        (size_t)snprintf(key, sizeof key, "llm.%s.%s", provider_key, suffix) < sizeof key) {
        snprintf(instead, sizeof instead, "using llm.%s instead", suffix);
        if (lenient_long(s, key, min, max, instead, &x))
            return x;
    }
    snprintf(key, sizeof key, "llm.%s", suffix);
    snprintf(instead, sizeof instead, "using the default %ld", def);
    if (lenient_long(s, key, min, max, instead, &x))
        return x;
    return def;
}

long llmh_settings_request_timeout(const llmh_settings *s, const char *provider_key)
{
    return provider_long(s, provider_key, "request_timeout", 1800, 1, LONG_MAX);
}

long llmh_settings_max_retries(const llmh_settings *s, const char *provider_key)
{
    return provider_long(s, provider_key, "max_retries", 2, 0, 5);
}

/* ---- names of sections under a prefix ---- */

struct names {
    char **v;
    size_t n;
    size_t prefix_len;
};

static void names_add(struct names *nm, const char *name, size_t len)
{
    for (size_t i = 0; i < nm->n; i++)
        if (strlen(nm->v[i]) == len && strncmp(nm->v[i], name, len) == 0)
            return;
    char **v = realloc(nm->v, (nm->n + 1) * sizeof *v);
    char *copy = strndup(name, len);
    if (!v || !copy) {
        free(copy);
        if (v)
            nm->v = v;
        return;
    }
    nm->v = v;
    nm->v[nm->n++] = copy;
}

static void names_on_section(void *ud, const char *name) { names_add(ud, name, strlen(name)); }

static void names_on_key(void *ud, const char *key, const char *value)
{
    (void)value;
    struct names *nm = ud;
    const char *rest = key + nm->prefix_len;
    const char *dot = strchr(rest, '.');
    if (dot && dot > rest)
        names_add(nm, rest, (size_t)(dot - rest));
}

char **llmh_settings_names(const llmh_settings *s, const char *prefix, size_t *n)
{
    struct names nm = {NULL, 0, strlen(prefix)};
    llmh_settings_sections(s, prefix, names_on_section, &nm);
    llmh_settings_foreach(s, prefix, names_on_key, &nm);
    *n = nm.n;
    return nm.v;
}
