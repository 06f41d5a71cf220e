/*
 * server.c - request dispatch of the mock LLM server: tracks connections,
 * logs and counts API requests, applies per-request X-Mock-* knobs, API
 * keys and injected error statuses, routes each path to its API face, and
 * answers the /_mock/... control endpoints.
 */
#include "mockllm.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

enum face { FACE_OPENAI, FACE_OLLAMA, FACE_ANTHROPIC, FACE_GOOGLE };

typedef void (*face_error_fn)(struct plan *, int, const char *);
typedef void (*handler_fn)(struct mreq *, struct plan *);

static const face_error_fn face_errors[] = {
	[FACE_OPENAI] = openai_error,
	[FACE_OLLAMA] = ollama_error,
	[FACE_ANTHROPIC] = anthropic_error,
	[FACE_GOOGLE] = google_error,
};

struct route {
	enum face face;
	handler_fn fn; /* NULL: no such endpoint */
	bool post;     /* POST endpoint; otherwise GET (or HEAD) */
};

/* ---- connections ------------------------------------------------------- */

static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct conn *c = arg, **pp;

	(void)evcon;
	respond_cancel_conn(c, true);
	for (pp = &c->m->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	free(c);
}

/* The record of the request's connection. The close callback removes it,
 * so a later connection reusing the same address gets a fresh record. */
static struct conn *conn_get(struct mock *m, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct conn *c;

	for (c = m->conns; c; c = c->next)
		if (c->evcon == evcon)
			return c;
	c = xcalloc(1, sizeof(*c));
	c->m = m;
	c->evcon = evcon;
	c->id = ++m->next_conn_id;
	c->next = m->conns;
	m->conns = c;
	evhttp_connection_set_closecb(evcon, conn_closed, c);
	return c;
}

void server_free_conns(struct mock *m)
{
	while (m->conns) {
		struct conn *c = m->conns;
		/* libevent freed these requests along with their connection. */
		respond_cancel_conn(c, false);
		m->conns = c->next;
		free(c);
	}
}

/* ---- request helpers ----------------------------------------------------- */

const char *mreq_header(const struct mreq *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

bool mock_model_known(const struct mock *m, const char *model)
{
	size_t len = strlen(model);

	for (size_t i = 0; i < m->models.n; i++) {
		const char *id = m->models.v[i];
		/* Ollama treats "name" and "name:latest" as the same model. */
		if (strcmp(id, model) == 0 ||
		    (strncmp(id, model, len) == 0 && strcmp(id + len, ":latest") == 0) ||
		    (strncmp(model, id, strlen(id)) == 0 && strcmp(model + strlen(id), ":latest") == 0))
			return true;
	}
	return false;
}

static const char *method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "OTHER";
	}
}

static void send_json(struct evhttp_request *req, int status, json_object *o)
{
	struct evbuffer *buf = evbuffer_new();
	char *s = json_dump_put(o);

	evbuffer_add(buf, s, strlen(s));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", buf);
	evbuffer_free(buf);
	free(s);
}

/* Fills path, query and body of R; the JSON is parsed only if the whole
 * body is one JSON value. */
static void mreq_fill(struct mreq *r)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t len;

	r->method = evhttp_request_get_command(r->req);
	r->path = xstrdup(path && *path ? path : "/");
	len = strlen(r->path);
	while (len > 1 && r->path[len - 1] == '/')
		r->path[--len] = '\0';
	r->query = uri ? evhttp_uri_get_query(uri) : NULL;

	r->body_len = evbuffer_get_length(in);
	r->body = xmalloc(r->body_len + 1);
	evbuffer_copyout(in, r->body, r->body_len);
	r->body[r->body_len] = '\0';
	if (r->body_len) {
		json_tokener *tok = json_tokener_new();
		json_object *o = json_tokener_parse_ex(tok, r->body, (int)r->body_len);
		size_t end = json_tokener_get_parse_end(tok);

		if (o && json_tokener_get_error(tok) == json_tokener_success &&
		    strspn(r->body + end, " \t\r\n") == r->body_len - end)
			r->json = o;
		else
			json_object_put(o);
		json_tokener_free(tok);
	}
}

static void mreq_free(struct mreq *r)
{
	free(r->path);
	free(r->body);
	json_object_put(r->json);
	knobs_free(&r->k);
}

static json_object *headers_json(struct evhttp_request *req)
{
	json_object *h = json_object_new_object();
	struct evkeyval *kv;

	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next) {
		char *name = xstrdup(kv->key);
		json_object *old;

		for (char *p = name; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		/* A repeated header is joined as HTTP allows. */
		if (json_object_object_get_ex(h, name, &old)) {
			char *joined = xasprintf("%s, %s", json_object_get_string(old), kv->value);
			json_object_object_add(h, name, json_object_new_string(joined));
			free(joined);
		} else {
			json_object_object_add(h, name, json_object_new_string(kv->value));
		}
		free(name);
	}
	return h;
}

static void log_request(struct mock *m, const struct mreq *r)
{
	json_object *o = json_object_new_object();
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	json_object *body = NULL;

	if (r->json)
		body = json_object_get(r->json);
	else if (r->body_len)
		body = json_object_new_string_len(r->body, (int)r->body_len);

	json_object_object_add(o, "n", json_object_new_int64((int64_t)r->n));
	json_object_object_add(o, "method", json_object_new_string(method_name(r->method)));
	json_object_object_add(o, "path", json_object_new_string(path && *path ? path : "/"));
	if (r->query)
		json_object_object_add(o, "query", json_object_new_string(r->query));
	json_object_object_add(o, "headers", headers_json(r->req));
	json_object_object_add(o, "body", body);
	json_object_object_add(o, "conn", json_object_new_int64((int64_t)r->conn->id));

	if (m->log) {
		fprintf(m->log, "%s\n",
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		fflush(m->log);
	}
	json_object_array_add(m->requests, o);
}

/* ---- routing, keys, injected errors -------------------------------------- */

static struct route route_find(const struct mreq *r)
{
	const char *p = r->path;
	struct route rt = { FACE_OPENAI, NULL, false };

	if (strncmp(p, "/api/", 5) == 0 || strcmp(p, "/") == 0) {
		rt.face = FACE_OLLAMA;
		if (strcmp(p, "/api/tags") == 0)
			rt.fn = ollama_tags;
		else if (strcmp(p, "/api/version") == 0)
			rt.fn = ollama_version;
		else if (strcmp(p, "/api/show") == 0)
			rt.fn = ollama_show, rt.post = true;
		else if (strcmp(p, "/api/chat") == 0)
			rt.fn = ollama_chat, rt.post = true;
		if (rt.fn || strcmp(p, "/") == 0)
			return rt;
		/* Other /api/... paths may be an OpenAI prefix (OpenRouter). */
		rt.face = FACE_OPENAI;
	}
	if (str_ends_with(p, "/messages")) {
		rt.face = FACE_ANTHROPIC;
		rt.fn = anthropic_messages;
		rt.post = true;
	} else if (strcmp(p, "/v1beta/models") == 0) {
		rt.face = FACE_GOOGLE;
		rt.fn = google_models;
	} else if (str_ends_with(p, "/models")) {
		if (mreq_header(r, "anthropic-version") || mreq_header(r, "x-api-key")) {
			rt.face = FACE_ANTHROPIC;
			rt.fn = anthropic_models;
		} else {
			rt.fn = openai_models;
		}
	} else if (str_ends_with(p, "/chat/completions")) {
		rt.fn = openai_chat;
		rt.post = true;
	}
	return rt;
}

static bool bearer_ok(const char *auth, const char *key)
{
	return auth && strncasecmp(auth, "Bearer ", 7) == 0 && strcmp(auth + 7, key) == 0;
}

static bool query_key_ok(const char *query, const char *key)
{
	struct evkeyvalq q;
	const char *v;
	bool ok;

	if (!query || evhttp_parse_query_str(query, &q) < 0)
		return false;
	v = evhttp_find_header(&q, "key");
	ok = v && strcmp(v, key) == 0;
	evhttp_clear_headers(&q);
	return ok;
}

static bool authorized(const struct mreq *r, enum face face)
{
	const char *key = r->m->require_key;
	const char *auth = mreq_header(r, "Authorization");
	const char *v;

	if (!key)
		return true;
	switch (face) {
	case FACE_OPENAI:
		return bearer_ok(auth, key);
	case FACE_OLLAMA:
		/* Ollama has no keys of its own; only a key that is sent is checked. */
		return !auth || bearer_ok(auth, key);
	case FACE_ANTHROPIC:
		v = mreq_header(r, "x-api-key");
		return v && strcmp(v, key) == 0;
	case FACE_GOOGLE:
		v = mreq_header(r, "x-goog-api-key");
		return (v && strcmp(v, key) == 0) || query_key_ok(r->query, key);
	}
	return false;
}

/* X-Mock-Latency-Ms: 200 and friends override knobs for this request. */
static int apply_header_knobs(struct mreq *r, char *err, size_t errlen)
{
	struct evkeyval *kv;

	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(r->req), next) {
		if (strncasecmp(kv->key, "X-Mock-", 7) != 0)
			continue;
		if (knobs_set(&r->k, kv->key + 7, kv->value, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The status to inject for this request, or 0. */
static int injected_status(struct mock *m, const struct knobs *k)
{
	if (k->fail_first > 0)
		return m->fail_seen <= (unsigned long)k->fail_first ? (k->status ? (int)k->status : 503)
								    : 0;
	return (int)k->status;
}

static void handle_api(struct mock *m, struct evhttp_request *req)
{
	struct mreq r = { .m = m, .req = req };
	struct plan plan;
	struct route rt;
	char err[256];
	int status;

	mreq_fill(&r);
	r.n = ++m->api_seq;
	r.conn = conn_get(m, req);
	m->n_api_requests++;
	if (r.conn->epoch != m->epoch) {
		r.conn->epoch = m->epoch;
		m->n_connections++;
	}
	if (++m->open_requests > m->max_open_requests)
		m->max_open_requests = m->open_requests;
	m->fail_seen++;
	log_request(m, &r);

	knobs_copy(&r.k, &m->knobs);
	rt = route_find(&r);
	plan_init(&plan);
	if (apply_header_knobs(&r, err, sizeof(err)) < 0) {
		face_errors[rt.face](&plan, 400, err);
	} else if (r.k.never_answer) {
		respond_hold(&r);
		mreq_free(&r);
		return;
	} else if (!authorized(&r, rt.face)) {
		face_errors[rt.face](&plan, 401, "mock: missing or invalid API key");
	} else if ((status = injected_status(m, &r.k)) != 0) {
		snprintf(err, sizeof(err), status == 529 ? "Overloaded" : "mock: injected HTTP %d",
			 status);
		face_errors[rt.face](&plan, status, err);
	} else if (rt.face == FACE_OLLAMA && strcmp(r.path, "/") == 0) {
		plan_text(&plan, 200, "text/plain; charset=utf-8", "Ollama is running");
	} else if (!rt.fn) {
		snprintf(err, sizeof(err), "Unknown request URL: %s %s", method_name(r.method),
			 r.path);
		face_errors[rt.face](&plan, 404, err);
	} else if (rt.post != (r.method == EVHTTP_REQ_POST) ||
		   (!rt.post && r.method != EVHTTP_REQ_GET && r.method != EVHTTP_REQ_HEAD)) {
		snprintf(err, sizeof(err), "Method %s not allowed for %s", method_name(r.method),
			 r.path);
		face_errors[rt.face](&plan, 405, err);
	} else {
		rt.fn(&r, &plan);
	}
	respond_start(&r, &plan);
	plan_free(&plan);
	mreq_free(&r);
}

/* ---- control endpoints --------------------------------------------------- */

static json_object *stats_json(const struct mock *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "requests", json_object_new_int64((int64_t)m->n_requests));
	json_object_object_add(o, "api_requests", json_object_new_int64((int64_t)m->n_api_requests));
	json_object_object_add(o, "connections", json_object_new_int64((int64_t)m->n_connections));
	json_object_object_add(o, "open_requests", json_object_new_int64((int64_t)m->open_requests));
	json_object_object_add(o, "max_open_requests",
			       json_object_new_int64((int64_t)m->max_open_requests));
	return o;
}

static void reset(struct mock *m)
{
	knobs_free(&m->knobs);
	knobs_copy(&m->knobs, &m->start_knobs);
	m->n_requests = 0;
	m->n_api_requests = 0;
	m->n_connections = 0;
	m->max_open_requests = m->open_requests;
	m->fail_seen = 0;
	m->answer_seen = 0;
	m->epoch++;
	json_object_put(m->requests);
	m->requests = json_object_new_array();
}

static json_object *error_obj(const char *message)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(message));
	return o;
}

static void handle_config(struct mock *m, struct evhttp_request *req)
{
	struct mreq r = { .m = m, .req = req };
	char err[256];
	bool sets_fail_first;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		send_json(req, 200, knobs_to_json(&m->knobs));
		return;
	}
	mreq_fill(&r);
	if (!r.json || knobs_merge_json(&m->knobs, r.json, err, sizeof(err)) < 0) {
		send_json(req, 400, error_obj(r.json ? err : "body must be a JSON object of knobs"));
		mreq_free(&r);
		return;
	}
	/* "Fail the first N" means the next N from now on. */
	sets_fail_first = json_object_object_get_ex(r.json, "fail_first", NULL);
	if (sets_fail_first)
		m->fail_seen = 0;
	send_json(req, 200, knobs_to_json(&m->knobs));
	mreq_free(&r);
}

static void handle_control(struct mock *m, struct evhttp_request *req, const char *path)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	json_object *o;

	if (strcmp(path, "/_mock/stats") == 0) {
		send_json(req, 200, stats_json(m));
	} else if (strcmp(path, "/_mock/requests") == 0) {
		o = json_object_new_object();
		json_object_object_add(o, "requests", json_object_get(m->requests));
		send_json(req, 200, o);
	} else if (strcmp(path, "/_mock/config") == 0) {
		handle_config(m, req);
	} else if (strcmp(path, "/_mock/reset") == 0 && method == EVHTTP_REQ_POST) {
		reset(m);
		send_json(req, 200, stats_json(m));
	} else {
		send_json(req, 404, error_obj("unknown control endpoint"));
	}
}

void server_handle(struct evhttp_request *req, void *arg)
{
	struct mock *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;

	m->n_requests++;
	if (path && strncmp(path, "/_mock/", 7) == 0)
		handle_control(m, req, path);
	else
		handle_api(m, req);
}
