/* log.h: the host's one logging entry point (internal). Messages go to a
 * sink (stderr by default) as one line each; callers never pass secrets. */
#ifndef LLMH_LOG_H
#define LLMH_LOG_H

enum { LLMH_LOG_ERROR = 0, LLMH_LOG_WARN = 1, LLMH_LOG_INFO = 2, LLMH_LOG_DEBUG = 3 };

typedef void (*llmh_log_sink)(void *ud, int level, const char *line);

void llmh_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Messages above this level are dropped. Default LLMH_LOG_WARN. */
void llmh_log_set_level(int level);
int llmh_log_get_level(void);
/* NULL sink restores the default (stderr, "llmhost: warning: ..."). */
void llmh_log_set_sink(llmh_log_sink sink, void *ud);

#endif
