/*
 * mockllm.h - private header of the mock LLM server used by the llmhost
 * tests: the shared state, the fault knobs, the reply plan that every API
 * face fills in, and the small helpers the .c files share.
 */
#ifndef MOCKLLM_H
#define MOCKLLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

#define MOCK_DEFAULT_MODELS "mock-small,mock-large,qwen3:8b,gemma3:12b"
#define MOCK_DEFAULT_REASONING "Let me think about this. The user wants a short answer, so I will keep it brief."
/* A fixed timestamp keeps every answer byte-for-byte reproducible. */
#define MOCK_CREATED 1735689600L
#define MOCK_CREATED_ISO "2025-01-01T00:00:00Z"

/* ---- util.c ---------------------------------------------------------- */

struct strvec {
	char **v;
	size_t n, cap;
};

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void strvec_push(struct strvec *sv, char *owned);
void strvec_insert(struct strvec *sv, size_t at, char *owned);
void strvec_truncate(struct strvec *sv, size_t n);
void strvec_free(struct strvec *sv);

bool str_ends_with(const char *s, const char *suffix);
/* Serializes compactly; the json_dump_put variant also drops the object. */
char *json_dump(json_object *o);
char *json_dump_put(json_object *o);
/* The string member KEY of OBJ, or NULL when absent or not a string. */
const char *json_get_string(json_object *obj, const char *key);

/* ---- knobs.c --------------------------------------------------------- */

/* Fault knobs. Integers use -1 for "off" where 0 is meaningful. */
struct knobs {
	long latency_ms;
	long chunk_delay_ms;
	long ttft_ms;
	long status;
	char *retry_after;
	long fail_first;
	long close_after_chunks;
	long error_event;
	bool malformed;
	bool never_answer;
	long drip_ms;
	long drip_bytes;
	long large_bytes;
	char *reasoning;
	bool think_tags;
	bool strict_models;
};

void knobs_init(struct knobs *k);
void knobs_free(struct knobs *k);
void knobs_copy(struct knobs *dst, const struct knobs *src);
/* NAME may be spelled latency_ms, latency-ms or Latency-Ms. Returns 0, or -1
 * with a message in ERR. */
int knobs_set(struct knobs *k, const char *name, const char *value, char *err, size_t errlen);
int knobs_merge_json(struct knobs *k, json_object *obj, char *err, size_t errlen);
/* True if NAME is a knob; *is_bool tells whether it takes no argument. */
bool knobs_exists(const char *name, bool *is_bool);
json_object *knobs_to_json(const struct knobs *k);
/* Text of the knob table for --help. */
void knobs_usage(FILE *out);

/* ---- shared server state (server.c) ----------------------------------- */

struct job;
struct script;

struct conn {
	struct conn *next;
	struct mock *m;
	struct evhttp_connection *evcon;
	unsigned long id;
	unsigned long epoch; /* stats epoch in which it was counted */
	struct job *jobs;    /* API requests still being answered on it */
};

struct mock {
	struct event_base *base;
	struct evhttp *http;
	struct knobs start_knobs; /* from the command line, restored by reset */
	struct knobs knobs;       /* current run-time configuration */
	struct strvec models;
	char *require_key;
	struct script *script;
	FILE *log;
	json_object *requests; /* array of logged API requests */
	struct conn *conns;
	unsigned long next_conn_id;
	unsigned long epoch;   /* bumped by reset, so connections count anew */
	unsigned long api_seq; /* API requests since start, never reset */

	unsigned long n_requests;
	unsigned long n_api_requests;
	unsigned long n_connections;
	unsigned long open_requests;
	unsigned long max_open_requests;
	unsigned long fail_seen;   /* API requests counted against fail_first */
	unsigned long answer_seen; /* scripted answers handed out */
};

/* One API request being handled. */
struct mreq {
	struct mock *m;
	struct evhttp_request *req;
	struct conn *conn;
	enum evhttp_cmd_type method;
	char *path;        /* decoded path, no query, no trailing slash */
	const char *query; /* raw query or NULL */
	char *body;        /* NUL-terminated copy of the body */
	size_t body_len;
	json_object *json; /* parsed body, NULL if absent or invalid */
	struct knobs k;    /* effective knobs for this request */
	unsigned long n;   /* 1-based API request number */
};

const char *mreq_header(const struct mreq *r, const char *name);
bool mock_model_known(const struct mock *m, const char *model);
/* The evhttp callback for every request. */
void server_handle(struct evhttp_request *req, void *arg);
/* After evhttp_free(): drop connection records libevent did not close. */
void server_free_conns(struct mock *m);

/* ---- respond.c: the reply plan and the engine that sends it ---------- */

struct plan {
	int status;
	const char *content_type;
	bool stream;          /* pieces are stream events, sent chunked */
	struct strvec pieces; /* body: one piece, or one per stream event */
	char *stream_error;   /* the face's in-stream error event (error_event) */
};

void plan_init(struct plan *p);
void plan_free(struct plan *p);
/* One-piece JSON body; consumes O. */
void plan_json(struct plan *p, int status, json_object *o);
void plan_text(struct plan *p, int status, const char *content_type, const char *text);

/* Sends P (ownership moves) applying the request's knobs. */
void respond_start(struct mreq *r, struct plan *p);
/* Accepts the request and never answers it (never_answer). */
void respond_hold(struct mreq *r);
/* The connection is going away: drop every job still on it. REQS_ALIVE
 * says whether the jobs' requests may still be looked at. */
void respond_cancel_conn(struct conn *c, bool reqs_alive);

/* ---- answer.c: deterministic answers --------------------------------- */

struct chat_in {
	json_object *messages; /* array of {role, content} */
	json_object *system;   /* Anthropic top-level system, or NULL */
	long max_tokens;       /* 0: no limit */
};

struct answer {
	char *text;
	bool truncated;
	long prompt_tokens;
	long completion_tokens;
};

int script_load(struct mock *m, const char *file, char *err, size_t errlen);
void script_free(struct script *s);
void answer_make(struct mock *m, const struct knobs *k, const struct chat_in *in, struct answer *a);
void answer_free(struct answer *a);
/* Splits into word-sized pieces, each word with its following white space. */
void split_words(const char *s, struct strvec *out);
long count_words(const char *s);
/* Text of a message content: a string, or the text parts of an array. */
char *content_text(json_object *content);

/* ---- the API faces --------------------------------------------------- */

void openai_error(struct plan *p, int status, const char *message);
void openai_models(struct mreq *r, struct plan *p);
void openai_chat(struct mreq *r, struct plan *p);

void ollama_error(struct plan *p, int status, const char *message);
void ollama_tags(struct mreq *r, struct plan *p);
void ollama_version(struct mreq *r, struct plan *p);
void ollama_show(struct mreq *r, struct plan *p);
void ollama_chat(struct mreq *r, struct plan *p);

void anthropic_error(struct plan *p, int status, const char *message);
void anthropic_models(struct mreq *r, struct plan *p);
void anthropic_messages(struct mreq *r, struct plan *p);

void google_error(struct plan *p, int status, const char *message);
void google_models(struct mreq *r, struct plan *p);

/* "mock-small" -> "Mock Small": a readable label for listings. */
char *model_display_name(const char *id);

#endif
