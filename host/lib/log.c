/* log.c: one-line log messages to a replaceable sink. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static int g_level = LLMH_LOG_WARN;
static llmh_log_sink g_sink;
static void *g_sink_ud;

static const char *level_name(int level)
{
    switch (level) {
    case LLMH_LOG_ERROR: return "error";
    case LLMH_LOG_WARN: return "warning";
    case LLMH_LOG_INFO: return "info";
    default: return "debug";
    }
}

void llmh_log(int level, const char *fmt, ...)
{
    if (level > g_level)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (g_sink)
        g_sink(g_sink_ud, level, line);
    else
        fprintf(stderr, "llmhost: %s: %s\n", level_name(level), line);
}

void llmh_log_set_level(int level) { g_level = level; }
int llmh_log_get_level(void) { return g_level; }

void llmh_log_set_sink(llmh_log_sink sink, void *ud)
{
    g_sink = sink;
    g_sink_ud = ud;
}
