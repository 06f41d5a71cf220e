/* suites.h: every CUnit suite's registration function. */
#ifndef LLMH_TEST_SUITES_H
#define LLMH_TEST_SUITES_H

#include <CUnit/CUnit.h>
#include <stddef.h>

/* One test of a suite, and a suite made of a table of them. */
typedef struct llmh_test {
    const char *name;
    CU_TestFunc fn;
} llmh_test;
#define LLMH_TEST(fn) {#fn, fn}
/* Add suite name with its tests; 0 on success, -1 as CUnit failed. */
int llmh_test_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
                    const llmh_test *tests, size_t n);

int llmh_test_register_gate(void);
int llmh_test_register_settings(void);
int llmh_test_register_sse(void);
int llmh_test_register_ndjson(void);
int llmh_test_register_url(void);
int llmh_test_register_think(void);
int llmh_test_register_plugins(void);
int llmh_test_register_cache(void);
int llmh_test_register_breaker(void);
int llmh_test_register_ratelimit(void);
int llmh_test_register_native_plugins(void);
int llmh_test_register_jscan(void);
int llmh_test_register_profile(void);

#endif
