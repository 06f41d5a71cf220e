/*
 * respond.c - sends the reply plan a face has built, applying the timing and
 * transport faults: latency, time to first event, delays between events,
 * malformed and in-stream error events, abrupt closes, dripping bytes, and
 * requests that are never answered.
 *
 * Lifetime rules (libevent 2.1 evhttp): once the handler returns without
 * replying, the request stays ours until we finish it. If the client goes
 * away, libevent detaches the request from its connection (its connection
 * becomes NULL) and then frees the connection, calling our close callback;
 * a detached request must then be freed by us. If we free the connection
 * ourselves, libevent frees the requests still queued on it.
 */
#include "mockllm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

enum phase {
	PH_HOLD,    /* never_answer: wait for the client to leave */
	PH_HEADERS, /* waiting out latency_ms */
	PH_BODY,    /* sending pieces */
	PH_FLUSH,   /* waiting for the output to drain before closing */
};

struct job {
	struct job *next;
	struct conn *conn;
	struct evhttp_request *req;
	struct event *timer;
	struct event *watch; /* notices a client that leaves while we are silent */
	struct plan plan;
	long *delays;        /* milliseconds before each piece */
	long latency_ms;
	size_t next_piece;
	bool delayed;        /* the delay before next_piece has passed */
	bool streamed;       /* headers first, then the pieces one by one */
	bool abort_at_end;   /* close the connection instead of ending the reply */
	enum phase phase;
};

static void job_step(struct job *j);

void plan_init(struct plan *p)
{
	memset(p, 0, sizeof(*p));
	p->status = 200;
	p->content_type = "application/json";
}

void plan_free(struct plan *p)
{
	strvec_free(&p->pieces);
	free(p->stream_error);
	p->stream_error = NULL;
}

void plan_json(struct plan *p, int status, json_object *o)
{
	strvec_truncate(&p->pieces, 0);
	p->status = status;
	p->content_type = "application/json";
	p->stream = false;
	strvec_push(&p->pieces, json_dump_put(o));
}

void plan_text(struct plan *p, int status, const char *content_type, const char *text)
{
	strvec_truncate(&p->pieces, 0);
	p->status = status;
	p->content_type = content_type;
	p->stream = false;
	strvec_push(&p->pieces, xstrdup(text));
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 529: return "Overloaded";
	default: return status < 400 ? "OK" : "Error";
	}
}

/* ---- knob transformations of the plan ---------------------------------- */

/* A copy of PIECE whose JSON payload is cut in half, keeping the framing
 * after it ("\n\n" of SSE, "\n" of NDJSON) so the stream stays parseable
 * as a stream while the event's JSON does not. */
static char *broken_piece(const char *piece)
{
	const char *open = strchr(piece, '{');
	const char *close = strrchr(piece, '}');

	if (!open || !close || close < open)
		return xstrdup("{\"broken\":\n\n");
	return xasprintf("%.*s%s", (int)(open - piece + (close - open) / 2 + 1), piece, close + 1);
}

static void apply_malformed(struct plan *p)
{
	if (p->pieces.n == 0)
		return;
	if (!p->stream) {
		char *body = p->pieces.v[0];
		size_t len = strlen(body);
		body[len > 1 ? len / 2 : len] = '\0';
		if (!*body) {
			free(body);
			p->pieces.v[0] = xstrdup("{");
		}
		return;
	}
	/* Insert one broken copy of a middle event; every good event still
	 * follows, so a client that skips bad events loses nothing. */
	for (size_t i = p->pieces.n / 2; i < p->pieces.n; i++) {
		if (strchr(p->pieces.v[i], '{')) {
			strvec_insert(&p->pieces, i, broken_piece(p->pieces.v[i]));
			return;
		}
	}
	strvec_insert(&p->pieces, p->pieces.n / 2, broken_piece(""));
}

/* Re-cut the whole body into pieces of BYTES bytes. */
static void apply_drip(struct plan *p, size_t bytes)
{
	struct strvec out = { 0 };

	for (size_t i = 0; i < p->pieces.n; i++) {
		const char *s = p->pieces.v[i];
		size_t len = strlen(s);
		for (size_t off = 0; off < len; off += bytes)
			strvec_push(&out, xstrndup(s + off, len - off < bytes ? len - off : bytes));
	}
	strvec_free(&p->pieces);
	p->pieces = out;
}

static void shape_plan(struct job *j, const struct knobs *k)
{
	struct plan *p = &j->plan;
	bool drip = k->drip_ms > 0 || k->drip_bytes > 0;

	if (k->malformed)
		apply_malformed(p);
	if (p->stream && k->error_event >= 0 && p->stream_error) {
		strvec_truncate(&p->pieces, (size_t)k->error_event);
		strvec_push(&p->pieces, p->stream_error);
		p->stream_error = NULL;
	}
	if (p->stream && k->close_after_chunks >= 0) {
		strvec_truncate(&p->pieces, (size_t)k->close_after_chunks);
		j->abort_at_end = true;
	}
	if (drip)
		apply_drip(p, k->drip_bytes > 0 ? (size_t)k->drip_bytes : 1);

	j->streamed = p->stream || drip;
	j->latency_ms = k->latency_ms;
	j->delays = xcalloc(p->pieces.n, sizeof(*j->delays));
	for (size_t i = 0; i < p->pieces.n; i++) {
		if (i == 0)
			j->delays[i] = k->ttft_ms;
		else
			j->delays[i] = drip ? k->drip_ms : k->chunk_delay_ms;
	}
}

/* ---- job lifetime ------------------------------------------------------- */

static void job_unlink(struct job *j)
{
	struct job **pp = &j->conn->jobs;

	while (*pp && *pp != j)
		pp = &(*pp)->next;
	if (*pp)
		*pp = j->next;
}

static void job_free(struct job *j)
{
	struct mock *m = j->conn->m;

	job_unlink(j);
	if (j->timer)
		event_free(j->timer);
	if (j->watch)
		event_free(j->watch);
	plan_free(&j->plan);
	free(j->delays);
	free(j);
	m->open_requests--;
}

void respond_cancel_conn(struct conn *c, bool reqs_alive)
{
	while (c->jobs) {
		struct job *j = c->jobs;
		/* Detached by libevent: nobody else will free it. */
		if (reqs_alive && evhttp_request_get_connection(j->req) == NULL)
			evhttp_request_free(j->req);
		job_free(j);
	}
}

static void arm_timer(struct job *j, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(j->timer, &tv);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	job_step(arg);
}

/* evhttp stops reading once a request is complete, so a client that hangs
 * up while we are silent (never_answer, latency) would go unnoticed until
 * we write. Peek at the socket ourselves and drop the connection on EOF. */
static void watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	char c;
	ssize_t n;

	(void)what;
	n = recv(fd, &c, 1, MSG_PEEK);
	if (n > 0)
		return; /* a pipelined request: stop watching */
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		event_add(j->watch, NULL);
		return;
	}
	/* Frees the connection; our close callback frees this job. */
	evhttp_connection_free(j->conn->evcon);
}

static struct job *job_new(struct mreq *r)
{
	struct job *j = xcalloc(1, sizeof(*j));
	struct bufferevent *bev = evhttp_connection_get_bufferevent(r->conn->evcon);

	j->conn = r->conn;
	j->req = r->req;
	j->timer = evtimer_new(r->m->base, timer_cb, j);
	if (bev && bufferevent_getfd(bev) >= 0) {
		j->watch = event_new(r->m->base, bufferevent_getfd(bev), EV_READ, watch_cb, j);
		event_add(j->watch, NULL);
	}
	plan_init(&j->plan);
	j->next = r->conn->jobs;
	r->conn->jobs = j;
	return j;
}

static void add_headers(struct job *j, const struct mreq *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(j->req);
	char num[32];

	evhttp_add_header(h, "Content-Type", j->plan.content_type);
	if (j->plan.stream)
		evhttp_add_header(h, "Cache-Control", "no-cache");
	if (j->plan.status >= 400 && r->k.retry_after)
		evhttp_add_header(h, "Retry-After", r->k.retry_after);
	snprintf(num, sizeof(num), "%lu", r->n);
	evhttp_add_header(h, "X-Mock-Request-Id", num);
	if (j->streamed && !j->plan.stream) {
		/* A dripped plain body keeps its length, like a slow real server. */
		size_t total = 0;
		for (size_t i = 0; i < j->plan.pieces.n; i++)
			total += strlen(j->plan.pieces.v[i]);
		snprintf(num, sizeof(num), "%zu", total);
		evhttp_add_header(h, "Content-Length", num);
	}
}

void respond_start(struct mreq *r, struct plan *p)
{
	struct job *j = job_new(r);

	j->plan = *p;
	memset(p, 0, sizeof(*p));
	shape_plan(j, &r->k);
	add_headers(j, r);
	j->phase = PH_HEADERS;
	if (j->latency_ms > 0)
		arm_timer(j, j->latency_ms);
	else
		job_step(j);
}

void respond_hold(struct mreq *r)
{
	struct job *j = job_new(r);

	j->phase = PH_HOLD;
}

static void send_piece(struct job *j)
{
	struct evbuffer *buf = evbuffer_new();
	const char *s = j->plan.pieces.v[j->next_piece++];

	evbuffer_add(buf, s, strlen(s));
	evhttp_send_reply_chunk(j->req, buf);
	evbuffer_free(buf);
}

static void job_step(struct job *j)
{
	struct evbuffer *buf;

	switch (j->phase) {
	case PH_HOLD:
		return;
	case PH_HEADERS:
		if (!j->streamed) {
			buf = evbuffer_new();
			if (j->plan.pieces.n)
				evbuffer_add(buf, j->plan.pieces.v[0], strlen(j->plan.pieces.v[0]));
			evhttp_send_reply(j->req, j->plan.status, reason_phrase(j->plan.status), buf);
			evbuffer_free(buf);
			job_free(j);
			return;
		}
		evhttp_send_reply_start(j->req, j->plan.status, reason_phrase(j->plan.status));
		j->phase = PH_BODY;
		/* fall through */
	case PH_BODY:
		while (j->next_piece < j->plan.pieces.n) {
			if (!j->delayed && j->delays[j->next_piece] > 0) {
				j->delayed = true;
				arm_timer(j, j->delays[j->next_piece]);
				return;
			}
			j->delayed = false;
			send_piece(j);
		}
		if (!j->abort_at_end) {
			evhttp_send_reply_end(j->req);
			job_free(j);
			return;
		}
		j->phase = PH_FLUSH;
		/* fall through */
	case PH_FLUSH: {
		struct evhttp_connection *evcon = j->conn->evcon;
		struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);

		if (bev && evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
			arm_timer(j, 1);
			return;
		}
		/* Everything sent: now close without the end of the reply. */
		evhttp_connection_free(evcon);
		return;
	}
	}
}
