/* suites.h: every CUnit suite's registration function. */
#ifndef LLMH_TEST_SUITES_H
#define LLMH_TEST_SUITES_H

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
