/* hostapi.h: the objects behind the opaque types of plugin.h, and the host
 * services table (internal). */
#ifndef LLMH_HOSTAPI_H
#define LLMH_HOSTAPI_H

#include <json-c/json.h>
#include <llmhost/plugin.h>
#include <pthread.h>

#include "settings.h"
#include "util.h"

typedef struct llmh_header {
    char *name;
    char *value;
    int secret;
} llmh_header;

struct llmh_http_req {
    const char *method;  /* "GET", "POST": a constant, or method_own */
    char *method_own;
    char *url;           /* absolute */
    const char *base_url;/* borrowed from the call, for joining */
    llmh_header *headers; /* each name and value in one allocation (at name) */
    size_t n_headers, cap_headers;
    /* The body is a json-c tree (plugins may edit it) or, when the host's
     * own codec wrote it and nobody asked for the tree, its JSON text:
     * building and printing a tree costs more than the rest of a request. */
    json_object *body;   /* NULL: no tree (see body_text) */
    llmh_buf body_text;  /* the body as JSON text, when has_text */
    int has_text;
};

struct llmh_chat_out {
    llmh_buf content;
    llmh_buf reasoning;
    llmh_finish finish;
    llmh_usage usage;
};

typedef struct llmh_model_kv {
    char *key, *value;
} llmh_model_kv;

typedef struct llmh_model_entry {
    char *id;
    char *label;
    long context_length;
    llmh_model_kv *details;
    size_t n_details;
} llmh_model_entry;

struct llmh_models_out {
    llmh_model_entry *models;
    size_t n;
};

/* What host_private of an llmh_call points to. */
typedef struct llmh_call_private {
    const llmh_settings *settings;
    const llmh_codec *real;         /* behind a serializing wrapper; else NULL */
    pthread_mutex_t *hook_lock;
    struct json_tokener *tok; /* reused by the OpenAI stream parser; freed with the call */
} llmh_call_private;

void llmh_http_req_init(llmh_http_req *r, const char *base_url);
void llmh_http_req_clear(llmh_http_req *r);
const char *llmh_http_req_header(const llmh_http_req *r, const char *name); /* case-insensitive */
/* The body as text: takes text's contents (text is left empty); drops a tree. */
void llmh_http_req_set_body_text(llmh_http_req *r, llmh_buf *text);
/* Is there a body, as a tree or as text? */
int llmh_http_req_has_body(const llmh_http_req *r);
/* The body as a tree, made from the text on first use (borrowed; NULL: none). */
json_object *llmh_http_req_body(llmh_http_req *r);
/* Append the body's JSON text to out (nothing when there is no body). */
void llmh_http_req_write_body(const llmh_http_req *r, llmh_buf *out);

void llmh_chat_out_init(llmh_chat_out *o);
void llmh_chat_out_reset(llmh_chat_out *o); /* empty text, keep nothing */
void llmh_chat_out_clear(llmh_chat_out *o);

void llmh_models_out_init(llmh_models_out *o);
void llmh_models_out_clear(llmh_models_out *o);

/* Settings used when a hook runs outside a call (init), set by the context. */
void llmh_host_set_global_settings(const llmh_settings *s);

#endif
