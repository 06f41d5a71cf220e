/* registry.h: plugins found on the search path, the gate that admits or
 * refuses each one, and the providers they register (internal). */
#ifndef LLMH_REGISTRY_H
#define LLMH_REGISTRY_H

#include <llmhost/plugin.h>
#include <pthread.h>

#include "settings.h"

/* Gate results, in the order the gate checks them. Values are stable: tests
 * and `llmhost plugins --json` ("gate") rely on them. */
typedef enum llmh_gate {
    LLMH_GATE_OK = 0,
    LLMH_GATE_UNSAFE_PERMS = 1,  /* file or directory writable by others */
    LLMH_GATE_DENIED = 2,        /* listed in [host] deny */
    LLMH_GATE_SHADOWED = 3,      /* same name earlier on the search path */
    LLMH_GATE_NOT_LOADABLE = 4,  /* not a shared object, or dlopen failed */
    LLMH_GATE_NO_ENTRY = 5,      /* no llmh_plugin symbol */
    LLMH_GATE_BAD_MAGIC = 6,
    LLMH_GATE_ABI_MAJOR = 7,
    LLMH_GATE_ABI_MINOR = 8,     /* built against a newer minor than ours */
    LLMH_GATE_STRUCT_SIZE = 9,   /* a descriptor smaller than ABI 1.0's */
    LLMH_GATE_NAME_MISMATCH = 10,/* descriptor name differs from the file */
    LLMH_GATE_HOOKS_MISSING = 11,
    LLMH_GATE_CAPS_MISMATCH = 12,
    LLMH_GATE_DUPLICATE_KEY = 13,
    LLMH_GATE_INIT_FAILED = 14
} llmh_gate;

const char *llmh_gate_name(llmh_gate g);

typedef struct llmh_plugin_rec {
    char *name;      /* file name without .so */
    char *path;
    char *version;   /* NULL when never read */
    char *description;
    llmh_gate gate;
    char *reason;    /* one line; NULL when loaded */
    unsigned abi_major, abi_minor; /* as found; 0 when unknown */
    void *handle;    /* lt_dlhandle while loaded */
    const llmh_plugin_desc *desc;
    void *state;     /* from init */
    pthread_mutex_t hook_lock; /* serializes hooks of providers without LLMH_P_THREAD_SAFE */
} llmh_plugin_rec;

/* A provider known to the host: from a plugin or declared in the config. */
typedef struct llmh_provider_rec {
    const llmh_provider *p;   /* descriptor (static in a plugin, or owned) */
    llmh_plugin_rec *plugin;  /* NULL for a declarative provider */
    llmh_provider *owned;     /* non-NULL when the registry owns p */
    void *owned_strings;      /* storage behind a declarative descriptor */
    int declared;             /* declared in the config (p is owned) */
} llmh_provider_rec;

typedef struct llmh_registry llmh_registry;

llmh_registry *llmh_registry_new(llmh_settings *settings);
/* Unloads every plugin (fini, then close) and frees everything. */
void llmh_registry_free(llmh_registry *r);

/* The search path, highest priority first: explicit (--plugin-path, colon
 * separated; may be NULL), LLMHOST_PLUGIN_PATH, host.plugin_dir,
 * $XDG_DATA_HOME/llmhost/plugins, the compiled-in (or build-tree) dir. */
void llmh_registry_set_cli_path(llmh_registry *r, const char *dirs);
size_t llmh_registry_dir_count(const llmh_registry *r);
const char *llmh_registry_dir(const llmh_registry *r, size_t i);
/* The user's own plugin directory ($XDG_DATA_HOME/llmhost/plugins), malloc'd. */
char *llmh_registry_user_dir(void);
/* The default system plugin directory: the build tree's when this binary
 * runs from the build tree, else the installed one. Static string. */
const char *llmh_registry_system_dir(void);

/* Scan the search path once and run the gate on every *.so. Idempotent. */
void llmh_registry_load(llmh_registry *r);
/* Open only KEY.so (the first on the search path), for a command that
 * needs one provider: 1 when that registered the key. A later full load
 * skips files already opened. */
int llmh_registry_load_named(llmh_registry *r, const char *key);
/* Gate one file on its own (for `plugin install`): loads it into r as an
 * extra entry and returns the record (owned by r). */
llmh_plugin_rec *llmh_registry_load_file(llmh_registry *r, const char *path);

size_t llmh_registry_plugin_count(const llmh_registry *r);
llmh_plugin_rec *llmh_registry_plugin(const llmh_registry *r, size_t i);
llmh_plugin_rec *llmh_registry_find_plugin(const llmh_registry *r, const char *name);

size_t llmh_registry_provider_count(const llmh_registry *r);
const llmh_provider_rec *llmh_registry_provider(const llmh_registry *r, size_t i);
const llmh_provider_rec *llmh_registry_find(const llmh_registry *r, const char *key);

/* The host services table handed to plugins. */
const llmh_host *llmh_host_table(void);

#endif
