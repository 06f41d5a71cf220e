/* loader.c: the per-file part of the plugin gate. Every refusal is a status
 * plus one line naming the file, what was found and what was expected; a
 * plugin can make us refuse it but never make us crash. */
#include "loader.h"

#include <errno.h>
#include <grp.h>
#include <ltdl.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Sizes of the ABI 1.0 descriptors: anything smaller cannot be read safely. */
#define DESC_V1_SIZE (offsetof(llmh_plugin_desc, fini) + sizeof(void (*)(void *)))
#define PROVIDER_V1_SIZE (offsetof(llmh_provider, default_port) + sizeof(long))
#define CODEC_V1_SIZE (offsetof(llmh_codec, parse_version) + sizeof(void *))

static int ltdl_ready;

static void ltdl_init_once(void)
{
    if (!ltdl_ready) {
        lt_dlinit();
        ltdl_ready = 1;
    }
}

/* A group-writable file is safe only when its group is root's or the
 * owner's private group (a group named like the owner with no other members). */
static int group_is_private(const struct stat *st)
{
    if (st->st_gid == 0)
        return 1;
    struct passwd *pw = getpwuid(st->st_uid);
    struct group *gr = getgrgid(st->st_gid);
    if (!pw || !gr)
        return 0;
    if (strcmp(pw->pw_name, gr->gr_name) != 0)
        return 0;
    return gr->gr_mem == NULL || gr->gr_mem[0] == NULL;
}

static const char *unsafe_reason(const struct stat *st)
{
    if (st->st_mode & S_IWOTH)
        return "is writable by everyone";
    if ((st->st_mode & S_IWGRP) && !group_is_private(st))
        return "is writable by its group";
    return NULL;
}

llmh_gate llmh_loader_check_perms(const char *path, char **reason)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        *reason = llmh_sprintf("%s: cannot stat: %s", path, strerror(errno));
        return LLMH_GATE_NOT_LOADABLE;
    }
    const char *why = unsafe_reason(&st);
    if (why) {
        *reason = llmh_sprintf("%s %s (mode %04o); refusing to run code others can change",
                               path, why, (unsigned)(st.st_mode & 07777));
        return LLMH_GATE_UNSAFE_PERMS;
    }
    char *dir = llmh_dirname(path);
    if (dir && stat(dir, &st) == 0 && (why = unsafe_reason(&st)) != NULL &&
        !(st.st_mode & S_ISVTX)) {
        *reason = llmh_sprintf("%s: its directory %s %s (mode %04o); refusing to run code others can replace",
                               path, dir, why, (unsigned)(st.st_mode & 07777));
        free(dir);
        return LLMH_GATE_UNSAFE_PERMS;
    }
    free(dir);
    return LLMH_GATE_OK;
}

static llmh_gate refuse(llmh_plugin_rec *rec, llmh_gate g, char *reason)
{
    llmh_loader_close(rec);
    free(rec->reason);
    rec->reason = reason;
    rec->gate = g;
    return g;
}

llmh_gate llmh_loader_check_provider(const char *file, const llmh_provider *p, char **reason)
{
    if (p->struct_size < PROVIDER_V1_SIZE) {
        *reason = llmh_sprintf("%s: provider descriptor is %u bytes, expected at least %zu",
                               file, (unsigned)p->struct_size, (size_t)PROVIDER_V1_SIZE);
        return LLMH_GATE_STRUCT_SIZE;
    }
    if (!p->key || !*p->key || !llmh_is_ident(p->key)) {
        *reason = llmh_sprintf("%s: provider key \"%s\" is not a lower-case identifier [a-z0-9_]",
                               file, p->key ? p->key : "(null)");
        return LLMH_GATE_HOOKS_MISSING;
    }
    if (!p->display_name) {
        *reason = llmh_sprintf("%s: provider %s has no display name", file, p->key);
        return LLMH_GATE_HOOKS_MISSING;
    }
    const llmh_codec *c = p->codec;
    if (!c)
        return LLMH_GATE_OK; /* the host's OpenAI codec has every hook */
    if (c->struct_size < CODEC_V1_SIZE) {
        *reason = llmh_sprintf("%s: provider %s codec is %u bytes, expected at least %zu",
                               file, p->key, (unsigned)c->struct_size, (size_t)CODEC_V1_SIZE);
        return LLMH_GATE_STRUCT_SIZE;
    }
    if (!c->build_chat || !c->parse_chat) {
        *reason = llmh_sprintf("%s: provider %s is missing the required hook %s", file, p->key,
                               c->build_chat ? "parse_chat" : "build_chat");
        return LLMH_GATE_HOOKS_MISSING;
    }
    struct {
        unsigned flag;
        const char *name;
        int present;
        const char *hooks;
    } caps[] = {
        {LLMH_CAP_STREAM, "LLMH_CAP_STREAM", c->parse_event != NULL, "parse_event"},
        {LLMH_CAP_MODELS, "LLMH_CAP_MODELS", c->build_models && c->parse_models,
         "build_models and parse_models"},
        {LLMH_CAP_PROBE, "LLMH_CAP_PROBE", c->build_probe != NULL, "build_probe"},
        {LLMH_CAP_DETAILS, "LLMH_CAP_DETAILS", c->build_model_info && c->parse_model_info,
         "build_model_info and parse_model_info"},
        {LLMH_CAP_VERSION, "LLMH_CAP_VERSION", c->build_version && c->parse_version,
         "build_version and parse_version"},
    };
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        int flagged = (p->caps & caps[i].flag) != 0;
        if (flagged && !caps[i].present) {
            *reason = llmh_sprintf("%s: provider %s declares %s but lacks %s", file, p->key,
                                   caps[i].name, caps[i].hooks);
            return LLMH_GATE_CAPS_MISMATCH;
        }
        if (!flagged && caps[i].present) {
            *reason = llmh_sprintf("%s: provider %s has %s but does not declare %s", file,
                                   p->key, caps[i].hooks, caps[i].name);
            return LLMH_GATE_CAPS_MISMATCH;
        }
    }
    struct {
        int a, b;
        const char *names;
    } pairs[] = {
        {c->build_models != NULL, c->parse_models != NULL, "build_models and parse_models"},
        {c->build_model_info != NULL, c->parse_model_info != NULL,
         "build_model_info and parse_model_info"},
        {c->build_version != NULL, c->parse_version != NULL, "build_version and parse_version"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        if (pairs[i].a != pairs[i].b) {
            *reason = llmh_sprintf("%s: provider %s has only one of %s", file, p->key,
                                   pairs[i].names);
            return LLMH_GATE_CAPS_MISMATCH;
        }
    }
    return LLMH_GATE_OK;
}

llmh_gate llmh_loader_open(llmh_plugin_rec *rec)
{
    ltdl_init_once();
    lt_dladvise advise;
    lt_dladvise_init(&advise);
    lt_dladvise_local(&advise); /* plugins never see each other's symbols */
    lt_dlhandle h = lt_dlopenadvise(rec->path, advise);
    lt_dladvise_destroy(&advise);
    if (!h) {
        const char *e = lt_dlerror();
        return refuse(rec, LLMH_GATE_NOT_LOADABLE,
                      llmh_sprintf("%s: not a loadable shared object (%s)", rec->path,
                                   e ? e : "unknown error"));
    }
    rec->handle = h;
    const llmh_plugin_desc *d = lt_dlsym(h, LLMH_PLUGIN_SYMBOL);
    if (!d)
        return refuse(rec, LLMH_GATE_NO_ENTRY,
                      llmh_sprintf("%s: no entry point: symbol %s not found", rec->path,
                                   LLMH_PLUGIN_SYMBOL));
    if (d->magic != LLMH_PLUGIN_MAGIC)
        return refuse(rec, LLMH_GATE_BAD_MAGIC,
                      llmh_sprintf("%s: bad magic 0x%08x, expected 0x%08x", rec->path,
                                   (unsigned)d->magic, (unsigned)LLMH_PLUGIN_MAGIC));
    rec->abi_major = d->abi_major;
    rec->abi_minor = d->abi_minor;
    if (d->abi_major != LLMH_ABI_MAJOR)
        return refuse(rec, LLMH_GATE_ABI_MAJOR,
                      llmh_sprintf("%s: built for plugin ABI %u.%u, this host speaks ABI %d.x",
                                   rec->path, d->abi_major, d->abi_minor, LLMH_ABI_MAJOR));
    if (d->abi_minor > LLMH_ABI_MINOR)
        return refuse(rec, LLMH_GATE_ABI_MINOR,
                      llmh_sprintf("%s: built for plugin ABI %u.%u, newer than this host's %d.%d; "
                                   "upgrade llmhost",
                                   rec->path, d->abi_major, d->abi_minor, LLMH_ABI_MAJOR,
                                   LLMH_ABI_MINOR));
    if (d->struct_size < DESC_V1_SIZE)
        return refuse(rec, LLMH_GATE_STRUCT_SIZE,
                      llmh_sprintf("%s: plugin descriptor is %u bytes, expected at least %zu",
                                   rec->path, (unsigned)d->struct_size, (size_t)DESC_V1_SIZE));
    if (!d->name || strcmp(d->name, rec->name) != 0)
        return refuse(rec, LLMH_GATE_NAME_MISMATCH,
                      llmh_sprintf("%s: plugin calls itself \"%s\", expected \"%s\" (the file name)",
                                   rec->path, d->name ? d->name : "(null)", rec->name));
    if (!d->providers || !d->providers[0])
        return refuse(rec, LLMH_GATE_HOOKS_MISSING,
                      llmh_sprintf("%s: plugin offers no provider", rec->path));
    for (size_t i = 0; d->providers[i]; i++) {
        char *why = NULL;
        llmh_gate g = llmh_loader_check_provider(rec->path, d->providers[i], &why);
        if (g != LLMH_GATE_OK)
            return refuse(rec, g, why);
    }
    rec->desc = d;
    free(rec->version);
    rec->version = llmh_strdup(d->version ? d->version : "");
    free(rec->description);
    rec->description = llmh_strdup(d->description ? d->description : "");
    return LLMH_GATE_OK;
}

void llmh_loader_close(llmh_plugin_rec *rec)
{
    if (rec->handle) {
        lt_dlclose((lt_dlhandle)rec->handle);
        rec->handle = NULL;
    }
    rec->desc = NULL;
}
