/* codec_openai.h: the OpenAI chat-completions codec, offered to plugins as
 * host->openai and used for providers whose codec is NULL (internal). */
#ifndef LLMH_CODEC_OPENAI_H
#define LLMH_CODEC_OPENAI_H

#include <llmhost/plugin.h>

extern const llmh_codec llmh_codec_openai;

/* Extract the message of an OpenAI-style error body ({"error":{"message"}},
 * {"error":"..."} or {"message":"..."}) into buf; 0 when none was found. */
int llmh_openai_error_message(const char *body, size_t len, char *buf, size_t size);

#endif
