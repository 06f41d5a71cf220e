/* main.c: runs every CUnit suite; the exit status is the number of failed
 * assertions (CUnit itself would exit 0 on failure). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"

static const struct {
    const char *name;
    int (*reg)(void);
} suites[] = {
    {"gate", llmh_test_register_gate},
    {"settings", llmh_test_register_settings},
    {"sse", llmh_test_register_sse},
    {"ndjson", llmh_test_register_ndjson},
    {"url", llmh_test_register_url},
    {"think", llmh_test_register_think},
    {"plugins", llmh_test_register_plugins},
    {"cache", llmh_test_register_cache},
    {"breaker", llmh_test_register_breaker},
    {"ratelimit", llmh_test_register_ratelimit},
    {"native_plugins", llmh_test_register_native_plugins},
    {"jscan", llmh_test_register_jscan},
    {"profile", llmh_test_register_profile},
};

int llmh_test_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
                    const llmh_test *tests, size_t n)
{
    CU_pSuite s = CU_add_suite(name, init, clean);
    if (!s)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!CU_add_test(s, tests[i].name, tests[i].fn))
            return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        /* An optional argument runs only the named suite. */
        if (argc > 1 && strcmp(argv[1], suites[i].name) != 0)
            continue;
        if (suites[i].reg() != 0) {
            fprintf(stderr, "cannot register suite %s\n", suites[i].name);
            CU_cleanup_registry();
            return 1;
        }
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    unsigned run = CU_get_number_of_tests_run();
    unsigned tests_failed = CU_get_number_of_tests_failed();
    printf("\n%u passed, %u failed\n", run - tests_failed, tests_failed);
    CU_cleanup_registry();
    return failed > 255 ? 255 : (int)failed;
}
