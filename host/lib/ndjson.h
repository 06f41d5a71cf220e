/* ndjson.h: incremental splitter for newline-delimited JSON streams such as
 * Ollama's /api/chat (internal). It frames lines; it does not parse JSON. */
#ifndef LLMH_NDJSON_H
#define LLMH_NDJSON_H

#include <stddef.h>

typedef struct llmh_ndjson llmh_ndjson;

/* line is NUL-terminated, len bytes, without the line end (a trailing CR is
 * removed); borrowed until return. Blank and whitespace-only lines are
 * skipped. Return 0 to go on, non-zero to stop. */
typedef int (*llmh_ndjson_cb)(void *ud, const char *line, size_t len);

/* Owned by the caller, freed with llmh_ndjson_free(). NULL on OOM. */
llmh_ndjson *llmh_ndjson_new(llmh_ndjson_cb cb, void *ud);

/* buf borrowed; any split is fine. Returns 0, the callback's non-zero value
 * (the rest of buf is then not consumed), or -1 when a line exceeds the limit
 * or on OOM; after -1 every call returns -1 until the splitter is freed. */
int llmh_ndjson_feed(llmh_ndjson *p, const char *buf, size_t len);

/* End of input: a final line without LF is delivered here. Same returns as
 * llmh_ndjson_feed; afterwards the splitter accepts a new stream. */
int llmh_ndjson_finish(llmh_ndjson *p);

/* Longest accepted line in bytes (line end excluded). Default 16 MiB;
 * 0 restores the default. */
void llmh_ndjson_set_max_line(llmh_ndjson *p, size_t max);

/* p may be NULL. */
void llmh_ndjson_free(llmh_ndjson *p);

#endif
