/* sse.h: incremental Server-Sent Events parser, following the WHATWG HTML
 * "event stream interpretation" rules (internal). Pure: no I/O. */
#ifndef LLMH_SSE_H
#define LLMH_SSE_H

#include <stddef.h>

typedef struct llmh_sse llmh_sse;

/* Called once per dispatched event. event is "message" when no event field
 * was given. data has the data lines joined with "\n" (final trailing LF
 * removed), NUL-terminated, data_len bytes. id is the last event ID buffer
 * ("" if none). All pointers borrowed until return. Return 0 to go on,
 * non-zero to stop: llmh_sse_feed then returns that value. */
typedef int (*llmh_sse_cb)(void *ud, const char *event, const char *data,
                           size_t data_len, const char *id);

/* Owned by the caller, freed with llmh_sse_free(). NULL on OOM. */
llmh_sse *llmh_sse_new(llmh_sse_cb cb, void *ud);

/* buf borrowed; any split of the stream is fine. Returns 0, the callback's
 * non-zero value (the rest of buf is then not consumed), or -1 when a line or
 * one event's data exceeds the limit, or on OOM; after -1 every feed returns
 * -1 until llmh_sse_reset(). */
int llmh_sse_feed(llmh_sse *p, const char *buf, size_t len);

/* End of input: per spec an incomplete event (no blank line yet) and an
 * unterminated last line are discarded. The last event ID and retry value are
 * kept (a reconnection needs them); the parser then accepts a new stream. */
void llmh_sse_finish(llmh_sse *p);

/* Forget everything, including the last event ID, retry and error state. */
void llmh_sse_reset(llmh_sse *p);

/* Longest accepted line and largest data of one event, in bytes.
 * Default 16 MiB, 0 restores it; protects memory from a server that never
 * ends a line. */
void llmh_sse_set_max_line(llmh_sse *p, size_t max);

/* Last valid "retry:" value in milliseconds, -1 if none. */
int llmh_sse_retry_ms(const llmh_sse *p);

/* p may be NULL. */
void llmh_sse_free(llmh_sse *p);

#endif
