/*
 * anthropic.c - the Anthropic Messages face of the mock: POST /v1/messages
 * (plain, or SSE with named events in the real server's order, including
 * extended thinking blocks) and GET /v1/models.
 */
#include "mockllm.h"

#include <stdlib.h>
#include <string.h>

#define SIGNATURE "sig"

static const char *error_type(int status)
{
	switch (status) {
	case 400: return "invalid_request_error";
	case 401: return "authentication_error";
	case 402: return "billing_error";
	case 403: return "permission_error";
	case 404: return "not_found_error";
	case 413: return "request_too_large";
	case 429: return "rate_limit_error";
	case 504: return "timeout_error";
	case 529: return "overloaded_error";
	default: return status >= 500 ? "api_error" : "invalid_request_error";
	}
}

static json_object *error_json(int status, const char *message)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "type", json_object_new_string(error_type(status)));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "type", json_object_new_string("error"));
	json_object_object_add(o, "error", e);
	return o;
}

void anthropic_error(struct plan *p, int status, const char *message)
{
	plan_json(p, status, error_json(status, message));
}

void anthropic_models(struct mreq *r, struct plan *p)
{
	json_object *o = json_object_new_object(), *data = json_object_new_array();
	struct strvec *models = &r->m->models;

	for (size_t i = 0; i < models->n; i++) {
		json_object *e = json_object_new_object();
		char *label = model_display_name(models->v[i]);

		json_object_object_add(e, "type", json_object_new_string("model"));
		json_object_object_add(e, "id", json_object_new_string(models->v[i]));
		json_object_object_add(e, "display_name", json_object_new_string(label));
		json_object_object_add(e, "created_at", json_object_new_string(MOCK_CREATED_ISO));
		json_object_array_add(data, e);
		free(label);
	}
	json_object_object_add(o, "data", data);
	json_object_object_add(o, "has_more", json_object_new_boolean(0));
	json_object_object_add(o, "first_id",
			       models->n ? json_object_new_string(models->v[0]) : NULL);
	json_object_object_add(o, "last_id",
			       models->n ? json_object_new_string(models->v[models->n - 1]) : NULL);
	plan_json(p, 200, o);
}

struct an {
	char id[48];
	const char *model;
};

static char *event(const char *name, json_object *data)
{
	char *json = json_dump_put(data);
	char *ev = xasprintf("event: %s\ndata: %s\n\n", name, json);

	free(json);
	return ev;
}

static json_object *obj_type(const char *type)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	return o;
}

static json_object *usage_json(long input, long output)
{
	json_object *u = json_object_new_object();

	json_object_object_add(u, "input_tokens", json_object_new_int64(input));
	json_object_object_add(u, "output_tokens", json_object_new_int64(output));
	return u;
}

static json_object *message_head(const struct an *x)
{
	json_object *m = obj_type("message");

	json_object_object_add(m, "id", json_object_new_string(x->id));
	json_object_object_add(m, "role", json_object_new_string("assistant"));
	json_object_object_add(m, "model", json_object_new_string(x->model));
	return m;
}

static char *block_start(int index, json_object *block)
{
	json_object *d = obj_type("content_block_start");

	json_object_object_add(d, "index", json_object_new_int(index));
	json_object_object_add(d, "content_block", block);
	return event("content_block_start", d);
}

static char *block_delta(int index, const char *type, const char *key, const char *value)
{
	json_object *d = obj_type("content_block_delta"), *delta = obj_type(type);

	json_object_object_add(delta, key, json_object_new_string(value));
	json_object_object_add(d, "index", json_object_new_int(index));
	json_object_object_add(d, "delta", delta);
	return event("content_block_delta", d);
}

static char *block_stop(int index)
{
	json_object *d = obj_type("content_block_stop");

	json_object_object_add(d, "index", json_object_new_int(index));
	return event("content_block_stop", d);
}

static void push_deltas(struct plan *p, int index, const char *type, const char *key,
			const char *text)
{
	struct strvec words = { 0 };

	split_words(text, &words);
	for (size_t i = 0; i < words.n; i++)
		strvec_push(&p->pieces, block_delta(index, type, key, words.v[i]));
	strvec_free(&words);
}

static void build_stream(const struct an *x, struct plan *p, const struct answer *a,
			 const char *thinking)
{
	json_object *d, *m, *block;
	int index = 0;

	p->stream = true;
	p->content_type = "text/event-stream";

	m = message_head(x);
	json_object_object_add(m, "content", json_object_new_array());
	json_object_object_add(m, "stop_reason", NULL);
	json_object_object_add(m, "stop_sequence", NULL);
	json_object_object_add(m, "usage", usage_json(a->prompt_tokens, 1));
	d = obj_type("message_start");
	json_object_object_add(d, "message", m);
	strvec_push(&p->pieces, event("message_start", d));

	if (thinking) {
		block = obj_type("thinking");
		json_object_object_add(block, "thinking", json_object_new_string(""));
		json_object_object_add(block, "signature", json_object_new_string(""));
		strvec_push(&p->pieces, block_start(index, block));
		strvec_push(&p->pieces, event("ping", obj_type("ping")));
		push_deltas(p, index, "thinking_delta", "thinking", thinking);
		strvec_push(&p->pieces,
			    block_delta(index, "signature_delta", "signature", SIGNATURE));
		strvec_push(&p->pieces, block_stop(index));
		index++;
	}
	block = obj_type("text");
	json_object_object_add(block, "text", json_object_new_string(""));
	strvec_push(&p->pieces, block_start(index, block));
	if (!thinking)
		strvec_push(&p->pieces, event("ping", obj_type("ping")));
	push_deltas(p, index, "text_delta", "text", a->text);
	strvec_push(&p->pieces, block_stop(index));

	d = obj_type("message_delta");
	m = json_object_new_object();
	json_object_object_add(m, "stop_reason",
			       json_object_new_string(a->truncated ? "max_tokens" : "end_turn"));
	json_object_object_add(m, "stop_sequence", NULL);
	json_object_object_add(d, "delta", m);
	m = json_object_new_object();
	json_object_object_add(m, "output_tokens", json_object_new_int64(a->completion_tokens));
	json_object_object_add(d, "usage", m);
	strvec_push(&p->pieces, event("message_delta", d));
	strvec_push(&p->pieces, event("message_stop", obj_type("message_stop")));
	p->stream_error = event("error", error_json(529, "Overloaded"));
}

static void build_plain(const struct an *x, struct plan *p, const struct answer *a,
			const char *thinking)
{
	json_object *m = message_head(x), *content = json_object_new_array(), *block;

	if (thinking) {
		block = obj_type("thinking");
		json_object_object_add(block, "thinking", json_object_new_string(thinking));
		json_object_object_add(block, "signature", json_object_new_string(SIGNATURE));
		json_object_array_add(content, block);
	}
	block = obj_type("text");
	json_object_object_add(block, "text", json_object_new_string(a->text));
	json_object_array_add(content, block);
	json_object_object_add(m, "content", content);
	json_object_object_add(m, "stop_reason",
			       json_object_new_string(a->truncated ? "max_tokens" : "end_turn"));
	json_object_object_add(m, "stop_sequence", NULL);
	json_object_object_add(m, "usage", usage_json(a->prompt_tokens, a->completion_tokens));
	plan_json(p, 200, m);
}

static bool wants_thinking(json_object *body)
{
	json_object *t;
	const char *type;

	if (!json_object_object_get_ex(body, "thinking", &t))
		return false;
	type = json_get_string(t, "type");
	return type && (strcmp(type, "enabled") == 0 || strcmp(type, "adaptive") == 0);
}

void anthropic_messages(struct mreq *r, struct plan *p)
{
	json_object *body = r->json, *v;
	struct chat_in in = { 0 };
	struct answer a;
	struct an x;
	const char *thinking = NULL;
	bool stream = false;

	if (!mreq_header(r, "anthropic-version")) {
		anthropic_error(p, 400, "anthropic-version: header is required");
		return;
	}
	if (!body || !json_object_is_type(body, json_type_object)) {
		anthropic_error(p, 400, "There was an issue with the request body: invalid JSON");
		return;
	}
	x.model = json_get_string(body, "model");
	if (!x.model || !*x.model) {
		anthropic_error(p, 400, "model: Field required");
		return;
	}
	if (!json_object_object_get_ex(body, "max_tokens", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		anthropic_error(p, 400, "max_tokens: Field required");
		return;
	}
	in.max_tokens = (long)json_object_get_int64(v);
	if (!json_object_object_get_ex(body, "messages", &in.messages) ||
	    !json_object_is_type(in.messages, json_type_array)) {
		anthropic_error(p, 400, "messages: Field required");
		return;
	}
	if (r->k.strict_models && !mock_model_known(r->m, x.model)) {
		char *msg = xasprintf("model: %s", x.model);
		anthropic_error(p, 404, msg);
		free(msg);
		return;
	}
	json_object_object_get_ex(body, "system", &in.system);
	if (json_object_object_get_ex(body, "stream", &v))
		stream = json_object_get_boolean(v);
	if (wants_thinking(body))
		thinking = r->k.reasoning && *r->k.reasoning ? r->k.reasoning : MOCK_DEFAULT_REASONING;
	snprintf(x.id, sizeof(x.id), "msg_mock_%lu", r->n);

	answer_make(r->m, &r->k, &in, &a);
	if (stream)
		build_stream(&x, p, &a, thinking);
	else
		build_plain(&x, p, &a, thinking);
	answer_free(&a);
}
