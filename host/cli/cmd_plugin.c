/* cmd_plugin.c: `llmhost plugin install|remove|info`. Installing runs the
 * gate first and copies only a plugin the gate accepts. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "provider.h"
#include "util.h"

static const char help[] =
    "Usage: llmhost plugin install FILE [--dir DIR]\n"
    "       llmhost plugin remove NAME [--dir DIR]\n"
    "       llmhost plugin info NAME [--json]\n"
    "\n"
    "install  check FILE with the plugin gate (ABI, hooks, init) and, only if it\n"
    "         passes, copy it to your plugin directory\n"
    "         ($XDG_DATA_HOME/llmhost/plugins) or to DIR\n"
    "remove   delete NAME.so from your plugin directory (or DIR)\n"
    "info     show what a plugin is, where it was found, its ABI, status and\n"
    "         the providers it registers\n";

json_object *cli_plugin_json(const llmh_registry *r, const llmh_plugin_rec *p);

static int copy_file(const char *from, const char *to, char **why)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        *why = llmh_sprintf("cannot read %s: %s", from, strerror(errno));
        return -1;
    }
    char *tmp = llmh_sprintf("%s.tmp.%ld", to, (long)getpid());
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        *why = llmh_sprintf("cannot write %s: %s", tmp, strerror(errno));
        close(in);
        free(tmp);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            rc = -1;
            break;
        }
    }
    if (n < 0)
        rc = -1;
    if (fchmod(out, 0644) != 0 || fsync(out) != 0)
        rc = -1;
    if (close(out) != 0)
        rc = -1;
    close(in);
    /* rename() makes the new file appear whole or not at all. */
    if (rc == 0 && rename(tmp, to) != 0)
        rc = -1;
    if (rc != 0) {
        *why = llmh_sprintf("cannot install %s: %s", to, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

static int parse_dir_opt(int argc, char **argv, const char **arg, const char **dir,
                         const char *sub)
{
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--dir")) {
            if (i + 1 >= argc)
                return cli_usage_error("plugin", "--dir needs a directory");
            *dir = argv[++i];
        } else if (!strncmp(argv[i], "--dir=", 6)) {
            *dir = argv[i] + 6;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("plugin", "unknown option %s for plugin %s", argv[i], sub);
        } else if (!*arg) {
            *arg = argv[i];
        } else {
            return cli_usage_error("plugin", "unexpected argument \"%s\"", argv[i]);
        }
    }
    if (!*arg)
        return cli_usage_error("plugin", "plugin %s needs %s", sub,
                               strcmp(sub, "install") ? "a NAME" : "a FILE");
    return EXIT_OK;
}

static int do_install(cli *c, int argc, char **argv)
{
    const char *file = NULL, *dir = NULL;
    int rc = parse_dir_opt(argc, argv, &file, &dir, "install");
    if (rc != EXIT_OK)
        return rc;
    struct stat st;
    if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
        cli_error("cannot install %s: %s", file, errno ? strerror(errno) : "not a regular file");
        return EXIT_PLUGIN;
    }
    if (!llmh_str_ends_with(file, ".so")) {
        cli_error("cannot install %s: a plugin file is named NAME.so", file);
        return EXIT_PLUGIN;
    }
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx)
        return EXIT_USAGE;
    /* Gate the file in a registry of its own, so an older copy of the same
     * plugin does not count as a duplicate. */
    llmh_registry *r = llmh_registry_new(ctx->settings);
    char *abs = realpath(file, NULL);
    llmh_plugin_rec *p = llmh_registry_load_file(r, abs ? abs : file);
    free(abs);
    if (p->gate != LLMH_GATE_OK) {
        cli_error("refused, not installed: %s", p->reason);
        llmh_registry_free(r);
        return EXIT_PLUGIN;
    }
    char *target_dir = dir ? llmh_strdup(dir) : llmh_registry_user_dir();
    if (!target_dir || llmh_mkdir_p(target_dir, 0755) != 0) {
        cli_error("cannot create plugin directory %s: %s", target_dir ? target_dir : "(no HOME)",
                  strerror(errno));
        free(target_dir);
        llmh_registry_free(r);
        return EXIT_PLUGIN;
    }
    char *to = llmh_sprintf("%s/%s.so", target_dir, p->name);
    char *why = NULL;
    if (copy_file(p->path, to, &why) != 0) {
        cli_error("%s", why);
        rc = EXIT_PLUGIN;
    } else {
        printf("installed %s %s to %s\n", p->name, p->version ? p->version : "", to);
        rc = EXIT_OK;
    }
    free(why);
    free(to);
    free(target_dir);
    llmh_registry_free(r);
    return rc;
}

static int do_remove(cli *c, int argc, char **argv)
{
    const char *name = NULL, *dir = NULL;
    int rc = parse_dir_opt(argc, argv, &name, &dir, "remove");
    if (rc != EXIT_OK)
        return rc;
    if (!llmh_is_ident(name) && strchr(name, '/')) {
        cli_error("plugin remove takes a plugin NAME, not a path: %s", name);
        return EXIT_USAGE;
    }
    char *target_dir = dir ? llmh_strdup(dir) : llmh_registry_user_dir();
    char *path = llmh_sprintf("%s/%s.so", target_dir ? target_dir : ".", name);
    if (unlink(path) == 0) {
        printf("removed %s\n", path);
        rc = EXIT_OK;
    } else if (errno == ENOENT) {
        llmh_ctx *ctx = cli_ctx(c);
        llmh_plugin_rec *p = NULL;
        if (ctx) {
            llmh_ctx_load_plugins(ctx);
            p = llmh_registry_find_plugin(ctx->registry, name);
        }
        if (p)
            cli_error("%s is not in %s; it is at %s (remove it there, or add it to [host] deny)",
                      name, target_dir, p->path);
        else
            cli_error("no plugin named %s in %s", name, target_dir);
        rc = EXIT_PLUGIN;
    } else {
        cli_error("cannot remove %s: %s", path, strerror(errno));
        rc = EXIT_PLUGIN;
    }
    free(path);
    free(target_dir);
    return rc;
}

static int do_info(cli *c, int argc, char **argv)
{
    const char *name = NULL;
    int json = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("plugin", "unknown option %s for plugin info", argv[i]);
        else if (!name)
            name = argv[i];
        else
            return cli_usage_error("plugin", "unexpected argument \"%s\"", argv[i]);
    }
    if (!name)
        return cli_usage_error("plugin", "plugin info needs a NAME");
    llmh_ctx *ctx = cli_ctx(c);
    if (!ctx)
        return EXIT_USAGE;
    llmh_ctx_load_plugins(ctx);
    llmh_registry *r = ctx->registry;
    llmh_plugin_rec *p = llmh_registry_find_plugin(r, name);
    if (!p) {
        cli_error("no plugin named %s (see 'llmhost plugins')", name);
        return EXIT_PLUGIN;
    }
    json_object *o = cli_plugin_json(r, p);
    json_object_object_add(o, "description",
                           p->description ? json_object_new_string(p->description) : NULL);
    json_object *details = json_object_new_array();
    for (size_t i = 0; i < llmh_registry_provider_count(r); i++) {
        const llmh_provider_rec *pr = llmh_registry_provider(r, i);
        if (pr->plugin != p || pr->declared)
            continue;
        char buf[256];
        json_object *d = json_object_new_object();
        json_object_object_add(d, "key", json_object_new_string(pr->p->key));
        json_object_object_add(d, "name", json_object_new_string(pr->p->display_name));
        json_object_object_add(d, "kind", json_object_new_string(llmh_kind_name(pr->p->kind)));
        json_object_object_add(d, "default_base_url",
                               pr->p->default_base_url
                                   ? json_object_new_string(pr->p->default_base_url)
                                   : NULL);
        json_object_object_add(d, "url_setting",
                               json_object_new_string(llmh_provider_url_key(pr->p, buf, sizeof buf)));
        json_object_object_add(d, "api_key_setting",
                               pr->p->api_key_setting
                                   ? json_object_new_string(pr->p->api_key_setting)
                                   : NULL);
        json_object_object_add(d, "streaming",
                               json_object_new_boolean(!pr->p->codec ||
                                                       (pr->p->caps & LLMH_CAP_STREAM)));
        json_object_object_add(d, "models",
                               json_object_new_boolean(!pr->p->codec ||
                                                       (pr->p->caps & LLMH_CAP_MODELS)));
        json_object_array_add(details, d);
    }
    json_object_object_add(o, "provider_details", details);
    if (json) {
        cli_print_json(o);
        return EXIT_OK;
    }
    json_object *v;
    printf("name:        %s\n", p->name);
    printf("path:        %s\n", p->path);
    printf("version:     %s\n", p->version ? p->version : "-");
    if (p->abi_major || p->abi_minor)
        printf("abi:         %u.%u\n", p->abi_major, p->abi_minor);
    printf("status:      %s\n", p->gate == LLMH_GATE_OK ? "loaded" : "refused");
    if (p->reason)
        printf("reason:      %s\n", p->reason);
    if (p->description && *p->description)
        printf("description: %s\n", p->description);
    for (size_t i = 0; i < json_object_array_length(details); i++) {
        json_object *d = json_object_array_get_idx(details, i);
        json_object_object_get_ex(d, "key", &v);
        printf("provider:    %s", json_object_get_string(v));
        json_object_object_get_ex(d, "name", &v);
        printf(" (%s", json_object_get_string(v));
        json_object_object_get_ex(d, "kind", &v);
        printf(", %s", json_object_get_string(v));
        json_object_object_get_ex(d, "default_base_url", &v);
        printf(", %s)\n", v ? json_object_get_string(v) : "no default URL");
    }
    json_object_put(o);
    return EXIT_OK;
}

int cmd_plugin(cli *c, int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    for (int i = 2; i < argc; i++)
        if (cli_is_help(argv[i])) {
            fputs(help, stdout);
            return EXIT_OK;
        }
    if (!strcmp(argv[1], "install"))
        return do_install(c, argc, argv);
    if (!strcmp(argv[1], "remove"))
        return do_remove(c, argc, argv);
    if (!strcmp(argv[1], "info"))
        return do_info(c, argc, argv);
    return cli_usage_error("plugin", "unknown plugin subcommand \"%s\"", argv[1]);
}
