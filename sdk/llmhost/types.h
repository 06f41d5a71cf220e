/* llmhost/types.h: the value types shared by the plugin SDK and the embedding
 * API. Everything here is plain data; nothing here allocates. */
#ifndef LLMHOST_TYPES_H
#define LLMHOST_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. Only ever appended to: a value, once shipped, keeps its
 * number and meaning. llmh_strerror() names each one. */
typedef enum llmh_status {
    LLMH_OK = 0,
    LLMH_E_INVALID = 1,        /* bad argument or usage */
    LLMH_E_NOMEM = 2,          /* out of memory */
    LLMH_E_CONFIG = 3,         /* configuration: bad file, bad value, missing key */
    LLMH_E_PLUGIN = 4,         /* a plugin was refused or misbehaved */
    LLMH_E_AUTH = 5,           /* 401: the key is missing or wrong */
    LLMH_E_PERMISSION = 6,     /* 403 */
    LLMH_E_NOT_FOUND = 7,      /* 404: usually the model */
    LLMH_E_RATE_LIMITED = 8,   /* 429 or a client-side limit */
    LLMH_E_BAD_REQUEST = 9,    /* 400, 422 */
    LLMH_E_CONTEXT_LENGTH = 10,/* the prompt does not fit the model */
    LLMH_E_SERVER = 11,        /* 5xx */
    LLMH_E_OVERLOADED = 12,    /* 529 or a provider's overloaded error */
    LLMH_E_TIMEOUT = 13,       /* no byte within request_timeout */
    LLMH_E_CONNECT = 14,       /* could not connect */
    LLMH_E_PROTOCOL = 15,      /* the server's answer is not what the API promises */
    LLMH_E_UNAVAILABLE = 16,   /* provider not available (circuit open, no key) */
    LLMH_E_CANCELLED = 17,     /* the caller aborted */
    LLMH_E_IO = 18,            /* local file or system error */
    LLMH_E_UNSUPPORTED = 19,   /* the provider cannot do this */
    LLMH_E_STREAM_CUT = 20     /* the stream ended before its end marker */
} llmh_status;

/* One-line, human-readable error. Filled by the function that fails. */
#define LLMH_ERROR_MSG_MAX 512
typedef struct llmh_error {
    llmh_status code;
    int http_status;          /* 0 when no HTTP exchange happened */
    long retry_after_ms;      /* server's hint; -1 when none */
    char message[LLMH_ERROR_MSG_MAX];
} llmh_error;

/* One chat message. Strings are borrowed for the duration of a call. */
typedef struct llmh_message {
    const char *role;         /* "system", "user", "assistant" */
    const char *content;
} llmh_message;

/* Why a generation stopped, normalized across providers. */
typedef enum llmh_finish {
    LLMH_FINISH_NONE = 0,
    LLMH_FINISH_STOP = 1,
    LLMH_FINISH_LENGTH = 2,
    LLMH_FINISH_TOOL_CALLS = 3,
    LLMH_FINISH_CONTENT_FILTER = 4,
    LLMH_FINISH_OTHER = 5
} llmh_finish;

/* Token accounting; -1 means "not reported". */
typedef struct llmh_usage {
    long prompt_tokens;
    long completion_tokens;
} llmh_usage;

#ifdef __cplusplus
}
#endif
#endif
