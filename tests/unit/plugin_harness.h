/* plugin_harness.h: what the plugin suites share: the built plugins loaded
 * through the real registry (in a temporary XDG data dir, with the user's
 * variables cleared), and a call set up the way the host makes one. */
#ifndef LLMH_TEST_PLUGIN_HARNESS_H
#define LLMH_TEST_PLUGIN_HARNESS_H

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "hostapi.h"
#include "registry.h"
#include "settings.h"

/* The registry of the running suite (NULL outside one). */
extern llmh_registry *th_reg;

/* Suite set-up: a temporary dir named from prefix ("/tmp/llmh-x-XXXXXX")
 * as XDG_DATA_HOME, env_vars (NULL-terminated) unset, the plugins of
 * PLUGIN_DIR loaded. 0 on success, as CUnit wants. */
int th_suite_init(const char *prefix, const char *const *env_vars);
int th_suite_clean(void);

/* A call as the host would make it. */
typedef struct {
    const llmh_provider_rec *rec;
    llmh_settings *s;
    char *url;
    llmh_call_private priv;
    llmh_call call;
    llmh_http_req req;
} tcall;

/* Resolve key's URL from s (taken; NULL: fresh settings) and set up a call.
 * 0 on success; on failure the test has already recorded why. */
int tcall_open(tcall *t, const char *key, llmh_settings *s, const char *api_key);
void tcall_close(tcall *t);
/* The provider's codec (the host's OpenAI codec when it has none). */
const llmh_codec *codec_of(const tcall *t);
/* Settings from key, value pairs ending with NULL (key NULL: none). */
llmh_settings *settings_of(const char *key, ...);
const llmh_header *find_header(const llmh_http_req *r, const char *name);
/* The body as compact JSON (json-c's printing), or "(no body)". */
const char *body_text(llmh_http_req *r);

#define ASSERT_STR(actual, expected)                                                               \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        CU_ASSERT_PTR_NOT_NULL(a_);                                                                \
        if (a_) {                                                                                  \
            CU_ASSERT_STRING_EQUAL(a_, e_);                                                        \
            if (strcmp(a_, e_) != 0)                                                               \
                fprintf(stderr, "\n  %s:%d:\n    got      %s\n    expected %s\n", __FILE__,        \
                        __LINE__, a_, e_);                                                         \
        }                                                                                          \
    } while (0)

#endif
