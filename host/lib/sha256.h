/* sha256.h: SHA-256 (FIPS 180-4), one-shot and incremental (internal). Used
 * for cache keys; not constant-time, not for secrets. */
#ifndef LLMH_SHA256_H
#define LLMH_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct llmh_sha256_ctx {
    uint32_t h[8];
    uint64_t bytes;        /* message length so far */
    unsigned char buf[64]; /* partial block */
    size_t fill;           /* bytes in buf */
} llmh_sha256_ctx;

/* ctx is caller storage; no allocation, nothing to free. */
void llmh_sha256_init(llmh_sha256_ctx *ctx);
void llmh_sha256_update(llmh_sha256_ctx *ctx, const void *data, size_t len);
/* Writes the digest; ctx must be re-initialized before it is used again. */
void llmh_sha256_final(llmh_sha256_ctx *ctx, unsigned char out[32]);

/* One-shot digest of data (borrowed) into out. */
void llmh_sha256(const void *data, size_t len, unsigned char out[32]);
/* One-shot digest as 64 lower-case hex digits and a NUL. */
void llmh_sha256_hex(const void *data, size_t len, char out[65]);

#endif
