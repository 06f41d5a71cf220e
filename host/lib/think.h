/* think.h: removes <think>…</think> reasoning blocks and stray think tags
 * from answer text, in whole responses and in streams split at any byte
 * (internal). Pure: a byte state machine, no I/O, no whole-text buffering. */
#ifndef LLMH_THINK_H
#define LLMH_THINK_H

#include <stddef.h>

#include "util.h"

/* Tags recognised, ASCII case-insensitive: <think>, </think>, <thinking>,
 * </thinking> (any close ends any open). Between open and close is
 * reasoning. A close tag without an open is removed (answer text already
 * emitted cannot be recalled). An open without a close makes the rest
 * reasoning. An open inside reasoning is reasoning text (no nesting depth):
 * the first close ends the block. Whitespace (space, tab, CR, LF) right after
 * any close tag is dropped from the answer; no other whitespace changes. */
typedef struct llmh_think llmh_think;

/* Owned by the caller, freed with llmh_think_free(). Aborts on OOM, never
 * returns NULL. */
llmh_think *llmh_think_new(void);

/* t may be NULL. */
void llmh_think_free(llmh_think *t);

/* Forget any held tag prefix and block state, ready for a new text. */
void llmh_think_reset(llmh_think *t);

/* text borrowed, any split is fine. Appends the visible answer part to
 * *answer and the removed reasoning to *reasoning (either may receive
 * nothing; either may be NULL to discard that part). Text that cannot be part
 * of a tag is appended at once; only a possible tag prefix at the end of text
 * (at most 10 bytes, e.g. "<thi") is held until the next feed decides. */
void llmh_think_feed(llmh_think *t, const char *text, size_t len, llmh_buf *answer,
                     llmh_buf *reasoning);

/* End of text: a held tag prefix that never completed is text of the part it
 * was in (answer, or reasoning inside an unclosed block). Afterwards t
 * accepts a new text, as after llmh_think_reset(). */
void llmh_think_finish(llmh_think *t, llmh_buf *answer, llmh_buf *reasoning);

/* Whole responses in one go. text borrowed (may be NULL when len is 0);
 * *answer and *reasoning are malloc'd, NUL-terminated, never NULL ("" when
 * empty), owned by the caller and freed with free(). Either out pointer may
 * be NULL to discard that part. Aborts on OOM. */
void llmh_think_strip(const char *text, size_t len, char **answer, char **reasoning);

#endif
