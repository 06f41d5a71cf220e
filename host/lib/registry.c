/* registry.c: the plugin search path, the registry-wide part of the gate
 * (deny list, shadowing, duplicate provider keys, init) and provider lookup. */
#include "registry.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "log.h"
#include "url.h"
#include "util.h"

#ifndef LLMH_PLUGINDIR
#define LLMH_PLUGINDIR "/usr/local/lib/llmhost/plugins"
#endif

static void free_decl(void *p);

struct llmh_registry {
    llmh_settings *settings;
    char *cli_path;
    char **dirs;
    size_t n_dirs;
    llmh_plugin_rec **plugins;
    size_t n_plugins;
    llmh_provider_rec *providers;
    size_t n_providers;
    int loaded;
};

const char *llmh_gate_name(llmh_gate g)
{
    static const char *const names[] = {
        "ok",           "unsafe_permissions", "denied",        "shadowed",
        "not_loadable", "no_entry_point",     "bad_magic",     "abi_major_mismatch",
        "abi_minor_newer", "struct_too_small", "name_mismatch", "hooks_missing",
        "caps_mismatch", "duplicate_key",     "init_failed",
    };
    if ((unsigned)g < sizeof names / sizeof names[0])
        return names[g];
    return "unknown";
}

llmh_registry *llmh_registry_new(llmh_settings *settings)
{
    llmh_registry *r = llmh_xcalloc(1, sizeof *r);
    r->settings = settings;
    return r;
}

static void free_dirs(llmh_registry *r)
{
    for (size_t i = 0; i < r->n_dirs; i++)
        free(r->dirs[i]);
    free(r->dirs);
    r->dirs = NULL;
    r->n_dirs = 0;
}

static void free_plugin(llmh_plugin_rec *rec)
{
    if (rec->desc && rec->gate == LLMH_GATE_OK && rec->desc->fini)
        rec->desc->fini(rec->state);
    llmh_loader_close(rec);
    free(rec->name);
    free(rec->path);
    free(rec->version);
    free(rec->description);
    free(rec->reason);
    pthread_mutex_destroy(&rec->hook_lock);
    free(rec);
}

void llmh_registry_free(llmh_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_providers; i++) {
        free(r->providers[i].owned);
        free_decl(r->providers[i].owned_strings);
    }
    free(r->providers);
    /* Unload in reverse order of loading. */
    for (size_t i = r->n_plugins; i-- > 0;)
        free_plugin(r->plugins[i]);
    free(r->plugins);
    free_dirs(r);
    free(r->cli_path);
    free(r);
}

void llmh_registry_set_cli_path(llmh_registry *r, const char *dirs)
{
    free(r->cli_path);
    r->cli_path = llmh_strdup(dirs);
}

char *llmh_registry_user_dir(void)
{
    return llmh_xdg_path("XDG_DATA_HOME", ".local/share", "plugins");
}

/* Where this process's executable lives, or NULL. malloc'd. */
static char *exe_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    return llmh_dirname(exe);
}

const char *llmh_registry_system_dir(void)
{
    static char *resolved;
    static int done;
    if (done)
        return resolved ? resolved : LLMH_PLUGINDIR;
    done = 1;
    char *dir = exe_dir();
    if (!dir)
        return LLMH_PLUGINDIR;
#ifdef LLMH_BUILD_TOP
    char top[PATH_MAX];
    const char *t = realpath(LLMH_BUILD_TOP, top) ? top : LLMH_BUILD_TOP;
    /* Programs this build made (and did not install) use the build tree's
     * plugins; an installed copy always uses the installed ones. */
    size_t tl = strlen(t);
    if (strncmp(dir, t, tl) == 0 && (dir[tl] == '/' || dir[tl] == '\0'))
        resolved = llmh_sprintf("%s/plugins/.libs", t);
#endif
#ifdef LLMH_BINDIR
    /* A staged (DESTDIR) or moved install keeps the layout below a new
     * root: <root>/usr/local/bin/llmhost finds <root>/usr/local/lib/... */
    if (!resolved && strcmp(dir, LLMH_BINDIR) != 0 && llmh_str_ends_with(dir, LLMH_BINDIR)) {
        size_t root = strlen(dir) - strlen(LLMH_BINDIR);
        resolved = llmh_sprintf("%.*s%s", (int)root, dir, LLMH_PLUGINDIR);
    }
#endif
    free(dir);
    return resolved ? resolved : LLMH_PLUGINDIR;
}

static void add_dir(llmh_registry *r, const char *d)
{
    if (!d || !*d)
        return;
    for (size_t i = 0; i < r->n_dirs; i++)
        if (strcmp(r->dirs[i], d) == 0)
            return;
    r->dirs = llmh_xrealloc(r->dirs, (r->n_dirs + 1) * sizeof *r->dirs);
    r->dirs[r->n_dirs++] = llmh_strdup(d);
}

static void add_dir_list(llmh_registry *r, const char *list)
{
    if (!list)
        return;
    size_t n = 0;
    char **dirs = llmh_split_list(list, ':', &n);
    for (size_t i = 0; i < n; i++)
        add_dir(r, dirs[i]);
    llmh_strv_free(dirs, n);
}

static void build_search_path(llmh_registry *r)
{
    free_dirs(r);
    add_dir_list(r, r->cli_path);
    add_dir_list(r, getenv("LLMHOST_PLUGIN_PATH"));
    add_dir_list(r, r->settings ? llmh_settings_get(r->settings, "host.plugin_dir", NULL) : NULL);
    char *user = llmh_registry_user_dir();
    add_dir(r, user);
    free(user);
    add_dir(r, llmh_registry_system_dir());
}

size_t llmh_registry_dir_count(const llmh_registry *r) { return r->n_dirs; }
const char *llmh_registry_dir(const llmh_registry *r, size_t i)
{
    return i < r->n_dirs ? r->dirs[i] : NULL;
}

/* Is name in the comma-separated host.deny list? */
static int denied(const llmh_registry *r, const char *name)
{
    const char *list = r->settings ? llmh_settings_get(r->settings, "host.deny", NULL) : NULL;
    size_t n = 0;
    char **names = llmh_split_list(list, ',', &n);
    int found = 0;
    for (size_t i = 0; i < n && !found; i++)
        found = strcmp(names[i], name) == 0;
    llmh_strv_free(names, n);
    return found;
}

static llmh_plugin_rec *new_rec(llmh_registry *r, const char *path)
{
    llmh_plugin_rec *rec = llmh_xcalloc(1, sizeof *rec);
    pthread_mutex_init(&rec->hook_lock, NULL);
    rec->path = llmh_strdup(path);
    const char *base = llmh_basename(path);
    size_t n = strlen(base);
    if (llmh_str_ends_with(base, ".so"))
        n -= 3;
    rec->name = llmh_strndup(base, n);
    r->plugins = llmh_xrealloc(r->plugins, (r->n_plugins + 1) * sizeof *r->plugins);
    r->plugins[r->n_plugins++] = rec;
    return rec;
}

static void refuse_rec(llmh_plugin_rec *rec, llmh_gate g, char *reason)
{
    llmh_loader_close(rec);
    rec->gate = g;
    free(rec->reason);
    rec->reason = reason;
}

static void register_settings(llmh_registry *r, const llmh_provider *p)
{
    if (!r->settings)
        return;
    char *k = llmh_sprintf("llm.%s.url", p->key);
    if (p->url_env)
        llmh_settings_add_env_alias(r->settings, p->url_setting ? p->url_setting : k, p->url_env);
    if (p->api_key_setting && p->api_key_env)
        llmh_settings_add_env_alias(r->settings, p->api_key_setting, p->api_key_env);
    llmh_settings_add_known(r->settings, k);
    free(k);
    if (p->url_setting)
        llmh_settings_add_known(r->settings, p->url_setting);
    if (p->api_key_setting)
        llmh_settings_add_known(r->settings, p->api_key_setting);
    for (size_t i = 0; p->settings && p->settings[i]; i++)
        llmh_settings_add_known(r->settings, p->settings[i]);
}

static void add_provider(llmh_registry *r, const llmh_provider *p, llmh_plugin_rec *plugin)
{
    r->providers = llmh_xrealloc(r->providers, (r->n_providers + 1) * sizeof *r->providers);
    llmh_provider_rec *pr = &r->providers[r->n_providers++];
    memset(pr, 0, sizeof *pr);
    pr->p = p;
    pr->plugin = plugin;
    register_settings(r, p);
}

/* The registry-wide checks and init, after the per-file gate passed. */
static void admit(llmh_registry *r, llmh_plugin_rec *rec)
{
    const llmh_plugin_desc *d = rec->desc;
    for (size_t i = 0; d->providers[i]; i++) {
        const char *key = d->providers[i]->key;
        const llmh_provider_rec *other = llmh_registry_find(r, key);
        int twice = 0;
        for (size_t j = 0; j < i; j++)
            twice |= strcmp(d->providers[j]->key, key) == 0;
        if (other || twice) {
            refuse_rec(rec, LLMH_GATE_DUPLICATE_KEY,
                       llmh_sprintf("%s: provider key \"%s\" is already registered by %s",
                                    rec->path, key,
                                    twice ? "this plugin"
                                    : other->plugin ? other->plugin->path
                                                    : "the configuration"));
            return;
        }
    }
    if (d->init) {
        llmh_error err;
        memset(&err, 0, sizeof err);
        void *state = NULL;
        llmh_status st = d->init(llmh_host_table(), &state, &err);
        if (st != LLMH_OK) {
            err.message[sizeof err.message - 1] = '\0';
            refuse_rec(rec, LLMH_GATE_INIT_FAILED,
                       llmh_sprintf("%s: init failed with status %d%s%s", rec->path, (int)st,
                                    err.message[0] ? ": " : "", err.message));
            return;
        }
        rec->state = state;
    }
    rec->gate = LLMH_GATE_OK;
    for (size_t i = 0; d->providers[i]; i++)
        add_provider(r, d->providers[i], rec);
}

static llmh_plugin_rec *find_loaded_name(const llmh_registry *r, const char *name)
{
    for (size_t i = 0; i < r->n_plugins; i++) {
        llmh_plugin_rec *p = r->plugins[i];
        if (strcmp(p->name, name) == 0 && p->gate != LLMH_GATE_SHADOWED &&
            p->gate != LLMH_GATE_DENIED)
            return p;
    }
    return NULL;
}

static int gated(const llmh_registry *r, const char *path)
{
    for (size_t i = 0; i < r->n_plugins; i++)
        if (strcmp(r->plugins[i]->path, path) == 0)
            return 1;
    return 0;
}

static void gate_file(llmh_registry *r, const char *path)
{
    llmh_plugin_rec *rec = new_rec(r, path);
    llmh_plugin_rec *earlier = NULL;
    for (size_t i = 0; i + 1 < r->n_plugins; i++)
        if (strcmp(r->plugins[i]->name, rec->name) == 0 &&
            r->plugins[i]->gate != LLMH_GATE_SHADOWED)
            earlier = r->plugins[i];
    if (denied(r, rec->name)) {
        refuse_rec(rec, LLMH_GATE_DENIED,
                   llmh_sprintf("%s: skipped: \"%s\" is listed in [host] deny", path, rec->name));
        return;
    }
    if (earlier) {
        refuse_rec(rec, LLMH_GATE_SHADOWED,
                   llmh_sprintf("%s: skipped: a plugin of the same name comes first on the "
                                "search path (%s)",
                                path, earlier->path));
        return;
    }
    char *why = NULL;
    llmh_gate g = llmh_loader_check_perms(path, &why);
    if (g != LLMH_GATE_OK) {
        refuse_rec(rec, g, why);
        return;
    }
    if (llmh_loader_open(rec) != LLMH_GATE_OK)
        return;
    admit(r, rec);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_dir(llmh_registry *r, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !llmh_str_ends_with(e->d_name, ".so"))
            continue;
        names = llmh_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = llmh_strdup(e->d_name);
    }
    closedir(d);
    if (n) /* a stable order for "first wins" */
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char *path = llmh_sprintf("%s/%s", dir, names[i]);
        if (!gated(r, path)) /* a command may have opened it already by name */
            gate_file(r, path);
        free(path);
        free(names[i]);
    }
    free(names);
}

/* ---- providers declared in the config: [provider.NAME] */

typedef struct decl_strings {
    char *key, *display, *url, *url_setting, *key_setting, *key_env;
} decl_strings;

static void free_decl(void *p)
{
    decl_strings *d = p;
    if (!d)
        return;
    free(d->key);
    free(d->display);
    free(d->url);
    free(d->url_setting);
    free(d->key_setting);
    free(d->key_env);
    free(d);
}

typedef struct decl_ctx {
    llmh_registry *r;
} decl_ctx;

static void decl_warn(llmh_registry *r, const char *key, const char *fmt, const char *a)
{
    const char *file = NULL;
    int line = 0;
    char where[512] = "";
    if (llmh_settings_origin(r->settings, key, &file, &line) && file)
        snprintf(where, sizeof where, "%s:%d: ", file, line);
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a);
    llmh_log(LLMH_LOG_WARN, "%s%s", where, msg);
}

static void add_declared(void *ud, const char *name)
{
    decl_ctx *dc = ud;
    llmh_registry *r = dc->r;
    char k[256];
    snprintf(k, sizeof k, "provider.%s.url", name);
    if (!llmh_is_ident(name)) {
        decl_warn(r, k, "[provider.%s] ignored: a provider name is lower case [a-z0-9_]", name);
        return;
    }
    if (llmh_registry_find(r, name)) {
        decl_warn(r, k, "[provider.%s] ignored: a plugin already provides that key", name);
        return;
    }
    const char *url = llmh_settings_get(r->settings, k, NULL);
    char pk[256];
    snprintf(pk, sizeof pk, "provider.%s.protocol", name);
    const char *protocol = llmh_settings_get(r->settings, pk, NULL);
    if (!protocol || !*protocol)
        protocol = "openai";
    /* "openai" is the host's codec; any loaded provider's key borrows its codec. */
    const llmh_provider *like = NULL;
    if (strcmp(protocol, "openai") != 0) {
        const llmh_provider_rec *pr = llmh_registry_find(r, protocol);
        if (!pr || !pr->plugin) {
            decl_warn(r, pk, "[provider.%s] ignored: unknown protocol; use openai or the key "
                             "of a loaded provider such as ollama or anthropic", name);
            return;
        }
        like = pr->p;
    }
    if (!url || !*url) {
        decl_warn(r, k, "[provider.%s] ignored: it needs url = ...", name);
        return;
    }
    char kk[256];
    snprintf(kk, sizeof kk, "provider.%s.kind", name);
    const char *kind = llmh_settings_get(r->settings, kk, NULL);
    llmh_kind kd;
    if (!kind || !*kind) {
        kd = llmh_url_is_local(url) ? LLMH_KIND_LOCAL : LLMH_KIND_CLOUD;
    } else if (!strcmp(kind, "local")) {
        kd = LLMH_KIND_LOCAL;
    } else if (!strcmp(kind, "cloud")) {
        kd = LLMH_KIND_CLOUD;
    } else if (!strcmp(kind, "custom")) {
        kd = LLMH_KIND_CUSTOM;
    } else {
        decl_warn(r, kk, "[provider.%s] ignored: kind must be local, cloud or custom", name);
        return;
    }
    decl_strings *d = llmh_xcalloc(1, sizeof *d);
    d->key = llmh_strdup(name);
    char dn[256];
    snprintf(dn, sizeof dn, "provider.%s.name", name);
    const char *display = llmh_settings_get(r->settings, dn, NULL);
    d->display = llmh_strdup(display && *display ? display : name);
    d->url = llmh_strdup(url);
    d->url_setting = llmh_strdup(k);
    d->key_setting = llmh_sprintf("provider.%s.api_key", name);
    char ke[256];
    snprintf(ke, sizeof ke, "provider.%s.api_key_env", name);
    const char *env = llmh_settings_get(r->settings, ke, NULL);
    d->key_env = env && *env ? llmh_strdup(env) : NULL;
    llmh_provider *p = llmh_xcalloc(1, sizeof *p);
    if (like)
        *p = *like;
    p->struct_size = sizeof *p;
    p->key = d->key;
    p->display_name = d->display;
    p->default_base_url = d->url;
    p->url_setting = d->url_setting;
    p->url_env = NULL;
    p->api_key_setting = d->key_setting;
    p->api_key_env = d->key_env;
    p->kind = kd;
    p->settings = NULL;
    if (!like) {
        p->codec = NULL;
        p->caps = LLMH_CAP_STREAM | LLMH_CAP_MODELS;
        p->flags = kd == LLMH_KIND_CLOUD ? LLMH_P_KEY_REQUIRED : 0;
    }
    add_provider(r, p, NULL);
    llmh_provider_rec *pr = &r->providers[r->n_providers - 1];
    pr->owned = p;
    pr->owned_strings = d;
    pr->declared = 1;
    /* A borrowed codec may use its plugin's state. */
    if (like)
        pr->plugin = llmh_registry_find(r, protocol)->plugin;
}

int llmh_registry_load_named(llmh_registry *r, const char *key)
{
    if (r->loaded)
        return llmh_registry_find(r, key) != NULL;
    if (!r->n_dirs)
        build_search_path(r);
    if (!llmh_is_ident(key))
        return 0;
    /* The first NAME.so on the search path, as a full scan would find it. */
    for (size_t i = 0; i < r->n_dirs; i++) {
        char *path = llmh_sprintf("%s/%s.so", r->dirs[i], key);
        int exists = access(path, F_OK) == 0;
        if (exists && !gated(r, path))
            gate_file(r, path);
        free(path);
        if (exists)
            break;
    }
    return llmh_registry_find(r, key) != NULL;
}

void llmh_registry_load(llmh_registry *r)
{
    if (r->loaded)
        return;
    r->loaded = 1;
    if (!r->n_dirs)
        build_search_path(r);
    for (size_t i = 0; i < r->n_dirs; i++)
        scan_dir(r, r->dirs[i]);
    if (r->settings) {
        decl_ctx dc = {r};
        llmh_settings_sections(r->settings, "provider.", add_declared, &dc);
    }
}

llmh_plugin_rec *llmh_registry_load_file(llmh_registry *r, const char *path)
{
    gate_file(r, path);
    return r->plugins[r->n_plugins - 1];
}

size_t llmh_registry_plugin_count(const llmh_registry *r) { return r->n_plugins; }
llmh_plugin_rec *llmh_registry_plugin(const llmh_registry *r, size_t i)
{
    return i < r->n_plugins ? r->plugins[i] : NULL;
}

llmh_plugin_rec *llmh_registry_find_plugin(const llmh_registry *r, const char *name)
{
    llmh_plugin_rec *p = find_loaded_name(r, name);
    if (p)
        return p;
    for (size_t i = 0; i < r->n_plugins; i++)
        if (strcmp(r->plugins[i]->name, name) == 0)
            return r->plugins[i];
    return NULL;
}

size_t llmh_registry_provider_count(const llmh_registry *r) { return r->n_providers; }
const llmh_provider_rec *llmh_registry_provider(const llmh_registry *r, size_t i)
{
    return i < r->n_providers ? &r->providers[i] : NULL;
}

const llmh_provider_rec *llmh_registry_find(const llmh_registry *r, const char *key)
{
    for (size_t i = 0; i < r->n_providers; i++)
        if (strcmp(r->providers[i].p->key, key) == 0)
            return &r->providers[i];
    return NULL;
}
