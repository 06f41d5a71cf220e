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

#endif
