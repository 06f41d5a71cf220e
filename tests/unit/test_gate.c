/* test_gate.c: the plugin gate refuses each broken fixture with its own
 * status and a reason naming file, found and expected values; the search
 * path, deny list, shadowing and permission checks. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry.h"
#include "settings.h"
#include "suites.h"
#include "util.h"

static char g_tmp[256];
static int g_seq;

static char *new_dir(void)
{
    char *d = llmh_sprintf("%s/d%d", g_tmp, ++g_seq);
    mkdir(d, 0755);
    return d;
}

static int copy(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
    chmod(to, 0755);
    return 0;
}

/* Copy fixture NAME.so into dir (optionally under another file name). */
static char *put(const char *dir, const char *fixture, const char *as)
{
    char *from = llmh_sprintf("%s/%s.so", FIXTURE_DIR, fixture);
    char *to = llmh_sprintf("%s/%s.so", dir, as ? as : fixture);
    CU_ASSERT_EQUAL_FATAL(copy(from, to), 0);
    free(from);
    return to;
}

typedef struct {
    llmh_settings *s;
    llmh_registry *r;
} env;

static env make_env(const char *dirs)
{
    env e;
    e.s = llmh_settings_new();
    e.r = llmh_registry_new(e.s);
    if (dirs)
        llmh_registry_set_cli_path(e.r, dirs);
    return e;
}

static void free_env(env *e)
{
    llmh_registry_free(e->r);
    llmh_settings_free(e->s);
}

static llmh_plugin_rec *gate_one(env *e, const char *fixture)
{
    char *d = new_dir();
    char *path = put(d, fixture, NULL);
    llmh_plugin_rec *rec = llmh_registry_load_file(e->r, path);
    free(path);
    free(d);
    return rec;
}

static void expect_refusal(const char *fixture, llmh_gate want, const char *needle1,
                           const char *needle2)
{
    env e = make_env(NULL);
    llmh_plugin_rec *rec = gate_one(&e, fixture);
    CU_ASSERT_EQUAL(rec->gate, want);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec->reason);
    CU_ASSERT_PTR_NOT_NULL(strstr(rec->reason, rec->path)); /* names the file */
    if (needle1 && !strstr(rec->reason, needle1))
        CU_FAIL(needle1);
    if (needle2 && !strstr(rec->reason, needle2))
        CU_FAIL(needle2);
    CU_ASSERT_PTR_NULL(rec->handle); /* nothing stays open */
    CU_ASSERT_EQUAL(llmh_registry_provider_count(e.r), 0);
    free_env(&e);
}

static void test_gate_accepts_good_plugin(void)
{
    env e = make_env(NULL);
    llmh_plugin_rec *rec = gate_one(&e, "fixture_good");
    CU_ASSERT_EQUAL(rec->gate, LLMH_GATE_OK);
    CU_ASSERT_PTR_NULL(rec->reason);
    CU_ASSERT_STRING_EQUAL(rec->version, "0.0.1");
    CU_ASSERT_EQUAL(rec->abi_major, 1);
    CU_ASSERT_EQUAL(llmh_registry_provider_count(e.r), 1);
    const llmh_provider_rec *pr = llmh_registry_find(e.r, "fixture");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pr);
    CU_ASSERT_PTR_EQUAL(pr->plugin, rec);
    /* init ran and stored the host's version string. */
    CU_ASSERT_PTR_NOT_NULL(rec->state);
    free_env(&e);
}

static void test_gate_refuses_missing_entry_point(void)
{
    expect_refusal("fixture_noentry", LLMH_GATE_NO_ENTRY, "llmh_plugin", "not found");
}

static void test_gate_refuses_bad_magic(void)
{
    expect_refusal("fixture_badmagic", LLMH_GATE_BAD_MAGIC, "0xdeadbeef", "0x4c4c4d48");
}

static void test_gate_refuses_other_abi_major(void)
{
    expect_refusal("fixture_abimajor", LLMH_GATE_ABI_MAJOR, "ABI 2.0", "ABI 1.x");
}

static void test_gate_refuses_newer_abi_minor(void)
{
    expect_refusal("fixture_abiminor", LLMH_GATE_ABI_MINOR, "1.1", "newer than this host's 1.0");
}

static void test_gate_refuses_small_struct(void)
{
    expect_refusal("fixture_structsmall", LLMH_GATE_STRUCT_SIZE, "8 bytes", "expected at least");
}

static void test_gate_refuses_name_not_matching_file(void)
{
    expect_refusal("fixture_namemismatch", LLMH_GATE_NAME_MISMATCH, "some_other_name",
                   "\"fixture_namemismatch\"");
}

static void test_gate_refuses_missing_required_hook(void)
{
    expect_refusal("fixture_hooksmissing", LLMH_GATE_HOOKS_MISSING, "build_chat", NULL);
}

static void test_gate_refuses_caps_not_matching_hooks(void)
{
    expect_refusal("fixture_capsmismatch", LLMH_GATE_CAPS_MISMATCH, "LLMH_CAP_MODELS",
                   "build_models");
}

static void test_gate_refuses_failing_init(void)
{
    expect_refusal("fixture_initfail", LLMH_GATE_INIT_FAILED, "fixture refuses to start", NULL);
}

static void test_gate_refuses_text_file_named_so(void)
{
    env e = make_env(NULL);
    char *d = new_dir();
    char *path = llmh_sprintf("%s/x.so", d);
    FILE *f = fopen(path, "w");
    fputs("this is not an ELF file\n", f);
    fclose(f);
    llmh_plugin_rec *rec = llmh_registry_load_file(e.r, path);
    CU_ASSERT_EQUAL(rec->gate, LLMH_GATE_NOT_LOADABLE);
    CU_ASSERT_PTR_NOT_NULL(rec->reason && strstr(rec->reason, "x.so"));
    CU_ASSERT_PTR_NOT_NULL(rec->reason && strstr(rec->reason, "not a loadable shared object"));
    free(path);
    free(d);
    free_env(&e);
}

static void test_gate_refuses_duplicate_provider_key(void)
{
    char *d = new_dir();
    free(put(d, "fixture_good", NULL));
    free(put(d, "fixture_dupkey", NULL));
    env e = make_env(d);
    llmh_registry_load(e.r);
    /* Files are gated in name order: fixture_dupkey first takes the key. */
    llmh_plugin_rec *dup = llmh_registry_find_plugin(e.r, "fixture_dupkey");
    llmh_plugin_rec *good = llmh_registry_find_plugin(e.r, "fixture_good");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dup);
    CU_ASSERT_PTR_NOT_NULL_FATAL(good);
    CU_ASSERT_EQUAL(dup->gate, LLMH_GATE_OK);
    CU_ASSERT_EQUAL(good->gate, LLMH_GATE_DUPLICATE_KEY);
    CU_ASSERT_PTR_NOT_NULL(strstr(good->reason, "\"fixture\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(good->reason, "fixture_dupkey.so"));
    free_env(&e);
    free(d);
}

static void test_gate_refuses_world_writable_file(void)
{
    char *d = new_dir();
    char *p = put(d, "fixture_good", NULL);
    chmod(p, 0777);
    env e = make_env(d);
    llmh_registry_load(e.r);
    llmh_plugin_rec *rec = llmh_registry_find_plugin(e.r, "fixture_good");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(rec->gate, LLMH_GATE_UNSAFE_PERMS);
    CU_ASSERT_PTR_NOT_NULL(strstr(rec->reason, "writable by everyone"));
    CU_ASSERT_PTR_NULL(rec->handle);
    free_env(&e);
    free(p);
    free(d);
}

static void test_gate_refuses_world_writable_directory(void)
{
    char *d = new_dir();
    char *p = put(d, "fixture_good", NULL);
    chmod(d, 0777);
    env e = make_env(d);
    llmh_registry_load(e.r);
    llmh_plugin_rec *rec = llmh_registry_find_plugin(e.r, "fixture_good");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(rec->gate, LLMH_GATE_UNSAFE_PERMS);
    CU_ASSERT_PTR_NOT_NULL(strstr(rec->reason, "its directory"));
    chmod(d, 0755);
    free_env(&e);
    free(p);
    free(d);
}

static void test_gate_skips_denied_plugin_without_opening(void)
{
    char *d = new_dir();
    free(put(d, "fixture_good", NULL));
    env e = make_env(d);
    llmh_error err;
    CU_ASSERT_EQUAL(llmh_settings_set_cli(e.s, "host.deny=other, fixture_good", &err), LLMH_OK);
    llmh_registry_load(e.r);
    llmh_plugin_rec *rec = llmh_registry_find_plugin(e.r, "fixture_good");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(rec->gate, LLMH_GATE_DENIED);
    CU_ASSERT_PTR_NULL(rec->version); /* never opened, so never read */
    CU_ASSERT_PTR_NULL(llmh_registry_find(e.r, "fixture"));
    free_env(&e);
    free(d);
}

static void test_search_path_first_dir_wins_and_later_copy_is_shadowed(void)
{
    char *first = new_dir(), *second = new_dir();
    free(put(first, "fixture_good", NULL));
    free(put(second, "fixture_good", NULL));
    char *both = llmh_sprintf("%s:%s", first, second);
    env e = make_env(both);
    llmh_registry_load(e.r);
    CU_ASSERT_STRING_EQUAL(llmh_registry_dir(e.r, 0), first);
    CU_ASSERT_STRING_EQUAL(llmh_registry_dir(e.r, 1), second);
    const llmh_provider_rec *pr = llmh_registry_find(e.r, "fixture");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pr);
    CU_ASSERT_PTR_NOT_NULL(strstr(pr->plugin->path, first));
    int shadowed = 0;
    for (size_t i = 0; i < llmh_registry_plugin_count(e.r); i++) {
        llmh_plugin_rec *p = llmh_registry_plugin(e.r, i);
        if (p->gate == LLMH_GATE_SHADOWED && strstr(p->path, second))
            shadowed++;
    }
    CU_ASSERT_EQUAL(shadowed, 1);
    free_env(&e);
    free(both);
    free(first);
    free(second);
}

static void test_search_path_order_cli_env_setting_user(void)
{
    char *cli = new_dir(), *envd = new_dir(), *setd = new_dir();
    setenv("LLMHOST_PLUGIN_PATH", envd, 1);
    env e = make_env(cli);
    llmh_error err;
    char *assign = llmh_sprintf("host.plugin_dir=%s", setd);
    CU_ASSERT_EQUAL(llmh_settings_set_cli(e.s, assign, &err), LLMH_OK);
    llmh_registry_load(e.r);
    CU_ASSERT_STRING_EQUAL(llmh_registry_dir(e.r, 0), cli);
    CU_ASSERT_STRING_EQUAL(llmh_registry_dir(e.r, 1), envd);
    CU_ASSERT_STRING_EQUAL(llmh_registry_dir(e.r, 2), setd);
    char *user = llmh_registry_user_dir();
    CU_ASSERT_STRING_EQUAL(llmh_registry_dir(e.r, 3), user);
    CU_ASSERT_STRING_EQUAL(llmh_registry_dir(e.r, 4), llmh_registry_system_dir());
    unsetenv("LLMHOST_PLUGIN_PATH");
    free(user);
    free(assign);
    free_env(&e);
    free(cli);
    free(envd);
    free(setd);
}

static void test_refused_plugins_stay_listed(void)
{
    char *d = new_dir();
    free(put(d, "fixture_badmagic", NULL));
    free(put(d, "fixture_initfail", NULL));
    free(put(d, "fixture_good", NULL));
    env e = make_env(d);
    llmh_registry_load(e.r);
    int refused = 0, loaded = 0;
    for (size_t i = 0; i < llmh_registry_plugin_count(e.r); i++) {
        llmh_plugin_rec *p = llmh_registry_plugin(e.r, i);
        if (strncmp(p->path, d, strlen(d)) != 0)
            continue;
        if (p->gate == LLMH_GATE_OK)
            loaded++;
        else
            refused++;
    }
    CU_ASSERT_EQUAL(loaded, 1);
    CU_ASSERT_EQUAL(refused, 2);
    free_env(&e);
    free(d);
}

static int suite_init(void)
{
    snprintf(g_tmp, sizeof g_tmp, "/tmp/llmh-gate-XXXXXX");
    if (!mkdtemp(g_tmp))
        return -1;
    /* Keep the user's own plugin dir and environment out of the tests. */
    char *xdg = llmh_sprintf("%s/xdg-data", g_tmp);
    setenv("XDG_DATA_HOME", xdg, 1);
    free(xdg);
    unsetenv("LLMHOST_PLUGIN_PATH");
    return 0;
}

static int suite_clean(void)
{
    char *cmd = llmh_sprintf("rm -rf '%s'", g_tmp);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

int llmh_test_register_gate(void)
{
    static const llmh_test tests[] = {
        {"test_gate_accepts_good_plugin", test_gate_accepts_good_plugin},
        {"test_gate_refuses_missing_entry_point", test_gate_refuses_missing_entry_point},
        {"test_gate_refuses_bad_magic", test_gate_refuses_bad_magic},
        {"test_gate_refuses_other_abi_major", test_gate_refuses_other_abi_major},
        {"test_gate_refuses_newer_abi_minor", test_gate_refuses_newer_abi_minor},
        {"test_gate_refuses_small_struct", test_gate_refuses_small_struct},
        {"test_gate_refuses_name_not_matching_file", test_gate_refuses_name_not_matching_file},
        {"test_gate_refuses_missing_required_hook", test_gate_refuses_missing_required_hook},
        {"test_gate_refuses_caps_not_matching_hooks", test_gate_refuses_caps_not_matching_hooks},
        {"test_gate_refuses_failing_init", test_gate_refuses_failing_init},
        {"test_gate_refuses_text_file_named_so", test_gate_refuses_text_file_named_so},
        {"test_gate_refuses_duplicate_provider_key", test_gate_refuses_duplicate_provider_key},
        {"test_gate_refuses_world_writable_file", test_gate_refuses_world_writable_file},
        {"test_gate_refuses_world_writable_directory", test_gate_refuses_world_writable_directory},
        {"test_gate_skips_denied_plugin_without_opening",
         test_gate_skips_denied_plugin_without_opening},
        {"test_search_path_first_dir_wins_and_later_copy_is_shadowed",
         test_search_path_first_dir_wins_and_later_copy_is_shadowed},
        {"test_search_path_order_cli_env_setting_user", test_search_path_order_cli_env_setting_user},
        {"test_refused_plugins_stay_listed", test_refused_plugins_stay_listed},
    };
    return llmh_test_suite("gate", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]);
}
